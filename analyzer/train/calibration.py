"""Calibration and classification metrics, the same for every dimension.

ECE here is the top-label expected calibration error: bin the predicted class's probability into
``n_bins`` equal-width bins and average |accuracy - confidence| weighted by bin size.

Example:
    >>> import numpy as np
    >>> round(expected_calibration_error(["a", "b"], np.array([[0.9, 0.1], [0.2, 0.8]]), ["a", "b"]), 3)
    0.15
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def expected_calibration_error(y_true: Sequence[Any], proba: Any, classes: Sequence[Any], n_bins: int = 15) -> float:
    """Top-label ECE of ``proba`` (n x classes, columns in ``classes`` order) against ``y_true``."""
    proba = np.asarray(proba, dtype=float)
    if len(proba) == 0:
        return float("nan")
    classes = list(classes)
    pred = proba.argmax(axis=1)
    conf = proba.max(axis=1)
    truth = np.array([classes.index(y) if y in classes else -1 for y in y_true])
    correct = (pred == truth).astype(float)
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(ece)


def classification_metrics(y_true: Sequence[Any], proba: Any, classes: Sequence[Any],
                           positive: Any | None = None) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and ECE.

    Args:
        y_true: gold labels.
        proba: predicted probabilities, columns in ``classes`` order.
        classes: the class labels.
        positive: for a binary task, also report ``f1`` of this class.

    Returns:
        ``{"n", "accuracy", "macro_f1", "ece", "per_class": {class: {...}}, ["f1"]}``, floats rounded to 4 places.
    """
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    classes = list(classes)
    y_true = [str(y) for y in y_true]
    str_classes = [str(c) for c in classes]
    proba = np.asarray(proba, dtype=float)
    y_pred = [str_classes[i] for i in proba.argmax(axis=1)] if len(proba) else []
    present = sorted(set(y_true) | set(y_pred), key=lambda c: str_classes.index(c) if c in str_classes else 99)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=present, zero_division=0)
    out: dict[str, Any] = {
        "n": len(y_true),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4) if y_true else None,
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)), 4)
        if y_true else None,
        "ece": round(expected_calibration_error(y_true, proba, str_classes), 4),
        "per_class": {c: {"precision": round(float(pi), 4), "recall": round(float(ri), 4),
                          "f1": round(float(fi), 4), "support": int(si)}
                      for c, pi, ri, fi, si in zip(present, p, r, f, s)},
    }
    if positive is not None:
        out["f1"] = out["per_class"].get(str(positive), {}).get("f1", 0.0)
    return out


def reliability(y_true: Sequence[Any], proba: Any, classes: Sequence[Any], n_bins: int = 10) -> list[dict[str, float]]:
    """Per-bin ``{"lo", "hi", "n", "confidence", "accuracy"}`` for a reliability table."""
    proba = np.asarray(proba, dtype=float)
    classes = list(classes)
    conf = proba.max(axis=1)
    pred = proba.argmax(axis=1)
    truth = np.array([classes.index(y) if y in classes else -1 for y in y_true])
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    rows = []
    for b in range(n_bins):
        m = bins == b
        if m.any():
            rows.append({"lo": b / n_bins, "hi": (b + 1) / n_bins, "n": int(m.sum()),
                         "confidence": round(float(conf[m].mean()), 4),
                         "accuracy": round(float((pred[m] == truth[m]).mean()), 4)})
    return rows
