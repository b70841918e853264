"""Politeness per turn: P(polite) from the fast-tier model, strategies as evidence spans.

``value`` = calibrated P(polite) (trained as Stanford's top vs bottom quartile of requests, plus
rudeness examples); ``label`` is ``polite`` above 2/3, ``impolite`` below 1/3, else ``neutral``;
``detail`` = ``{"impolite": p, "polite": p}``; evidence = the politeness strategies that fired
(``analyzer.lexicon`` markers such as please, gratitude, apology, hedge, bare_command, swearing).

Example:
    >>> from analyzer.types import Turn
    >>> scorer = load()
    >>> scorer.score([Turn(0, "agent", "Could you please send the receipt? Thanks!")])[0].label
    'polite'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from ..types import Span, Turn, TurnScore
from .base import ModelScorer
from .routing import LanguageRouter, load_routed

STRATEGIES = ("please", "gratitude", "apology", "greeting", "hedge", "deference", "direct_question",
              "bare_command", "swearing", "insult", "formal_address", "informal_address")
NEUTRAL_BAND = (1 / 3, 2 / 3)


class PolitenessScorer(ModelScorer):
    """Fast-tier politeness scorer (agent, customer and bot turns)."""

    name = "politeness"
    roles = frozenset({"agent", "customer", "bot"})

    def postprocess(self, turns: Sequence[Turn], proba: Mapping[str, Any]) -> list[TurnScore]:
        p = proba["polite"][:, self.classes("polite").index("polite")]
        out = []
        for turn, pol in zip(turns, p.tolist()):
            pol = min(1.0, max(0.0, pol))
            label = "polite" if pol >= NEUTRAL_BAND[1] else ("impolite" if pol <= NEUTRAL_BAND[0] else "neutral")
            evidence = tuple(Span(turn.index, m.start, m.end, m.category) for m in self.markers(turn, STRATEGIES))
            out.append(TurnScore(turn.index, self.name, pol, label, evidence, {"impolite": 1.0 - pol, "polite": pol}))
        return out


def load(model_dir: str | Path | None = None, tier: str = "fast") -> "PolitenessScorer | LanguageRouter":
    """The politeness scorer from ``model_dir`` (default ``models/politeness/``), checksum verified."""
    return load_routed(PolitenessScorer, model_dir, tier)
