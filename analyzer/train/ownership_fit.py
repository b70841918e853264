"""Fitting the ownership heads and every choice made on cross-validation of the train split.

Heads (one feature matrix: the shared hashed n-grams, plus lexicon counts when ``LEX_WEIGHT`` > 0):
``ownership`` (owns / neutral / deflects, temperature-calibrated) and ``tag:<tag>`` for each tag
(sigmoid-calibrated, one-vs-rest). ``C`` and the weight of translated rows are chosen by a small
grid on out-of-fold macro-F1 (:func:`choose_settings`); the deflection threshold on out-of-fold
English predictions (:func:`choose_threshold`). The test split is never read here.

Example:
    >>> t, p, r = choose_threshold([True, True, False, True], [0.9, 0.4, 0.5, 0.8], target=0.6)
    >>> (t, r)
    (0.8, 0.6667)
"""

from __future__ import annotations

import logging
from typing import Any, Sequence

import numpy as np

from ..scorers.ownership import CLASSES, TAGS, LexiconCounts, featurize
from .dataset import TextSet
from .ownership_data import LANGS
from .splits import group_cv

logger = logging.getLogger(__name__)

C_GRID = (0.25, 0.5, 1.0)
TRANSLATED_WEIGHTS = (0.5, 1.0)
"""Grid of the ownership head's ``C`` and of the weight of el/pl/hy rows (English rows weigh 1)."""
DEFAULTS = {"C": 0.5, "translated_weight": 1.0}
"""Settings of a quick run (no grid) and the tie-break preference."""
C_TAG = 0.5
LEX_WEIGHT = 0.0  # lexicon-count features: 0 = left out (the CV ablation in the card shows they do not help)
RECALL_TARGET = 0.85
N_FOLDS = 5


def row_weights(data: TextSet, rows: Sequence[int], translated_weight: float) -> np.ndarray:
    """Sample weight per row: ``translated_weight`` for machine-translated rows, 1 otherwise."""
    return np.array([translated_weight if data.domains[i] == "translated" else 1.0 for i in rows])


def fit_calibrated(X: Any, y: Sequence[Any], groups: Sequence[str], C: float, n_folds: int, seed: int,
                   sample_weight: np.ndarray | None = None) -> Any:
    """One calibrated linear head: ``LinearSVC`` (liblinear dual, about 50x faster to fit than lbfgs
    logistic regression on these 260k hashed columns) calibrated on group folds, ``ensemble=False``
    (one linear model + one calibrator), temperature scaling for 3 classes, sigmoid for 2."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    from .fit import compact

    y = np.asarray(y)
    method = "sigmoid" if len(np.unique(y)) == 2 else "temperature"
    cv = group_cv(list(groups), n_folds=n_folds, seed=seed)
    base = LinearSVC(C=C, class_weight="balanced", random_state=seed, max_iter=5000)
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    return compact(CalibratedClassifierCV(base, method=method, cv=cv, ensemble=False).fit(X, y, **kwargs))


def fit_heads(X: Any, data: TextSet, rows: Sequence[int], seed: int, n_folds: int = N_FOLDS,
              tags: bool = True, settings: dict[str, float] | None = None) -> dict[str, Any]:
    """The calibrated ``ownership`` head (and the tag heads) fit on ``rows`` of ``X``.

    The translated-row weight in ``settings`` is chosen on the ownership head's cross-validation
    and applied to the tag heads as well (they are not scored on that grid)."""
    settings = settings or DEFAULTS
    rows = list(rows)
    groups = [data.groups[i] for i in rows]
    w = row_weights(data, rows, settings["translated_weight"])
    heads = {"ownership": fit_calibrated(X[rows], [data.labels[i] for i in rows], groups, settings["C"], n_folds,
                                         seed, w)}
    for t in TAGS if tags else ():
        heads[f"tag:{t}"] = fit_calibrated(X[rows], [data.extras[t][i] for i in rows], groups, C_TAG, n_folds, seed, w)
    return heads


def out_of_fold(X: Any, data: TextSet, rows: Sequence[int], seed: int, n_folds: int = N_FOLDS,
                calib_folds: int = 3, tags: bool = True, settings: dict[str, float] | None = None
                ) -> dict[str, np.ndarray]:
    """Out-of-fold calibrated probabilities for ``rows`` (group folds), ``{head: (len(rows), k)}``."""
    rows = np.asarray(rows)
    oof: dict[str, np.ndarray] = {}
    for tr, te in group_cv([data.groups[i] for i in rows], n_folds=n_folds, seed=seed + 1):
        heads = fit_heads(X, data, rows[tr], seed, calib_folds, tags, settings)
        for name, head in heads.items():
            oof.setdefault(name, np.zeros((len(rows), len(head.classes_))))[te] = head.predict_proba(X[rows[te]])
    return oof


def per_language_f1(data: TextSet, rows: Sequence[int], predicted: Sequence[str]) -> dict[str, float]:
    """Macro-F1 of ``predicted`` (one label per row of ``rows``) in each language."""
    from sklearn.metrics import f1_score

    out = {}
    for lang in LANGS:
        idx = [k for k, i in enumerate(rows) if data.languages[i] == lang]
        if idx:
            out[lang] = round(float(f1_score([data.labels[rows[k]] for k in idx], [predicted[k] for k in idx],
                                             average="macro")), 4)
    return out


def choose_settings(X: Any, data: TextSet, rows: Sequence[int], seed: int, n_folds: int = N_FOLDS
                    ) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """``C`` x translated-row weight by out-of-fold macro-F1 of the ownership head (uncalibrated argmax).

    The score is the mean of the four languages' macro-F1, so English accuracy and the translated
    languages' gap both count; ties go to :data:`DEFAULTS`. Returns ``(best, table)``.
    """
    from sklearn.svm import LinearSVC

    rows = np.asarray(rows)
    y = np.array([data.labels[i] for i in rows])
    folds = group_cv([data.groups[i] for i in rows], n_folds=n_folds, seed=seed + 1)
    table = []
    for C in C_GRID:
        for tw in TRANSLATED_WEIGHTS:
            w = row_weights(data, rows, tw)
            pred = np.empty(len(rows), dtype=object)
            for tr, te in folds:
                clf = LinearSVC(C=C, class_weight="balanced", random_state=seed, max_iter=5000)
                pred[te] = clf.fit(X[rows[tr]], y[tr], sample_weight=w[tr]).predict(X[rows[te]])
            f1 = per_language_f1(data, list(rows), list(pred))
            table.append({"C": C, "translated_weight": tw, **f1, "score": round(float(np.mean(list(f1.values()))), 4)})
            logger.info("ownership CV %s", table[-1])
    best = max(table, key=lambda r: (r["score"], r["C"] == DEFAULTS["C"], r["translated_weight"] == 1.0))
    return {"C": best["C"], "translated_weight": best["translated_weight"]}, table


def lexicon_ablation(X: Any, data: TextSet, rows: Sequence[int], oof: np.ndarray, seed: int,
                     settings: dict[str, float] | None = None) -> dict[str, Any]:
    """CV macro-F1 (argmax) per language of the ownership head with and without lexicon-count features."""
    other = LexiconCounts(weight=1.0) if not LEX_WEIGHT else None
    X2, _ = featurize({"featurizer": None, "lexicon": other}, data.texts, data.languages,
                      hashed=X if other is not None else X[:, : X.shape[1] - len(LexiconCounts().categories)])
    oof2 = out_of_fold(X2, data, rows, seed, tags=False, settings=settings)["ownership"]
    classes = sorted(CLASSES)
    name = "with lexicon counts" if other is not None else "without lexicon counts"
    return {k: per_language_f1(data, list(rows), [classes[j] for j in P.argmax(1)])
            for k, P in (("shipped", oof), (name, oof2))}


def choose_threshold(is_deflect: Sequence[bool], p_deflect: Sequence[float],
                     target: float = RECALL_TARGET) -> tuple[float, float, float]:
    """The highest threshold on P(deflects) whose recall reaches ``target``.

    Returns:
        ``(threshold, precision, recall)`` on the given predictions (rounded to 4 places).
    """
    y = np.asarray(is_deflect, dtype=bool)
    p = np.asarray(p_deflect, dtype=float)
    for t in sorted(set(np.round(p[y], 4)), reverse=True):
        pred = p >= t
        recall = (pred & y).sum() / max(1, y.sum())
        if recall >= target:
            return float(t), round(float((pred & y).sum() / max(1, pred.sum())), 4), round(float(recall), 4)
    return 0.0, round(float(y.mean()), 4), 1.0
