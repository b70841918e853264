"""Calibrating standards to reviews, on real human judgements: USS users' own satisfaction ratings.

400 MultiWOZ dialogues (USER → customer, SYSTEM → agent) are scored once with whatever models
are shipped in models/; each dialogue's mean OVERALL user rating (1–5 → 0–100) is its review.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

import analyzer
from analyzer.calibrate import MIN_REVIEWS, calibrate, cohen_kappa, make_folds, spearman
from analyzer.calibrate_data import load_uss, normalize_reviews, read_reviews
from analyzer.errors import ConfigError, InputError
from analyzer.standards import check, load_standards, validate

log = logging.getLogger(__name__)
N_DIALOGUES = 400


@pytest.fixture(scope="module")
def uss(shared_data):
    path = shared_data / "uss-user-satisfaction" / "MWOZ.txt"
    if not path.is_file():
        pytest.skip(f"USS data not found at {path}")
    conversations, reviews = load_uss(path, limit=N_DIALOGUES)
    qa = analyzer.load(standards=False)  # whatever models are in models/ now
    analyses = list(qa.pipe(conversations))  # scored once for the whole module
    return analyses, reviews, qa.dimensions


@pytest.fixture(scope="module")
def result(uss):
    analyses, reviews, dimensions = uss
    found = calibrate(analyses, reviews, folds=5, seed=0)
    log.warning("USS MWOZ %d dialogues, dimensions %s: held-out %s; changes %s", len(analyses), dimensions,
                json.dumps(found.report["agreement"]["held_out"]), json.dumps(found.report["changes"]))
    return found


def test_calibrate_data_load_uss_maps_roles_and_ratings(uss):
    analyses, reviews, _ = uss
    assert len(analyses) == len(reviews) == N_DIALOGUES
    first = analyses[0].conversation
    assert first.turns[0].role == "customer" and first.turns[1].role == "agent"
    assert {t.role for a in analyses for t in a.conversation.turns} == {"customer", "agent"}
    scores = np.array([r["score"] for r in reviews])
    assert scores.min() >= 0 and scores.max() <= 100 and len(set(scores)) > 5  # mean ratings vary
    assert [a.conversation.id for a in analyses] == [r["conversation_id"] for r in reviews]


def test_calibrate_tuned_yaml_validates_with_same_ids(result, tmp_path):
    out = tmp_path / "tuned.yaml"
    report = tmp_path / "report.json"
    written = result.write(out, report)
    assert validate(out) == []
    assert load_standards(out).ids == load_standards().ids
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Calibrated by `analyzer calibrate` on ")
    assert f"{N_DIALOGUES} reviewed conversations" in text
    assert json.loads(report.read_text(encoding="utf-8"))["reviews"]["used"] == N_DIALOGUES
    assert "## Agreement on held-out folds" in written[-1].read_text(encoding="utf-8")
    from typer.testing import CliRunner

    from analyzer.cli import app

    run = CliRunner().invoke(app, ["standards", "check", str(out)])
    assert run.exit_code == 0, run.output


def test_calibrate_changes_are_applied_in_yaml(result, tmp_path):
    out = tmp_path / "tuned.yaml"
    result.write(out)
    tuned, default = load_standards(out), load_standards()
    for change in result.report["changes"]:
        standard = tuned.get(change["standard"])
        got = standard.weight if change["param"] == "weight" else standard.params[change["param"]]
        was = default.get(change["standard"])
        before = was.weight if change["param"] == "weight" else was.params[change["param"]]
        assert got == pytest.approx(change["after"]) and before == pytest.approx(change["before"])


def test_calibrate_folds_never_evaluate_on_fitted_rows(result, uss):
    ids = {a.conversation.id for a in uss[0]}
    folds = result.folds
    assert len(folds) == 5 == len(result.report["cv"]["per_fold"])
    for fold, record in zip(folds, result.report["cv"]["per_fold"]):
        assert not set(fold.fitted_on) & set(fold.evaluated_on)
        assert set(fold.fitted_on) | set(fold.evaluated_on) == ids
        assert (record["fitted_on"], record["evaluated_on"]) == (len(fold.fitted_on), len(fold.evaluated_on))
    held_out = [cid for fold in folds for cid in fold.evaluated_on]
    assert sorted(held_out) == sorted(ids)  # each conversation is held out exactly once


def test_calibrate_fold_fit_ignores_its_held_out_reviews(uss):
    """Scrambling fold 0's held-out reviews changes its evaluation, never what fold 0 fitted."""
    analyses, reviews = uss[0][:150], uss[1][:150]
    base = calibrate(analyses, reviews, folds=5, seed=0)
    held = set(base.folds[0].evaluated_on)
    rng = np.random.default_rng(1)
    scrambled = [{**r, "score": float(rng.uniform(0, 100))} if r["conversation_id"] in held else r for r in reviews]
    again = calibrate(analyses, scrambled, folds=5, seed=0)
    first, second = base.report["cv"]["per_fold"][0], again.report["cv"]["per_fold"][0]
    assert again.folds[0] == base.folds[0]
    assert second["changes"] == first["changes"]
    assert second["before"]["spearman"] != first["before"]["spearman"]


def test_calibrate_held_out_agreement_not_worse(result):
    rho = result.report["agreement"]["held_out"]["spearman"]
    assert rho["after"] >= rho["before"]
    assert rho["pooled_after"] >= rho["pooled_before"] - 0.02  # pooled mixes five fits; allow noise
    for standard, kappa in result.report["agreement"]["held_out"].get("kappa", {}).items():
        if kappa["before"] is not None and kappa["after"] is not None:
            assert kappa["after"] >= kappa["before"] - 0.05, standard


def test_calibrate_report_agrees_with_engine(result, uss, tmp_path):
    """The fast tables reproduce analyzer.standards.check on the tuned file."""
    analyses, reviews, _ = uss
    out = tmp_path / "tuned.yaml"
    result.write(out)
    tuned = load_standards(out)
    qa = np.array([check(a.conversation, a.scores, tuned).qa_score for a in analyses])
    y = np.array([r["score"] for r in reviews])
    assert spearman(qa, y) == pytest.approx(result.report["agreement"]["in_sample_after"]["spearman"], abs=1e-6)
    assert result.report["dimensions"] == sorted(uss[2])


def test_calibrate_refuses_too_few_reviews(uss):
    analyses, reviews, _ = uss
    with pytest.raises(ConfigError, match=rf"E080 only 20 reviews .* at least {MIN_REVIEWS}"):
        calibrate(analyses, reviews[:20])
    with pytest.raises(ConfigError, match="E080 only 0 reviews"):
        calibrate(analyses, [{"conversation_id": "nope", "score": 50}] * 60)


def test_calibrate_data_reads_review_files(tmp_path):
    csv_path = tmp_path / "reviews.csv"
    csv_path.write_text("conversation_id,score,greeting_pass,closing_pass\nc1,80,yes,\nc2,35.5,0,fail\n")
    rows = read_reviews(csv_path)
    assert rows[0] == {"conversation_id": "c1", "score": 80.0, "passes": {"greeting": True}}
    assert rows[1]["passes"] == {"greeting": False, "closing": False}
    jsonl = tmp_path / "reviews.jsonl"
    jsonl.write_text('{"id": "c3", "empathy_pass": true}\n{"id": "c4", "score": 12}\n')
    assert [r["score"] for r in read_reviews(jsonl)] == [None, 12.0]
    with pytest.raises(InputError, match="outside 0-100"):
        normalize_reviews([{"id": "c5", "score": 140}])
    with pytest.raises(InputError, match="not a pass/fail"):
        normalize_reviews([{"id": "c6", "greeting_pass": "maybe"}])


def test_calibrate_agreement_measures_match_reference():
    from scipy.stats import spearmanr
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 200).astype(float), rng.integers(0, 5, 200).astype(float)
    assert spearman(a, a + b) == pytest.approx(spearmanr(a, a + b).statistic)
    x, z = rng.random(300) > 0.3, rng.random(300) > 0.5
    assert cohen_kappa(x, z) == pytest.approx(cohen_kappa_score(x, z), abs=1e-6)
    assert sorted(int(i) for f in make_folds(103, 5, 3) for i in f) == list(range(103))


def test_calibrate_recovers_a_reviewers_pass_fail_bar(uss):
    """Reviewers who pass/fail one standard at a stricter bar: calibration finds the bar (kappa path)."""
    import dataclasses

    from analyzer.calibrate import GRID
    from analyzer.standards.config import StandardsSet

    analyses, _, dimensions = uss
    analyses = analyses[:200]
    sid = "ownership" if "ownership" in dimensions else "politeness"
    standard = load_standards().get(sid)

    def verdicts(threshold):
        strict = StandardsSet((dataclasses.replace(standard, params={**standard.params, "threshold": threshold}),))
        return [sid not in check(a.conversation, a.scores, strict).broken for a in analyses]

    shares = {g: np.mean(verdicts(g)) for g in GRID if abs(g - standard.params["threshold"]) > 0.05}
    bar = min(shares, key=lambda g: abs(shares[g] - 0.5))  # the grid bar that splits the reviews most evenly
    if not 0.2 < shares[bar] < 0.8:
        pytest.skip(f"{sid} scores do not split these dialogues")
    reviews = [{"conversation_id": a.conversation.id, f"{sid}_pass": ok} for a, ok in zip(analyses, verdicts(bar))]
    found = calibrate(analyses, reviews, folds=5, seed=0)
    kappa = found.report["agreement"]["held_out"]["kappa"][sid]
    assert kappa["after"] > kappa["before"] and kappa["after"] >= 0.9
    assert {"standard": sid, "param": "threshold", "before": standard.params["threshold"], "after": bar} in found.report["changes"]
    assert "spearman" not in found.report["agreement"]["held_out"]  # no reviewer scores given
