"""The built-in standards rules, by name.

Each rule is ``rule(conv, scores, **params) -> Iterator[Breach]`` with its params model as
``rule.Params``. ``RULES`` is what the standards file's ``rule:`` names; ``_builtins.py`` mirrors it
into :data:`analyzer.registry.rules` so that third-party rules sit beside these.

Example:
    >>> sorted(RULES)[:3]
    ['acknowledged_after', 'closes_with', 'first_response']
"""

from __future__ import annotations

from typing import Callable

from .base import Breach, NotEvaluated, Params
from .formulas import closes_with, opens_with, personal, vague_postpone
from .scores import acknowledged_after, outcome, score_above, score_below
from .security import secrets
from .timing import first_response, response_time

RULES: dict[str, Callable] = {
    "opens_with": opens_with,
    "first_response": first_response,
    "response_time": response_time,
    "score_below": score_below,
    "score_above": score_above,
    "acknowledged_after": acknowledged_after,
    "outcome": outcome,
    "closes_with": closes_with,
    "personal": personal,
    "secrets": secrets,
    "vague_postpone": vague_postpone,
}

__all__ = ["RULES", "Breach", "NotEvaluated", "Params"]
