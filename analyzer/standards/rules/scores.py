"""Rules on model scores: a turn's score past a threshold, acknowledgement, trajectory.

Scores follow the shared convention: ``value`` is P(good pole) and ``detail`` holds each
class probability, so ``key: impolite`` reads P(impolite) and no key reads ``value``.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from pydantic import Field

from ...types import Conversation, Span, TurnScore
from .base import Breach, NotEvaluated, Params, Probability, Roles, detail_or_value, polarity, rule, scores_by_turn, turn_span
from .markers import Categories, find_in_turn


class ScoreParams(Params):
    dimension: str
    threshold: Probability
    key: str | None = None
    roles: Roles = ("agent",)
    markers: Categories = ()
    unless: Categories = ()


def _score_rule(conv, scores, dimension, threshold, key, roles, markers, below: bool,
                unless: Sequence[str] = ()) -> Iterator[Breach]:
    by_turn = scores_by_turn(scores, dimension)
    turns = [t for t in conv.turns if t.role in roles]
    if not any(t.index in by_turn for t in turns) and not markers:
        raise NotEvaluated(f"no {dimension} scores")
    what = f"{dimension} {key or 'score'}"
    for turn in turns:
        score = by_turn.get(turn.index)
        found = find_in_turn(turn, conv, markers) if markers else []
        observed = detail_or_value(score, key) if score is not None else None
        broke = observed is not None and (observed < threshold if below else observed > threshold)
        if broke and unless and find_in_turn(turn, conv, unless):
            broke = False  # e.g. "I'm so sorry your bag is lost": negative words, caring tone
        if not broke and not found:
            continue
        evidence: tuple[Span, ...] = tuple(Span(turn.index, m.start, m.end, m.category) for m in found)
        if not evidence and score is not None:
            evidence = score.evidence or (turn_span(turn, dimension),)
        if broke:
            reason = f"{what} {observed:.2f} {'below' if below else 'above'} {threshold:.2f}"
        else:
            reason = f"{', '.join(sorted({m.category for m in found}))} phrase"
        yield Breach((turn.index,), evidence, observed, threshold, f"{turn.role} turn {turn.index}: {reason}")


@rule(ScoreParams)
def score_below(conv: Conversation, scores: Sequence[TurnScore], *, dimension: str, threshold: float,
                key: str | None = None, roles: Sequence[str] = ("agent",), markers: Sequence[str] = (),
                unless: Sequence[str] = ()) -> Iterator[Breach]:
    """Flags each turn of ``roles`` whose ``dimension`` score (or ``detail[key]``) is below ``threshold``
    (unless the turn has a phrase of the ``unless`` categories), and each turn with a phrase of the
    ``markers`` categories (e.g. ``blame``, ``redirect``)."""
    yield from _score_rule(conv, scores, dimension, threshold, key, roles, markers, below=True, unless=unless)


@rule(ScoreParams)
def score_above(conv: Conversation, scores: Sequence[TurnScore], *, dimension: str, threshold: float,
                key: str | None = None, roles: Sequence[str] = ("agent",), markers: Sequence[str] = (),
                unless: Sequence[str] = ()) -> Iterator[Breach]:
    """Flags each turn of ``roles`` whose ``dimension`` score (or ``detail[key]``, e.g. P(impolite))
    is above ``threshold`` (unless the turn has a phrase of the ``unless`` categories), and each
    turn with a phrase of the ``markers`` categories."""
    yield from _score_rule(conv, scores, dimension, threshold, key, roles, markers, below=False, unless=unless)


class AcknowledgedParams(Params):
    negative: Probability = 0.6
    complaint: Probability = 0.6
    min_empathy: Probability = 0.5
    within_turns: int = Field(1, ge=1, le=5)
    markers: Categories = ("acknowledge", "apology", "emotional_reaction", "interpretation")
    customers: Roles = ("customer",)
    agents: Roles = ("agent",)


@rule(AcknowledgedParams)
def acknowledged_after(conv: Conversation, scores: Sequence[TurnScore], *, negative: float = 0.6, complaint: float = 0.6,
                       min_empathy: float = 0.5, within_turns: int = 1, markers: Sequence[str] = (),
                       customers: Sequence[str] = ("customer",), agents: Sequence[str] = ("agent",)) -> Iterator[Breach]:
    """When a customer turn is upset (P(negative) ≥ ``negative`` or P(complaint) ≥ ``complaint``),
    one of the next ``within_turns`` agent turns must acknowledge it: empathy ≥ ``min_empathy``
    or an acknowledgement phrase. Upset turns before the same agent reply count once."""
    sentiment = scores_by_turn(scores, "sentiment")
    complaints = scores_by_turn(scores, "complaint")
    empathy = scores_by_turn(scores, "empathy")
    customer_turns = [t for t in conv.turns if t.role in customers]
    if not any(t.index in sentiment or t.index in complaints for t in customer_turns):
        raise NotEvaluated("no customer sentiment or complaint scores")
    handled_until = -1
    for turn in customer_turns:
        if turn.index <= handled_until:
            continue
        neg = detail_or_value(sentiment[turn.index], "negative") if turn.index in sentiment else 0.0
        comp = complaints[turn.index].value if turn.index in complaints else 0.0
        if neg < negative and comp < complaint:
            continue
        replies = [t for t in conv.turns[turn.index + 1 :] if t.role in agents][:within_turns]
        if not replies:
            continue
        handled_until = replies[0].index
        best = max((empathy[t.index].value for t in replies if t.index in empathy), default=None)
        if best is None and not markers:
            raise NotEvaluated("no agent empathy scores")
        if best is not None and best >= min_empathy:
            continue
        if any(find_in_turn(t, conv, markers) for t in replies):
            continue
        trigger = "complaint" if comp >= complaint else "negative sentiment"
        observed_trigger = comp if comp >= complaint else neg
        yield Breach(
            turns=(replies[0].index, turn.index),
            evidence=(turn_span(turn, trigger), turn_span(replies[0], "no_acknowledgement")),
            observed=best,
            threshold=min_empathy,
            reason=(f"customer turn {turn.index} voiced {trigger} ({observed_trigger:.2f}); agent turn "
                    f"{replies[0].index} did not acknowledge it (empathy {'n/a' if best is None else f'{best:.2f}'})"),
        )


class OutcomeParams(Params):
    margin: Probability = 0.25
    last: int = Field(2, ge=1, le=5)
    roles: Roles = ("customer",)


@rule(OutcomeParams)
def outcome(conv: Conversation, scores: Sequence[TurnScore], *, margin: float = 0.25, last: int = 2,
            roles: Sequence[str] = ("customer",)) -> Iterator[Breach]:
    """The customer must not end more negative than they started.

    Polarity is P(positive) − P(negative). The start is the first customer turn; the end is
    a weighted mean of the last ``last`` customer turns, the very last weighing most
    (weights 1, 2, …). Flags when end − start < −``margin``; ``observed`` is that change.
    """
    by_turn = scores_by_turn(scores, "sentiment")
    scored = [(t, by_turn[t.index]) for t in conv.turns if t.role in roles and t.index in by_turn]
    if len(scored) < 2:
        raise NotEvaluated("fewer than two scored customer turns")
    start = polarity(scored[0][1])
    tail = scored[1:][-last:]
    weights = range(1, len(tail) + 1)
    end = sum(w * polarity(s) for w, (_, s) in zip(weights, tail)) / sum(weights)
    change = end - start
    if change < -margin:
        final = tail[-1][0]
        yield Breach(
            turns=(final.index, scored[0][0].index),
            evidence=(turn_span(final, "ends_negative"),),
            observed=round(change, 4),
            threshold=-margin,
            reason=f"customer mood fell from {start:+.2f} to {end:+.2f} by the end",
        )
