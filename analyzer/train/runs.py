"""The training run and the evaluation run of a dimension (what ``analyzer train/evaluate`` call).

Flow: load the spec's data -> fixed group splits (seeded) -> featurize once -> per head: tune ``C``
on dev, fit a calibrated head on train+dev -> evaluate every :class:`~.specs.Eval` on test ->
save the folder (model.joblib, meta.json, MODEL_CARD.md).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from .calibration import classification_metrics
from .card import TRANSLATION_NOTE, save_model_dir
from .data import DATASETS, default_data_dir
from .dataset import TextSet
from .fit import HashFeaturizer, fit_head, tune_C
from .specs import SPECS, Spec
from .splits import assign_splits, split_sizes, unit_hash

logger = logging.getLogger(__name__)

VERSION = "0.1.0"
QUICK_TRAIN_ROWS = 2500


def _spec(dimension: str) -> Spec:
    if dimension not in SPECS:
        from ..errors import ConfigError, Errors

        raise ConfigError(Errors.E040.format(kind="dimension", name=dimension, hint="", available=", ".join(SPECS)))
    return SPECS[dimension]


def evaluate_model(spec: Spec, model: dict[str, Any], data: TextSet, splits: list[str], X: Any = None) -> list[dict]:
    """Every test evaluation of ``spec`` for a fitted ``model`` (rows of ``data`` in split ``test``)."""
    if X is None:
        featurizer = model["featurizer"]
        if hasattr(featurizer, "join"):  # accurate tier: encode through the embedding cache
            from .accurate import accurate_features

            X = accurate_features(featurizer, data.texts)
        else:
            X = featurizer.transform(data.texts)
    out = []
    for ev in spec.evals:
        head = model["heads"][ev.head]
        labeler = ev.label or (lambda d, i: d.labels[i])
        rows = [i for i in range(len(data)) if splits[i] == "test" and ev.select(data, i) and labeler(data, i) is not None]
        if not rows:
            continue
        proba = head.predict_proba(X[rows])
        m = classification_metrics([labeler(data, i) for i in rows], proba, list(head.classes_), positive=ev.positive)
        out.append({"name": ev.name, "task": ev.task, "head": ev.head, "language": ev.language,
                    "translated": ev.translated, "anchor": ev.anchor, **m})
    return out


def _cross_domain(model_feat: Any, data: TextSet, splits: list[str], X: Any, seed: int) -> list[dict]:
    """Politeness only: train on one Stanford domain's train+dev, test on the other's test split."""
    out = []
    anchors = {("wikipedia", "stackexchange"): 0.6753, ("stackexchange", "wikipedia"): 0.7543}
    for src, dst in anchors:
        tr = [i for i in range(len(data)) if data.domains[i] == src and splits[i] != "test"]
        te = [i for i in range(len(data)) if data.domains[i] == dst and splits[i] == "test"]
        clf = fit_head(X[tr], [data.labels[i] for i in tr], C=0.3, groups=[data.groups[i] for i in tr], seed=seed)
        m = classification_metrics([data.labels[i] for i in te], clf.predict_proba(X[te]), list(clf.classes_))
        out.append({"name": f"cross-domain: train {src} -> test {dst}", "task": "binary top vs bottom quartile",
                    "head": "polite", "language": "en", "translated": False,
                    "anchor": {"metric": "accuracy", "value": anchors[(src, dst)], "source": "2013 linguistic SVM (unverified)"},
                    **m})
    return out


def run_training(dimension: str, data_dir: Path | str | None, out_dir: Path | str | None,
                 seed: int = 0, quick: bool = False, tier: str = "fast") -> dict[str, Any]:
    """Fit, evaluate and save ``dimension``; see :func:`analyzer.train.train`."""
    spec = _spec(dimension)
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    if out_dir is None:
        from ..scorers.base import model_path

        out_dir = model_path(dimension, tier=tier)
    t0 = time.perf_counter()
    data = spec.load(data_dir)
    splits = assign_splits(data.groups, seed=seed)
    if tier == "accurate":
        from .accurate import cap_rows

        keep = cap_rows(data, splits, seed, quick, dimension)
        data, splits = data.subset(keep), [splits[i] for i in keep]
    elif quick:  # a real but small run: a hashed subset of train/dev, the full test split
        frac = min(1.0, QUICK_TRAIN_ROWS / max(1, sum(s != "test" for s in splits)))
        keep = [i for i, (s, g) in enumerate(zip(splits, data.groups))
                if s == "test" or unit_hash(g, seed, salt="quick") < frac]
        data = data.subset(keep)
        splits = [splits[i] for i in keep]
    featurizer, X = _features(tier, data.texts)
    heads, tuning = {}, {}
    for head in spec.heads:
        rows = {s: [i for i in range(len(data)) if splits[i] == s and head.label(data, i) is not None
                    and head.train(data, i)] for s in ("train", "dev")}
        tune_dev = [i for i in rows["dev"] if head.tune(data, i)]
        y = {s: [head.label(data, i) for i in r] for s, r in rows.items()}
        w = {s: [head.weight(data, i) for i in r] for s, r in rows.items()}
        if quick or not tune_dev:
            C = head.grid[1]
        else:
            from sklearn.metrics import f1_score

            metric = (lambda t, p: f1_score(t, p, pos_label=head.positive, average="binary")) if head.positive else None
            C, scores = tune_C(X[rows["train"]], y["train"], X[tune_dev], [head.label(data, i) for i in tune_dev],
                               grid=head.grid, metric=metric, sample_weight=w["train"], seed=seed)
            tuning[head.name] = {"C": C, "dev_scores": {str(k): round(v, 4) for k, v in scores.items()}}
        fit_rows = rows["train"] + rows["dev"]
        heads[head.name] = fit_head(X[fit_rows], y["train"] + y["dev"], C=C,
                                    groups=[data.groups[i] for i in fit_rows], sample_weight=w["train"] + w["dev"],
                                    n_folds=3 if quick else 5, seed=seed)
        logger.info("%s/%s: C=%s on %d rows", dimension, head.name, C, len(fit_rows))
    model = {"featurizer": featurizer, "heads": heads, "dimension": dimension, "tier": tier}
    evaluations = evaluate_model(spec, model, data, splits, X)
    if dimension == "politeness" and not quick:
        evaluations += _cross_domain(featurizer, data, splits, X, seed)
    metrics = {"evaluations": evaluations, "tuning": tuning, "train_seconds": round(time.perf_counter() - t0, 1)}
    if tier == "accurate":
        from .accurate import fast_tier_on_same_rows

        metrics["fast_tier_evaluations"] = fast_tier_on_same_rows(spec, data, splits, Path(out_dir).parent)
    meta = build_meta(spec, data, splits, seed, quick, metrics, tier)
    save_model_dir(out_dir, model, meta)
    return metrics


def _features(tier: str, texts: list[str]) -> tuple[Any, Any]:
    """The tier's featurizer and the feature matrix of ``texts`` (the accurate tier encodes through a cache)."""
    if tier == "accurate":
        from ..encoders.featurizer import EncodedFeaturizer
        from .accurate import accurate_features

        featurizer = EncodedFeaturizer()
        return featurizer, accurate_features(featurizer, texts)
    featurizer = HashFeaturizer()
    return featurizer, featurizer.transform(texts)


DOMAIN_SOURCE = {
    "wikipedia": "stanford-politeness", "stackexchange": "stanford-politeness", "tydip": "tydip",
    "davidson": "davidson-hate-offensive", "convabuse": "convabuse", "translated": "translated-el-pl-hy",
    "epitome": "epitome-empathy", "airline": "twitter-us-airline-sentiment",
    "airline_distant": "twitter-us-airline-sentiment", "umsab": "umsab-multilingual-sentiment",
    "tweeteval": "tweeteval", "pl_mozetic": "native-el-pl-hy/pl_mozetic_twitter_sentiment",
    "el_skroutz": "native-el-pl-hy/el_skroutz_reviews", "pl_allegro": "native-el-pl-hy/pl_klej_allegro_reviews",
    "hy_semeval_mt": "native-el-pl-hy/hy_armeniannlp", "complaints": "complaints-twitter",
    "agent-replies": "inhouse-ownership", "agent-replies-mt": "translated-el-pl-hy",
}
"""Which shared data set each training domain comes from (for the card's rows-used column)."""


def data_entries(spec: Spec, rows_per_domain: dict[str, int]) -> list[dict[str, Any]]:
    """The card's data table: licence, flags and rows used (all splits) per data set of ``spec``."""
    out = []
    for name in spec.data:
        info = DATASETS.get(name, {})
        rows = sum(n for dom, n in rows_per_domain.items() if DOMAIN_SOURCE.get(dom) == name)
        out.append({"name": name, "path": f"../shared/data/{name}", "licence": info.get("licence", ""),
                    "non_commercial": info.get("non_commercial", False),
                    "machine_translated": info.get("machine_translated", False), "rows": rows,
                    "use": "train/dev/test (own split)"})
    return out


def generic_notes(spec: Spec, tier: str = "fast") -> list[str]:
    """The spec's notes plus the notes every card of ``tier`` carries."""
    if tier == "accurate":
        from .accurate import encoder_note

        return spec.notes + [f"† {TRANSLATION_NOTE}.", encoder_note(spec.name)]
    return spec.notes + [f"† {TRANSLATION_NOTE}.",
                         "Fast tier: hashed word 1-2-gram + character 2-5-gram features shared by all dimensions, "
                         "one calibrated linear SVM head (LinearSVC + CalibratedClassifierCV) per output. The "
                         "'accurate' tier (models/<name>/accurate/, tier='accurate') adds a multilingual sentence "
                         "embedding to these features."]


def refresh_card(dimension: str, model_dir: Path | str | None = None) -> dict[str, Any]:
    """Re-derive the data table and notes of a saved model from its spec (model file untouched)."""
    import json

    from ..scorers.base import model_path
    from .card import update_meta

    spec = _spec(dimension)
    path = Path(model_dir) if model_dir is not None else model_path(dimension)
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    return update_meta(path, data=data_entries(spec, meta["splits"].get("rows_per_domain", {})),
                       notes=generic_notes(spec, meta.get("tier", "fast")))


MIN_LANGUAGE_ROWS = 1000
"""Training rows a language other than en/el/pl/hy needs for a model to count it as trained."""


def trained_languages(data: TextSet, splits: list[str]) -> list[str]:
    """The product's four languages, then any other with at least :data:`MIN_LANGUAGE_ROWS` training
    rows (and so its own held-out rows): turns in those stay on this model instead of being routed
    to the multilingual one, and are not marked zero-shot.

    Example:
        >>> from analyzer.train.dataset import TextSet
        >>> n = 1001
        >>> data = TextSet(texts=["x"] * n, labels=["a"] * n, languages=["de"] * 1000 + ["ko"], domains=["d"] * n,
        ...                groups=[str(i) for i in range(n)])
        >>> trained_languages(data, ["train"] * n)
        ['en', 'el', 'pl', 'hy', 'de']
    """
    counts: dict[str, int] = {}
    for language, split in zip(data.languages, splits):
        if split == "train":
            counts[language] = counts.get(language, 0) + 1
    product = ["en", "el", "pl", "hy"]
    return product + sorted(lang for lang, n in counts.items() if lang not in product and n >= MIN_LANGUAGE_ROWS)


def build_meta(spec: Spec, data: TextSet, splits: list[str], seed: int, quick: bool, metrics: dict,
               tier: str = "fast") -> dict[str, Any]:
    """``meta.json`` content (before the checksum) for a trained spec."""
    rows_by_set: dict[str, int] = {}
    for d in data.domains:
        rows_by_set[d] = rows_by_set.get(d, 0) + 1
    sizes = split_sizes(splits, data.domains, data.languages)
    data_list = data_entries(spec, rows_by_set)
    return {
        "name": spec.name, "version": VERSION, "tier": tier, "quick": quick,
        "languages": trained_languages(data, splits), "labels": spec.labels, "seed": seed,
        "data": data_list,
        "splits": {"method": ("Fixed hash split by group id (sha256 of seed + group; 80/10/10 train/dev/test). "
                              "A group is the case-folded English text, so translations of one item and repeats "
                              "of one text across corpora share a split. C tuned on dev; final heads fit on "
                              "train+dev; test untouched by training and tuning."),
                   "train": sizes.get("train", 0), "dev": sizes.get("dev", 0), "test": sizes.get("test", 0),
                   "detail": {"rows per domain": sizes["by"][0], "rows per language": sizes["by"][1]},
                   "rows_per_domain": rows_by_set},
        "metrics": metrics,
        "notes": generic_notes(spec, tier),
        **({"encoder": _encoder_pin()} if tier == "accurate" else {}),
        "sections": {"Intended use": f"Per-turn {spec.name} score for contact-centre QA; value is a calibrated "
                                     "probability in [0, 1]. Not for decisions about individuals without human review."},
    }


def _encoder_pin() -> dict[str, Any]:
    from ..encoders.e5 import E5_PIN

    return dict(E5_PIN)


def run_evaluation(dimension: str, data_dir: Path | str | None, model_dir: Path | str | None) -> dict[str, Any]:
    """Re-measure a saved model on its seed's test split; see :func:`analyzer.train.evaluate`."""
    from ..scorers.base import load_model_dir, model_path

    spec = _spec(dimension)
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    path = Path(model_dir) if model_dir is not None else model_path(dimension)
    model, meta = load_model_dir(path, dimension)
    data = spec.load(data_dir)
    splits = assign_splits(data.groups, seed=int(meta.get("seed", 0)))
    keep = [i for i, s in enumerate(splits) if s == "test"]
    data = data.subset(keep)
    return {"evaluations": evaluate_model(spec, model, data, ["test"] * len(data))}


def summary(metrics: dict[str, Any]) -> dict[str, Any]:
    """``{evaluation name: {accuracy, macro_f1, f1, ece, n}}`` for logs and tests."""
    return {e["name"]: {k: e.get(k) for k in ("n", "accuracy", "macro_f1", "f1", "ece")}
            for e in metrics.get("evaluations", [])}


__all__ = ["run_training", "run_evaluation", "evaluate_model", "build_meta", "summary", "np"]
