"""Complaint detection for customer turns.

Unlike every other dimension, ``value`` is the probability of the BAD pole: calibrated
P(complaint). ``label`` is ``complaint`` or ``no_complaint``; ``detail`` holds both probabilities.
Evidence: swearing/insult markers when present (the fast tier has no complaint lexicon).

Example:
    >>> from analyzer.types import Turn
    >>> load().score([Turn(0, "customer", "@airline my flight was cancelled and nobody answers the phone")])[0].label
    'complaint'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from ..types import Span, Turn, TurnScore
from .base import ModelScorer
from .routing import LanguageRouter, load_routed


class ComplaintScorer(ModelScorer):
    """Fast-tier complaint scorer (customer turns); ``value`` = P(complaint)."""

    name = "complaint"
    roles = frozenset({"customer"})

    def postprocess(self, turns: Sequence[Turn], proba: Mapping[str, Any]) -> list[TurnScore]:
        classes = [str(c) for c in self.classes("complaint")]
        p = proba["complaint"][:, classes.index("complaint")]
        out = []
        for turn, pc in zip(turns, p.tolist()):
            pc = min(1.0, max(0.0, pc))
            evidence = tuple(Span(turn.index, m.start, m.end, m.category)
                             for m in self.markers(turn, ("swearing", "insult")))
            out.append(TurnScore(turn.index, self.name, pc, "complaint" if pc >= 0.5 else "no_complaint", evidence,
                                 {"complaint": pc, "no_complaint": 1.0 - pc}))
        return out


def load(model_dir: str | Path | None = None, tier: str = "fast") -> "ComplaintScorer | LanguageRouter":
    """The complaint scorer from ``model_dir`` (default ``models/complaint/``), checksum verified."""
    return load_routed(ComplaintScorer, model_dir, tier)
