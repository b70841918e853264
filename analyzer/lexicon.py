"""Marker lexicons: find politeness, empathy, ownership, formula and security markers.

Each language (en, el, pl, hy) has a YAML file in ``scorers/lexicons/`` with the same
category keys (:data:`CATEGORIES`). An entry is a literal phrase (matched at word
boundaries, any whitespace between words, a comma optional where the phrase has one, a
word ending in ``*`` a stem: ``dziękuj*``) or ``{re: <regex>}`` over normalised lower-case
text, where ``<S>`` means "at the start of a sentence".

Text and entries are normalised alike (:func:`normalize`, from :mod:`analyzer.lexicon_fold`:
case, accents, ς→σ, ł→l, Armenian marks...); ``text[m.start:m.end]`` is the original surface.

A category is one alternation, longest entries first: at a position the longest entry
wins, and a category's matches never overlap. For speed, :func:`match` finds, with one regex,
the words where some entry of some category matches, and there tries only the categories
and entries that can start with that word; :func:`scan` runs each category's full regex
over the text (the reference).

Example:
    >>> text = "Thank you for waiting. I'll refund it by 5 pm."
    >>> [(m.category, text[m.start:m.end]) for m in match(text, "en", ["gratitude", "concrete_time"])]
    [('gratitude', 'Thank you'), ('concrete_time', 'by 5 pm')]
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import ConfigError, Errors
from .lexicon_fold import DIGIT as _DIGIT, FOLD as _FOLD, Breaks, Keys, fold as _fold, fold_pattern as _fold_pattern
from .lexicon_fold import literal_keys as _literal_keys, literal_pattern as _literal_pattern
from .lexicon_fold import normalize  # noqa: F401  (part of this module's API)
from .lexicon_fold import guard as _guard, original as _original, regex_keys as _regex_keys

log = logging.getLogger(__name__)

LANGUAGES: tuple[str, ...] = ("en", "el", "pl", "hy")
"""Languages with a lexicon; any other language falls back to English."""

LEXICON_DIR = Path(__file__).resolve().parent / "scorers" / "lexicons"

CATEGORIES: tuple[str, ...] = (
    # politeness strategies (after Danescu-Niculescu-Mizil et al. 2013)
    "please", "gratitude", "apology", "greeting", "hedge", "deference", "direct_question",
    "bare_command", "swearing", "insult", "formal_address", "informal_address",
    # empathy (after Sharma et al. 2020, EPITOME)
    "emotional_reaction", "interpretation", "exploration",
    # ownership
    "commitment", "redirect", "blame", "vague_postpone", "concrete_time",
    # conversation formulas
    "greeting_open", "closing", "next_steps", "contact_back", "personal_address",
    # security
    "ask_card", "ask_password", "ask_otp",
)
"""The category keys of every language file, in this order."""

_ALIASES = {"eng": "en", "ell": "el", "gre": "el", "pol": "pl", "hye": "hy", "arm": "hy"}
@dataclass(frozen=True, slots=True)
class Marker:
    """One lexicon hit.

    Args:
        start: offset of the first character in the original text.
        end: offset after the last one, so ``text[start:end]`` is the surface form.
        category: one of :data:`CATEGORIES`.
        phrase: the entry that matched, as written in the YAML file (``re: <regex>`` for regexes).
    """

    start: int
    end: int
    category: str
    phrase: str


@dataclass(frozen=True, slots=True)
class _Entry:
    phrase: str  # as written in the file
    source: str  # its regex over folded text
    width: int  # its shortest match: longer entries are tried first
    groups: int  # its own capturing groups
    keys: Keys | None  # the words it can start with; None: any


@functools.lru_cache(maxsize=8192)  # shared by every plan that needs the same entries
def _alternation(entries: tuple[_Entry, ...]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """One regex for the entries, each in a group; ``phrases[m.lastindex]`` names the winner."""
    parts, phrases = [], [""]
    for entry in entries:
        parts.append(f"({entry.source})")
        phrases += [entry.phrase] * (1 + entry.groups)
    return re.compile(rf"(?<!\w)(?:{'|'.join(parts) or '(?!)'})(?!\w)"), tuple(phrases)


@dataclass(frozen=True, slots=True, eq=False)
class Lexicon:
    """The lexicon of one language: its entries by category, longest first.

    Example:
        >>> lex = Lexicon.from_yaml(LEXICON_DIR / "en.yaml", "en")
        >>> lex.categories == frozenset(CATEGORIES), lex.pattern("gratitude").pattern[:7]
        (True, '(?<!\\\\w)')
    """

    language: str
    path: Path
    entries: Mapping[str, tuple[_Entry, ...]] = field(repr=False)
    _patterns: dict[str, tuple[re.Pattern[str], tuple[str, ...]]] = field(default_factory=dict, repr=False)

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(self.entries)

    def pattern(self, category: str) -> re.Pattern[str]:
        """The category's one regex: all its entries in one alternation (compiled on first use)."""
        if category not in self._patterns:
            self._patterns[category] = _alternation(self.entries[category])
        return self._patterns[category][0]

    @classmethod
    def from_yaml(cls, path: str | Path, language: str) -> "Lexicon":
        """Read a lexicon file, reporting every problem in it at once (E050)."""
        import yaml  # deferred: needed only when a lexicon first loads

        path = Path(path)
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(Errors.E050.format(path=path, problems=exc)) from None
        raw = data.get("categories") if isinstance(data, dict) else None
        if not isinstance(raw, dict):
            raise ConfigError(Errors.E050.format(path=path, problems="no 'categories' mapping"))
        problems = [f"{what} categories {names}" for what, names in (
            ("missing", [c for c in CATEGORIES if c not in raw]),
            ("unknown", [c for c in raw if c not in CATEGORIES])) if names]
        entries = {c: _parse_category(c, raw.get(c) or [], problems) for c in CATEGORIES}
        if problems:
            raise ConfigError(Errors.E050.format(path=path, problems="; ".join(problems)))
        return cls(language, path, entries)


def _parse_category(category: str, items: Any, problems: list[str]) -> tuple[_Entry, ...]:
    if not isinstance(items, list):
        problems.append(f"[{category}] must be a list of phrases")
        return ()
    from re import _parser  # private but stable since 3.11; only for the shortest match

    entries = []
    for n, item in enumerate(items):
        regex = item.get("re") if isinstance(item, dict) and len(item) == 1 else None
        if isinstance(item, str) and item.startswith("re: "):
            regex = item[4:]
        if isinstance(regex, str):
            phrase, source = f"re: {regex}", _fold_pattern(regex)
        elif isinstance(item, str) and item.strip(" ,*"):
            phrase, source = item, _literal_pattern(item)
        else:
            problems.append(f"[{category} -> {n}] must be a phrase or {{re: <regex>}}, got {item!r}")
            continue
        if re.search(r"\(\?P[<=]|\\[1-9]", source):  # entries are wrapped in groups and combined
            problems.append(f"[{category} -> {n}] {phrase!r}: named groups and backreferences are not supported")
            continue
        try:
            width, groups = _parser.parse(source).getwidth()[0], re.compile(source).groups
        except re.error as exc:
            problems.append(f"[{category} -> {n}] bad regex {phrase!r}: {exc}")
            continue
        keys = _regex_keys(source) if regex is not None else _literal_keys(source, phrase)
        if keys is None:
            log.debug("lexicon entry %r cannot be indexed by its first word", phrase)
        entries.append(_Entry(phrase, source, width, groups, keys))
    entries.sort(key=lambda e: -e.width)  # stable: equal widths keep the file's order
    return tuple(entries)


@functools.lru_cache(maxsize=1024)
def _language(language: str | None) -> str:
    code = re.split(r"[-_]", (language or "en").strip().lower(), maxsplit=1)[0]
    code = _ALIASES.get(code, code)
    if code not in LANGUAGES:
        log.debug("no lexicon for language %r; using English", language)
    return code if code in LANGUAGES else "en"


@functools.lru_cache(maxsize=None)
def _load(code: str) -> Lexicon:
    return Lexicon.from_yaml(LEXICON_DIR / f"{code}.yaml", code)


def load(language: str | None) -> Lexicon:
    """The lexicon of a language, read once per process.

    Args:
        language: ``en``, ``el``, ``pl`` or ``hy`` (``el-GR``, ``ell`` work too); ``None``
            or an unsupported language gives English.

    Example:
        >>> load("pl-PL").language, load(None).language, load("de").language
        ('pl', 'en', 'en')
    """
    return _load(_language(language))


def categories(language: str | None) -> frozenset[str]:
    """The categories of a language's lexicon (the same in every language).

    Example:
        >>> "apology" in categories("hy")
        True
    """
    return load(language).categories


Tries = tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...]  # (category, regex, phrases)


@dataclass(frozen=True, slots=True)
class _Plan:
    """Where to try which categories. ``words`` finds the words some entry can start with
    (an exact word only where one of its entries may match: ``lexicon_fold.guard``; last group: the
    next word); ``at`` gives, per word, the categories to try there, each with the alternation
    of only the entries that can start with it, in the category's order, so the same entry
    wins as in a full scan. Categories with an entry that cannot be indexed are scanned in
    full (``full``)."""

    lexicon: Lexicon
    selected: tuple[str, ...]
    full: tuple[str, ...]
    keys: frozenset[tuple[str, bool]]
    heads: frozenset[str]  # first words of two-word keys
    lengths: tuple[int, ...]  # lengths of the prefix keys
    finder: str  # the source of ``words``, compiled on first use (only the full plan matches)
    memo: dict[str, Any] = field(default_factory=dict)  # word → Tries, or for heads next word → Tries
    by_keys: dict[frozenset, Tries] = field(default_factory=dict)
    compiled: list = field(default_factory=list)

    @property
    def words(self) -> re.Pattern[str]:
        if not self.compiled:
            self.compiled.append(re.compile(self.finder))
        return self.compiled[0]

    def at(self, word: str, following: str) -> Tries:
        table, key = (self.memo.setdefault(word, {}), following) if word in self.heads else (self.memo, word)
        found = table.get(key)
        if found is None:
            wanted = {(word, True), (f"{word} {following}", True), (_DIGIT, False) if word[0].isdigit() else (word, True)}
            wanted.update((word[:n], False) for n in self.lengths if n <= len(word))
            found = self._tries(frozenset(wanted & self.keys))
            if len(table) > 50_000:  # numbers and stems make the vocabulary open-ended
                table.clear()
            table[key] = found
        return found

    def _tries(self, keys: frozenset) -> Tries:
        if keys not in self.by_keys:
            tries = []
            for category in self.selected:
                entries = tuple(e for e in self.lexicon.entries[category] if e.keys and not e.keys.isdisjoint(keys))
                if entries:
                    tries.append((category, *_alternation(entries)))
            self.by_keys[keys] = tuple(tries)
        return self.by_keys[keys]


@functools.lru_cache(maxsize=256)
def _plan(lexicon: Lexicon, wanted: frozenset[str] | None) -> _Plan:
    if wanted is not None and not wanted <= lexicon.categories:
        unknown = sorted(wanted - lexicon.categories)[0]
        close = difflib.get_close_matches(unknown, CATEGORIES, n=1)
        raise ConfigError(Errors.E040.format(kind="lexicon category", name=unknown, available=", ".join(
            CATEGORIES), hint=f" Did you mean {close[0]!r}?" if close else ""))
    selected = tuple(c for c in CATEGORIES if wanted is None or c in wanted)
    full = tuple(c for c in selected if any(e.keys is None for e in lexicon.entries[c]))
    keys = frozenset().union(*(e.keys for c in selected if c not in full for e in lexicon.entries[c]))
    trie: dict = {}
    for word, whole in keys - {(_DIGIT, False)}:
        node = trie
        for char in word.split(" ")[0]:
            node = node.setdefault(char, {})
        node["$" if whole else "*"] = True
    firsts: dict[str, dict[_Entry, None]] = {}  # first word of an exact key → its entries
    for c in selected:
        for e in lexicon.entries[c] if c not in full else ():
            for word in {w.split(" ")[0] for w, whole in e.keys if whole}:
                firsts.setdefault(word, {})[e] = None

    def emit(node: dict, word: str) -> str:  # the first words as a trie regex; a prefix ends in "*"
        if "*" in node:
            return ""
        parts = [re.escape(k) + emit(v, word + k) for k, v in sorted(node.items()) if k != "$"]
        parts += [r"(?!\w)" + _guard(word, firsts.get(word, ()))] if "$" in node else []
        return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"

    digit = (_DIGIT, False) in keys
    finder = "|".join(([emit(trie, "")] if trie else []) + ([r"\d"] if digit else [])) or "(?!)"
    return _Plan(lexicon, tuple(c for c in selected if c not in full), full, keys,
                 frozenset(w.split(" ")[0] for w, _ in keys if " " in w),
                 tuple(sorted({len(w) for w, whole in keys if not whole and w != _DIGIT})),
                 rf"(?<!\w)(?:{finder})\w*(?=\W*(\w*))")


def _setup(language: str | None, categories: Iterable[str] | str | None) -> tuple[Lexicon, _Plan]:
    lexicon = load(language)
    names = None if categories is None else frozenset([categories] if isinstance(categories, str) else categories)
    return lexicon, _plan(lexicon, names)


def match(text: str, language: str | None, categories: Iterable[str] | None = None) -> list[Marker]:
    """Find lexicon markers in a text.

    Args:
        text: the original text; offsets in the result index into it.
        language: its language; ``None`` or unsupported gives English.
        categories: the categories to look for (a name or names; default all). An unknown
            name raises :class:`~analyzer.errors.ConfigError` (E040).

    Returns:
        Markers sorted by start, then end, then category. Within a category they never
        overlap; different categories may cover the same characters.

    Example:
        >>> text = "Przepraszamy za opóźnienie, dziekuje za cierpliwosc!"
        >>> [(m.category, text[m.start:m.end]) for m in match(text, "pl", ["apology", "gratitude"])]
        [('apology', 'Przepraszamy'), ('gratitude', 'dziekuje')]
    """
    lexicon = load(language)
    wanted = None if categories is None else frozenset(
        (categories,) if isinstance(categories, str) else categories)
    if wanted is not None and not wanted <= _ALL:
        _plan(lexicon, wanted)  # refuses the unknown category
    if not text:
        return []
    key = (text, lexicon.language)
    found = _FOUND.get(key)
    if found is None:
        found = _FOUND[key] = tuple(_match(text, lexicon, _plan(lexicon, None)))
        if len(_FOUND) > _FOUND_SIZE:
            _FOUND.clear()
    if wanted is None:
        return list(found)
    return [m for m in found if m.category in wanted]


_FOUND: dict[tuple[str, str], tuple[Marker, ...]] = {}
"""Every marker of recently seen texts: a turn is matched once, whichever scorers and standards ask.
Filtering all categories' markers equals matching the subset, since overlap is resolved per category."""
_FOUND_SIZE = 20_000
_ALL = frozenset(CATEGORIES)  # every lexicon has exactly these (Lexicon.from_yaml)


def _match(text: str, lexicon: Lexicon, plan: _Plan) -> list[Marker]:
    folded, breaks = _fold(text)
    hits: list[tuple[int, int, str, str]] = []
    ends: dict[str, int] = {}
    memo, at, words = plan.memo, plan.at, plan.words
    last = words.groups
    for token in words.finditer(folded):  # entries start at words: try only where they can
        word, following = token.group(0, last)
        tries = memo.get(word)
        if tries.__class__ is dict:
            tries = tries.get(following)
        if tries is None:
            tries = at(word, following)
        start = token.start()
        for category, pattern, phrases in tries:
            if start < ends.get(category, 0):
                continue
            hit = pattern.match(folded, start)
            if hit is not None and hit.end() > start:
                hits.append((start, hit.end(), category, phrases[hit.lastindex]))
                ends[category] = hit.end()
    for category in plan.full:
        hits += _scan(lexicon, category, folded)
    return _markers(text, breaks, hits)


def scan(text: str, language: str | None, categories: Iterable[str] | None = None) -> list[Marker]:
    """The same as :func:`match`, found by running each category's regex over the whole text.

    Slower; kept as the reference that :func:`match` is tested against.
    """
    lexicon, plan = _setup(language, categories)
    folded, breaks = _fold(text)
    return _markers(text, breaks, [h for c in plan.selected + plan.full for h in _scan(lexicon, c, folded)])


def _scan(lexicon: Lexicon, category: str, folded: str) -> list[tuple[int, int, str, str]]:
    pattern, phrases = lexicon.pattern(category), lexicon._patterns[category][1]
    return [(h.start(), h.end(), category, phrases[h.lastindex]) for h in pattern.finditer(folded) if h.end() > h.start()]


def _markers(text: str, breaks: Breaks | None, hits: list[tuple[int, int, str, str]]) -> list[Marker]:
    if breaks is None:  # a category's hits never overlap: no two share start, end and category
        hits.sort()
        return [Marker(a, b, category, phrase) for a, b, category, phrase in hits]
    found, fold = [], _FOLD
    for a, b, category, phrase in hits:
        end = _original(breaks, b - 1) + 1
        while end < len(text) and not fold[text[end]]:  # take in dropped marks: ինչո՞ւ
            end += 1
        found.append(Marker(_original(breaks, a), end, category, phrase))
    found.sort(key=lambda m: (m.start, m.end, m.category))
    return found
