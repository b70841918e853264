"""The data model: conversations in, analyses out.

Every type is a frozen, slotted dataclass that validates itself on construction and
turns into plain JSON with ``to_dict``. Results never live on the input objects:
scores and flags sit in :class:`Analysis`, beside the conversation they describe.
Text is kept exactly as read, so a :class:`Span` is a character offset into it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, Mapping, get_args

from .errors import Errors, InputError

Role = Literal["agent", "customer", "bot", "system", "unknown"]
Channel = Literal["chat", "email", "call", "social", "other"]
Severity = Literal["info", "minor", "major", "critical"]

ROLES: frozenset[str] = frozenset(get_args(Role))
CHANNELS: frozenset[str] = frozenset(get_args(Channel))
SEVERITIES: tuple[str, ...] = get_args(Severity)

MAX_TURN_CHARS = 100_000
"""Turns longer than this are rejected on read: no real message is that long."""


def _check_meta(meta: Any, where: str) -> dict[str, Any]:
    if meta is None:
        return {}
    if not isinstance(meta, Mapping):
        raise InputError(Errors.E002.format(where=where, got=type(meta).__name__))
    try:
        json.dumps(meta, ensure_ascii=False, default=None)
    except (TypeError, ValueError) as exc:
        raise InputError(Errors.E003.format(where=where, reason=exc)) from None
    return dict(meta)


def _check_timestamp(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InputError(Errors.E004.format(where=where, got=type(value).__name__))
    if value.tzinfo is None:  # naive times are taken as UTC so that waits can be computed
        value = value.replace(tzinfo=timezone.utc)
    return value


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of a conversation.

    Args:
        index: position in the conversation, 0-based and contiguous.
        role: who wrote it: ``agent``, ``customer``, ``bot``, ``system`` or ``unknown``.
        text: the message exactly as written (never stripped or re-encoded).
        speaker: the name or address of the writer, when the source gives one.
        timestamp: when it was sent (timezone-aware; naive times are read as UTC).
        language: ISO 639-1 code once identified, else ``None``.
        meta: source passthrough, JSON-able (e.g. ``{"role_inferred": true}``).

    Example:
        >>> Turn(0, "agent", "Hello, how can I help?").role
        'agent'
    """

    index: int
    role: Role
    text: str
    speaker: str | None = None
    timestamp: datetime | None = None
    language: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = f"turn {self.index!r}"
        if not isinstance(self.index, int) or isinstance(self.index, bool) or self.index < 0:
            raise InputError(Errors.E005.format(where=where))
        if self.role not in ROLES:
            raise InputError(Errors.E006.format(where=where, role=self.role, roles=sorted(ROLES)))
        if not isinstance(self.text, str):
            raise InputError(Errors.E007.format(where=where, got=type(self.text).__name__))
        if len(self.text) > MAX_TURN_CHARS:
            raise InputError(Errors.E008.format(where=where, n=len(self.text), limit=MAX_TURN_CHARS))
        if self.speaker is not None and not isinstance(self.speaker, str):
            object.__setattr__(self, "speaker", str(self.speaker))
        object.__setattr__(self, "timestamp", _check_timestamp(self.timestamp, where))
        object.__setattr__(self, "meta", _check_meta(self.meta, where))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (timestamps as ISO 8601)."""
        return {
            "index": self.index,
            "role": self.role,
            "speaker": self.speaker,
            "text": self.text,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "language": self.language,
            "meta": dict(self.meta),
        }


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation: an id, a channel and its turns in order.

    Args:
        id: unique id within a run (ticket id, thread id, file name).
        turns: the turns; their ``index`` must be 0..n-1 in order.
        channel: ``chat``, ``email``, ``call``, ``social`` or ``other``.
        language: the conversation's main language, once identified.
        meta: source passthrough (e.g. ``{"source": "mail.mbox", "agent": "Anna"}``).

    Example:
        >>> c = Conversation("c1", (Turn(0, "customer", "Hi"), Turn(1, "agent", "Hello!")))
        >>> [t.role for t in c.turns]
        ['customer', 'agent']
    """

    id: str
    turns: tuple[Turn, ...]
    channel: Channel = "chat"
    language: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise InputError(Errors.E009.format(got=self.id))
        where = f"conversation {self.id!r}"
        turns = tuple(self.turns)
        if not turns:
            raise InputError(Errors.E019)
        for position, turn in enumerate(turns):
            if not isinstance(turn, Turn):
                raise InputError(Errors.E007.format(where=where, got=type(turn).__name__))
            if turn.index != position:
                raise InputError(Errors.E011.format(where=where, position=position, index=turn.index))
        if self.channel not in CHANNELS:
            raise InputError(Errors.E012.format(where=where, channel=self.channel, channels=sorted(CHANNELS)))
        object.__setattr__(self, "turns", turns)
        object.__setattr__(self, "meta", _check_meta(self.meta, where))

    def to_dict(self) -> dict[str, Any]:
        """The JSON layout that :func:`analyzer.read` reads back."""
        return {
            "id": self.id,
            "channel": self.channel,
            "language": self.language,
            "meta": dict(self.meta),
            "turns": [t.to_dict() for t in self.turns],
        }


@dataclass(frozen=True, slots=True)
class Span:
    """Evidence: characters ``[start, end)`` of turn ``turn``'s text, with what they show."""

    turn: int
    start: int
    end: int
    label: str = ""

    def __post_init__(self) -> None:
        if not (0 <= self.start <= self.end):
            raise ValueError(f"span [{self.start}, {self.end}) is not a valid range")

    def text(self, conversation: Conversation) -> str:
        """The evidence string itself."""
        return conversation.turns[self.turn].text[self.start : self.end]

    def to_dict(self, conversation: Conversation | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"turn": self.turn, "start": self.start, "end": self.end, "label": self.label}
        if conversation is not None:
            out["text"] = self.text(conversation)
        return out


@dataclass(frozen=True, slots=True)
class TurnScore:
    """One dimension's score for one turn: a calibrated probability in [0, 1] plus a label."""

    turn: int
    dimension: str
    value: float
    label: str
    evidence: tuple[Span, ...] = ()
    detail: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (0.0 <= self.value <= 1.0):
            raise ValueError(f"{self.dimension} score {self.value} is outside [0, 1]")
        object.__setattr__(self, "evidence", tuple(self.evidence))

    def to_dict(self, conversation: Conversation | None = None) -> dict[str, Any]:
        return {
            "turn": self.turn,
            "dimension": self.dimension,
            "value": self.value,
            "label": self.label,
            "detail": dict(self.detail),
            "evidence": [s.to_dict(conversation) for s in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class Flag:
    """A broken standard: which one, how bad, where, and the number that broke the threshold."""

    standard: str
    severity: Severity
    turns: tuple[int, ...]
    evidence: tuple[Span, ...]
    observed: float | None
    threshold: float | None
    message: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {SEVERITIES}")
        object.__setattr__(self, "turns", tuple(self.turns))
        object.__setattr__(self, "evidence", tuple(self.evidence))

    def to_dict(self, conversation: Conversation | None = None) -> dict[str, Any]:
        """JSON-able; the quoted evidence text is PII-masked (card numbers, codes, e-mails, phones)."""
        from .normalize.redact import mask_pii

        evidence = [s.to_dict(conversation) for s in self.evidence]
        for item in evidence:
            if "text" in item:
                item["text"] = mask_pii(item["text"])
        return {
            "standard": self.standard,
            "severity": self.severity,
            "turns": list(self.turns),
            "evidence": evidence,
            "observed": self.observed,
            "threshold": self.threshold,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the analyzer found in one conversation.

    ``summary`` holds the per-conversation figures (turn counts, response times,
    score aggregates) as a flat JSON-able mapping; it is what a conversation row holds.
    """

    conversation: Conversation
    scores: tuple[TurnScore, ...] = ()
    flags: tuple[Flag, ...] = ()
    qa_score: float | None = None
    passed: bool | None = None
    summary: Mapping[str, Any] = field(default_factory=dict)

    def score(self, turn: int, dimension: str) -> TurnScore | None:
        """The score of ``dimension`` for turn ``turn``, or ``None`` if that turn was not scored."""
        for s in self.scores:
            if s.turn == turn and s.dimension == dimension:
                return s
        return None

    def _repr_html_(self) -> str:
        """Jupyter shows the transcript with score bars, highlighted evidence and flags."""
        from .display import render_html

        return render_html(self)

    def to_dict(self) -> dict[str, Any]:
        conv = self.conversation
        return {
            "conversation": conv.to_dict(),
            "summary": dict(self.summary),
            "qa_score": self.qa_score,
            "passed": self.passed,
            "scores": [s.to_dict(conv) for s in self.scores],
            "flags": [f.to_dict(conv) for f in self.flags],
        }
