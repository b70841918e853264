"""Training and evaluation of the fast-tier scoring models.

``train(dimension, data_dir, out_dir, seed=0, quick=False)`` fits, evaluates on the held-out test
split and writes ``model.joblib`` + ``meta.json`` + ``MODEL_CARD.md``; ``evaluate(dimension,
data_dir, model_dir)`` re-measures a saved model on the same test split. Generic pieces, reusable
by any dimension: :mod:`.dataset` (TextSet), :mod:`.splits`, :mod:`.fit`, :mod:`.calibration`,
:mod:`.card`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["train", "evaluate", "DIMENSIONS"]

DIMENSIONS = ("politeness", "empathy", "sentiment", "complaint", "ownership")
_DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
_MODELS = Path(__file__).resolve().parents[2] / "models"


def train(dimension: str, data_dir: Path | str | None = None, out_dir: Path | str | None = None,
          seed: int = 0, quick: bool = False, tier: str = "fast") -> dict[str, Any]:
    """Fit ``dimension``'s model of ``tier``, evaluate it on its test split and save it.

    Args:
        dimension: one of ``DIMENSIONS``.
        data_dir: the shared data folder (default ``../shared/data``).
        out_dir: where to write the model folder (default ``models/<dimension>``).
        seed: split and solver seed; the same seed gives the same model.
        quick: a small real run on a subset (for tests), minutes -> seconds.
        tier: ``"fast"`` (hashed n-grams) or ``"accurate"`` (n-grams + multilingual sentence embedding,
            default folder ``models/<dimension>/accurate``).

    Returns:
        The metrics dict (as written to ``meta.json``).
    """
    if dimension == "ownership":  # its own data (in-house labels) and training loop
        from .ownership import train_ownership

        if tier not in ("fast", "accurate"):
            from ..errors import ConfigError, Errors

            raise ConfigError(Errors.E040.format(kind="tier for ownership", name=tier, hint="", available="fast, accurate"))
        folder = _MODELS / dimension / ("accurate" if tier == "accurate" else "")
        return train_ownership(Path(data_dir or _DEFAULT_DATA), Path(out_dir or folder), seed=seed, quick=quick, tier=tier)
    from .runs import run_training

    return run_training(dimension, data_dir, out_dir, seed=seed, quick=quick, tier=tier)


def evaluate(dimension: str, data_dir: Path | str | None = None, model_dir: Path | str | None = None) -> dict[str, Any]:
    """Re-evaluate a saved model of ``dimension`` on its held-out test split.

    Returns:
        ``{"evaluations": [...]}`` with the same layout as training's metrics.
    """
    if dimension == "ownership":
        from .ownership import evaluate_ownership

        return evaluate_ownership(Path(data_dir or _DEFAULT_DATA), Path(model_dir or _MODELS / dimension))
    from .runs import run_evaluation

    return run_evaluation(dimension, data_dir, model_dir)
