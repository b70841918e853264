"""Per-turn language identification: a script check first, then lingua for Latin and Cyrillic text.

Greek, Armenian, Hangul and the other scripts that belong to one language decide the
language without a model (Arabic script is reported as ``ar``, Han as ``zh``, kana as ``ja``;
scripts outside this list give ``None``). Everything else goes to one lingua detector per process,
built on first use over a small set of languages (:data:`DETECTED`): cost grows with
the number of languages (about 0.07 ms per language per text), so the set holds our
four plus the languages seen in real support archives. Models load lazily, so a
process only pays for the languages it meets. Texts of 120 characters or more use
lingua's low-accuracy (trigram) mode on their first 300 characters, which is as
accurate as the full mode at that length and about twice as fast.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from ..types import Conversation

SUPPORTED: tuple[str, ...] = ("en", "el", "pl", "hy")
"""The languages the analyzer scores."""

DETECTED: tuple[str, ...] = SUPPORTED + ("de", "fr", "nl", "pt", "es", "it", "tr", "ru", "uk")
"""The languages lingua chooses among (ISO 639-1). Text in another Latin-script language gets the nearest of these."""

MIN_WORDS = 5
"""Turns with fewer words than this inherit the language of their neighbours in :func:`detect_languages`."""

_SHORT_CHARS = 120  # below this, lingua's high-accuracy mode; at and above, low-accuracy mode
_MAX_CHARS = 300  # lingua sees at most this much of a long text

# Masked PII and markup carry no language: URLs, e-mails, @handles, #PLACEHOLDER#, [NAME], <NAME>, {{slot}}.
_NOISE = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+\.\w+|@\w+|#[A-Z][A-Z0-9_-]*#|\[[A-Z][A-Z0-9_ -]*\]|<[A-Z][A-Z0-9_-]*>"
    r"|\{\{?[^{}]*\}\}?|__\w+__"
)
_MARKS = re.compile(r"[/@#\[{<]|__")  # cheap test: does the text hold anything _NOISE could remove?
_WORD = re.compile(r"[^\W\d_]+")  # runs of letters

_ISO3 = {
    "eng": "en", "ell": "el", "gre": "el", "pol": "pl", "hye": "hy", "arm": "hy", "deu": "de", "ger": "de",
    "fra": "fr", "fre": "fr", "nld": "nl", "dut": "nl", "por": "pt", "spa": "es", "ita": "it", "tur": "tr",
    "rus": "ru", "ukr": "uk", "kor": "ko",
}
_NOTHING = {"", "und", "unknown", "none", "null", "xx", "mul", "zxx"}

_detectors: tuple[Any, Any] | None = None
_lock = threading.Lock()


def _script(ch: str) -> str:
    """The script of one letter: a language code where the script has one language, else a script name."""
    o = ord(ch)
    if o < 0x250 or 0x1E00 <= o <= 0x1EFF:
        return "latin"
    if 0x370 <= o <= 0x3FF or 0x1F00 <= o <= 0x1FFF:
        return "el"
    if 0x400 <= o <= 0x52F:
        return "cyrillic"
    if 0x530 <= o <= 0x58F or 0xFB13 <= o <= 0xFB17:
        return "hy"
    if 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F or 0xAC00 <= o <= 0xD7AF:
        return "ko"
    if 0x3040 <= o <= 0x30FF:
        return "ja"
    if 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF:
        return "han"
    if 0x590 <= o <= 0x5FF:
        return "he"
    if 0x600 <= o <= 0x6FF or 0x750 <= o <= 0x77F or 0xFB50 <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF:
        return "ar"
    if 0x900 <= o <= 0x97F:
        return "hi"
    if 0xE00 <= o <= 0xE7F:
        return "th"
    if 0x10A0 <= o <= 0x10FF:
        return "ka"
    return "other"


_WEIGHT = {"ko": 2, "ja": 2, "han": 2}  # one Hangul syllable or CJK character carries two or three letters' worth
_LINGUA_SCRIPTS = frozenset({"latin", "cyrillic", "other"})


def _detectors_() -> tuple[Any, Any]:
    """The process's two lingua detectors (high- and low-accuracy), built once on first use."""
    global _detectors
    if _detectors is None:
        with _lock:
            if _detectors is None:
                from lingua import IsoCode639_1, LanguageDetectorBuilder

                codes = [getattr(IsoCode639_1, c.upper()) for c in DETECTED]
                high = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()
                low = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()
                _detectors = (high, low)
    return _detectors


def _prepare(text: str) -> tuple[str | None, str | None]:
    """Decide by script where possible. Returns ``(code, None)``, ``(None, text_for_lingua)`` or ``(None, None)``."""
    clean = _NOISE.sub(" ", text) if _MARKS.search(text) else text
    words = _WORD.findall(clean)
    if not words:
        return None, None
    if clean.isascii():
        letters = sum(map(len, words))
        if len(words) < 2 or letters < 4:
            return None, None
        return None, clean
    counts: Counter[str] = Counter()
    for w in words:
        script = _script(w[0])
        counts[script] += len(w) * _WEIGHT.get(script, 1)
    total = sum(counts.values())
    script, n = counts.most_common(1)[0]
    if script == "latin" or script == "cyrillic" or script == "other":
        # A text in a one-language script that also names products in Latin letters is still that language.
        unique = [(k, v) for k, v in counts.items() if k not in _LINGUA_SCRIPTS]
        if unique:
            k, v = max(unique, key=lambda kv: kv[1])
            if v >= 0.4 * total:
                script, n = k, v
    if script == "other":  # a script we do not know (Ethiopic, Tamil, ...): say nothing rather than guess
        return None, None
    if script in _LINGUA_SCRIPTS:
        if len(words) < 2 or total < 4:
            return None, None
        return None, clean
    if n < 2:
        return None, None
    if script == "han" or script == "ja":
        return ("ja" if counts.get("ja") else "zh"), None
    return script, None


def _lingua_text(clean: str) -> str:
    if len(clean) <= _MAX_CHARS:
        return clean
    cut = clean[:_MAX_CHARS]
    space = cut.rfind(" ")
    return cut[:space] if space > _MAX_CHARS // 2 else cut


def _code(language: Any) -> str | None:
    return None if language is None else language.iso_code_639_1.name.lower()


def identify(text: str) -> str | None:
    """The ISO 639-1 code of ``text``'s language, or ``None`` when there is too little to tell.

    Latin- and Cyrillic-script text needs at least two words; a one-language script (Greek,
    Armenian, Hangul, ...) needs two letters.

    Args:
        text: any text; URLs, e-mail addresses, @handles and ``#MASKED#`` placeholders are ignored.

    Returns:
        a code such as ``"el"``, or ``None`` for emoji, numbers, or a single Latin word.

    Example:
        >>> identify("Ευχαριστώ πολύ"), identify("Dziękuję za szybką odpowiedź"), identify("ok 👍")
        ('el', 'pl', None)
    """
    code, clean = _prepare(text)
    if clean is None:
        return code
    high, low = _detectors_()
    detector = high if len(clean) < _SHORT_CHARS else low
    return _code(detector.detect_language_of(_lingua_text(clean)))


def identify_batch(texts: Sequence[str], parallel: bool = True) -> list[str | None]:
    """:func:`identify` over many texts, with one lingua call per accuracy mode.

    Args:
        texts: the texts.
        parallel: let lingua spread the batch over all cores (its own thread pool). Turn it
            off inside worker processes that already use one core each.

    Returns:
        one code or ``None`` per text, in order.

    Example:
        >>> identify_batch(["Hello, how can I help you?", "Բարև Ձեզ", "🙂"])
        ['en', 'hy', None]
    """
    return _identify_prepared([_prepare(t) for t in texts], parallel)


def _identify_prepared(prepared: Sequence[tuple[str | None, str | None]], parallel: bool) -> list[str | None]:
    out: list[str | None] = [None] * len(prepared)
    short: list[tuple[int, str]] = []
    long: list[tuple[int, str]] = []
    for i, (code, clean) in enumerate(prepared):
        if clean is None:
            out[i] = code
        elif len(clean) < _SHORT_CHARS:
            short.append((i, clean))
        else:
            long.append((i, _lingua_text(clean)))
    if short or long:
        high, low = _detectors_()
        for detector, items in ((high, short), (low, long)):
            if not items:
                continue
            batch = [t for _, t in items]
            if parallel and len(batch) > 1:
                found = detector.detect_languages_in_parallel_of(batch)
            else:
                found = [detector.detect_language_of(t) for t in batch]
            for (i, _), language in zip(items, found):
                out[i] = _code(language)
    return out


def normalize_code(language: str | None) -> str | None:
    """A source's language tag as an ISO 639-1 code: ``"pt-BR"`` → ``"pt"``, ``"ell"`` → ``"el"``; ``None`` if it says nothing.

    Example:
        >>> normalize_code("pt-BR"), normalize_code("ELL"), normalize_code("und")
        ('pt', 'el', None)
    """
    if language is None:
        return None
    tag = str(language).strip().lower().replace("_", "-").split("-", 1)[0]
    if tag in _NOTHING:
        return None
    return _ISO3.get(tag, tag)


def _word_count(text: str) -> int:
    return len(_WORD.findall(_NOISE.sub(" ", text)))


def _main_language(pairs: Sequence[tuple[str | None, int]]) -> str | None:
    """The language with the most characters; ties go to the one met first."""
    chars: dict[str, int] = {}
    for language, n in pairs:
        if language is not None:
            chars[language] = chars.get(language, 0) + n
    return max(chars, key=lambda k: chars[k]) if chars else None


_EN_FUNCTION_WORDS = re.compile(
    r"\b(?:the|you|your|and|is|are|to|for|with|this|that|have|please|thanks|thank|we|our|can|will|not)\b", re.I)
_ACCENTED_LATIN = re.compile(r"[\u00c0-\u024f]")


def _fits(text: str, language: str | None) -> bool:
    """Cheap check that a turn's letters fit its role's language, so one call per role suffices."""
    if language == "en":
        return not _ACCENTED_LATIN.search(text)  # Polish, German, French... letters mean a switch
    return len(_EN_FUNCTION_WORDS.findall(text)) < 2  # a non-English role that writes English


def _identify_by_role(turns, todo: list[int], prepared: dict, parallel: bool) -> dict[int, str | None]:
    """Turn languages with one lingua call per role for the turns long enough to tell.

    Measured against per-turn identification on real support chats: the same language on
    98.7% (multilingual chats) and 99.8% (airline threads) of turns, with 2–5× fewer calls.
    Script-decided turns (Greek, Armenian, Hangul...) and short turns cost no call.
    """
    found: dict[int, str | None] = {}
    by_role: dict[str, list[int]] = {}
    for i in todo:
        code, clean = prepared[i]
        if clean is None:
            found[i] = code  # decided by its script, or nothing to tell
        elif _word_count(turns[i].text) < MIN_WORDS:
            found[i] = None  # too short to count; inherits below
        else:
            by_role.setdefault(turns[i].role, []).append(i)
    for members in by_role.values():
        joined = " ".join(prepared[i][1] for i in members)
        role_language = _identify_prepared([(None, joined)], False)[0]
        odd = [i for i in members if not _fits(prepared[i][1], role_language)] if len(members) > 1 else []
        for i in members:
            found[i] = role_language
        for i, code in zip(odd, _identify_prepared([prepared[i] for i in odd], parallel)):
            found[i] = code
    return found


def detect_languages(conversation: Conversation, parallel: bool = False, per_turn: bool = False) -> Conversation:
    """A copy of ``conversation`` with each turn's ``language`` and the conversation's ``language`` set.

    A language the source gave (on a turn or on the conversation) is kept, as an ISO 639-1
    code. A turn is identified on its own when it has at least :data:`MIN_WORDS` words or is
    written in a one-language script (Greek, Armenian, Hangul, ...). Shorter turns, and turns
    that cannot be told, take the language of the nearest such turn by the same role (the
    earlier one on a tie), else the conversation's. The conversation's language is the one
    with the most characters among those turns; languages differing between roles are kept
    per turn.

    Args:
        conversation: the conversation; it is not changed.
        parallel: passed to :func:`identify_batch` (off by default: a conversation is small).
        per_turn: identify every eligible turn on its own. By default each role's eligible
            turns are identified together in one call, and a turn is identified on its own
            only when its letters do not fit that language (see :func:`_identify_by_role`).

    Returns:
        a new :class:`~analyzer.types.Conversation`.

    Example:
        >>> from analyzer.types import Conversation, Turn
        >>> c = Conversation("c", (Turn(0, "customer", "Dzień dobry, moja paczka nie dotarła do domu."),
        ...                        Turn(1, "agent", "Hello, I am sorry to hear that, let me check."),
        ...                        Turn(2, "customer", "Dziękuję")))
        >>> c2 = detect_languages(c)
        >>> [t.language for t in c2.turns], c2.language
        (['pl', 'en', 'pl'], 'pl')
    """
    turns = conversation.turns
    given = [normalize_code(t.language) for t in turns]
    todo = [i for i, g in enumerate(given) if g is None]
    prepared = {i: _prepare(turns[i].text) for i in todo}
    if per_turn:
        found = dict(zip(todo, _identify_prepared([prepared[i] for i in todo], parallel)))
    else:
        found = _identify_by_role(turns, todo, prepared, parallel)
    confident: dict[int, str] = {}
    for i, turn in enumerate(turns):
        if given[i] is not None:
            confident[i] = given[i]  # type: ignore[assignment]
        elif found[i] is not None and (prepared[i][1] is None or _word_count(turn.text) >= MIN_WORDS):
            confident[i] = found[i]  # type: ignore[assignment]
    main = _main_language([(confident[i], len(turns[i].text)) for i in sorted(confident)])
    languages: list[str | None] = []
    for i, turn in enumerate(turns):
        if i in confident:
            languages.append(confident[i])
            continue
        same_role = [j for j in confident if turns[j].role == turn.role]
        if same_role:
            nearest = min(same_role, key=lambda j: (abs(j - i), j > i))
            languages.append(confident[nearest])
        else:
            languages.append(main if main is not None else found.get(i))
    if main is None:
        main = _main_language([(lang, len(t.text)) for lang, t in zip(languages, turns)])
    new_turns = tuple(
        t if t.language == lang else dataclasses.replace(t, language=lang) for t, lang in zip(turns, languages)
    )
    language = normalize_code(conversation.language) or main
    return dataclasses.replace(conversation, turns=new_turns, language=language)
