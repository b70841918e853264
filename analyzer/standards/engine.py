"""Apply a standards set to one conversation: flags with evidence, a QA score, pass/fail."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Sequence

from ..types import Conversation, Flag, TurnScore
from .config import Standard, StandardsSet
from ..normalize.redact import mask_pii
from .rules.base import Breach, NotEvaluated

log = logging.getLogger(__name__)

QUOTE_CHARS = 60


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What the standards say about one conversation.

    Args:
        flags: one per breach, in standards-file order.
        qa_score: 0–100, see :func:`qa_score`.
        passed: ``False`` when a critical standard is broken.
        evaluated: ids of the standards that could judge this conversation.
        not_evaluated: ids of enabled standards that could not (missing scores or timestamps).
    """

    flags: tuple[Flag, ...]
    qa_score: float
    passed: bool
    evaluated: tuple[str, ...]
    not_evaluated: tuple[str, ...] = ()

    @property
    def broken(self) -> tuple[str, ...]:
        """Ids of the broken standards, in order, each once."""
        return tuple(dict.fromkeys(f.standard for f in self.flags))

    def to_dict(self, conversation: Conversation | None = None) -> dict[str, Any]:
        """JSON-able dict; evidence text, when a conversation is given, is PII-masked."""
        flags = []
        for flag in self.flags:
            item = flag.to_dict(conversation)
            for span in item["evidence"]:
                if "text" in span:
                    span["text"] = mask_pii(span["text"])
            flags.append(item)
        return {"flags": flags, "qa_score": self.qa_score, "passed": self.passed,
                "evaluated": list(self.evaluated), "not_evaluated": list(self.not_evaluated)}


def _quote(conv: Conversation, breach: Breach) -> str:
    for span in breach.evidence:
        if 0 <= span.turn < len(conv.turns):
            text = " ".join(span.text(conv).split())
            if text:
                text = mask_pii(text)
                return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"
    return ""


def to_flag(standard: Standard, breach: Breach, conv: Conversation) -> Flag:
    """The ``Flag`` for one breach: id, severity, and a one-line, PII-masked message."""
    quote = _quote(conv, breach)
    message = f"{standard.id}: {breach.reason}" + (f' — "{quote}"' if quote else "")
    return Flag(standard.id, standard.severity, breach.turns, breach.evidence, breach.observed, breach.threshold, message)  # type: ignore[arg-type]


def qa_score(standards: Sequence[Standard], broken: set[str]) -> float:
    """``100 × (1 − weight of broken / weight of evaluated)``; 100 when no weight was evaluated.

    Example:
        >>> s = [Standard("a", "r", "minor", 1.0, {}), Standard("b", "r", "major", 3.0, {})]
        >>> qa_score(s, {"b"})
        25.0
    """
    total = sum(s.weight for s in standards)
    if total <= 0:
        return 100.0
    lost = sum(s.weight for s in standards if s.id in broken)
    return round(100.0 * (1.0 - lost / total), 2)


def check(conversation: Conversation, scores: Sequence[TurnScore], standards: StandardsSet) -> CheckResult:
    """Check one conversation against a standards set.

    Args:
        conversation: the conversation.
        scores: its turns' scores (any dimensions; absent ones leave the standards that rest
            on them alone not evaluated, while those that also read phrases, such as
            politeness and ownership, still check the phrases).
        standards: from :func:`~analyzer.standards.load_standards`.

    Returns:
        A :class:`CheckResult`.

    Example:
        >>> from analyzer.types import Conversation, Turn
        >>> from analyzer.standards import load_standards
        >>> conv = Conversation("c1", (Turn(0, "customer", "Hi, my parcel is late."),
        ...                            Turn(1, "agent", "We'll get back to you sometime.")))
        >>> result = check(conv, [], load_standards())
        >>> result.broken
        ('greeting', 'closing', 'no-postpone')
        >>> result.qa_score, result.passed
        (78.57, True)
    """
    flags: list[Flag] = []
    evaluated: list[Standard] = []
    not_evaluated: list[str] = []
    scores = [s for s in scores if 0 <= s.turn < len(conversation.turns)]
    for standard in standards.enabled():
        params = standard.params_for(conversation.channel)
        try:
            breaches = list(standard.func(conversation, scores, **params))  # type: ignore[misc]
        except NotEvaluated as why:
            log.debug("%s: %s not evaluated (%s)", conversation.id, standard.id, why)
            not_evaluated.append(standard.id)
            continue
        evaluated.append(standard)
        flags.extend(to_flag(standard, b, conversation) for b in breaches)
    broken = {f.standard for f in flags}
    passed = not any(f.severity == "critical" for f in flags)
    return CheckResult(tuple(flags), qa_score(evaluated, broken), passed,
                       tuple(s.id for s in evaluated), tuple(not_evaluated))
