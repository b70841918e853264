"""Training and evaluation of the ownership model (``analyzer train ownership`` / ``evaluate ownership``).

The run: load the labelled replies and their translations (:mod:`.ownership_data`), choose ``C``
and the translated-row weight on cross-validation of the train split, fit the heads and pick the
deflection threshold on out-of-fold English predictions (:mod:`.ownership_fit`), measure on the
held-out test split (:mod:`.ownership_eval`) and write the model folder with its card
(:mod:`.ownership_card`). Tiers: ``fast`` (the shared hashed n-grams) and ``accurate`` (the same
n-grams joined to a multilingual sentence embedding, :mod:`analyzer.encoders`).

Example:
    >>> from analyzer.train.ownership import choose_threshold
    >>> choose_threshold([True, False], [0.7, 0.2], target=0.5)[0]
    0.7
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from ..scorers.ownership import CLASSES, TAGS, LexiconCounts, OwnershipScorer, featurize
from .fit import HashFeaturizer
from .ownership_card import build_meta, tier_comparison
from .ownership_data import LANGS, load_ownership, ownership_splits, pass_agreement, quick_rows
from .ownership_eval import bootstrap, evaluation_set, evidence_metrics, measure_speed, tag_f1_by_language
from .ownership_fit import (DEFAULTS, LEX_WEIGHT, N_FOLDS, RECALL_TARGET, choose_settings, choose_threshold, fit_heads,
                            lexicon_ablation, out_of_fold)

__all__ = ["train_ownership", "evaluate_ownership", "load_ownership", "ownership_splits", "choose_threshold"]

logger = logging.getLogger(__name__)

ALTERNATIVE_TARGETS = (0.875, 0.9)
"""Stricter deflection recall targets whose thresholds the card lists beside the chosen one."""


def _model(seed: int, tier: str) -> dict[str, Any]:
    if tier == "accurate":
        from ..encoders.featurizer import EncodedFeaturizer

        featurizer: Any = EncodedFeaturizer()
    else:
        featurizer = HashFeaturizer()
    return {"featurizer": featurizer, "lexicon": LexiconCounts(weight=LEX_WEIGHT) if LEX_WEIGHT else None,
            "heads": {}, "dimension": "ownership", "tier": tier, "seed": seed}


def _features(model: dict[str, Any], texts: list[str], languages: list[str]) -> Any:
    """The model's feature matrix; the accurate tier encodes through the on-disk embedding cache."""
    hashed = None
    if model["tier"] == "accurate":
        from .accurate import accurate_features

        hashed = accurate_features(model["featurizer"], texts)
    return featurize(model, texts, languages, hashed=hashed)[0]


def _ceiling(agreement: dict[str, Any]) -> dict[str, Any]:
    return {"metric": "macro-F1", "value": agreement["train.jsonl"]["macro_f1"], "source": "pass vs pass, train.jsonl"}


def operating_point(data: Any, train: list[int], oof: Any, folds: int) -> dict[str, Any]:
    """The deflection threshold from out-of-fold English predictions, plus stricter alternatives."""
    d = sorted(CLASSES).index("deflects")
    en = [k for k, i in enumerate(train) if data.languages[i] == "en"]
    yd = [data.labels[train[k]] == "deflects" for k in en]
    points = []
    for target in (RECALL_TARGET,) + ALTERNATIVE_TARGETS:
        t, p, r = choose_threshold(yd, oof[en, d], target)
        points.append({"recall_target": target, "threshold": t, "cv_precision": p, "cv_recall": r})
    return {"class": "deflects", **points[0], "alternatives": points[1:],
            "chosen_on": f"{folds}-fold out-of-fold predictions of the train split (English rows)"}


def train_ownership(data_dir: Path, out_dir: Path, seed: int = 0, quick: bool = False,
                    tier: str = "fast") -> dict[str, Any]:
    """Fit the ownership model, measure it (cross-validation + held-out test) and save the folder.

    Args:
        data_dir: the shared data folder (holding ``inhouse-ownership/``).
        out_dir: the model folder to write (``model.joblib``, ``meta.json``, ``MODEL_CARD.md``).
        seed: split, fold and solver seed; the same seed gives the same model.
        quick: a small real run (a hashed subset of English train rows, default settings, 3 folds).
        tier: ``"fast"`` or ``"accurate"`` (needs the pinned encoder, :mod:`analyzer.encoders`).

    Returns:
        The metrics written to ``meta.json`` (``evaluations``, ``cv``, ``operating_point``, ...).
    """
    from .card import save_model_dir

    t0 = time.perf_counter()
    data_dir = Path(data_dir)
    data = load_ownership(data_dir)
    splits = ownership_splits(data, seed)
    if quick:
        keep = quick_rows(data, splits, seed)
        data, splits = data.subset(keep), [splits[i] for i in keep]
    model = _model(seed, tier)
    X = _features(model, data.texts, data.languages)
    train = [i for i, s in enumerate(splits) if s == "train"]
    test = [i for i, s in enumerate(splits) if s == "test"]
    folds = 3 if quick else N_FOLDS
    settings, grid = (dict(DEFAULTS), []) if quick else choose_settings(X, data, train, seed, folds)
    oof = out_of_fold(X, data, train, seed, n_folds=folds, tags=not quick, settings=settings)
    oof_classes = {"ownership": sorted(CLASSES), **{f"tag:{t}": [False, True] for t in TAGS}}
    op = operating_point(data, train, oof["ownership"], folds)
    ablation = {} if quick or tier != "fast" else lexicon_ablation(X, data, train, oof["ownership"], seed, settings)
    model["heads"] = fit_heads(X, data, train, seed, folds, tags=True, settings=settings)
    classes = {k: list(h.classes_) for k, h in model["heads"].items()}
    agreement = pass_agreement(data_dir)
    P_test = {k: h.predict_proba(X[test]) for k, h in model["heads"].items()}
    meta = {"thresholds": {"deflects": op["threshold"]}}
    scorer = OwnershipScorer(model, {**meta, "languages": list(LANGS)})
    speed_texts = [data.texts[i] for i in test]
    speed_texts = speed_texts[:200] if quick or tier != "fast" else speed_texts * 5
    metrics = {
        "evaluations": evaluation_set(data, test, P_test, classes, op["threshold"], "test: ", _ceiling(agreement)),
        "cv": evaluation_set(data, train, oof, oof_classes, op["threshold"], f"{folds}-fold CV: ", _ceiling(agreement)),
        "bootstrap": bootstrap(data, test, P_test["ownership"], classes["ownership"], seed),
        "tags_by_language": tag_f1_by_language(data, test, P_test, classes),
        "operating_point": op, "settings": settings, "settings_grid": grid,
        "settings_on": f"{folds}-fold group cross-validation", "agreement": agreement, "lexicon_ablation": ablation,
        "evidence": {"test": evidence_metrics(scorer, data, test)},
        "speed": measure_speed(scorer, speed_texts),
        "train_seconds": round(time.perf_counter() - t0, 1), "tier": tier,
    }
    notes = []
    if tier == "accurate":
        from .accurate import encoder_note

        notes.append(encoder_note("ownership"))
    meta.update(build_meta(data, splits, seed, quick, metrics, tier, notes))
    fast_meta = Path(out_dir).parent / "meta.json"
    if tier == "accurate" and fast_meta.is_file():  # models/ownership/accurate beside models/ownership
        meta["sections"]["Compared with the fast tier"] = tier_comparison(json.loads(fast_meta.read_text()), meta)
    save_model_dir(out_dir, model, meta)
    return metrics


def evaluate_ownership(data_dir: Path, model_dir: Path) -> dict[str, Any]:
    """Re-measure a saved ownership model on its seed's held-out test split.

    Returns:
        ``{"evaluations": [...], "evidence": {...}}`` in the layout of training's metrics.
    """
    from ..scorers.ownership import load

    scorer = load(model_dir)
    model = scorer.model
    seed = int(scorer.meta.get("seed", 0))
    data = load_ownership(Path(data_dir))
    splits = ownership_splits(data, seed)
    data = data.subset([i for i, s in enumerate(splits) if s == "test"])
    X = _features({**model, "tier": model.get("tier", "fast")}, data.texts, data.languages)
    rows = list(range(len(data)))
    P = {k: h.predict_proba(X) for k, h in scorer.heads.items()}
    classes = {k: list(h.classes_) for k, h in scorer.heads.items()}
    return {"evaluations": evaluation_set(data, rows, P, classes, scorer.threshold or 1.0, "test: ",
                                          _ceiling(pass_agreement(data_dir))),
            "bootstrap": bootstrap(data, rows, P["ownership"], classes["ownership"], seed),
            "evidence": {"test": evidence_metrics(scorer, data, rows)}}
