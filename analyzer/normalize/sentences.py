"""Sentence and token offsets: a blank spaCy pipeline per language with rule-based sentence splitting.

One pipeline per language and process, built on first use (spaCy's tokenizer rules for the
language, its ``sentencizer``, and a few rules of ours), never per turn. Every offset points
into the text exactly as given.

Rules beyond spaCy's ``sentencizer``:

* Greek: ``;`` and U+037E are question marks and end a sentence.
* Armenian: ``։`` ends a sentence, and so does ``:``, which Armenian writers type for it. The
  question and exclamation marks ``՞`` ``՜`` sit over a vowel inside the word, so they end a
  sentence only at the end of a word followed by a capital letter (``Ինչպե՞ս ես՜ Լավ եմ։``).
* A full stop after a known abbreviation (``np.``, ``π.χ.``, ``e.g.``) ends a sentence only
  before a capital letter; after a title (``Dr.``, ``κ.``) or an initial, never.
* A line break starts a sentence unless the next line starts with a lower-case letter (a
  wrapped line); a blank line always does.
"""

from __future__ import annotations

import threading
import unicodedata
from typing import Any

_EXTRA_PUNCT = {"el": (";", "\u037e"), "hy": ("։", ":")}
_ARMENIAN_MARKS = ("\u055e", "\u055c")  # ՞ ՜: end a sentence only word-finally before a capital
_ARMENIAN_STRIP = dict.fromkeys(map(ord, "\u055b\u055c\u055e"))  # ՛ ՜ ՞ are not part of the word's form

# Titles: never end a sentence. Abbreviations: end one only before a capital letter.
_TITLES = {
    "en": {"mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "mt", "capt", "rev", "gen", "hon"},
    "el": {"κ", "κα", "δρ", "καθ", "αγ", "οδ", "λεωφ"},
    "pl": {"p", "dr", "prof", "mgr", "inż", "św", "ks", "hab", "gen", "płk", "ul", "al", "os", "pl"},
    "hy": {"պրն", "տկն", "դոկտ", "պրոֆ"},
}
_ABBREVIATIONS = {
    "en": {"e.g", "i.e", "etc", "vs", "no", "nos", "approx", "dept", "est", "fig", "inc", "ltd", "co", "tel",
           "ext", "ref", "acct", "min", "max", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
           "oct", "nov", "dec", "a.m", "p.m"},
    "el": {"π.χ", "δηλ", "κλπ", "κτλ", "τηλ", "αρ", "σελ", "λ.χ", "χλμ", "εκ", "ευρ", "λεπ", "ώρ", "ημ",
           "βλ", "σημ", "μ.μ", "π.μ"},
    "pl": {"np", "tzw", "tj", "tzn", "nr", "ul", "tel", "godz", "zł", "r", "ok", "itd", "itp", "wg", "ds",
           "pkt", "str", "ww", "jw", "br", "ew", "zob", "por", "min", "max", "m.in", "tys", "mln", "gr",
           "oprac", "poz", "szt", "woj", "pn", "wt", "śr", "czw", "pt", "sob", "ndz"},
    "hy": {"թ", "թթ", "մ.թ.ա", "մ.թ", "էջ", "հմր", "փ", "շ", "բն", "հեռ"},
}

_pipelines: dict[str, Any] = {}
_lock = threading.Lock()
_registered = False


def _register_component() -> None:
    """Register our sentence rules with spaCy once per process (on first pipeline, not at import)."""
    global _registered
    if _registered:
        return
    from spacy.language import Language

    if not Language.has_factory("analyzer_sentence_rules"):
        Language.component("analyzer_sentence_rules", func=_sentence_rules)
    _registered = True


def _layout(doc: Any) -> tuple[list[int], list[int], list[bool], list[bool]]:
    """Token starts, ends, sentence starts and is-space flags, read as arrays (no Token objects: much faster)."""
    from spacy.attrs import IDX, IS_SPACE, LENGTH, SENT_START

    if not len(doc):
        return [], [], [], []
    rows = doc.to_array([IDX, LENGTH, SENT_START, IS_SPACE]).tolist()
    starts = [r[0] for r in rows]
    ends = [r[0] + r[1] for r in rows]
    return starts, ends, [r[2] == 1 for r in rows], [r[3] == 1 for r in rows]


def _sentence_rules(doc: Any) -> Any:
    """The pipeline component: adjust the sentencizer's boundaries (see the module's docstring)."""
    return _apply_rules(doc, doc.text, doc.lang_)


def _apply_rules(doc: Any, text: str, lang: str) -> Any:
    """:func:`_sentence_rules` with the text and language at hand (``doc.text`` is rebuilt on each call)."""
    lang = lang if lang in _TITLES else "en"
    titles, abbreviations = _TITLES[lang], _ABBREVIATIONS[lang]
    starts, ends, sent, space = _layout(doc)
    changes: dict[int, bool] = {}
    for i in range(1, len(starts)):
        if space[i]:
            continue
        first = text[starts[i] : starts[i] + 1]
        prev = text[starts[i - 1] : ends[i - 1]]
        prev_ws = ends[i - 1] < starts[i]  # the previous token is followed by whitespace
        if space[i - 1] and "\n" in prev:
            if not sent[i] and (not first.islower() or "\n\n" in prev.replace(" ", "").replace("\r", "")):
                changes[i] = True
            continue
        if sent[i] and prev == "." and i >= 2 and not space[i - 2] and ends[i - 2] == starts[i - 1]:
            word = text[starts[i - 2] : ends[i - 2]]
            key = word.lower().rstrip(".")
            initial = len(word) == 1 and word.isalpha() and word.isupper()
            if key in titles or initial or (key in abbreviations and not first.isupper()):
                changes[i] = False
        elif not sent[i] and prev_ws and len(prev) > 1 and prev.endswith("."):
            # an abbreviation the tokenizer keeps with its full stop ("κλπ.", "a.m."): a capital after it starts a sentence
            key = prev.lower().rstrip(".")
            if key in abbreviations and key not in titles and first.isupper():
                changes[i] = True
        if lang == "hy" and not sent[i] and prev_ws and prev.endswith(_ARMENIAN_MARKS) and first.isupper():
            changes[i] = True
    for i, value in changes.items():
        doc[i].is_sent_start = value
    return doc


def _build(lang: str) -> Any:
    import spacy
    from spacy.pipeline.sentencizer import Sentencizer
    from spacy.util import compile_infix_regex, compile_suffix_regex

    _register_component()
    try:
        nlp = spacy.blank(lang)
        nlp.make_doc("ok")  # some languages need extra packages (Korean, Japanese) and fail only here
    except Exception:  # noqa: BLE001 - any language spaCy cannot build falls back to English rules
        lang, nlp = "en", spacy.blank("en")
    if lang == "hy":
        tokenizer = nlp.tokenizer
        tokenizer.suffix_search = compile_suffix_regex(list(nlp.Defaults.suffixes or ()) + ["։", "՝"]).search
        tokenizer.infix_finditer = compile_infix_regex(
            list(nlp.Defaults.infixes or ()) + [r"(?<=[^\W\d_])[։:](?=[^\W\d_])"]
        ).finditer
    elif lang == "el":
        tokenizer = nlp.tokenizer
        tokenizer.suffix_search = compile_suffix_regex(list(nlp.Defaults.suffixes or ()) + ["\u037e", "\u0387"]).search
    punct = list(Sentencizer.default_punct_chars) + list(_EXTRA_PUNCT.get(lang, ()))
    nlp.add_pipe("sentencizer", config={"punct_chars": punct})
    nlp.add_pipe("analyzer_sentence_rules")
    table = None
    if lang not in _TITLES:  # lemmas only for the languages we score; others keep their forms
        return nlp, table
    try:
        lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        table = lemmatizer.lookups.get_table("lemma_lookup")
    except Exception:  # noqa: BLE001 - no lookup table for this language (el, pl, hy): forms are used
        if "lemmatizer" in nlp.pipe_names:
            nlp.remove_pipe("lemmatizer")
    return nlp, table


def pipeline(language: str | None) -> Any:
    """The cached blank spaCy pipeline for ``language`` (English rules for ``None`` or a language spaCy lacks).

    Example:
        >>> pipeline("el") is pipeline("el"), pipeline("el").pipe_names
        (True, ['sentencizer', 'analyzer_sentence_rules'])
    """
    return _entry(language)[0]


def _entry(language: str | None) -> tuple[Any, Any]:
    key = (language or "en").lower().split("-", 1)[0]
    entry = _pipelines.get(key)
    if entry is None:
        with _lock:
            entry = _pipelines.get(key)
            if entry is None:
                entry = _build(key)
                _pipelines[key] = entry
    return entry


def sentences(text: str, language: str | None) -> list[tuple[int, int]]:
    """Sentence offsets ``[start, end)`` into ``text``, trimmed of surrounding spaces.

    Together the sentences cover every non-space character of ``text``, in order.

    Args:
        text: the text exactly as read.
        language: ISO 639-1 code; ``None`` or a language spaCy lacks gets English rules.

    Returns:
        a list of ``(start, end)`` pairs; empty for an empty or all-space text.

    Example:
        >>> text = "Καλημέρα σας. Πότε θα έρθει το δέμα; Ευχαριστώ!"
        >>> [text[a:b] for a, b in sentences(text, "el")]
        ['Καλημέρα σας.', 'Πότε θα έρθει το δέμα;', 'Ευχαριστώ!']
    """
    if not text or text.isspace():
        return []
    nlp, _ = _entry(language)
    doc = nlp.get_pipe("sentencizer")(nlp.make_doc(text))
    doc = _apply_rules(doc, text, nlp.lang)  # the "analyzer_sentence_rules" component, given the text
    out: list[tuple[int, int]] = []
    start = end = -1
    for begin, finish, sent_start, is_space in zip(*_layout(doc)):
        if sent_start and start >= 0:
            out.append((start, end))
            start = -1
        if is_space:
            continue
        if start < 0:
            start = begin
        end = finish
    if start >= 0:
        out.append((start, end))
    return out


def tokens(text: str, language: str | None) -> list[tuple[int, int, str]]:
    """Token offsets with a normalised form: ``(start, end, form)`` for every non-space token.

    ``form`` is the lower-cased lookup lemma where spaCy ships a lookup table for the language
    (English), else the lower-cased token (Greek, Polish, Armenian, other languages), in Unicode NFC; Armenian
    stress and question marks (``՛ ՜ ՞``) are left out of it. Punctuation tokens are included.

    Args:
        text: the text exactly as read.
        language: ISO 639-1 code; ``None`` or a language spaCy lacks gets English rules.

    Returns:
        a list of ``(start, end, form)``; ``text[start:end]`` is the token as written.

    Example:
        >>> tokens("Thanks, we were waiting", "en")
        [(0, 6, 'thank'), (6, 7, ','), (8, 10, 'we'), (11, 15, 'be'), (16, 23, 'wait')]
    """
    if not text:
        return []
    nlp, table = _entry(language)
    armenian = nlp.lang == "hy"
    out: list[tuple[int, int, str]] = []
    starts, ends, _, space = _layout(nlp.make_doc(text))
    for start, end, is_space in zip(starts, ends, space):
        if is_space:
            continue
        form = text[start:end]
        if table is not None:
            form = table.get(form, None) or table.get(form.lower(), form)
        form = form.lower()
        if not form.isascii():
            if armenian:
                form = form.translate(_ARMENIAN_STRIP) or form
            form = unicodedata.normalize("NFC", form)
        out.append((start, end, form))
    return out
