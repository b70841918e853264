"""What the accurate tier changes in a training run: embeddings from a cache, fewer rows for the large corpora.

Encoding runs at ~27 texts/s on this machine, so the dimensions with large corpora (sentiment,
complaint) train the accurate tier on at most :data:`TRAIN_CAPS` train+dev rows per domain and test
it on at most :data:`TEST_CAPS` test rows per domain (both chosen by a seeded hash, so the choice is
fixed); the others use every row. Its test rows are a subset of the
fast tier's test split, and the run also scores them with the shipped fast model, so the card
compares the two tiers on the very same rows (a quick run compares on its own cut rows; the
ownership card reads the fast tier's figures from its ``meta.json``, same split and seed).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from .dataset import TextSet
from .splits import unit_hash

logger = logging.getLogger(__name__)

TRAIN_CAPS = {"sentiment": 400, "complaint": 400}
"""Train+dev rows kept per domain for the accurate tier (dimensions not listed keep all)."""
TEST_CAPS = {"sentiment": 150, "complaint": 150}
"""Test rows kept per domain for the accurate tier (dimensions not listed keep all)."""
QUICK_CAP = 250
"""Train+dev rows per domain in a quick (test) run; its test split is cut to :data:`QUICK_TEST_CAP` rows per domain."""
QUICK_TEST_CAP = 100


def cap_rows(data: TextSet, splits: list[str], seed: int, quick: bool, dimension: str = "") -> list[int]:
    """Indices kept: per domain, the first ``TRAIN_CAPS[dimension]`` train+dev and ``TEST_CAPS[dimension]``
    test rows by seeded hash (a quick run keeps ``QUICK_CAP`` train+dev and ``QUICK_TEST_CAP`` test rows per domain)."""
    by_key: dict[tuple[str, str], list[int]] = {}
    for i, (dom, s) in enumerate(zip(data.domains, splits)):
        by_key.setdefault((dom, "test" if s == "test" else "train+dev"), []).append(i)
    caps = {"test": QUICK_TEST_CAP if quick else TEST_CAPS.get(dimension),
            "train+dev": QUICK_CAP if quick else TRAIN_CAPS.get(dimension)}
    keep: list[int] = []
    for (dom, part), rows in by_key.items():
        rows.sort(key=lambda i: unit_hash(data.groups[i], seed, salt="accurate"))
        keep += rows[:caps[part]]
    return sorted(keep)


def _progress(done: int, total: int) -> None:
    print(f"\rencoding {done}/{total} texts", end="\n" if done == total else "", file=sys.stderr, flush=True)


def accurate_features(featurizer: Any, texts: list[str]) -> Any:
    """The accurate featurizer's matrix for ``texts``, encoding through the on-disk embedding cache."""
    from ..encoders.cache import EmbeddingCache, default_cache_dir
    from ..encoders.e5 import E5_PIN, MAX_CHARS, get_encoder

    encoder = get_encoder()
    cache = EmbeddingCache(default_cache_dir() / E5_PIN["sha256"][:16], dim=encoder.dim)
    cut = [t[:MAX_CHARS] for t in texts]
    embeddings = cache.encode(cut, encoder.encode, progress=_progress)
    return featurizer.join(texts, embeddings)


def encoder_note(dimension: str) -> str:
    """The card's line about the encoder: what, where its weights come from, licence, checksum, rows used."""
    from ..encoders.e5 import E5_PIN

    return (f"Accurate tier: the fast tier's hashed n-grams joined to a frozen sentence embedding from "
            f"{E5_PIN['model']} (4-bit weights shipped inside the registry package {E5_PIN['package']}=="
            f"{E5_PIN['package_version']}, file {E5_PIN['weights']}, sha256 {E5_PIN['sha256'][:16]}..., verified at "
            f"load; licence {E5_PIN['licence']}), one calibrated linear SVM head per output. The encoder is not "
            f"fine-tuned: fine-tuning on this 2-core CPU machine did not fit the time available. "
            + (f"Trained on at most {TRAIN_CAPS[dimension]} train+dev rows per domain and tested on at most "
               f"{TEST_CAPS[dimension]} test rows per domain (seeded hash choice, a subset of the fast tier's test "
               f"split), to bound encoding time; " if dimension in TRAIN_CAPS else
               "Trained and tested on the same rows as the fast tier; ")
            + "the shipped fast tier is scored on the same test rows for comparison.")


def fast_tier_on_same_rows(spec: Any, data: TextSet, splits: list[str], fast_dir: Any) -> list[dict]:
    """The shipped fast model's evaluations on the accurate run's test rows (empty when none is shipped)."""
    from pathlib import Path

    from ..scorers.base import load_model_dir
    from .runs import evaluate_model

    fast_dir = Path(fast_dir)
    if not (fast_dir / "meta.json").is_file():
        return []
    model, _ = load_model_dir(fast_dir, spec.name)
    return evaluate_model(spec, model, data, splits)
