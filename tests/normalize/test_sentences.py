"""Sentence and token offsets in English, Greek, Polish and Armenian."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.normalize.sentences import pipeline, sentences, tokens


def _split(text, language):
    return [text[a:b] for a, b in sentences(text, language)]


@pytest.mark.parametrize("language, text, expected", [
    ("en", "Hello! I'm Mr. Smith. Can you help me?", ["Hello!", "I'm Mr. Smith.", "Can you help me?"]),
    ("en", "Good Morning #NAME#\nThank you for getting in touch!", ["Good Morning #NAME#", "Thank you for getting in touch!"]),
    ("en", "See you at 5 a.m. Then we talk.", ["See you at 5 a.m.", "Then we talk."]),
    ("el", "Καλησπέρα σας. Πότε θα φτάσει η παραγγελία μου; Ευχαριστώ πολύ!",
     ["Καλησπέρα σας.", "Πότε θα φτάσει η παραγγελία μου;", "Ευχαριστώ πολύ!"]),
    ("el", "Πότε θα φτάσει\u037e Σήμερα.", ["Πότε θα φτάσει\u037e", "Σήμερα."]),
    ("el", "Ο κ. Παπαδόπουλος θα σας καλέσει, π.χ. αύριο. Ευχαριστούμε",
     ["Ο κ. Παπαδόπουλος θα σας καλέσει, π.χ. αύριο.", "Ευχαριστούμε"]),
    ("pl", "Dzień dobry. Zamówienie nr 5, tzw. ekspresowe, nie dotarło np. wczoraj. Proszę o pomoc!",
     ["Dzień dobry.", "Zamówienie nr 5, tzw. ekspresowe, nie dotarło np. wczoraj.", "Proszę o pomoc!"]),
    ("pl", "Dr. Nowak mieszka przy ul. Długiej. Dziękuję", ["Dr. Nowak mieszka przy ul. Długiej.", "Dziękuję"]),
    ("hy", "Բարև Ձեզ։ Ինչպե՞ս կարող եմ օգնել։ Շնորհակալություն",
     ["Բարև Ձեզ։", "Ինչպե՞ս կարող եմ օգնել։", "Շնորհակալություն"]),
    ("hy", "Որո՞նք են ստանդարտները: Այս ստանդարտները կարևոր են:",
     ["Որո՞նք են ստանդարտները:", "Այս ստանդարտները կարևոր են:"]),
    ("hy", "Ինչպե՞ս ես՜ Լավ եմ։", ["Ինչպե՞ս ես՜", "Լավ եմ։"]),
    ("hy", "Սա՞ է ճիշտ պատասխանը։", ["Սա՞ է ճիշտ պատասխանը։"]),
    ("hy", "Պատվերը ստացա։Շնորհակալ եմ։", ["Պատվերը ստացա։", "Շնորհակալ եմ։"]),
    ("de", "Sehr geehrte Damen und Herren,\nwir haben gestern bestellt.", ["Sehr geehrte Damen und Herren,\nwir haben gestern bestellt."]),
    (None, "  Hi there.  Bye  ", ["Hi there.", "Bye"]),
])
def test_sentences_split_in_four_scripts(language, text, expected):
    assert _split(text, language) == expected


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_sentences_empty_text_has_none(text):
    assert sentences(text, "en") == [] and tokens(text, "en") == []


@pytest.mark.parametrize("language, text, wanted", [
    ("el", "ΣΑΣ ΕΥΧΑΡΙΣΤΟΥΜΕ για τις πληροφορίες", [("ΣΑΣ", "σας"), ("ΕΥΧΑΡΙΣΤΟΥΜΕ", "ευχαριστουμε"), ("πληροφορίες", "πληροφορίες")]),
    ("el", unicodedata.normalize("NFD", "Καλημέρα σας"), [(unicodedata.normalize("NFD", "Καλημέρα"), "καλημέρα")]),
    ("hy", "Ինչպե՞ս կարող եմ օգնել։", [("Ինչպե՞ս", "ինչպես"), ("օգնել", "օգնել"), ("։", "։")]),
    ("pl", "Przepraszam, Pani zamówienie już wysłaliśmy.", [("Przepraszam", "przepraszam"), ("Pani", "pani"), ("wysłaliśmy", "wysłaliśmy")]),
    ("en", "Thanks, we were waiting for the parcels", [("Thanks", "thank"), ("were", "be"), ("waiting", "wait"), ("parcels", "parcel")]),
])
def test_sentences_tokens_slice_back_and_normalise(language, text, wanted):
    toks = tokens(text, language)
    for start, end, _ in toks:
        assert text[start:end] and not text[start:end].isspace()
    pairs = [(text[a:b], form) for a, b, form in toks]
    for item in wanted:
        assert item in pairs, f"{item} not in {pairs}"


def test_sentences_pipeline_is_cached_per_language():
    assert pipeline("el") is pipeline("el")
    assert pipeline(None) is pipeline("en")
    assert pipeline("hy") is not pipeline("el")
    assert "sentencizer" in pipeline("pl").pipe_names


def test_sentences_unknown_language_gets_english_rules():
    assert pipeline("zz").lang == "en"
    assert _split("Hello there. Bye now", "zz") == ["Hello there.", "Bye now"]


_ALPHABET = st.sampled_from(list("abcXYZ αβγΣςάΆ աբգԱ՞՜։ ąęłŁ .!?;:,\n\t\u037e—") + ["Mr.", "np.", "κ.", "e.g.", "  ", "\n\n", "🙂"])


@settings(max_examples=150, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join), st.sampled_from(["en", "el", "pl", "hy", None]))
def test_sentences_offsets_cover_non_space_text(text, language):
    spans = sentences(text, language)
    covered = set()
    last_end = 0
    for start, end in spans:
        assert last_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip()
        covered.update(range(start, end))
        last_end = end
    assert {i for i, c in enumerate(text) if not c.isspace()} <= covered
    for start, end, form in tokens(text, language):
        assert 0 <= start < end <= len(text) and form == form.lower()


def test_sentences_real_articles_end_at_stops_or_line_ends(shared_data):
    seeds = shared_data.parent / "seeds"
    if not seeds.exists():
        pytest.skip(f"seed articles not found at {seeds}")
    languages = {"000": "el", "001": "pl", "002": "hy", "003": "el", "004": "pl"}
    stops = set(".!?;:։\u037e…»”\")")
    for path in sorted(seeds.glob("*.txt")):
        language = languages[path.name[:3]]
        text = path.read_text(encoding="utf-8")
        spans = sentences(text, language)
        assert len(spans) >= 15
        bad = [text[a:b][-40:] for a, b in spans if text[b - 1] not in stops and not text[b:].startswith(("\n", " \n")) and b < len(text.rstrip())]
        assert len(bad) <= 0.05 * len(spans), f"{path.name}: {len(bad)}/{len(spans)} sentences end mid-line: {bad[:5]}"
        missed = [text[a:b][:80] for a, b in spans if re.search(r"[.!?։] +[A-ZÀ-ÞΑ-ΩΆ-Ώ\u0531-\u0556]", text[a:b])]
        assert len(missed) <= 0.05 * len(spans), f"{path.name}: {len(missed)}/{len(spans)} sentences swallowed a stop: {missed[:3]}"
