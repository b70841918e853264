"""Per-conversation figures: turn counts, response times, score aggregates.

Pure functions of a conversation and its scores; the conversation row is built from them.
"""

from __future__ import annotations

from statistics import fmean
from typing import Any, Sequence

from .types import Conversation, TurnScore

AGENT_ROLES = frozenset({"agent", "bot"})


def response_times(conversation: Conversation) -> tuple[float | None, float | None]:
    """``(first_response_s, longest_customer_wait_s)`` from timestamps; ``None`` where not measurable.

    A customer's wait starts at the first customer turn after an agent turn (or at the start)
    and ends at the next agent turn. Turns without timestamps are skipped; a wait still open
    at the end of the conversation is not counted (the transcript may simply end).

    Example:
        >>> from datetime import datetime, timezone
        >>> from analyzer.types import Turn
        >>> t = lambda s: datetime(2024, 1, 1, 10, 0, s, tzinfo=timezone.utc)
        >>> c = Conversation("c", (Turn(0, "customer", "Hi", timestamp=t(0)), Turn(1, "agent", "Hello", timestamp=t(40)),
        ...                        Turn(2, "customer", "?", timestamp=t(41)), Turn(3, "agent", "Done", timestamp=t(50))))
        >>> response_times(c)
        (40.0, 40.0)
    """
    first_response = None
    longest = None
    waiting_since = None
    for turn in conversation.turns:
        if turn.timestamp is None:
            continue
        if turn.role == "customer":
            if waiting_since is None:
                waiting_since = turn.timestamp
        elif turn.role in AGENT_ROLES and turn.role == "agent" and waiting_since is not None:
            wait = max((turn.timestamp - waiting_since).total_seconds(), 0.0)
            if first_response is None:
                first_response = wait
            longest = wait if longest is None else max(longest, wait)
            waiting_since = None
    return first_response, longest


def counts(conversation: Conversation) -> dict[str, int]:
    roles = [t.role for t in conversation.turns]
    return {
        "n_turns": len(roles),
        "n_agent_turns": roles.count("agent"),
        "n_customer_turns": roles.count("customer"),
        "n_other_turns": len(roles) - roles.count("agent") - roles.count("customer"),
    }


def score_aggregates(conversation: Conversation, scores: Sequence[TurnScore], dimensions: Sequence[str]) -> dict[str, Any]:
    """Agent mean and minimum per dimension, customer sentiment at start and end, ownership shares."""
    out: dict[str, Any] = {}
    role_of = {t.index: t.role for t in conversation.turns}
    for dim in dimensions:
        values = [s.value for s in scores if s.dimension == dim and role_of.get(s.turn) == "agent"]
        out[f"agent_{dim}_mean"] = round(fmean(values), 4) if values else None
        out[f"agent_{dim}_min"] = round(min(values), 4) if values else None
    if "sentiment" in dimensions:
        customer = sorted((s for s in scores if s.dimension == "sentiment" and role_of.get(s.turn) == "customer"),
                          key=lambda s: s.turn)
        out["customer_sentiment_start"] = round(customer[0].value, 4) if customer else None
        out["customer_sentiment_end"] = round(customer[-1].value, 4) if customer else None
    if "ownership" in dimensions:
        owned = sorted((s for s in scores if s.dimension == "ownership" and role_of.get(s.turn) == "agent"),
                       key=lambda s: s.turn)
        n = len(owned)
        out["ownership_share_owns"] = round(sum(s.label == "owns" for s in owned) / n, 4) if n else None
        out["ownership_share_deflects"] = round(sum(s.label == "deflects" for s in owned) / n, 4) if n else None
        first = next((s.turn for s in owned if s.label == "deflects"), None)
        out["first_deflection_turn"] = first
    return out
