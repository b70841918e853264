"""The shipped fast-tier models: they load and verify, score held-out real text the right way round,
order hand-written Greek/Polish/Armenian pairs, and point evidence at the right characters."""

from __future__ import annotations

import importlib
import json
import pickle
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from analyzer.errors import ModelError
from analyzer.types import Turn

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
DIMENSIONS = ("politeness", "empathy", "sentiment", "complaint")


def _need_data() -> Path:
    if not DATA.exists():
        pytest.skip(f"shared data not found at {DATA}")
    return DATA


@pytest.fixture(scope="module")
def scorers() -> dict:
    return {d: importlib.import_module(f"analyzer.scorers.{d}").load() for d in DIMENSIONS}


def _values(scorer, texts, role="agent", language=None) -> np.ndarray:
    turns = [Turn(i, role, t, language=language) for i, t in enumerate(texts)]
    return np.array([s.value for s in scorer.score(turns)])


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def _test_rows(ts, seed: int = 0):
    from analyzer.train.splits import assign_splits

    splits = assign_splits(ts.groups, seed=seed)
    return ts.subset([i for i, s in enumerate(splits) if s == "test"])


# ------------------------------------------------------------------------------------------ files
@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_models_load_and_verify(scorers, dimension):
    s = scorers[dimension]
    meta = json.loads((REPO / "models" / dimension / "meta.json").read_text())
    assert s.name == dimension
    assert {"en", "el", "pl", "hy"} <= set(s.languages)
    for key in ("name", "version", "languages", "labels", "analyzer_version", "sklearn_version", "seed", "data",
                "splits", "metrics", "sha256"):
        assert key in meta, key
    assert (REPO / "models" / dimension / "MODEL_CARD.md").read_text().startswith(f"# Model card: {dimension}")
    assert pickle.loads(pickle.dumps(s)).score([Turn(0, "customer", "hello")])  # picklable


def test_models_tampered_copy_raises_E031(tmp_path):
    from analyzer.scorers import sentiment

    copy = tmp_path / "sentiment"
    shutil.copytree(REPO / "models" / "sentiment", copy)
    with open(copy / "model.joblib", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError) as err:
        sentiment.load(copy)
    assert err.value.code == "E031"


def test_models_missing_raises_E032(tmp_path):
    from analyzer.scorers import empathy

    with pytest.raises(ModelError) as err:
        empathy.load(tmp_path / "nowhere")
    assert err.value.code == "E032"
    with pytest.raises(ModelError) as err:
        empathy.load(tier="precise")
    assert err.value.code == "E040"


def test_models_other_sklearn_version_warns_W012(tmp_path):
    from analyzer.scorers import complaint

    copy = tmp_path / "complaint"
    shutil.copytree(REPO / "models" / "complaint", copy)
    meta = json.loads((copy / "meta.json").read_text())
    meta["sklearn_version"] = "0.0.1"
    (copy / "meta.json").write_text(json.dumps(meta))
    with pytest.warns(UserWarning, match="W012"):
        complaint.load(copy)


def test_models_total_size_under_budget():
    total = sum(f.stat().st_size for f in (REPO / "models").rglob("model.joblib"))
    assert total < 150e6


def test_models_score_contract(scorers):
    turns = [Turn(0, "customer", "My bag is lost!!"), Turn(1, "agent", "I'm sorry to hear that. Can you DM me the tag?"),
             Turn(2, "system", "chat closed"), Turn(3, "agent", "")]
    for d, s in scorers.items():
        out = s.score(turns)
        assert len(out) == len(turns)
        assert out[2] is None
        for t, r in zip(turns, out):
            assert (r is None) == (t.role not in s.roles)
            if r is not None:
                assert 0.0 <= r.value <= 1.0 and r.dimension == d and r.turn == t.index
        assert [r and r.value for r in s.score(turns)] == [r and r.value for r in out]  # deterministic


# ------------------------------------------------------------------------------------------ direction on held-out data
def test_models_politeness_ranks_stanford_quartiles(scorers):
    from analyzer.train import data as D

    test = _test_rows(D.stanford(_need_data()))
    y = np.array(test.labels)
    v = _values(scorers["politeness"], test.texts, role="customer")
    pos, neg = v[y == "polite"], v[y == "impolite"]
    assert len(pos) > 100 and len(neg) > 100
    assert pos.mean() - neg.mean() > 0.25
    assert _auc(pos, neg) > 0.75


def test_models_sentiment_airline_negative_below_positive(scorers):
    from analyzer.train import data as D

    test = _test_rows(D.airline(_need_data()))
    y = np.array(test.labels)
    v = _values(scorers["sentiment"], test.texts, role="customer")
    assert v[y == "positive"].mean() - v[y == "negative"].mean() > 0.5
    assert _auc(v[y == "positive"], v[y == "negative"]) > 0.9


def test_models_empathy_strong_above_none(scorers):
    from analyzer.train import data as D

    test = _test_rows(D.epitome(_need_data()))
    lv = np.array([test.labels[i] for i in range(len(test))])
    v = _values(scorers["empathy"], test.texts)
    assert v[lv == 2].mean() - v[lv == 0].mean() > 0.2
    assert _auc(v[lv == 2], v[lv == 0]) > 0.75


def test_models_complaint_held_out(scorers):
    from analyzer.train import data as D

    test = _test_rows(D.complaints(_need_data()))
    y = np.array(test.labels)
    v = _values(scorers["complaint"], test.texts, role="customer")
    assert _auc(v[y == "complaint"], v[y == "no_complaint"]) > 0.8


# ------------------------------------------------------------------------------------------ languages
POLITENESS_PAIRS = {
    "el": ("Καλησπέρα σας, θα μπορούσατε παρακαλώ να μου στείλετε την απόδειξη; Ευχαριστώ πολύ!",
           "Στείλε μου την απόδειξη τώρα, είσαι άχρηστος."),
    "pl": ("Dzień dobry, czy mógłby Pan przesłać mi paragon? Bardzo dziękuję!",
           "Wyślij mi ten paragon natychmiast, jesteś beznadziejny."),
    "hy": ("Բարև Ձեզ, կարո՞ղ եք խնդրում եմ ուղարկել ինձ անդորրագիրը։ Շատ շնորհակալ եմ։",
           "Անմիջապես ուղարկիր անդորրագիրը, դու անպետք ես։"),
}
EMPATHY_PAIRS = {
    "el": ("Λυπάμαι πολύ που το περάσατε αυτό, καταλαβαίνω πόσο αγχωτικό πρέπει να ήταν. Πώς νιώθετε τώρα;",
           "Ο αριθμός παραγγελίας είναι 4471."),
    "pl": ("Bardzo mi przykro, że Pan przez to przeszedł, rozumiem, jakie to musiało być stresujące. Jak się Pan teraz czuje?",
           "Numer zamówienia to 4471."),
    "hy": ("Շատ եմ ցավում, որ Դուք սա ապրեցիք, հասկանում եմ, թե որքան սթրեսային էր։ Ինչպե՞ս եք հիմա զգում։",
           "Պատվերի համարը 4471 է։"),
}


@pytest.mark.parametrize("language", ["el", "pl", "hy"])
def test_models_orders_polite_and_empathic_pairs(scorers, language):
    polite, rude = _values(scorers["politeness"], POLITENESS_PAIRS[language], language=language)
    assert polite > rude + 0.2
    warm, flat = _values(scorers["empathy"], EMPATHY_PAIRS[language], language=language)
    assert warm > flat + 0.2


EVIDENCE = {
    "en": ("Could you please check it? Thank you!", ["please", "Thank you"]),
    "el": ("Μπορείτε παρακαλώ να το ελέγξετε; Ευχαριστώ!", ["παρακαλώ", "Ευχαριστώ"]),
    "pl": ("Czy może Pan to sprawdzić, proszę? Dziękuję!", ["proszę", "Dziękuję"]),
    "hy": ("Խնդրում եմ, ստուգեք դա։ Շնորհակալություն։", ["Խնդրում եմ", "Շնորհակալություն"]),
}


@pytest.mark.parametrize("language", ["en", "el", "pl", "hy"])
def test_models_evidence_spans_point_at_markers(scorers, language):
    from analyzer.errors import ConfigError

    try:
        from analyzer.lexicon import match

        match("please", language)
    except (ImportError, ConfigError):
        pytest.skip("marker lexicons not installed yet")
    text, expected = EVIDENCE[language]
    score = scorers["politeness"].score([Turn(0, "agent", text, language=language)])[0]
    found = [text[s.start:s.end] for s in score.evidence]
    for s in score.evidence:
        assert 0 <= s.start < s.end <= len(text) and s.turn == 0 and s.label
    for phrase in expected:
        assert any(phrase.casefold() in f.casefold() or f.casefold() in phrase.casefold() for f in found), (phrase, found)


def test_models_unsupported_language_turns_are_marked_zero_shot(shared_data):
    """A German customer turn from a real support chat is scored but marked, never passed off as English."""
    import json

    import analyzer
    from analyzer.io.rows import turn_rows

    conv = next(analyzer.read(shared_data / "conversations" / "wmt24_chat_customer_support.jsonl"))
    analysis = analyzer.load(standards=False, dimensions=("politeness", "sentiment", "ownership")).analyze(conv)
    rows = {r["turn"]: r for r in turn_rows(analysis)}
    german = [t for t in analysis.conversation.turns if t.language == "de"]
    english = [t for t in analysis.conversation.turns if t.language == "en" and t.role == "agent"]
    assert german and english
    assert all(analysis.score(t.index, "politeness").detail.get("zero_shot") == 1.0 for t in german)
    assert all("zero_shot" not in analysis.score(t.index, "politeness").detail for t in english)
    # the sentiment model was trained on German (UMSAB): its German scores are not zero-shot
    assert all("zero_shot" not in analysis.score(t.index, "sentiment").detail for t in german)
    assert all(rows[t.index]["language_supported"] is False for t in german)
    assert all(rows[t.index]["language_supported"] is True for t in english)
    assert json.loads(rows[german[0].index]["politeness_detail"])["zero_shot"] == 1.0
    assert all("zero_shot" not in analysis.score(t.index, "ownership").detail for t in english)
    # ownership has its own scoring loop: a German agent turn is marked there too
    reply = analyzer.load(standards=False, dimensions=("ownership",)).analyze([
        ("customer", "Mein Paket ist nicht angekommen."),
        ("agent", "Das ist nicht unsere Abteilung, bitte wenden Sie sich an den Paketdienst.")])
    assert reply.conversation.turns[1].language == "de"
    assert reply.score(1, "ownership").detail.get("zero_shot") == 1.0
