"""Security of the communication: the agent never asks for or repeats secrets."""

from __future__ import annotations

import re
from typing import Iterator, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ...types import Conversation, Span, TurnScore
from ...normalize.redact import find_cards
from .base import Breach, NotEvaluated, Params, Roles, rule
from .markers import Categories, fold, find_in_turn

NEGATION = re.compile(
    r"(?<!\w)(never|not|don't|dont|do not|won't|will not|nigdy|nie|ποτε|μην|δεν|ουδεποτε|երբեք|մի|չ\w*)(?!\w)"
)
_SENTENCE_END = re.compile(r"[.!?;։\n]")
_SECRET_DIGITS = re.compile(r"(?<!\d)\d{4,19}(?!\d)")


class Pattern(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    regex: str

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"is not a valid regular expression: {exc}") from None
        return value


class SecretsParams(Params):
    markers: Categories = ("ask_card", "ask_password", "ask_otp")
    cards: bool = True
    echo: bool = True
    patterns: tuple[Pattern, ...] = ()
    negation_window: int = Field(60, ge=0, le=200)
    roles: Roles = ("agent",)
    customers: Roles = ("customer",)


def _negated(folded: str, start: int, window: int) -> bool:
    """A negation within ``window`` characters before ``start``, in the same sentence."""
    before = _SENTENCE_END.split(folded[max(0, start - window) : start])[-1]
    return bool(window) and NEGATION.search(before) is not None


@rule(SecretsParams)
def secrets(conv: Conversation, scores: Sequence[TurnScore], *, markers: Sequence[str] = ("ask_card", "ask_password", "ask_otp"),
            cards: bool = True, echo: bool = True, patterns: Sequence[dict] = (), negation_window: int = 60,
            roles: Sequence[str] = ("agent",), customers: Sequence[str] = ("customer",)) -> Iterator[Breach]:
    """Flags agent turns that ask for a card number, password or one-time code (marker phrases
    not preceded by a negation such as "we will never ask for"), that contain a Luhn-valid
    card number, that match a configured ``patterns`` regex, or that repeat digits the
    customer sent after being asked for a secret."""
    compiled = [(p["name"] if isinstance(p, dict) else p.name, re.compile(p["regex"] if isinstance(p, dict) else p.regex)) for p in patterns]
    if not any(t.role in roles for t in conv.turns):
        raise NotEvaluated("no agent turn")
    asked = False
    secrets_sent: set[str] = set()
    for turn in conv.turns:
        if turn.role in customers:
            if asked or find_cards(turn.text):
                secrets_sent.update(_SECRET_DIGITS.findall(re.sub(r"(?<=\d)[ -](?=\d)", "", turn.text)))
            continue
        if turn.role not in roles:
            continue
        folded = fold(turn.text)
        spans: list[Span] = []
        for m in find_in_turn(turn, conv, markers):
            if not _negated(folded, m.start, negation_window):
                spans.append(Span(turn.index, m.start, m.end, m.category))
        asked = asked or bool(spans)
        if cards:
            spans += [Span(turn.index, s, e, "card_number") for s, e in find_cards(turn.text)]
        for name, regex in compiled:
            spans += [Span(turn.index, m.start(), m.end(), name) for m in regex.finditer(turn.text) if m.end() > m.start()]
        if echo and secrets_sent:
            for m in _SECRET_DIGITS.finditer(turn.text):
                if m.group() in secrets_sent:
                    spans.append(Span(turn.index, m.start(), m.end(), "echo"))
        if spans:
            spans.sort(key=lambda s: s.start)
            labels = ", ".join(dict.fromkeys(s.label for s in spans))
            yield Breach((turn.index,), tuple(spans), float(len(spans)), 0.0,
                         f"agent turn {turn.index} asks for or repeats a secret ({labels})")

