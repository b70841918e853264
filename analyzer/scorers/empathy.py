"""Empathy per agent turn: the three EPITOME mechanisms and an overall level.

``value`` = calibrated P(empathic: any mechanism at level >= 1), from the ``overall`` head;
``label`` = the overall head's most likely level: ``none`` / ``weak`` / ``strong``;
``detail`` = P(level >= 1) of ``emotional_reaction``, ``interpretation``, ``exploration``;
evidence = empathy markers (``analyzer.lexicon`` categories of the same names).

Example:
    >>> from analyzer.types import Turn
    >>> s = load().score([Turn(0, "agent", "I'm so sorry, that sounds really stressful. How are you holding up?")])[0]
    >>> s.value > 0.5
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from ..types import Span, Turn, TurnScore
from .base import ModelScorer
from .routing import LanguageRouter, load_routed

MECHANISMS = {"er": "emotional_reaction", "ip": "interpretation", "ex": "exploration"}
LEVELS = {0: "none", 1: "weak", 2: "strong"}


class EmpathyScorer(ModelScorer):
    """Fast-tier empathy scorer (agent turns)."""

    name = "empathy"
    roles = frozenset({"agent"})

    def postprocess(self, turns: Sequence[Turn], proba: Mapping[str, Any]) -> list[TurnScore]:
        overall_cls = [str(c) for c in self.classes("overall")]
        P = proba["overall"]
        p_any = 1.0 - P[:, overall_cls.index("none")]
        mech = {}
        for key, name in MECHANISMS.items():
            cls = [int(c) for c in self.classes(key)]
            mech[name] = 1.0 - proba[key][:, cls.index(0)]
        best = P.argmax(axis=1)
        out = []
        for j, turn in enumerate(turns):
            value = min(1.0, max(0.0, float(p_any[j])))
            detail = {name: float(v[j]) for name, v in mech.items()}
            evidence = tuple(Span(turn.index, m.start, m.end, m.category)
                             for m in self.markers(turn, MECHANISMS.values()))
            out.append(TurnScore(turn.index, self.name, value, overall_cls[best[j]], evidence, detail))
        return out


def load(model_dir: str | Path | None = None, tier: str = "fast") -> "EmpathyScorer | LanguageRouter":
    """The empathy scorer from ``model_dir`` (default ``models/empathy/``), checksum verified."""
    return load_routed(EmpathyScorer, model_dir, tier)
