"""Rules on model scores: a turn's score past a threshold, acknowledgement, trajectory.

Scores follow the shared convention: ``value`` is P(good pole) and ``detail`` holds each
class probability, so ``key: impolite`` reads P(impolite) and no key reads ``value``.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from pydantic import Field

from ...types import Conversation, Span, TurnScore
from .base import Breach, NotEvaluated, Params, Probability, Roles, detail_or_value, polarity, rule, scores_by_turn, turn_span
from .markers import LANGUAGES, Categories, find_in_turn


class ScoreParams(Params):
    dimension: str
    threshold: Probability
    key: str | None = None
    roles: Roles = ("agent",)
    markers: Categories = ()
    unless: Categories = ()
    corroborate: Categories = ()


def _score_rule(conv, scores, dimension, threshold, key, roles, markers, below: bool,
                unless: Sequence[str] = (), corroborate: Sequence[str] = ()) -> Iterator[Breach]:
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
        backing = []
        # the phrase tables cover en/el/pl/hy: in any other language the score alone decides
        if broke and not found and corroborate and (turn.language is None or turn.language in LANGUAGES):
            backing = find_in_turn(turn, conv, corroborate)
            broke = bool(backing)  # "The refund takes 3 days.": a score alone, no words to quote
        if not broke and not found:
            continue
        evidence: tuple[Span, ...] = tuple(Span(turn.index, m.start, m.end, m.category) for m in found or backing)
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
                unless: Sequence[str] = (), corroborate: Sequence[str] = ()) -> Iterator[Breach]:
    """Flags each turn of ``roles`` whose ``dimension`` score (or ``detail[key]``) is below ``threshold``
    (unless the turn has a phrase of the ``unless`` categories), and each turn with a phrase of the
    ``markers`` categories (e.g. ``blame``, ``redirect``). With ``corroborate``, a turn flagged by its
    score alone must also have a phrase of those categories, which becomes the evidence."""
    yield from _score_rule(conv, scores, dimension, threshold, key, roles, markers, below=True, unless=unless,
                           corroborate=corroborate)


@rule(ScoreParams)
def score_above(conv: Conversation, scores: Sequence[TurnScore], *, dimension: str, threshold: float,
                key: str | None = None, roles: Sequence[str] = ("agent",), markers: Sequence[str] = (),
                unless: Sequence[str] = (), corroborate: Sequence[str] = ()) -> Iterator[Breach]:
    """Flags each turn of ``roles`` whose ``dimension`` score (or ``detail[key]``, e.g. P(impolite))
    is above ``threshold`` (unless the turn has a phrase of the ``unless`` categories), and each
    turn with a phrase of the ``markers`` categories. With ``corroborate`` (e.g. ``negative_language``),
    a turn flagged by its score alone must also have a phrase of those categories, quoted as the
    evidence: a sentiment model trained on customers' tweets reads plain facts ("The refund takes
    3 days.") as negative, and a QA lead needs the words that made the tone negative. Turns in
    languages without phrase tables (other than en/el/pl/hy) are judged on the score alone."""
    yield from _score_rule(conv, scores, dimension, threshold, key, roles, markers, below=False, unless=unless,
                           corroborate=corroborate)


class AcknowledgedParams(Params):
    negative: Probability = 0.6
    complaint: Probability = 0.6
    upset: Categories = ("frustration",)
    min_empathy: Probability = 0.5
    acknowledging: tuple[str, ...] = ()
    within_turns: int = Field(1, ge=1, le=5)
    markers: Categories = ("acknowledge", "apology", "emotional_reaction", "interpretation")
    customers: Roles = ("customer",)
    agents: Roles = ("agent",)


def _acknowledgement(score: TurnScore, keys: Sequence[str]) -> float:
    """The empathy that acknowledges an upset: the largest of ``detail[key]`` for ``keys``
    present in the score, else its ``value``."""
    found = [float(score.detail[k]) for k in keys if k in score.detail]
    return max(found) if found else float(score.value)


@rule(AcknowledgedParams)
def acknowledged_after(conv: Conversation, scores: Sequence[TurnScore], *, negative: float = 0.6, complaint: float = 0.6,
                       upset: Sequence[str] = ("frustration",), min_empathy: float = 0.5,
                       acknowledging: Sequence[str] = (), within_turns: int = 1, markers: Sequence[str] = (),
                       customers: Sequence[str] = ("customer",), agents: Sequence[str] = ("agent",)) -> Iterator[Breach]:
    """When a customer turn is upset (P(negative) ≥ ``negative``, P(complaint) ≥ ``complaint``, or
    a phrase of the ``upset`` categories such as "this is unacceptable"), one of the next
    ``within_turns`` agent turns must acknowledge it: empathy ≥ ``min_empathy`` or an
    acknowledgement phrase. Upset turns before the same agent reply count once.

    The empathy compared is the largest of the ``acknowledging`` keys of the score's detail
    (e.g. ``emotional_reaction``, ``interpretation``: a question about the order number is
    exploration, not an acknowledgement), or the score's value when none is named or present.
    """
    sentiment = scores_by_turn(scores, "sentiment")
    complaints = scores_by_turn(scores, "complaint")
    empathy = scores_by_turn(scores, "empathy")
    customer_turns = [t for t in conv.turns if t.role in customers]
    if not upset and not any(t.index in sentiment or t.index in complaints for t in customer_turns):
        raise NotEvaluated("no customer sentiment or complaint scores")
    handled_until = -1
    for turn in customer_turns:
        if turn.index <= handled_until:
            continue
        neg = detail_or_value(sentiment[turn.index], "negative") if turn.index in sentiment else 0.0
        comp = complaints[turn.index].value if turn.index in complaints else 0.0
        voiced = find_in_turn(turn, conv, upset) if upset else []
        if neg < negative and comp < complaint and not voiced:
            continue
        replies = [t for t in conv.turns[turn.index + 1 :] if t.role in agents][:within_turns]
        if not replies:
            continue
        handled_until = replies[0].index
        best = max((_acknowledgement(empathy[t.index], acknowledging) for t in replies if t.index in empathy), default=None)
        if best is None and not markers:
            raise NotEvaluated("no agent empathy scores")
        if best is not None and best >= min_empathy:
            continue
        if any(find_in_turn(t, conv, markers) for t in replies):
            continue
        if comp >= complaint:
            trigger, observed_trigger = "complaint", f" ({comp:.2f})"
        elif neg >= negative:
            trigger, observed_trigger = "negative sentiment", f" ({neg:.2f})"
        else:
            trigger, observed_trigger = f"{voiced[0].category}", f' ("{voiced[0].phrase}")'
        said = (Span(turn.index, voiced[0].start, voiced[0].end, trigger),) if voiced else (turn_span(turn, trigger),)
        yield Breach(
            turns=(replies[0].index, turn.index),
            evidence=(*said, turn_span(replies[0], "no_acknowledgement")),
            observed=best,
            threshold=min_empathy,
            reason=(f"customer turn {turn.index} voiced {trigger}{observed_trigger}; agent turn "
                    f"{replies[0].index} did not acknowledge it (empathy {'n/a' if best is None else f'{best:.2f}'})"),
        )


class OutcomeParams(Params):
    margin: Probability = 0.25
    last: int = Field(2, ge=1, le=5)
    upset: Categories = ("frustration",)
    roles: Roles = ("customer",)
    positive_end: float = Field(1.0, ge=-1.0, le=1.0)


@rule(OutcomeParams)
def outcome(conv: Conversation, scores: Sequence[TurnScore], *, margin: float = 0.25, last: int = 2,
            upset: Sequence[str] = ("frustration",), roles: Sequence[str] = ("customer",),
            positive_end: float = 1.0) -> Iterator[Breach]:
    """The customer must not end more negative than they started.

    Polarity is P(positive) − P(negative). The start is the first customer turn; the end is
    a weighted mean of the last ``last`` customer turns, the very last weighing most
    (weights 1, 2, …). Flags when end − start < −``margin``; ``observed`` is that change. An end
    polarity of at least ``positive_end`` is a content customer ("OK, thanks, bye"), not a fall,
    however high the start was scored.
    Also flags, whatever the scores, when one of those last turns voices an ``upset`` phrase
    ("this is unacceptable", "I'll never order again") and the first customer turn did not.
    """
    by_turn = scores_by_turn(scores, "sentiment")
    customers = [t for t in conv.turns if t.role in roles]
    scored = [(t, by_turn[t.index]) for t in customers if t.index in by_turn]
    if len(scored) < 2 and (not upset or len(customers) < 2):
        raise NotEvaluated("fewer than two scored customer turns")
    change = None
    if len(scored) >= 2:
        start = polarity(scored[0][1])
        tail = scored[1:][-last:]
        weights = range(1, len(tail) + 1)
        end = sum(w * polarity(s) for w, (_, s) in zip(weights, tail)) / sum(weights)
        change = end - start
        if change < -margin and end < positive_end:
            final = tail[-1][0]
            yield Breach(
                turns=(final.index, scored[0][0].index),
                evidence=(turn_span(final, "ends_negative"),),
                observed=round(change, 4),
                threshold=-margin,
                reason=f"customer mood fell from {start:+.2f} to {end:+.2f} by the end",
            )
            return
    if not upset or find_in_turn(customers[0], conv, upset):
        return
    for turn in reversed(customers[1:][-last:]):
        found = find_in_turn(turn, conv, upset)
        if found:
            yield Breach(
                turns=(turn.index, customers[0].index),
                evidence=tuple(Span(turn.index, m.start, m.end, m.category) for m in found),
                observed=None if change is None else round(change, 4),
                threshold=-margin,
                reason=f"customer ends voicing {found[0].category} (\"{found[0].phrase}\") not voiced at the start",
            )
            return
