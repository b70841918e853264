"""Training and evaluation of the ownership model (``analyzer train ownership`` / ``evaluate ownership``).

Data: ``inhouse-ownership`` (English agent replies: 800 double-labelled and adjudicated, 1,155
single-pass) plus ``translated-el-pl-hy`` ownership items (el/pl/hy translations of 500 of them,
labels kept). Split: the generic seeded hash split by group (group = the English text, so an item
and its translations always share a split), 80 % train / 20 % test, no dev: ``C`` is fixed and the
deflection threshold is chosen on cross-validated (out-of-fold) predictions of the train part.

Heads (one feature matrix: the shared hashed n-grams, plus lexicon counts when ``LEX_WEIGHT`` > 0,
see :mod:`analyzer.scorers.ownership`): ``ownership`` (owns / neutral / deflects, temperature-
calibrated) and ``tag:<tag>`` for each tag (sigmoid-calibrated, one-vs-rest). The card is rendered
from the metrics (:func:`sections` + :func:`analyzer.train.card.render_card`).

Example:
    >>> from analyzer.train.ownership import choose_threshold
    >>> t, p, r = choose_threshold([True, True, False, True], [0.9, 0.4, 0.5, 0.8], target=0.6)
    >>> (t, r)
    (0.8, 0.6667)
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..scorers.ownership import CLASSES, TAGS, LexiconCounts, OwnershipScorer, decide, featurize
from .calibration import classification_metrics, expected_calibration_error
from .dataset import TextSet, group_key
from .fit import HashFeaturizer
from .splits import assign_splits, group_cv, unit_hash

logger = logging.getLogger(__name__)

VERSION = "0.1.0"
FRACTIONS = (0.8, 0.0, 0.2)
C_OWNERSHIP, C_TAG = 0.5, 0.5
LEX_WEIGHT = 0.0  # lexicon-count features: 0 = left out (CV ablation in the card shows they do not help)
RECALL_TARGET = 0.85
N_FOLDS = 5
QUICK_ROWS = 700
LANGS = ("en", "el", "pl", "hy")


# ------------------------------------------------------------------------------------------ data
def _jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_ownership(data_dir: str | Path) -> TextSet:
    """English labelled replies plus their el/pl/hy translations, one row per (item, language).

    Domains: ``double`` (train.jsonl, adjudicated), ``single`` (train_single_pass.jsonl) and
    ``translated`` (el/pl/hy rows). Extras: ``item`` (source id), ``evidence`` (English rows only),
    and one boolean column per tag.
    """
    base = Path(data_dir)
    rows: dict[str, list[Any]] = {k: [] for k in ("text", "label", "lang", "domain", "group", "item", "evidence")}
    tags: dict[str, list[bool]] = {t: [] for t in TAGS}

    def add(text: str, label: str, lang: str, domain: str, en_text: str, item: str, evidence: str, tagv: dict) -> None:
        for key, v in zip(rows, (text, label, lang, domain, group_key(en_text), item, evidence)):
            rows[key].append(v)
        for t in TAGS:
            tags[t].append(bool(tagv[t]))

    for fname, domain in (("train.jsonl", "double"), ("train_single_pass.jsonl", "single")):
        for r in _jsonl(base / "inhouse-ownership" / fname):
            add(r["agent_text"], r["ownership"], "en", domain, r["agent_text"], r["id"], r.get("evidence", ""), r)
    path = base / "translated-el-pl-hy" / "train.jsonl"
    for it in (_jsonl(path) if path.is_file() else []):
        if it.get("task") == "ownership":
            for lang in LANGS[1:]:
                add(it[lang], it["label"], lang, "translated", it["en"], it["id"], "", it["tags"])
    return TextSet(rows["text"], rows["label"], rows["lang"], rows["domain"], rows["group"],
                   {"item": rows["item"], "evidence": rows["evidence"], **tags})


def ownership_splits(data: TextSet, seed: int = 0) -> list[str]:
    """``train``/``test`` per row (seeded, by group: translations share their item's split)."""
    return assign_splits(data.groups, seed=seed, fractions=FRACTIONS)


def pass_agreement(data_dir: str | Path) -> dict[str, Any]:
    """Agreement of the two independent annotation passes (the human ceiling), from ``pass_labels``."""
    from sklearn.metrics import cohen_kappa_score, f1_score

    out = {}
    for fname in ("train.jsonl", "train_single_pass.jsonl"):
        pairs = [r["pass_labels"] for r in _jsonl(Path(data_dir) / "inhouse-ownership" / fname)
                 if len(r.get("pass_labels") or []) == 2]
        a, b = [p[0] for p in pairs], [p[1] for p in pairs]
        out[fname] = {"n": len(pairs), "observed": round(float(np.mean([x == y for x, y in pairs])), 4),
                      "kappa": round(float(cohen_kappa_score(a, b)), 4),
                      "macro_f1": round(float(f1_score(a, b, average="macro")), 4)}
    return out


# ------------------------------------------------------------------------------------------ fitting
def fit_calibrated(X: Any, y: Sequence[Any], groups: Sequence[str], C: float, n_folds: int, seed: int) -> Any:
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
    return compact(CalibratedClassifierCV(base, method=method, cv=cv, ensemble=False).fit(X, y))


def fit_heads(X: Any, data: TextSet, rows: Sequence[int], seed: int, n_folds: int = N_FOLDS,
              tags: bool = True) -> dict[str, Any]:
    """The calibrated ``ownership`` head (and the tag heads) fit on ``rows`` of ``X``."""
    rows = list(rows)
    groups = [data.groups[i] for i in rows]
    heads = {"ownership": fit_calibrated(X[rows], [data.labels[i] for i in rows], groups, C_OWNERSHIP, n_folds, seed)}
    for t in TAGS if tags else ():
        heads[f"tag:{t}"] = fit_calibrated(X[rows], [data.extras[t][i] for i in rows], groups, C_TAG, n_folds, seed)
    return heads


def out_of_fold(X: Any, data: TextSet, rows: Sequence[int], seed: int, n_folds: int = N_FOLDS,
                calib_folds: int = 3, tags: bool = True) -> dict[str, np.ndarray]:
    """Out-of-fold calibrated probabilities for ``rows`` (group folds), ``{head: (len(rows), k)}``."""
    rows = np.asarray(rows)
    oof: dict[str, np.ndarray] = {}
    for tr, te in group_cv([data.groups[i] for i in rows], n_folds=n_folds, seed=seed + 1):
        heads = fit_heads(X, data, rows[tr], seed, calib_folds, tags)
        for name, head in heads.items():
            oof.setdefault(name, np.zeros((len(rows), len(head.classes_))))[te] = head.predict_proba(X[rows[te]])
    return oof


def lexicon_ablation(X: Any, data: TextSet, rows: Sequence[int], oof: np.ndarray, seed: int) -> dict[str, Any]:
    """CV macro-F1 (argmax) per language of the ownership head with and without lexicon-count features."""
    from sklearn.metrics import f1_score

    other = LexiconCounts(weight=1.0) if not LEX_WEIGHT else None
    X2, _ = featurize({"featurizer": None, "lexicon": other}, data.texts, data.languages,
                      hashed=X if other is not None else X[:, : X.shape[1] - len(LexiconCounts().categories)])
    oof2 = out_of_fold(X2, data, rows, seed, tags=False)["ownership"]
    classes = sorted(CLASSES)
    out: dict[str, Any] = {}
    for name, P in (("shipped", oof), ("with lexicon counts" if other is not None else "without lexicon counts", oof2)):
        out[name] = {lang: round(float(f1_score([data.labels[i] for i in rows if data.languages[i] == lang],
                                                [classes[j] for j, i in zip(P.argmax(1), rows) if data.languages[i] == lang],
                                                average="macro")), 4) for lang in LANGS}
    return out


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


# ------------------------------------------------------------------------------------------ metrics
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
    items = {data.extras["item"][i] for i in rows if data.languages[i] != "en"}
    for lang in LANGS:
        idx = [i for i in rows if data.languages[i] == lang and data.extras["item"][i] in items]
        if idx:
            out.append(sub(idx, f"{prefix}translated items, {lang}, argmax", lang))
    for lang in LANGS:
        idx = [i for i in rows if data.languages[i] == lang and data.extras["item"][i] in items]
        if idx:
            out.append(sub(idx, f"{prefix}translated items, {lang}, threshold", lang, threshold))
    out += tag_metrics(prefix + "English, ", data, en, {k: v[[pos[i] for i in en]] for k, v in P.items()}, classes)
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
    """Turns per CPU-second (process time, one thread) and per wall second, scoring fresh batches."""
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


# ------------------------------------------------------------------------------------------ entry points
def _model(seed: int) -> dict[str, Any]:
    return {"featurizer": HashFeaturizer(), "lexicon": LexiconCounts(weight=LEX_WEIGHT) if LEX_WEIGHT else None,
            "heads": {},
            "dimension": "ownership", "tier": "fast", "seed": seed}


def train_ownership(data_dir: Path, out_dir: Path, seed: int = 0, quick: bool = False) -> dict[str, Any]:
    """Fit the ownership model, measure it (cross-validation + held-out test) and save the folder.

    Args:
        data_dir: the shared data folder (holding ``inhouse-ownership/``).
        out_dir: the model folder to write (``model.joblib``, ``meta.json``, ``MODEL_CARD.md``).
        seed: split, fold and solver seed; the same seed gives the same model.
        quick: a small real run (a hashed subset of English train rows, no tag heads' CV, 3 folds).

    Returns:
        The metrics written to ``meta.json`` (``evaluations``, ``cv``, ``operating_point``, ...).
    """
    from .card import save_model_dir

    t0 = time.perf_counter()
    data_dir = Path(data_dir)
    data = load_ownership(data_dir)
    splits = ownership_splits(data, seed)
    if quick:
        keep = [i for i in range(len(data)) if splits[i] == "test" or (
            data.languages[i] == "en" and unit_hash(data.groups[i], seed, salt="quick") < QUICK_ROWS / len(data))]
        data, splits = data.subset(keep), [splits[i] for i in keep]
    model = _model(seed)
    X, _ = featurize(model, data.texts, data.languages)
    train = [i for i, s in enumerate(splits) if s == "train"]
    test = [i for i, s in enumerate(splits) if s == "test"]
    folds = 3 if quick else N_FOLDS
    oof = out_of_fold(X, data, train, seed, n_folds=folds, tags=not quick)
    oof_classes = {"ownership": sorted(CLASSES), **{f"tag:{t}": [False, True] for t in TAGS}}
    yd = [data.labels[i] == "deflects" for i in train]
    d = oof_classes["ownership"].index("deflects")
    threshold, cv_prec, cv_rec = choose_threshold(yd, oof["ownership"][:, d])
    ablation = {} if quick else lexicon_ablation(X, data, train, oof["ownership"], seed)
    model["heads"] = fit_heads(X, data, train, seed, folds, tags=True)
    classes = {k: list(h.classes_) for k, h in model["heads"].items()}
    agreement = pass_agreement(data_dir)
    ceiling = {"metric": "macro-F1", "value": agreement["train.jsonl"]["macro_f1"],
               "source": "pass vs pass, train.jsonl"}
    P_test = {k: h.predict_proba(X[test]) for k, h in model["heads"].items()}
    meta = {"thresholds": {"deflects": threshold}}
    scorer = OwnershipScorer(model, {**meta, "languages": list(LANGS)})
    metrics = {
        "evaluations": evaluation_set(data, test, P_test, classes, threshold, "test: ", ceiling),
        "cv": evaluation_set(data, train, oof, oof_classes, threshold, f"{folds}-fold CV: ", ceiling),
        "bootstrap": bootstrap(data, test, P_test["ownership"], classes["ownership"], seed),
        "operating_point": {"class": "deflects", "threshold": threshold, "recall_target": RECALL_TARGET,
                            "chosen_on": f"{folds}-fold out-of-fold predictions of the train split (all languages)",
                            "cv_precision": cv_prec, "cv_recall": cv_rec},
        "agreement": agreement,
        "lexicon_ablation": ablation,
        "evidence": {"test": evidence_metrics(scorer, data, test)},
        "speed": measure_speed(scorer, [data.texts[i] for i in test][: 200 if quick else None] * (1 if quick else 5)),
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    meta.update(build_meta(data, splits, seed, quick, metrics))
    save_model_dir(out_dir, model, meta)
    return metrics


def evaluate_ownership(data_dir: Path, model_dir: Path) -> dict[str, Any]:
    """Re-measure a saved ownership model on its seed's held-out test split.

    Returns:
        ``{"evaluations": [...], "evidence": {...}}`` in the layout of training's metrics.
    """
    from ..scorers.ownership import load

    scorer = load(model_dir)
    data = load_ownership(Path(data_dir))
    splits = ownership_splits(data, int(scorer.meta.get("seed", 0)))
    test = [i for i, s in enumerate(splits) if s == "test"]
    X, _ = featurize(scorer.model, [data.texts[i] for i in test], [data.languages[i] for i in test])
    data = data.subset(test)
    rows = list(range(len(data)))
    P = {k: h.predict_proba(X) for k, h in scorer.heads.items()}
    classes = {k: list(h.classes_) for k, h in scorer.heads.items()}
    ceiling = {"metric": "macro-F1", "value": pass_agreement(data_dir)["train.jsonl"]["macro_f1"],
               "source": "pass vs pass, train.jsonl"}
    return {"evaluations": evaluation_set(data, rows, P, classes, scorer.threshold or 1.0, "test: ", ceiling),
            "bootstrap": bootstrap(data, rows, P["ownership"], classes["ownership"], int(scorer.meta.get("seed", 0))),
            "evidence": {"test": evidence_metrics(scorer, data, rows)}}


def build_meta(data: TextSet, splits: list[str], seed: int, quick: bool, metrics: dict[str, Any]) -> dict[str, Any]:
    """``meta.json`` content (the card is rendered from it by :func:`analyzer.train.card.render_card`)."""
    from .card import TRANSLATION_NOTE
    from .splits import split_sizes

    sizes = split_sizes(splits, data.domains, data.languages)
    return {
        "name": "ownership", "version": VERSION, "tier": "fast", "quick": quick, "languages": list(LANGS),
        "labels": list(CLASSES), "tags": list(TAGS), "seed": seed,
        "data": [{"name": "inhouse-ownership", "path": "../shared/data/inhouse-ownership", "non_commercial": True,
                  "licence": "CC BY-NC-SA 4.0 (Kaggle TWCS via asappresearch/dialog-intent-induction)",
                  "rows": sum(lang == "en" for lang in data.languages), "use": "train (CV) / test, own split"},
                 {"name": "translated-el-pl-hy (ownership items)", "path": "../shared/data/translated-el-pl-hy",
                  "licence": "as the English source; translations made for this project", "non_commercial": True,
                  "machine_translated": True, "rows": sum(lang != "en" for lang in data.languages),
                  "use": "train (CV) / test, split with their English item"}],
        "splits": {"method": ("Seeded hash split by group (sha256 of seed + case-folded English text; 80/20 "
                              "train/test, no dev): an item and its el/pl/hy translations always share a split. "
                              "C fixed; deflection threshold chosen on out-of-fold predictions of train only."),
                   "train": sizes.get("train", 0), "test": sizes.get("test", 0),
                   "detail": {"rows per domain": sizes["by"][0], "rows per language": sizes["by"][1]}},
        "metrics": {"evaluations": metrics["evaluations"], "operating_point": metrics["operating_point"],
                    "bootstrap_95": metrics["bootstrap"]},
        "speed": metrics["speed"],
        "notes": [f"† {TRANSLATION_NOTE}.",
                  "Per-language test figures rest on about a hundred items per language (see n); their bootstrap "
                  "intervals (metrics.bootstrap_95) are wide, the cross-validated gaps are the steadier estimate.",
                  "Exploratory runs on the train split's cross-validation (not part of this script): self-training "
                  "with pseudo-labelled unlabelled agent turns from ../shared/data/conversations, stacking the tag "
                  "heads' predictions as features, other C values and row weights did not raise macro-F1 beyond "
                  "fold noise, so none is used.",
                  "Input is the agent reply alone (the scorer sees one turn); annotators also saw the customer "
                  "message, which bounds what a single-turn model can reach."],
        "sections": sections(metrics),
    }


# ------------------------------------------------------------------------------------------ card sections
def _row(e: dict[str, Any]) -> str:
    f = e.get("f1")
    d = (e.get("per_class") or {}).get("deflects", {})
    cells = [e["name"] + (" †" if e.get("translated") else ""), e["n"], e["accuracy"], e["macro_f1"],
             f if f is not None else d.get("recall"), d.get("precision") if f is None else None, e["ece"]]
    return "| " + " | ".join("—" if c is None else (f"{c:.3f}" if isinstance(c, float) else str(c)) for c in cells) + " |"


def _table(evals: list[dict[str, Any]]) -> str:
    head = ("| evaluation | n | accuracy | macro-F1 | deflects recall (tags: F1) | deflects precision | ECE |\n"
            "|---|---:|---:|---:|---:|---:|---:|")
    return "\n".join([head] + [_row(e) for e in evals])


def _gaps(evals: list[dict[str, Any]], kind: str) -> list[str]:
    by = {e["language"]: e["macro_f1"] for e in evals if "translated items" in e["name"] and e["name"].endswith(kind)}
    if "en" not in by:
        return []
    return [f"- {lang}: {by[lang]:.3f} vs English {by['en']:.3f} on the same items "
            f"(gap {100 * (by['en'] - by[lang]):+.1f} points, {kind})" for lang in LANGS[1:] if lang in by]


def sections(metrics: dict[str, Any]) -> dict[str, str]:
    """Card sections rendered from the training metrics (no figure is typed by hand)."""
    from .card import TRANSLATION_NOTE

    test, cv, op, agr = metrics["evaluations"], metrics["cv"], metrics["operating_point"], metrics["agreement"]
    ag = "\n".join(f"| {k} | {v['n']} | {v['observed']:.3f} | {v['kappa']:.3f} | {v['macro_f1']:.3f} |"
                    for k, v in agr.items())
    en_arg = next(e for e in test if e["name"].endswith("English, argmax"))
    en_thr = next(e for e in test if "English, deflects threshold" in e["name"])
    rec = en_thr["per_class"].get("deflects", {})
    gaps = [float(g.split("gap ")[1].split(" ")[0]) for g in _gaps(test, "argmax")]
    speed = metrics["speed"]["turns_per_cpu_second"]
    ev = metrics["evidence"]["test"]
    bs = metrics.get("bootstrap") or {}
    ci = bs.get("English macro-F1", [0, 0, 0])
    targets = [f"- macro-F1 >= 0.80 on held-out English labels: {en_arg['macro_f1']:.3f} (argmax; 95 % bootstrap "
               f"interval {ci[1]:.3f}-{ci[2]:.3f}), "
               f"{en_thr['macro_f1']:.3f} at the deflection threshold -> "
               f"{'met' if en_arg['macro_f1'] >= 0.8 else 'NOT met'} (inter-pass macro-F1 "
               f"{agr['train.jsonl']['macro_f1']:.3f} / {agr['train_single_pass.jsonl']['macro_f1']:.3f})",
               f"- deflects recall >= 0.85 on test at threshold {op['threshold']:.3f}: recall {rec.get('recall', 0):.3f}, "
               f"precision {rec.get('precision', 0):.3f} -> {'met' if rec.get('recall', 0) >= 0.85 else 'NOT met'}",
               f"- el/pl/hy within 5 points of English (argmax, same test items): largest gap "
               f"{max(gaps) if gaps else float('nan'):+.1f} points -> "
               f"{'met' if gaps and max(gaps) <= 5 else 'NOT met'} (†)",
               f"- >= 5,000 turns/s/core: {speed} turns per CPU-second -> {'met' if speed >= 5000 else 'NOT met'}"]
    return {
        "Intended use": ("Per-turn ownership score of agent replies for contact-centre QA: value = 1 - P(deflects), "
                         "a calibrated probability. Not for decisions about individual agents without human review."),
        "How the labels were made": (
            "Real agent replies from public customer-support threads on Twitter (mostly airlines). Each reply was "
            "labelled in two independent passes by language-model annotators instructed as expert QA reviewers "
            "following the in-house GUIDELINE.md, disagreements settled by a third, adjudicating read "
            "(`train.jsonl`); a second round was labelled once (`train_single_pass.jsonl`). These are NOT "
            "native-speaker, crowd or labelling-firm labels. Agreement of the two independent passes (ownership, "
            "3 classes), the human ceiling to compare with:\n\n| file | n | observed | Cohen's kappa | macro-F1 |\n"
            "|---|---:|---:|---:|---:|\n" + ag),
        "Targets": "\n".join(targets),
        "Cross-validated results (train split)": (
            f"Out-of-fold predictions of {op['chosen_on'].split(' out-of-fold')[0]} group cross-validation over the "
            "train split (translations stay in their item's fold). † " + TRANSLATION_NOTE + ".\n\n" + _table(cv)),
        "Deflection operating point": (
            f"`label` is `deflects` when P(deflects) >= {op['threshold']:.4f} (meta.json `thresholds.deflects`), "
            f"chosen as the highest threshold reaching recall {op['recall_target']} on {op['chosen_on']}: "
            f"CV recall {op['cv_recall']:.3f} at precision {op['cv_precision']:.3f}. On the held-out English test: "
            f"recall {rec.get('recall', 0):.3f} at precision {rec.get('precision', 0):.3f}."),
        "Languages (same items)": ("† " + TRANSLATION_NOTE + ". Test:\n" + "\n".join(_gaps(test, "argmax") +
                                   _gaps(test, "threshold")) + "\n\nTest gaps with 95 % bootstrap intervals "
                                   "(resampling items, argmax, points):\n" + "\n".join(
                                       f"- {k}: {100 * v[0]:+.1f} ({100 * v[1]:+.1f} to {100 * v[2]:+.1f})"
                                       for k, v in bs.items() if k.startswith("gap")) + "\n\nCross-validation:\n" +
                                   "\n".join(_gaps(cv, "argmax") + _gaps(cv, "threshold"))),
        "Lexicon-count features (CV ablation)": (
            f"Marker counts from `analyzer.lexicon.match` as extra features (weight {LEX_WEIGHT}; 0 = not used). "
            "Out-of-fold macro-F1 (argmax) per language, same folds:\n\n| variant | " + " | ".join(LANGS) +
            " |\n|---|" + "---:|" * len(LANGS) + "\n" +
            "\n".join(f"| {k} | " + " | ".join(f"{v[lang]:.3f}" for lang in LANGS) + " |"
                      for k, v in (metrics.get("lexicon_ablation") or {}).items())),
        "Evidence spans": (
            f"On {ev.get('n', 0)} held-out English owns/deflects replies with an annotated evidence substring, the "
            f"first evidence span overlaps it in {ev.get('first_span_overlaps_gold', 0):.3f} of cases "
            f"({ev.get('by_lexicon_marker', 0):.3f} via a lexicon marker, the rest via the best-rated clause); "
            f"{ev.get('turns_with_span', 0):.3f} of them get a span at all."),
    }
