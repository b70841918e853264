"""Sentiment per turn: negative / neutral / positive.

``value`` = calibrated P(positive); ``label`` = the most likely class; ``detail`` = every class's
probability. No evidence spans in the fast tier.

Example:
    >>> from analyzer.types import Turn
    >>> load().score([Turn(0, "customer", "Worst airline ever, lost my bag again")])[0].label
    'negative'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from ..types import Turn, TurnScore
from .base import ModelScorer
from .routing import LanguageRouter, load_routed


class SentimentScorer(ModelScorer):
    """Fast-tier sentiment scorer (agent, customer and bot turns)."""

    name = "sentiment"
    roles = frozenset({"agent", "customer", "bot"})

    def postprocess(self, turns: Sequence[Turn], proba: Mapping[str, Any]) -> list[TurnScore]:
        classes = [str(c) for c in self.classes("sentiment")]
        P = proba["sentiment"]
        pos = classes.index("positive")
        best = P.argmax(axis=1)
        out = []
        for j, turn in enumerate(turns):
            row = P[j].tolist()
            detail = dict(zip(classes, row))
            out.append(TurnScore(turn.index, self.name, min(1.0, max(0.0, row[pos])), classes[best[j]], (), detail))
        return out


def load(model_dir: str | Path | None = None, tier: str = "fast") -> "SentimentScorer | LanguageRouter":
    """The sentiment scorer from ``model_dir`` (default ``models/sentiment/``), checksum verified."""
    return load_routed(SentimentScorer, model_dir, tier)
