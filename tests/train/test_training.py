"""Training: fixed group splits, the shared featurizer, calibration metrics, a small real run, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analyzer.train.calibration import classification_metrics, expected_calibration_error
from analyzer.train.dataset import TextSet, group_key
from analyzer.train.fit import HashFeaturizer
from analyzer.train.splits import assign_splits, group_cv

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"


def _need_data() -> Path:
    if not DATA.exists():
        pytest.skip(f"shared data not found at {DATA}")
    return DATA


def test_splits_translations_share_a_split_and_order_does_not_matter():
    groups = [group_key(f"Item number {i}, could you help?") for i in range(2000)]
    a = assign_splits(groups, seed=0)
    b = assign_splits(groups[::-1], seed=0)[::-1]
    assert a == b
    shares = {s: a.count(s) / len(a) for s in ("train", "dev", "test")}
    assert 0.75 < shares["train"] < 0.85 and 0.07 < shares["test"] < 0.13
    assert assign_splits(groups, seed=1) != a
    assert group_key("Could  you HELP?") == group_key("could you help?")


def test_splits_translated_items_never_straddle_splits():
    from analyzer.train.data import translated

    ts = translated(_need_data(), "politeness")
    splits = assign_splits(ts.groups)
    by_item: dict[str, set] = {}
    for item, s in zip(ts.extras["item_id"], splits):
        by_item.setdefault(item, set()).add(s)
    assert by_item and all(len(v) == 1 for v in by_item.values())


def test_data_agent_replies_translations_share_their_items_split():
    from analyzer.train.data import agent_replies

    ar = agent_replies(_need_data())
    assert set(ar.languages) == {"en", "el", "pl", "hy"} and set(ar.labels) <= {"impolite", "neutral", "polite"}
    assert {d for d, lg in zip(ar.domains, ar.languages) if lg != "en"} == {"agent-replies-mt"}
    assert len({g for g, lg in zip(ar.groups, ar.languages) if lg == "en"}) == ar.languages.count("en")  # no dupes
    splits = assign_splits(ar.groups)
    en_split = {g: s for g, s, lg in zip(ar.groups, splits, ar.languages) if lg == "en"}
    by_item: dict[str, set] = {}
    for item, g, s in zip(ar.extras["item_id"], ar.groups, splits):
        by_item.setdefault(item, set()).add(s)
        assert en_split[g] == s  # every translation has its English source, in the same split
    assert all(len(v) == 1 for v in by_item.values())
    assert {"train", "dev", "test"} <= set(splits)


def test_specs_politeness_head_reads_agent_neutral_as_not_impolite():
    from analyzer.train.specs import POLITENESS

    d = TextSet(["Thanks for waiting!", "Your order ships Monday.", "Read the FAQ.", "meh"],
                ["polite", "neutral", "impolite", "neutral"], ["en"] * 4,
                ["agent-replies", "agent-replies-mt", "agent-replies", "other"], ["a", "b", "c", "d"])
    head = {h.name: h for h in POLITENESS.heads}["polite"]
    assert [head.label(d, i) for i in range(4)] == ["polite", "polite", "impolite", "neutral"]
    agent_evals = [e for e in POLITENESS.evals if e.select(d, 1) or e.select(d, 0)]
    assert {e.language for e in agent_evals} == {"en"} and all(e.label(d, 1) == "polite" for e in agent_evals)
    assert "inhouse-ownership" in POLITENESS.data


def test_splits_group_cv_keeps_groups_in_one_fold():
    groups = [str(i // 4) for i in range(400)]
    for train, test in group_cv(groups, n_folds=5):
        assert not {groups[i] for i in train} & {groups[i] for i in test}


def test_featurizer_rows_do_not_depend_on_the_batch():
    f = HashFeaturizer()
    texts = ["Could you please help?", "Καλημέρα σας!", "Dziękuję bardzo", "Շնորհակալություն", "", "a\x00b"]
    X = f.transform(texts)
    assert X.shape == (len(texts), f.n_word_features + f.n_char_features)
    for i, t in enumerate(texts):
        assert abs(f.transform([t]) - X[i]).max() == 0
    assert X[0].nnz > 20 and X[1].nnz > 10
    assert f.cache_key == HashFeaturizer().cache_key != HashFeaturizer(char_ngrams=(3, 5)).cache_key


def test_calibration_ece_is_low_when_calibrated_and_high_when_overconfident():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.5, 1.0, 20000)
    y = np.where(rng.uniform(size=p.size) < p, "a", "b")
    proba = np.c_[p, 1 - p]
    assert expected_calibration_error(y, proba, ["a", "b"]) < 0.02
    over = np.c_[np.full(p.size, 0.99), np.full(p.size, 0.01)]
    assert expected_calibration_error(y, over, ["a", "b"]) > 0.2
    m = classification_metrics(y, proba, ["a", "b"], positive="a")
    assert m["per_class"]["a"]["support"] == int((y == "a").sum()) and m["f1"] > 0.8


def test_textset_roundtrips_through_hf_datasets():
    s = TextSet(["x", "y"], ["a", "b"], ["en", "pl"], ["d", "d"], ["g1", "g2"], {"score": [0.1, 0.2]})
    back = TextSet.from_hf(s.to_hf())
    assert back.texts == s.texts and back.extras["score"] == [0.1, 0.2] and back.languages == ["en", "pl"]


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    from analyzer.train import train

    data = _need_data()
    out = [tmp_path_factory.mktemp(f"run{i}") / "complaint" for i in range(2)]
    metrics = [train("complaint", data, o, seed=0, quick=True) for o in out]
    return out, metrics


def test_training_quick_run_reaches_floor_and_loads(quick_runs):
    from analyzer.scorers import complaint

    out, metrics = quick_runs
    first = {e["name"]: e for e in metrics[0]["evaluations"]}
    held_out = first["complaint tweets (Preoţiuc-Pietro et al.)"]
    assert held_out["n"] > 150
    assert held_out["f1"] >= 0.65  # stated floor for a 2,500-row quick run
    assert 0 <= held_out["ece"] < 0.15
    meta = json.loads((out[0] / "meta.json").read_text())
    assert meta["quick"] is True and meta["splits"]["test"] > 0
    assert "Held-out test results" in (out[0] / "MODEL_CARD.md").read_text()
    assert complaint.load(out[0]).score([])== []


def test_training_same_seed_same_model(quick_runs):
    from analyzer.scorers import complaint
    from analyzer.types import Turn

    out, metrics = quick_runs
    turns = [Turn(i, "customer", t) for i, t in enumerate(
        ["@airline my flight got cancelled again", "thanks for the quick help!", "where is my refund??", "ok"])]
    a = [s.value for s in complaint.load(out[0]).score(turns)]
    b = [s.value for s in complaint.load(out[1]).score(turns)]
    assert a == b
    assert metrics[0]["evaluations"] == metrics[1]["evaluations"]


def test_training_evaluate_reproduces_training_metrics(quick_runs):
    from analyzer.train import evaluate

    out, metrics = quick_runs
    again = {e["name"]: e for e in evaluate("complaint", _need_data(), out[0])["evaluations"]}
    for e in metrics[0]["evaluations"]:
        assert again[e["name"]]["accuracy"] == e["accuracy"] and again[e["name"]]["n"] == e["n"]


@pytest.mark.slow
@pytest.mark.parametrize("dimension", ["politeness", "empathy", "sentiment", "complaint"])
def test_training_full_run(tmp_path, dimension):
    from analyzer.train import train
    from analyzer.train.runs import summary

    metrics = summary(train(dimension, _need_data(), tmp_path / dimension, seed=0))
    shipped = json.loads((REPO / "models" / dimension / "meta.json").read_text())
    assert metrics == summary(shipped["metrics"])  # the shipped model is what this code trains
