"""Marker lexicons: find politeness, empathy, ownership, formula and security markers.

Each language (en, el, pl, hy) has a YAML file in ``scorers/lexicons/`` with the same
category keys (:data:`CATEGORIES`). An entry is a literal phrase (matched at word
boundaries, any whitespace between words, a comma optional where the phrase has one, a
word ending in ``*`` a stem: ``dziękuj*``) or ``{re: <regex>}`` over normalised lower-case
text, where ``<S>`` means "at the start of a sentence".

Text and entries are normalised alike (:func:`normalize`): case folded; accents, diaeresis,
ogonek and other combining marks removed; Greek ς→σ, Polish ł→l, Armenian և→եւ; the
Armenian marks ՛ ՜ ՞ (inside words: ինչո՞ւ) dropped and ։ read as a full stop; typographic
apostrophes to '. An index maps back, so ``text[m.start:m.end]`` is the original surface.

A category is one alternation, longest entries first: at a position the longest entry
wins, and a category's matches never overlap. For speed, :func:`match` only tries a
category at the words its entries can start with, with the alternation of just those
entries; :func:`scan` runs each category's full regex over the text (the reference).

Example:
    >>> text = "Thank you for waiting. I'll refund it by 5 pm."
    >>> [(m.category, text[m.start:m.end]) for m in match(text, "en", ["gratitude", "concrete_time"])]
    [('gratitude', 'Thank you'), ('concrete_time', 'by 5 pm')]
"""

from __future__ import annotations

import bisect
import difflib
import functools
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import ConfigError, Errors

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
_MACROS = {"<S>": r"(?:^|(?<=[.!?;:\n])|(?<=[.!?;:\n]\s)|(?<=[.!?;:\n]\s\s))"}
_SPECIAL: dict[str, str] = {  # folded forms set here rather than by casefold + NFD
    "ς": "σ", "ł": "l", "Ł": "l", "և": "եւ", "\u0589": ".", "\u055d": ",", "\u055a": "'",  # ։ ՝ ՚
    **dict.fromkeys("\u055b\u055c\u055e\u055f\u00ad\u200b\u200c\u200d\u2060\ufeff", ""),  # ՛ ՜ ՞, zero-width
    **dict.fromkeys("\u2019\u2018\u02bc\u00b4\u2032", "'"), **dict.fromkeys("\u201c\u201d\u201e\u00ab\u00bb", '"'),
    **dict.fromkeys("\u00a0\u2009\u202f\u2007", " "), "\u2026": "...", "\u037e": ";", "\u0387": ".",
}
_FOLD: dict[str, str] = {chr(i): chr(i).lower() for i in range(128)}  # every character seen
_TABLE: dict[int, str] = {ord(c): f for c, f in _FOLD.items() if c != f}  # for str.translate
_UNEVEN: dict[str, None] = {}  # characters whose folded form is not one character long
_UNEVEN_RE: list = [re.compile("(?!)")]
_TOKEN = re.compile(r"\w+")
_DIGIT = "#"  # index key: a word that starts with a digit
Keys = frozenset[tuple[str, bool]]  # (word, True): exactly this word; (prefix, False): starts so


def _fold_char(char: str) -> str:
    folded = _SPECIAL.get(char)
    if folded is None:
        folded = "".join(_SPECIAL.get(p, p) for p in unicodedata.normalize("NFD", char.casefold())
                         if not unicodedata.combining(p))
    if len(folded) != 1:
        _UNEVEN[char] = None
        _UNEVEN_RE[0] = re.compile("[" + "".join(re.escape(c) for c in _UNEVEN) + "]")
    if folded != char:
        _TABLE[ord(char)] = folded
    _FOLD[char] = folded
    return folded


Breaks = list[tuple[int, int, int]]  # (folded start, folded length, original position)


def _fold(text: str) -> tuple[str, Breaks | None]:
    """Folded text and, where lengths change, the characters that change them."""
    if text.isascii():
        return text.lower(), None
    if not _FOLD.keys() >= set(text):
        for char in set(text) - _FOLD.keys():
            _fold_char(char)
    folded = text.translate(_TABLE)
    if _UNEVEN.keys().isdisjoint(text):
        return folded, None
    breaks, shift = [], 0
    for hit in _UNEVEN_RE[0].finditer(text):
        size = len(_FOLD[hit.group()])
        breaks.append((hit.start() + shift, size, hit.start()))
        shift += size - 1
    return folded, breaks


def _original(breaks: Breaks, j: int) -> int:
    """The position in the original text of the character that gave folded[j]."""
    k = bisect.bisect_right(breaks, j, key=lambda b: b[0]) - 1
    if k < 0:
        return j
    start, size, position = breaks[k]
    return position if j < start + size else position + 1 + j - start - size


def normalize(text: str) -> tuple[str, list[int] | None]:
    """Fold text for matching and keep the way back to the original offsets.

    Returns:
        ``(folded, index)``: ``index[j]`` is the position in ``text`` of the character that
        gave ``folded[j]``; ``None`` when the two line up one to one.

    Example:
        >>> normalize("Ευχαριστώ ΠΟΛΎ!")
        ('ευχαριστω πολυ!', None)
        >>> normalize("Ինչո՞ւ")
        ('ինչու', [0, 1, 2, 3, 5])
    """
    folded, breaks = _fold(text)
    return folded, None if breaks is None else [_original(breaks, j) for j in range(len(folded))]


def _fold_pattern(source: str) -> str:
    """Fold a regex's non-ASCII characters (ASCII stays: ``\\S`` must not become ``\\s``)."""
    for macro, expansion in _MACROS.items():
        source = source.replace(macro, expansion)
    return "".join(c if c.isascii() else _FOLD[c] if c in _FOLD else _fold_char(c) for c in source)


def _literal_pattern(phrase: str) -> str:
    parts = []
    for piece in re.split(r"(\s*,\s*|\s+)", normalize(phrase)[0].strip(" ,")):
        if piece.strip() == ",":
            parts.append(r"(?:\s*,\s*|\s+)")
        elif not piece.strip():
            parts.append(r"\s+")
        else:
            stem = len(piece) > 1 and piece.endswith("*")
            parts.append(re.escape(piece[:-1]) + r"\w*" if stem else re.escape(piece))
    return "".join(parts)


def _literal_keys(pattern: str, phrase: str) -> Keys | None:
    """A literal's first two words ("w1 w2"), or its first word; stems go to the regex walk."""
    words = _TOKEN.findall(normalize(phrase)[0])
    if "*" in phrase or not words or not _TOKEN.match(normalize(phrase)[0].lstrip(" ,")):
        return _regex_keys(pattern)
    return frozenset({(" ".join(words[:2]), True)})


def _regex_keys(source: str) -> Keys | None:
    """The words a regex can start with, over-approximated; ``None`` when that cannot be told."""
    from re import _constants as c, _parser  # private but stable since 3.11; only for indexing

    stop, out = object(), set()

    def walk(items: list, word: str) -> bool:  # False: cannot be indexed
        if len(out) > 2000:
            return False
        if not items or items[0] is stop:
            out.add((word, not items))
            return bool(word)
        (op, av), rest = items[0], items[1:]
        if op is c.LITERAL:
            return walk(rest, word + chr(av)) if _TOKEN.match(chr(av)) else bool(word) and walk([], word)
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            return walk(rest, word)
        if op is c.SUBPATTERN:
            return walk(list(av[-1]) + rest, word)
        if op is c.BRANCH:
            return all(walk(list(alt) + rest, word) for alt in av[1])
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            low, high, item = av
            if low == 0 and not walk(rest, word):
                return False
            return high == 0 or walk(list(item) + (rest if high == 1 else [stop]), word)
        if op is c.IN and not word and all(a is c.CATEGORY_DIGIT for _, a in av):
            out.add((_DIGIT, False))
            return True
        if op is c.IN and all(a is c.CATEGORY_SPACE for _, a in av):
            return bool(word) and walk([], word)
        if op is c.IN and all(o is c.LITERAL for o, _ in av) and len(av) <= 12:
            return all(walk([(c.LITERAL, a)] + rest, word) for _, a in av)
        return bool(word) and walk([stop], word)  # a class, a dot...: the word goes on unknown

    try:
        return frozenset(out) if walk(list(_parser.parse(source)), "") else None
    except (re.error, RecursionError):
        return None


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
    (group 1: the next word); ``at`` gives, per word, the categories to try there, each
    with the alternation of only the entries that can start with it, in the category's
    order, so the same entry wins as in a full scan. Categories with an entry that cannot
    be indexed are scanned in full (``full``)."""

    lexicon: Lexicon
    selected: tuple[str, ...]
    full: tuple[str, ...]
    keys: frozenset[tuple[str, bool]]
    heads: frozenset[str]  # first words of two-word keys
    lengths: tuple[int, ...]  # lengths of the prefix keys
    words: re.Pattern[str]
    memo: dict[str, Any] = field(default_factory=dict)  # word → Tries, or for heads next word → Tries
    by_keys: dict[frozenset, Tries] = field(default_factory=dict)

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

    def emit(node: dict) -> str:  # the first words as a trie regex; a prefix ends in "*"
        if "*" in node:
            return ""
        parts = [re.escape(k) + emit(v) for k, v in sorted(node.items()) if k != "$"]
        parts += [r"(?!\w)"] if "$" in node else []
        return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"

    digit = (_DIGIT, False) in keys
    finder = "|".join(([emit(trie)] if trie else []) + ([r"\d"] if digit else [])) or "(?!)"
    return _Plan(lexicon, tuple(c for c in selected if c not in full), full, keys,
                 frozenset(w.split(" ")[0] for w, _ in keys if " " in w),
                 tuple(sorted({len(w) for w, whole in keys if not whole and w != _DIGIT})),
                 re.compile(rf"(?<!\w)(?:{finder})\w*(?=\W*(\w*))"))


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
    lexicon, plan = _setup(language, categories)  # also refuses unknown categories
    if not text:
        return []
    key = (text, lexicon.language)
    found = _FOUND.get(key)
    if found is None:
        found = _FOUND[key] = tuple(_match(text, lexicon, _setup(language, None)[1]))
        if len(_FOUND) > _FOUND_SIZE:
            _FOUND.clear()
    if categories is None:
        return list(found)
    wanted = {categories} if isinstance(categories, str) else set(categories)
    return [m for m in found if m.category in wanted]


_FOUND: dict[tuple[str, str], tuple[Marker, ...]] = {}
"""Every marker of recently seen texts: a turn is matched once, whichever scorers and standards ask.
Filtering all categories' markers equals matching the subset, since overlap is resolved per category."""
_FOUND_SIZE = 20_000


def _match(text: str, lexicon: Lexicon, plan: _Plan) -> list[Marker]:
    folded, breaks = _fold(text)
    hits: list[tuple[int, int, str, str]] = []
    ends: dict[str, int] = {}
    memo, at = plan.memo, plan.at
    for token in plan.words.finditer(folded):  # entries start at words: try only where they can
        word, following = token.group(0, 1)
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
    if breaks is None:
        found = [Marker(a, b, category, phrase) for a, b, category, phrase in hits]
    else:
        found, fold = [], _FOLD
        for a, b, category, phrase in hits:
            end = _original(breaks, b - 1) + 1
            while end < len(text) and not fold[text[end]]:  # take in dropped marks: ինչո՞ւ
                end += 1
            found.append(Marker(_original(breaks, a), end, category, phrase))
    found.sort(key=lambda m: (m.start, m.end, m.category))
    return found
