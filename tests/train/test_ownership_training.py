"""Ownership training pieces: data loading and split, choices made on cross-validation, the card's wording."""

from __future__ import annotations

import pytest

from analyzer.train.ownership_card import PROVENANCE, sections
from analyzer.train.ownership_data import load_ownership, ownership_splits, per_class_f1, quick_rows
from analyzer.train.ownership_fit import choose_threshold, per_language_f1, row_weights


@pytest.fixture(scope="module")
def data(shared_data):
    return load_ownership(shared_data)


def test_translations_share_their_items_split_and_the_test_split_is_fixed(data):
    splits = ownership_splits(data, seed=0)
    by_item: dict[str, set[str]] = {}
    for item, s in zip(data.extras["item"], splits):
        by_item.setdefault(item, set()).add(s)
    assert all(len(s) == 1 for s in by_item.values())
    assert set(data.languages) == {"en", "el", "pl", "hy"}
    assert 0.15 < splits.count("test") / len(splits) < 0.25
    assert ownership_splits(data, seed=0) == splits and ownership_splits(data, seed=1) != splits


def test_quick_rows_keep_every_test_row_and_only_english_train_rows(data):
    splits = ownership_splits(data, seed=0)
    keep = quick_rows(data, splits, seed=0)
    assert {i for i, s in enumerate(splits) if s == "test"} <= set(keep)
    train = [i for i in keep if splits[i] == "train"]
    assert 300 < len(train) < 1000 and all(data.languages[i] == "en" for i in train)


def test_per_class_f1_is_symmetric_and_exact():
    a = ["owns", "neutral", "deflects", "owns"]
    b = ["owns", "owns", "deflects", "neutral"]
    assert per_class_f1(a, b) == per_class_f1(b, a)
    assert per_class_f1(a, b) == {"owns": 0.5, "neutral": 0.0, "deflects": 1.0}


def test_choose_threshold_is_the_highest_reaching_the_recall_target():
    y = [True, True, True, True, False, False]
    p = [0.9, 0.6, 0.3, 0.1, 0.5, 0.2]
    t, precision, recall = choose_threshold(y, p, target=0.75)
    assert (t, recall) == (0.3, 0.75)
    assert precision == 0.75  # 0.9, 0.6, 0.3 and the negative at 0.5
    assert choose_threshold(y, p, target=0.5)[0] == 0.6


def test_translated_rows_are_weighted_and_scored_per_language(data):
    rows = [i for i, d in enumerate(data.domains) if d == "translated"][:3] + [0, 1]
    w = row_weights(data, rows, 0.5)
    assert list(w) == [0.5, 0.5, 0.5, 1.0, 1.0]
    f1 = per_language_f1(data, rows, [data.labels[i] for i in rows])
    assert f1["en"] == 1.0 and all(v == 1.0 for v in f1.values())


def test_card_says_plainly_that_labels_and_translations_are_model_assisted():
    ev = {"name": "test: English, argmax", "n": 10, "accuracy": 0.8, "macro_f1": 0.7, "ece": 0.05, "language": "en",
          "per_class": {c: {"precision": 0.7, "recall": 0.7, "f1": 0.7} for c in ("owns", "neutral", "deflects")}}
    thr = dict(ev, name="test: English, deflects threshold 0.200")
    op = {"threshold": 0.2, "recall_target": 0.85, "cv_recall": 0.86, "cv_precision": 0.5, "alternatives": [],
          "chosen_on": "5-fold out-of-fold predictions of the train split (English rows)"}
    agr = {f: {"n": 5, "observed": 0.9, "kappa": 0.8, "macro_f1": 0.88, "per_class_f1": {}}
           for f in ("train.jsonl", "train_single_pass.jsonl")}
    out = sections({"evaluations": [ev, thr], "cv": [ev], "operating_point": op, "agreement": agr,
                    "speed": {"turns_per_cpu_second": 6000}, "evidence": {"test": {}}, "bootstrap": {}})
    labels = out["How the labels were made"]
    assert PROVENANCE in labels and "model-assisted" in PROVENANCE
    assert "No native speaker" in PROVENANCE and "labelling firm" in PROVENANCE
    assert "held-out English labels: 0.700" in out["Targets"]
    assert "recall 0.700, precision 0.700 -> NOT met" in out["Targets"]


def test_the_projects_own_labels_load_from_the_shared_texts_and_are_train_only(data):
    import json

    from analyzer.train.ownership_data import EXTRA_LABELS, ownership_splits

    labels = [json.loads(line) for line in EXTRA_LABELS.read_text(encoding="utf-8").splitlines()]
    assert labels and all("text" not in label and "agent_text" not in label for label in labels)  # ids, not text
    rows = [i for i, domain in enumerate(data.domains) if domain == "conversations"]
    assert len(rows) == len(labels)
    splits = ownership_splits(data)
    assert all(splits[i] == "train" for i in rows)
    in_house_test = {data.texts[i] for i, s in enumerate(splits) if s == "test"}
    assert not in_house_test & {data.texts[i] for i in rows}
    evidence = [data.extras["evidence"][i] for i in rows if data.labels[i] != "neutral"]
    assert sum(bool(e) for e in evidence) > 0.9 * len(evidence)
    assert all(e in data.texts[i] for e, i in zip((data.extras["evidence"][i] for i in rows), rows))
