"""Measuring an ownership model: card-layout metrics, bootstrap intervals, evidence overlap and speed.

Every function takes predictions already made (out-of-fold or on the test split) and returns plain
dicts that go into ``meta.json``; nothing here fits or chooses anything.

Example:
    >>> import numpy as np
    >>> float(_macro_f1(np.array([0, 1, 1]), np.array([0, 1, 0]), 2))
    0.6666666666666666
"""

from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from ..scorers.ownership import CLASSES, TAGS, OwnershipScorer, decide
from .calibration import classification_metrics, expected_calibration_error
from .dataset import TextSet
from .ownership_data import LANGS


def _metrics(name: str, y: Sequence[str], proba: np.ndarray, classes: Sequence[str], *, language: str = "en",
             threshold: float | None = None, task: str = "owns / neutral / deflects", head: str = "ownership",
             translated: bool = False, anchor: dict | None = None, positive: Any = None) -> dict[str, Any]:
    """Card-layout metrics; with ``threshold`` the labels follow the deflection operating point."""
    classes = list(classes)
    if threshold is None:
        m = classification_metrics(y, proba, classes, positive=positive)
    else:
        labels = decide(proba, classes, threshold)
        onehot = np.array([[float(lab == c) for c in classes] for lab in labels]).reshape(len(labels), len(classes))
        m = classification_metrics(y, onehot, classes)
        m["ece"] = round(expected_calibration_error(y, proba, classes), 4)
    return {"name": name, "task": task, "head": head, "language": language, "translated": translated,
            "anchor": anchor, **m}


def tag_metrics(prefix: str, data: TextSet, rows: Sequence[int], proba: dict[str, np.ndarray],
                heads_classes: dict[str, list]) -> list[dict[str, Any]]:
    """One binary evaluation per tag (``f1`` = the tag's F1)."""
    out = []
    for t in TAGS:
        if f"tag:{t}" in proba:
            y = [data.extras[t][i] for i in rows]
            out.append(_metrics(f"{prefix}tag {t}", y, proba[f"tag:{t}"], heads_classes[f"tag:{t}"], task=f"tag {t}",
                                head=f"tag:{t}", positive=True))
    return out


def _same_items(data: TextSet, rows: Sequence[int]) -> dict[str, list[int]]:
    """Rows per language restricted to the items that have translations (the same items in every language)."""
    items = {data.extras["item"][i] for i in rows if data.languages[i] != "en"}
    out = {lang: [i for i in rows if data.languages[i] == lang and data.extras["item"][i] in items] for lang in LANGS}
    return {lang: idx for lang, idx in out.items() if idx}


def evaluation_set(data: TextSet, rows: Sequence[int], P: dict[str, np.ndarray], classes: dict[str, list],
                   threshold: float, prefix: str, anchor: dict | None) -> list[dict[str, Any]]:
    """English figures (argmax and operating point), the same-item language comparison and the tags."""
    rows = list(rows)
    pos = {i: k for k, i in enumerate(rows)}
    own = classes["ownership"]

    def sub(idx: list[int], name: str, lang: str, thr: float | None = None, anc: dict | None = None) -> dict:
        return _metrics(name, [data.labels[i] for i in idx], P["ownership"][[pos[i] for i in idx]], own,
                        language=lang, threshold=thr, translated=lang != "en", anchor=anc)

    en = [i for i in rows if data.languages[i] == "en"]
    out = [sub(en, f"{prefix}English, argmax", "en", None, anchor),
           sub(en, f"{prefix}English, deflects threshold {threshold:.3f}", "en", threshold, anchor)]
    same = _same_items(data, rows)
    out += [sub(idx, f"{prefix}translated items, {lang}, argmax", lang) for lang, idx in same.items()]
    out += [sub(idx, f"{prefix}translated items, {lang}, threshold", lang, threshold) for lang, idx in same.items()]
    out += tag_metrics(prefix + "English, ", data, en, {k: v[[pos[i] for i in en]] for k, v in P.items()}, classes)
    return out


def tag_f1_by_language(data: TextSet, rows: Sequence[int], P: dict[str, np.ndarray],
                       classes: dict[str, list]) -> dict[str, dict[str, float]]:
    """F1 of each tag (at P >= 0.5) per language on the translated items: ``{tag: {lang: F1, "positives": n}}``
    (``positives``: items with the tag, the same in every language)."""
    from sklearn.metrics import f1_score

    pos = {i: k for k, i in enumerate(rows)}
    out: dict[str, dict[str, float]] = {}
    for t in TAGS:
        if f"tag:{t}" not in P:
            continue
        j = list(classes[f"tag:{t}"]).index(True)
        same = _same_items(data, rows)
        out[t] = {"positives": sum(bool(data.extras[t][i]) for i in same.get("en", []))}
        if out[t]["positives"]:  # no positive item: F1 is undefined, the card shows a dash
            out[t] |= {lang: round(float(f1_score([bool(data.extras[t][i]) for i in idx],
                                                 [bool(P[f"tag:{t}"][pos[i], j] >= 0.5) for i in idx],
                                                 zero_division=0)), 4)
                       for lang, idx in same.items()}
    return out


def _macro_f1(y: np.ndarray, p: np.ndarray, k: int) -> np.ndarray:
    """Macro-F1 along the last axis of integer label arrays (vectorised over bootstrap samples)."""
    f = []
    for c in range(k):
        tp = ((p == c) & (y == c)).sum(-1)
        wrong = ((p == c) != (y == c)).sum(-1)
        f.append(np.where(tp > 0, 2 * tp / np.maximum(2 * tp + wrong, 1), 0.0))
    return np.mean(f, axis=0)


def bootstrap(data: TextSet, rows: Sequence[int], proba: np.ndarray, classes: Sequence[str], seed: int,
              n_boot: int = 1000) -> dict[str, list[float]]:
    """95 % bootstrap intervals (resampling items) of English macro-F1 and of each language's gap to
    English on the same items (argmax labels): ``{name: [point, low, high]}``."""
    rng = np.random.default_rng(seed)
    k = len(classes)
    y = np.array([list(classes).index(data.labels[i]) for i in rows])
    p = np.asarray(proba).argmax(1)
    lang = np.array([data.languages[i] for i in rows])
    item = np.array([data.extras["item"][i] for i in rows])

    def ci(values: np.ndarray, point: float) -> list[float]:
        return [round(float(point), 4)] + [round(float(q), 4) for q in np.percentile(values, [2.5, 97.5])]

    en = np.flatnonzero(lang == "en")
    idx = rng.integers(0, len(en), (n_boot, len(en)))
    out = {"English macro-F1": ci(_macro_f1(y[en][idx], p[en][idx], k), _macro_f1(y[en], p[en], k))}
    for code in LANGS[1:]:
        other = {it: j for j, it in zip(np.flatnonzero(lang == code), item[lang == code])}
        pairs = np.array([(j, other[it]) for j, it in zip(en, item[en]) if it in other])
        if len(pairs):
            a, b = pairs[:, 0], pairs[:, 1]
            idx = rng.integers(0, len(pairs), (n_boot, len(pairs)))
            gap = _macro_f1(y[a][idx], p[a][idx], k) - _macro_f1(y[b][idx], p[b][idx], k)
            out[f"gap en-{code} (same items)"] = ci(gap, _macro_f1(y[a], p[a], k) - _macro_f1(y[b], p[b], k))
    return out


def evidence_metrics(scorer: OwnershipScorer, data: TextSet, rows: Sequence[int]) -> dict[str, Any]:
    """How often the evidence lands on the annotators' ``evidence`` substring (English owns/deflects rows)."""
    from ..types import Turn

    rows = [i for i in rows if data.languages[i] == "en" and data.labels[i] != "neutral" and data.extras["evidence"][i]]
    if not rows:
        return {"n": 0}
    turns = [Turn(0, "agent", data.texts[i], language="en") for i in rows]
    scores = scorer.score(turns)
    hit = lex_hit = any_span = 0
    for i, s in zip(rows, scores):
        ev = data.extras["evidence"][i]
        a = data.texts[i].find(ev)
        b = a + len(ev)
        spans = [sp for sp in s.evidence if sp.label != "apology"]
        any_span += bool(spans)
        if spans and spans[0].start < b and a < spans[0].end:
            hit += 1
            lex_hit += spans[0].label not in CLASSES
    n = len(rows)
    return {"n": n, "first_span_overlaps_gold": round(hit / n, 4), "by_lexicon_marker": round(lex_hit / n, 4),
            "turns_with_span": round(any_span / n, 4)}


def measure_speed(scorer: OwnershipScorer, texts: Sequence[str], batch: int = 1000) -> dict[str, Any]:
    """Turns per CPU-second (process time) and per wall second, scoring fresh batches."""
    from ..types import Turn

    turns = [Turn(0, "agent", t) for t in texts]
    scorer.score([Turn(0, "agent", "Warm-up: we'll contact you. Please call the airport.")])  # lexicon load
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for k in range(0, len(turns), batch):
        scorer.score(turns[k:k + batch])
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"turns": len(turns), "batch_size": batch, "turns_per_cpu_second": round(len(turns) / max(cpu, 1e-9)),
            "turns_per_wall_second": round(len(turns) / max(wall, 1e-9)),
            "note": "one process, features and evidence included, language unset (guessed from script); "
                    "wall figure measured on a shared 2-core machine"}
