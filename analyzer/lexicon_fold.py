"""Text folding for the marker lexicons, with a way back to offsets; lexicon entries as folded regexes.

A character folds on its own (:func:`fold_char`): case folded; accents, diaeresis, ogonek and
other combining marks removed; Greek ς→σ, Polish ł→l, Armenian և→եւ; the Armenian marks ՛ ՜ ՞
dropped and ։ read as a full stop; typographic apostrophes to '. A text folds character by
character, so most characters keep their place; the few whose folded form is not one character
long (``breaks``) are tracked so offsets can be mapped back (:func:`original`).

For speed, characters are learnt a Unicode page (256 code points) at a time, the first time a
text uses that page; a text is then folded by one regex split on the characters that change.

Entries (:func:`literal_pattern`, :func:`fold_pattern`) become regexes over folded text, indexed
by the words they can start with (:func:`literal_keys`, :func:`regex_keys`).

Example:
    >>> normalize("Ευχαριστώ ΠΟΛΎ!")
    ('ευχαριστω πολυ!', None)
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from typing import Iterable

_SPECIAL: dict[str, str] = {  # folded forms set here rather than by casefold + NFD
    "ς": "σ", "ł": "l", "Ł": "l", "և": "եւ", "\u0589": ".", "\u055d": ",", "\u055a": "'",  # ։ ՝ ՚
    **dict.fromkeys("\u055b\u055c\u055e\u055f\u00ad\u200b\u200c\u200d\u2060\ufeff", ""),  # ՛ ՜ ՞, zero-width
    **dict.fromkeys("\u2019\u2018\u02bc\u00b4\u2032", "'"), **dict.fromkeys("\u201c\u201d\u201e\u00ab\u00bb", '"'),
    **dict.fromkeys("\u00a0\u2009\u202f\u2007", " "), "\u2026": "...", "\u037e": ";", "\u0387": ".",
}
FOLD: dict[str, str] = {}
"""Every learnt character → its folded form (one character, several, or none)."""
UNEVEN: dict[str, None] = {}
"""Characters whose folded form is not one character long."""
_PAGES: set[int] = set()  # learnt Unicode pages (code point >> 8)
_UNKNOWN = [re.compile(r"[\s\S]")]  # a character of a page not learnt yet
_CHANGE = [re.compile("((?!))")]  # a character whose folded form differs (captured, for split)
_UNEVEN_RE = [re.compile("(?!)")]

Breaks = list[tuple[int, int, int]]  # (folded start, folded length, original position)

_MACROS = {"<S>": r"(?:^|(?<=[.!?;:\n])|(?<=[.!?;:\n]\s)|(?<=[.!?;:\n]\s\s))"}
_TOKEN = re.compile(r"\w+")
DIGIT = "#"  # index key: a word that starts with a digit
Keys = frozenset[tuple[str, bool]]  # (word, True): exactly this word; (prefix, False): starts so


def _fold_one(char: str) -> str:
    folded = _SPECIAL.get(char)
    if folded is None:
        folded = "".join(_SPECIAL.get(p, p) for p in unicodedata.normalize("NFD", char.casefold())
                         if not unicodedata.combining(p))
    return folded


def _char_class(chars, negate: bool = False) -> str:
    """A regex class of code points, runs written as ranges."""
    points, runs = sorted(map(ord, chars)), []
    for p in points:
        if runs and runs[-1][1] == p - 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    body = "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in runs)
    return f"[{'^' if negate else ''}{body}]" if body else ("[\\s\\S]" if negate else "(?!)")


def _learn(text: str) -> None:
    """Fold every character of the pages that ``text`` uses and are not learnt yet."""
    for page in {ord(c) >> 8 for c in set(text)} - _PAGES:
        for point in range(page << 8, (page + 1) << 8):
            char = chr(point)
            folded = FOLD[char] = _fold_one(char)
            if len(folded) != 1:
                UNEVEN[char] = None
        _PAGES.add(page)
    _UNKNOWN[0] = re.compile(_pages_class())
    _CHANGE[0] = re.compile("(" + _char_class([c for c, f in FOLD.items() if c != f]) + ")")
    _UNEVEN_RE[0] = re.compile(_char_class(UNEVEN))


def _pages_class() -> str:
    """A class of every character outside the learnt pages."""
    body, pages = [], sorted(_PAGES)
    start = pages[0]
    for prev, page in zip(pages, pages[1:] + [None]):
        if page != prev + 1:
            body.append(f"\\U{start << 8:08x}-\\U{(prev << 8) | 255:08x}")
            start = page
    return "[^" + "".join(body) + "]"


def fold_char(char: str) -> str:
    """The folded form of one character.

    Example:
        >>> fold_char("Ώ"), fold_char("և"), fold_char("՞")
        ('ω', 'եւ', '')
    """
    folded = FOLD.get(char)
    if folded is None:
        _learn(char)
        folded = FOLD[char]
    return folded


def fold(text: str) -> tuple[str, Breaks | None]:
    """Folded text and, where lengths change, the characters that change them (``None``: none do).

    Example:
        >>> fold("Ինչո՞ւ")
        ('ինչու', [(4, 0, 4)])
    """
    if text.isascii():
        return text.lower(), None
    if _UNKNOWN[0].search(text) is not None:
        _learn(text)
    parts = _CHANGE[0].split(text)
    if len(parts) == 1:
        return text, None
    changed = parts[1::2]
    parts[1::2] = [FOLD[c] for c in changed]
    folded = "".join(parts)
    if UNEVEN.keys().isdisjoint(changed):
        return folded, None
    breaks, shift = [], 0
    for hit in _UNEVEN_RE[0].finditer(text):
        size = len(FOLD[hit.group()])
        breaks.append((hit.start() + shift, size, hit.start()))
        shift += size - 1
    return folded, breaks


def original(breaks: Breaks, j: int) -> int:
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
    folded, breaks = fold(text)
    return folded, None if breaks is None else [original(breaks, j) for j in range(len(folded))]


# --- lexicon entries over folded text -------------------------------------------------------

def fold_pattern(source: str) -> str:
    """Fold a regex's non-ASCII characters (ASCII stays: ``\\S`` must not become ``\\s``)."""
    for macro, expansion in _MACROS.items():
        source = source.replace(macro, expansion)
    return "".join(c if c.isascii() else fold_char(c) for c in source)


def literal_pattern(phrase: str) -> str:
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


def literal_keys(pattern: str, phrase: str) -> Keys | None:
    """A literal's first two words ("w1 w2"), or its first word; stems go to the regex walk."""
    words = _TOKEN.findall(normalize(phrase)[0])
    if "*" in phrase or not words or not _TOKEN.match(normalize(phrase)[0].lstrip(" ,")):
        return regex_keys(pattern)
    return frozenset({(" ".join(words[:2]), True)})


def regex_keys(source: str) -> Keys | None:
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
            out.add((DIGIT, False))
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


def guard(word: str, entries: Iterable) -> str:
    """A regex check, at the end of an exact first word, that some entry starting with it matches.

    For the word index of ``lexicon.match``; ``entries`` (with ``phrase``, ``source``) are
    those whose first word is ``word``. Only a filter (the entries are matched again), so
    tokens where nothing can match never reach Python: a literal goes on from the word's end;
    a regex is tried from the word's start (a lookahead in a lookbehind over the word).
    ``""`` (no check) for a one-word literal, a number (its tokens also try the entries of
    ``\\d``), or too many regexes.

    Example:
        >>> guard("one", [])
        ''
    """
    rests: dict[str, None] = {}
    sources: dict[str, None] = {}
    for e in entries:
        if e.phrase.startswith("re: ") or "*" in e.phrase or not e.source.startswith(word):
            sources[f"(?:{e.source})"] = None
        elif e.source == word:
            return ""
        else:
            rests[e.source[len(word):]] = None
    if not (rests or sources) or word[0].isdigit() or sum(map(len, sources)) > 20_000:
        return ""
    checks = [rf"(?=(?:{'|'.join(rests)})(?!\w))"] if rests else []
    checks += [rf"(?<=(?=(?:{'|'.join(sources)})(?!\w)){re.escape(word)})"] if sources else []
    return checks[0] if len(checks) == 1 else f"(?:{'|'.join(checks)})"
