"""Timing rules: how fast the agent answers. ``observed``/``threshold`` are seconds."""

from __future__ import annotations

from typing import Iterator, Sequence

from ...types import Conversation, Turn, TurnScore
from .base import Breach, Duration, NotEvaluated, Params, Roles, rule, turn_span


def _fmt(seconds: float) -> str:
    """``75`` → ``'1m 15s'``; ``5400`` → ``'1h 30m'``."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600:02d}h"


def _timed(conv: Conversation) -> list[Turn]:
    timed = [t for t in conv.turns if t.timestamp is not None]
    if len(timed) < 2:
        raise NotEvaluated("no timestamps")
    return timed


class FirstResponseParams(Params):
    threshold: Duration = 60.0
    responders: Roles = ("agent",)
    customers: Roles = ("customer",)


@rule(FirstResponseParams)
def first_response(
    conv: Conversation,
    scores: Sequence[TurnScore],
    *,
    threshold: float = 60.0,
    responders: Sequence[str] = ("agent",),
    customers: Sequence[str] = ("customer",),
) -> Iterator[Breach]:
    """The first agent reply comes within ``threshold`` seconds of the customer's first message.

    A conversation the agent opens is fine; one without an agent reply or without
    timestamps is not evaluated.
    """
    _timed(conv)
    first_customer = next((t for t in conv.turns if t.role in customers), None)
    if first_customer is None:
        raise NotEvaluated("no customer turn")
    reply = next((t for t in conv.turns if t.role in responders), None)
    if reply is None:
        raise NotEvaluated("no agent reply")
    if reply.index < first_customer.index:
        return
    if reply.timestamp is None or first_customer.timestamp is None:
        raise NotEvaluated("the first exchange has no timestamps")
    wait = (reply.timestamp - first_customer.timestamp).total_seconds()
    if wait > threshold:
        yield Breach(
            turns=(reply.index, first_customer.index),
            evidence=(turn_span(reply, "first_reply"),),
            observed=wait,
            threshold=threshold,
            reason=f"first reply after {_fmt(wait)} (limit {_fmt(threshold)})",
        )


class ResponseTimeParams(Params):
    threshold: Duration = 60.0
    responders: Roles = ("agent",)
    customers: Roles = ("customer",)
    skip_first: bool = True


@rule(ResponseTimeParams)
def response_time(
    conv: Conversation,
    scores: Sequence[TurnScore],
    *,
    threshold: float = 60.0,
    responders: Sequence[str] = ("agent",),
    customers: Sequence[str] = ("customer",),
    skip_first: bool = True,
) -> Iterator[Breach]:
    """No customer message waits longer than ``threshold`` seconds for the next agent turn.

    The wait runs from the first unanswered customer message to the agent's next turn.
    With ``skip_first`` the opening wait is left to the first-response standard.
    Customer messages that end the conversation unanswered are not counted.
    """
    _timed(conv)
    waiting: Turn | None = None
    answered_once = False
    measured = False
    for turn in conv.turns:
        if turn.role in customers:
            if waiting is None:
                waiting = turn
        elif turn.role in responders:
            if waiting is not None and not (skip_first and not answered_once):
                if waiting.timestamp is not None and turn.timestamp is not None:
                    measured = True
                    wait = (turn.timestamp - waiting.timestamp).total_seconds()
                    if wait > threshold:
                        yield Breach(
                            turns=(waiting.index, turn.index),
                            evidence=(turn_span(waiting, "waiting"),),
                            observed=wait,
                            threshold=threshold,
                            reason=f"customer waited {_fmt(wait)} for a reply (limit {_fmt(threshold)})",
                        )
            answered_once = True
            waiting = None
    if not measured:
        raise NotEvaluated("no timed customer→agent exchange")
