"""What every rule shares: the ``Breach`` it yields, ``NotEvaluated``, and small helpers.

A rule is a plain function ``rule(conv, scores, **params) -> Iterator[Breach]``. It raises
:class:`NotEvaluated` when the conversation lacks what it needs (no timestamps, no scores
of the needed dimension), so that the engine records the standard as *not evaluated*
instead of *passed*. Each rule carries its pydantic params model as ``rule.Params``;
the standards file is validated against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Callable, Iterable, Mapping, Sequence

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ...types import Conversation, Span, Turn, TurnScore

QUOTE_CHARS = 80
"""Longest evidence span a rule quotes when the whole turn is the evidence."""


class NotEvaluated(Exception):
    """Raised by a rule that cannot judge this conversation (missing scores or timestamps)."""


@dataclass(frozen=True, slots=True)
class Breach:
    """One place where a conversation breaks a standard; the engine turns it into a ``Flag``.

    Args:
        turns: the turn index(es) concerned, first the one a QA lead should read.
        evidence: character spans into those turns.
        observed: the measured value (seconds, probability, count).
        threshold: the value it had to meet.
        reason: what went wrong, one short clause ("agent asked for a card number").
    """

    turns: tuple[int, ...]
    evidence: tuple[Span, ...]
    observed: float | None
    threshold: float | None
    reason: str


class Params(BaseModel):
    """Base of every rule's params model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$")


def parse_duration(value: Any) -> float:
    """Seconds from ``90``, ``"90s"``, ``"5m"``, ``"4h"`` or ``"1d"``.

    Example:
        >>> parse_duration("4h"), parse_duration(60)
        (14400.0, 60.0)
    """
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 60s, 5m, 4h")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("must be ≥ 0")
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"must be a duration such as 60s, 5m, 4h, 1d; got {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


Duration = Annotated[float, BeforeValidator(parse_duration)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Roles = tuple[str, ...]


def rule(params: type[Params]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Attach a params model to a rule function (``func.Params``)."""

    def attach(func: Callable[..., Any]) -> Callable[..., Any]:
        func.Params = params  # type: ignore[attr-defined]
        return func

    return attach


def turn_span(turn: Turn, label: str = "", limit: int = QUOTE_CHARS) -> Span:
    """The first ``limit`` characters of a turn, as evidence when the whole turn is at fault."""
    return Span(turn.index, 0, min(len(turn.text), limit), label)


def scores_by_turn(scores: Iterable[TurnScore], dimension: str) -> dict[int, TurnScore]:
    """``{turn index: score}`` for one dimension."""
    return {s.turn: s for s in scores if s.dimension == dimension}


def detail_or_value(score: TurnScore, key: str | None) -> float:
    """``score.detail[key]`` when a key is named, else ``score.value``.

    A missing ``negative``/``impolite``/``deflects`` key of a binary model falls back
    to ``1 - value`` (the bad pole is the complement of the good one).
    """
    if key is None:
        return float(score.value)
    if key in score.detail:
        return float(score.detail[key])
    return 1.0 - float(score.value)


def polarity(score: TurnScore) -> float:
    """Sentiment polarity in [-1, 1]: P(positive) - P(negative)."""
    detail: Mapping[str, float] = score.detail
    if "positive" in detail and "negative" in detail:
        return float(detail["positive"]) - float(detail["negative"])
    return 2.0 * float(score.value) - 1.0


def turns_of(conv: Conversation, roles: Sequence[str]) -> list[Turn]:
    return [t for t in conv.turns if t.role in roles]
