"""Calibrate a standards file to a QA team's own reviews: thresholds and weights, cross-validated.

The conversations are scored once (the models are the slow part). Each enabled standard's
rule is then run on the stored scores for every candidate value of its threshold, which gives
per conversation and candidate whether the standard was evaluated and whether it broke. From
those tables the QA score of any setting is cheap (the engine's formula), so a coordinate
search over a small grid of thresholds and non-negative weights can maximise agreement with
the reviewers: Spearman's rho between the QA score and the reviewer's 0–100 score, plus
Cohen's kappa for each standard the reviewers marked pass/fail. A change is kept only when
it gains at least ``min_gain`` on the fitting rows, so that noise is not fitted.

Agreement is reported before and after on held-out folds (k-fold CV: each fold's setting is
fitted on the other folds only); the tuned file itself is fitted on all reviews.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .calibrate_data import match_reviewed, normalize_reviews, read_reviews, report_markdown, score_once, standards_source, tuned_yaml
from .errors import ConfigError, Errors
from .standards.config import Standard
from .standards.rules.base import NotEvaluated
from .types import Conversation

log = logging.getLogger(__name__)

MIN_REVIEWS = 50
"""Fewer usable reviews than this and :func:`calibrate` refuses: the folds would be too small to trust."""
MIN_SUPPORT = 10
"""A standard is moved only where at least this many fitting conversations broke it and as many passed."""
TUNABLE = {"score_below": "threshold", "score_above": "threshold", "acknowledged_after": "min_empathy",
           "outcome": "margin", "vague_postpone": "tag_threshold"}
"""The threshold param searched for each score-based rule."""
GRID = (0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95)
WEIGHTS = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0)


@dataclass(frozen=True)
class Fold:
    """One CV fold: the conversation ids its setting was fitted on and those it was evaluated on."""

    index: int
    fitted_on: tuple[str, ...]
    evaluated_on: tuple[str, ...]


@dataclass(frozen=True)
class CalibrationResult:
    """The tuned standards file (YAML text), the report (JSON-able) and the CV folds."""

    standards_yaml: str
    report: dict[str, Any]
    folds: tuple[Fold, ...] = ()

    def write(self, standards_path: str | Path, report_path: str | Path | None = None) -> list[Path]:
        """Write the YAML, and the report as JSON plus a Markdown summary beside it (``.md``)."""
        import json

        paths = [Path(standards_path)] + ([Path(report_path), Path(report_path).with_suffix(".md")] if report_path else [])
        texts = [self.standards_yaml, json.dumps(self.report, indent=2, ensure_ascii=False), report_markdown(self.report)]
        for path, text in zip(paths, texts):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return paths


@dataclass
class _Table:
    """Per standard and candidate value: which conversations it evaluated and which it broke."""

    ids: list[str]
    y: np.ndarray
    labels: dict[str, np.ndarray]
    standards: list[Standard]
    options: list[list[Any]]
    evaluated: list[np.ndarray] = field(default_factory=list)
    broken: list[np.ndarray] = field(default_factory=list)


def _variant(standard: Standard, raw: Mapping[str, Any], value: Any) -> Standard:
    """``standard`` with its tunable threshold set to ``value`` (channel overrides that name it keep theirs)."""
    if value is None:
        return standard
    key = TUNABLE[standard.rule]
    overrides = raw.get("channels") or {}
    channels = {ch: (p if key in (overrides.get(ch) or {}) else {**p, key: value}) for ch, p in standard.channels.items()}
    return dataclasses.replace(standard, params={**standard.params, key: value}, channels=channels)


def _outcome(standard: Standard, conv: Conversation, scores: Sequence[Any]) -> tuple[bool, bool]:
    """(evaluated, broken) exactly as :func:`analyzer.standards.check` decides them."""
    try:
        return True, bool(list(standard.func(conv, scores, **standard.params_for(conv.channel))))
    except NotEvaluated:
        return False, False


def _build_table(items: list[tuple[Conversation, Sequence[Any], dict]], standards: list[Standard],
                 raw: Mapping[str, dict]) -> _Table:
    options = []
    for s in standards:
        if s.rule in TUNABLE and TUNABLE[s.rule] in s.params:
            current = float(s.params[TUNABLE[s.rule]])
            options.append([current] + [g for g in GRID if abs(g - current) > 1e-9])
        else:
            options.append([None])
    variants = [[_variant(s, raw.get(s.id, {}), v) for v in opts] for s, opts in zip(standards, options)]
    n = len(items)
    evaluated = [np.zeros((len(o), n), dtype=bool) for o in options]
    broken = [np.zeros((len(o), n), dtype=bool) for o in options]
    for i, (conv, scores, _) in enumerate(items):  # conversation outermost: the marker cache then hits
        scores = [s for s in scores if 0 <= s.turn < len(conv.turns)]
        for j, group in enumerate(variants):
            for k, variant in enumerate(group):
                evaluated[j][k, i], broken[j][k, i] = _outcome(variant, conv, scores)
    ids = [conv.id for conv, _, _ in items]
    y = np.array([np.nan if r["score"] is None else r["score"] for _, _, r in items], dtype=float)
    columns = {s.id: np.array([float(r["passes"].get(s.id, np.nan)) for _, _, r in items]) for s in standards}
    labels = {sid: column for sid, column in columns.items() if not np.all(np.isnan(column))}
    return _Table(ids, y, labels, standards, options, evaluated, broken)


# -- agreement ------------------------------------------------------------------------------

def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho with average ranks for ties; 0.0 when either side is constant.

    Example:
        >>> round(spearman(np.array([1, 2, 3, 4.]), np.array([10, 20, 40, 30.])), 3)
        0.8
    """
    from scipy.stats import rankdata

    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(np.corrcoef(rankdata(a), rankdata(b))[0, 1])


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two boolean arrays; 0.0 when chance agreement is 1.

    Example:
        >>> cohen_kappa(np.array([1, 1, 0, 0], bool), np.array([1, 0, 0, 0], bool))
        0.5
    """
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    if len(a) == 0:
        return 0.0
    observed = float(np.mean(a == b))
    chance = float(np.mean(a) * np.mean(b) + np.mean(~a) * np.mean(~b))
    return 0.0 if chance >= 1.0 else round((observed - chance) / (1.0 - chance), 6)


@dataclass(frozen=True)
class _Setting:
    choice: tuple[int, ...]
    weights: tuple[float, ...]


def _qa(table: _Table, setting: _Setting, rows: np.ndarray) -> np.ndarray:
    """The engine's QA score, ``100 × (1 − broken weight / evaluated weight)``, for ``rows``."""
    total = np.zeros(len(rows))
    lost = np.zeros(len(rows))
    for j, (k, w) in enumerate(zip(setting.choice, setting.weights)):
        evaluated = table.evaluated[j][k, rows]
        total += w * evaluated
        lost += w * (evaluated & table.broken[j][k, rows])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.round(100.0 * (1.0 - lost / np.where(total > 0, total, 1)), 2), 100.0)


def _agreement(table: _Table, setting: _Setting, rows: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {"n": int(len(rows))}
    scored = rows[~np.isnan(table.y[rows])]
    if len(scored):
        out["spearman"] = round(spearman(_qa(table, setting, scored), table.y[scored]), 6)
    kappas = {}
    for j, s in enumerate(table.standards):
        if s.id not in table.labels:
            continue
        k = setting.choice[j]
        mask = ~np.isnan(table.labels[s.id][rows]) & table.evaluated[j][k, rows]
        judged = rows[mask]
        kappas[s.id] = {"kappa": cohen_kappa(~table.broken[j][k, judged], table.labels[s.id][judged] > 0.5),
                        "n": int(len(judged))}
    if kappas:
        out["kappa"] = kappas
    return out


def _objective(table: _Table, setting: _Setting, rows: np.ndarray) -> float:
    found = _agreement(table, setting, rows)
    kappas = [k["kappa"] for k in found.get("kappa", {}).values() if k["n"]]
    return found.get("spearman", 0.0) + (float(np.mean(kappas)) if kappas else 0.0)


def _fit(table: _Table, start: _Setting, rows: np.ndarray, min_gain: float, min_support: int,
         sweeps: int = 3) -> _Setting:
    """Coordinate ascent over each weight and threshold grid; only ``rows`` are looked at.

    A standard is changed only at settings where, among ``rows``, at least ``min_support``
    conversations broke it and as many passed it: a handful of cases cannot move it.
    """
    def supported(j: int, k: int) -> bool:
        evaluated = table.evaluated[j][k, rows]
        broken = int((evaluated & table.broken[j][k, rows]).sum())
        return min(broken, int(evaluated.sum()) - broken) >= min_support

    best, score = start, _objective(table, start, rows)
    for _ in range(sweeps):
        improved = False
        for j in range(len(table.standards)):
            candidates = []
            if supported(j, best.choice[j]):
                candidates += [dataclasses.replace(best, weights=best.weights[:j] + (w,) + best.weights[j + 1:])
                               for w in WEIGHTS if w != best.weights[j]]
            candidates += [dataclasses.replace(best, choice=best.choice[:j] + (k,) + best.choice[j + 1:])
                           for k in range(len(table.options[j])) if k != best.choice[j] and supported(j, k)]
            if not candidates:
                continue
            values = [_objective(table, c, rows) for c in candidates]
            top = int(np.argmax(values))  # ties go to the first: a weight change before a threshold change
            if values[top] >= score + min_gain and any(w > 0 for w in candidates[top].weights):
                best, score, improved = candidates[top], values[top], True
        if not improved:
            break
    idle = [j for j, s in enumerate(table.standards) if best.weights[j] == 0 and s.id not in table.labels]
    return dataclasses.replace(best, choice=tuple(start.choice[j] if j in idle else k for j, k in enumerate(best.choice)))


def _guarded_fit(table: _Table, start: _Setting, rows: np.ndarray, min_gain: float, min_support: int,
                 inner: int, seed: int) -> tuple[_Setting, float | None]:
    """:func:`_fit` on ``rows``, kept only if refitting inside ``rows`` (inner CV) gains on the inner held-out parts.

    Returns the setting and the inner held-out gain (``None`` when nothing changed).
    """
    fitted = _fit(table, start, rows, min_gain, min_support)
    if fitted == start or inner < 2:
        return fitted, None
    gain = 0.0
    for part in make_folds(len(rows), inner, seed):
        test = rows[part]
        refit = _fit(table, start, np.setdiff1d(rows, test), min_gain, min_support)
        gain += (_objective(table, refit, test) - _objective(table, start, test)) / inner
    return (fitted if gain > 0 else start), round(gain, 4)


def make_folds(n: int, folds: int, seed: int) -> list[np.ndarray]:
    """Shuffled, disjoint row sets covering ``range(n)``, one per fold.

    Example:
        >>> sorted(int(i) for f in make_folds(7, 3, 0) for i in f)
        [0, 1, 2, 3, 4, 5, 6]
    """
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(part) for part in np.array_split(order, folds)]


# -- the public function ----------------------------------------------------------------------

def calibrate(conversations: Iterable[Any], reviews: Any, standards: Any = None, folds: int = 5, seed: int = 0, *,
              qa: Any = None, min_reviews: int = MIN_REVIEWS, min_gain: float = 0.005,
              min_support: int = MIN_SUPPORT, inner: int = 3) -> CalibrationResult:
    """Fit a standards file's thresholds and weights to a team's reviews, with k-fold CV.

    Args:
        conversations: :class:`Conversation` objects (scored here, once) or :class:`Analysis`
            objects (their scores are used as they are).
        reviews: a review file path (CSV/JSONL), or rows ``{"conversation_id", "score"?,
            "<standard>_pass"?}``, or rows already in :func:`normalize_reviews` form.
        standards: a standards YAML path, a loaded set, or ``None`` for the shipped default.
        folds: CV folds for the held-out agreement.
        seed: fold shuffling seed.
        qa: the :class:`~analyzer.Analyzer` that scores conversations (default: ``analyzer.load()``).
        min_reviews: refuse (``ConfigError`` E080) with fewer usable reviews than this.
        min_gain: smallest gain in the objective for which a change is kept.
        min_support: a standard changes only where at least this many fitting conversations broke it and
            as many passed it.
        inner: inner CV folds inside each fitting set; a fitted setting that does not beat the
            original on them is dropped (the original is kept). ``0`` turns the guard off.

    Returns:
        A :class:`CalibrationResult`: ``standards_yaml`` (valid under ``analyzer standards check``,
        same ids) and ``report`` (agreement before/after on held-out folds, changes, counts).

    Example:
        >>> import analyzer
        >>> from analyzer import Conversation, Turn
        >>> replies = ["Hello! Sorry about that, it ships today.", "We'll get back to you later."]
        >>> convs = [Conversation(f"c{i}", (Turn(0, "customer", "My order is late."), Turn(1, "agent", replies[i % 2])))
        ...          for i in range(60)]
        >>> reviews = [{"conversation_id": f"c{i}", "score": 30 if i % 2 else 90} for i in range(60)]
        >>> qa = analyzer.load(standards=False, dimensions=())     # markers only: fast
        >>> result = calibrate(convs, reviews, folds=3, qa=qa)
        >>> result.report["reviews"]["used"], result.report["agreement"]["held_out"]["spearman"]["after"]
        (60, 1.0)
        >>> "# Calibrated by `analyzer calibrate`" in result.standards_yaml
        True

    With real judgements: ``analyzer.calibrate_data.load_uss`` turns the USS dialogues and their
    users' own satisfaction ratings into ``(conversations, reviews)`` for this function.
    """
    if isinstance(reviews, (str, Path)):
        rows = read_reviews(reviews)
    else:
        rows = list(reviews)
        if rows and not all("passes" in r for r in rows):
            rows = normalize_reviews(rows)
    by_id = {r["conversation_id"]: r for r in rows if r["score"] is not None or r["passes"]}
    standard_set, raw, source, original = standards_source(standards)
    matched = match_reviewed(conversations, set(by_id))
    need = max(min_reviews, 2 * folds)
    if len(matched) < need:  # before any scoring: refuse fast
        raise ConfigError(Errors.E080.format(n=len(matched), need=need, folds=folds))
    scored, dimensions = score_once(matched, qa)
    items = [(conv, scores, by_id[cid]) for cid, (conv, scores) in scored.items()]
    raw_items = {item["id"]: item for item in raw.get("standards", []) if isinstance(item, dict)}
    enabled = list(standard_set.enabled())
    table = _build_table(items, enabled, raw_items)
    start = _Setting(tuple(0 for _ in enabled), tuple(float(s.weight) for s in enabled))
    everything = np.arange(len(items))
    fold_records, per_fold, pooled_before, pooled_after = [], [], np.zeros(len(items)), np.zeros(len(items))
    for index, test in enumerate(make_folds(len(items), folds, seed)):
        train = np.setdiff1d(everything, test)
        fitted, gain = _guarded_fit(table, start, train, min_gain, min_support, inner, seed + 1 + index)
        fold_records.append(Fold(index, tuple(table.ids[i] for i in train), tuple(table.ids[i] for i in test)))
        per_fold.append({"fold": index, "fitted_on": int(len(train)), "evaluated_on": int(len(test)),
                         "before": _agreement(table, start, test), "after": _agreement(table, fitted, test),
                         "changes": _changes(table, start, fitted), "inner_gain": gain})
        pooled_before[test], pooled_after[test] = _qa(table, start, test), _qa(table, fitted, test)
    final, final_gain = _guarded_fit(table, start, everything, min_gain, min_support, inner, seed)
    report = _report(table, start, final, per_fold, pooled_before, pooled_after, dimensions, source, rows, items,
                     seed, min_gain, min_reviews, min_support)
    report["method"].update(inner_folds=inner, final_inner_gain=final_gain)
    text = tuned_yaml(raw, report, original)
    log.info("calibrated on %d reviews: held-out %s", len(items), report["agreement"]["held_out"])
    return CalibrationResult(text, report, tuple(fold_records))


def _changes(table: _Table, start: _Setting, final: _Setting) -> list[dict[str, Any]]:
    out = []
    for j, s in enumerate(table.standards):
        if final.choice[j] != start.choice[j]:
            out.append({"standard": s.id, "param": TUNABLE[s.rule], "before": table.options[j][start.choice[j]],
                        "after": table.options[j][final.choice[j]]})
        if final.weights[j] != start.weights[j]:
            out.append({"standard": s.id, "param": "weight", "before": start.weights[j], "after": final.weights[j]})
    return out


def _mean(values: list[float]) -> float | None:
    return round(float(np.mean(values)), 4) if values else None


def _report(table: _Table, start: _Setting, final: _Setting, per_fold: list[dict], pooled_before: np.ndarray,
            pooled_after: np.ndarray, dimensions: list[str], source: str, rows: list[dict], items: list,
            seed: int, min_gain: float, min_reviews: int, min_support: int) -> dict[str, Any]:
    held_out: dict[str, Any] = {}
    has_y = ~np.isnan(table.y)
    if has_y.any():
        held_out["spearman"] = {
            "before": _mean([f["before"]["spearman"] for f in per_fold if "spearman" in f["before"]]),
            "after": _mean([f["after"]["spearman"] for f in per_fold if "spearman" in f["after"]]),
            "pooled_before": round(spearman(pooled_before[has_y], table.y[has_y]), 4),
            "pooled_after": round(spearman(pooled_after[has_y], table.y[has_y]), 4),
        }
    if table.labels:
        held_out["kappa"] = {sid: {when: _mean([f[when]["kappa"][sid]["kappa"] for f in per_fold
                                                if f[when]["kappa"][sid]["n"]]) for when in ("before", "after")}
                             for sid in table.labels}
    everything = np.arange(len(table.ids))
    usage = {s.id: {"evaluated": int(table.evaluated[j][start.choice[j]].sum()),
                    "broken_before": int(table.broken[j][start.choice[j]].sum()),
                    "broken_after": int(table.broken[j][final.choice[j]].sum())}
             for j, s in enumerate(table.standards)}
    return {
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(), "standards_source": source,
        "dimensions": dimensions,
        "reviews": {"given": len(rows), "used": len(items), "with_score": int(has_y.sum()),
                    "with_pass": {sid: int((~np.isnan(col)).sum()) for sid, col in table.labels.items()}},
        "cv": {"folds": len(per_fold), "seed": seed, "per_fold": per_fold},
        "agreement": {"held_out": held_out,
                      "in_sample_before": _agreement(table, start, everything),
                      "in_sample_after": _agreement(table, final, everything)},
        "changes": _changes(table, start, final), "standards": usage,
        "method": {"objective": "Spearman(QA score, reviewer score) + mean Cohen's kappa of pass/fail standards",
                   "search": "coordinate ascent over threshold grid and weight grid", "threshold_grid": list(GRID),
                   "weight_grid": list(WEIGHTS), "min_gain": min_gain, "min_reviews": min_reviews, "min_support": min_support},
    }
