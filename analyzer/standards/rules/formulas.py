"""Speech-formula rules: greeting, closing, personal address, vague deferrals.

They read phrases through :mod:`.markers` (the shared lexicon plus a floor of phrases),
so they work in English, Greek, Polish and Armenian without model scores.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from typing import Iterator, Sequence

from pydantic import Field

from ...types import Conversation, Span, Turn, TurnScore
from .base import Breach, NotEvaluated, Params, Probability, Roles, rule, scores_by_turn, turn_span
from .markers import Categories, fold, find_in_turn


def _agent_turns(conv: Conversation, roles: Sequence[str]) -> list[Turn]:
    turns = [t for t in conv.turns if t.role in roles]
    if not turns:
        raise NotEvaluated("no agent turn")
    return turns


class OpensWithParams(Params):
    markers: Categories = ("greeting_open",)
    agent_turns: int = Field(1, ge=1, le=5)
    roles: Roles = ("agent",)


@rule(OpensWithParams)
def opens_with(conv: Conversation, scores: Sequence[TurnScore], *, markers: Sequence[str] = ("greeting_open",),
               agent_turns: int = 1, roles: Sequence[str] = ("agent",)) -> Iterator[Breach]:
    """One of the first ``agent_turns`` agent turns contains a phrase of ``markers`` (a greeting)."""
    first = _agent_turns(conv, roles)[:agent_turns]
    if any(find_in_turn(t, conv, markers) for t in first):
        return
    yield Breach((first[0].index,), (turn_span(first[0], "no_greeting"),), 0.0, 1.0,
                 f"agent turn {first[0].index} opens without a greeting")


class ClosesWithParams(Params):
    markers: Categories = ("closing", "next_steps", "contact_back")
    min_found: int = Field(2, ge=1, le=10)
    agent_turns: int = Field(2, ge=1, le=5)
    roles: Roles = ("agent",)


@rule(ClosesWithParams)
def closes_with(conv: Conversation, scores: Sequence[TurnScore], *, markers: Sequence[str] = ("closing", "next_steps", "contact_back"),
                min_found: int = 2, agent_turns: int = 2, roles: Sequence[str] = ("agent",)) -> Iterator[Breach]:
    """The last ``agent_turns`` agent turns together use at least ``min_found`` of the ``markers``
    categories (a closing formula, next steps, how to reach back). ``observed`` counts them."""
    last = _agent_turns(conv, roles)[-agent_turns:]
    found = {m.category for t in last for m in find_in_turn(t, conv, markers)}
    if len(found) >= min(min_found, len(markers)):
        return
    missing = ", ".join(c for c in markers if c not in found)
    final = last[-1]
    yield Breach((final.index,), (turn_span(final, "no_closing"),), float(len(found)), float(min_found),
                 f"last agent turn {final.index} lacks {missing}")


_NOT_NAMES = frozenset(fold(word) for word in ("customer", "client", "user", "visitor", "guest", "klient", "klientka", "πελάτης",
                                             "πελάτισσα", "հաճախորդ", "unknown", "anonymous"))
"""Speaker labels that are roles, not names (folded as the speaker field is: πελάτης → πελατησ)."""


def _name_parts(conv: Conversation, customers: Sequence[str]) -> list[str]:
    """Name stems of the customer, from the speaker field (``'Anna Kowalska'`` → ``['ann', 'kowals']``)."""
    parts: set[str] = set()
    for turn in conv.turns:
        if turn.role in customers and turn.speaker and "@" not in turn.speaker:
            for word in re.findall(r"\w+", fold(turn.speaker)):
                if len(word) >= 3 and not word.isdigit() and word not in _NOT_NAMES:
                    parts.add(word[: max(3, len(word) - 2)])  # stem: vocatives (Anno, Μαρία → Μαρια) still match
    return sorted(parts)


class PersonalParams(Params):
    require_name: bool = True
    min_agent_turns: int = Field(2, ge=1)
    markers: Categories = ()
    max_similarity: Probability = 0.9
    min_chars: int = Field(25, ge=1)
    roles: Roles = ("agent",)
    customers: Roles = ("customer",)


@rule(PersonalParams)
def personal(conv: Conversation, scores: Sequence[TurnScore], *, require_name: bool = True, min_agent_turns: int = 2,
             markers: Sequence[str] = (), max_similarity: float = 0.9, min_chars: int = 25,
             roles: Sequence[str] = ("agent",), customers: Sequence[str] = ("customer",)) -> Iterator[Breach]:
    """The customer is treated as a person.

    Breaks when (a) over ``min_agent_turns`` or more agent turns the customer's name (from the
    speaker field) or a ``markers`` phrase never appears, or (b) an agent turn of at least
    ``min_chars`` characters repeats an earlier one (similarity ≥ ``max_similarity``): a canned reply.
    """
    agents = _agent_turns(conv, roles)
    names = _name_parts(conv, customers)
    evaluated = False
    if require_name and len(agents) >= min_agent_turns and (names or markers):
        evaluated = True
        prefixes = tuple(names)  # a name matches the start of a word: "Kasiu" is addressed by "Kasi"
        addressed = any(
            (prefixes and any(word.startswith(prefixes) for word in _WORD.findall(fold(t.text))))
            or (markers and find_in_turn(t, conv, markers))
            for t in agents
        )
        if not addressed:
            yield Breach(tuple(t.index for t in agents), (turn_span(agents[0], "no_address"),), 0.0, 1.0,
                         f"the customer is never addressed by name in {len(agents)} agent turns")
    seen: list[tuple[Turn, str, Counter]] = []
    for turn in agents:
        text = " ".join(fold(turn.text).split())
        if len(text) >= min_chars:
            evaluated = True
            letters = Counter(text)
            for earlier, earlier_text, earlier_letters in seen:
                # difflib's upper bounds first, without building a matcher: ratio <= quick <= real_quick
                total = len(text) + len(earlier_text)
                if 2.0 * min(len(text), len(earlier_text)) / total < max_similarity:
                    continue
                if 2.0 * sum((letters & earlier_letters).values()) / total < max_similarity:
                    continue
                ratio = difflib.SequenceMatcher(None, earlier_text, text, autojunk=False).ratio()
                if ratio >= max_similarity:
                    yield Breach((turn.index, earlier.index), (turn_span(turn, "canned_repeat"),), round(ratio, 4), max_similarity,
                                 f"agent turn {turn.index} repeats turn {earlier.index} (similarity {ratio:.2f})")
                    break
            seen.append((turn, text, letters))
    if not evaluated:
        raise NotEvaluated("no customer name and no long agent turns")


_WORD = re.compile(r"\w+")


class PostponeParams(Params):
    markers: Categories = ("vague_postpone",)
    concrete: Categories = ("concrete_time",)
    tag_threshold: Probability = 0.7
    roles: Roles = ("agent",)


@rule(PostponeParams)
def vague_postpone(conv: Conversation, scores: Sequence[TurnScore], *, markers: Sequence[str] = ("vague_postpone",),
                   concrete: Sequence[str] = ("concrete_time",), tag_threshold: float = 0.7,
                   roles: Sequence[str] = ("agent",)) -> Iterator[Breach]:
    """An agent turn defers ("we'll get back to you") without a concrete time in the same turn.

    A deferral is a ``markers`` phrase, or the ownership model's ``tag:vague_postpone``
    probability ≥ ``tag_threshold`` when that score is given.
    """
    ownership = scores_by_turn(scores, "ownership")
    for turn in _agent_turns(conv, roles):
        if find_in_turn(turn, conv, concrete):
            continue
        found = find_in_turn(turn, conv, markers)
        tag = ownership[turn.index].detail.get("tag:vague_postpone") if turn.index in ownership else None
        if not found and (tag is None or tag < tag_threshold):
            continue
        evidence = tuple(Span(turn.index, m.start, m.end, m.category) for m in found) or (turn_span(turn, "vague_postpone"),)
        observed = float(tag) if tag is not None else 1.0
        yield Breach((turn.index,), evidence, observed, tag_threshold,
                     f"agent turn {turn.index} defers without a concrete time")
