"""Shared helpers for the standards tests: the sample chats and realistic TurnScores for them.

The scorers are trained concurrently, so tests that need model scores build them here:
ordinary turns get ordinary scores (a polite, neutral agent; a calm customer), and the
turns a QA lead would label differently get that label's scores (see ``HINTS``).
"""

from __future__ import annotations

from pathlib import Path

import analyzer
from analyzer.types import Conversation, TurnScore

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "chats"
LANGUAGES = ("en", "el", "pl", "hy")


def load_samples(language: str) -> dict[str, Conversation]:
    """The sample conversations of one language, by id."""
    return {c.id: c for c in analyzer.read(SAMPLES / f"standards_{language}.jsonl")}


def sample(conv_id: str) -> Conversation:
    return load_samples(conv_id.split("-", 1)[0])[conv_id]


def _score(turn: int, dimension: str, value: float, label: str, **detail: float) -> TurnScore:
    return TurnScore(turn, dimension, value, label, detail=detail)


def politeness(turn: int, impolite: float) -> TurnScore:
    polite = round(max(0.0, 0.85 - impolite), 3)
    neutral = round(1.0 - impolite - polite, 3)
    label = max((("impolite", impolite), ("neutral", neutral), ("polite", polite)), key=lambda x: x[1])[0]
    return _score(turn, "politeness", polite, label, impolite=impolite, neutral=neutral, polite=polite)


def sentiment(turn: int, negative: float, positive: float) -> TurnScore:
    neutral = round(1.0 - negative - positive, 3)
    label = max((("negative", negative), ("neutral", neutral), ("positive", positive)), key=lambda x: x[1])[0]
    return _score(turn, "sentiment", positive, label, negative=negative, neutral=neutral, positive=positive)


def empathy(turn: int, value: float) -> TurnScore:
    label = "strong" if value >= 0.75 else "weak" if value >= 0.5 else "none"
    return _score(turn, "empathy", value, label, emotional_reaction=value, interpretation=value / 2, exploration=0.1)


def ownership(turn: int, deflects: float, vague: float = 0.05) -> TurnScore:
    owns = round((1.0 - deflects) * 0.7, 3)
    neutral = round(1.0 - deflects - owns, 3)
    label = max((("owns", owns), ("neutral", neutral), ("deflects", deflects)), key=lambda x: x[1])[0]
    return _score(turn, "ownership", round(1.0 - deflects, 3), label, owns=owns, neutral=neutral, deflects=deflects,
                  **{"tag:vague_postpone": vague, "tag:blames": min(deflects, 0.9), "tag:redirects": min(deflects, 0.9)})


def complaint(turn: int, value: float) -> TurnScore:
    return _score(turn, "complaint", value, "complaint" if value >= 0.5 else "no_complaint",
                  complaint=value, no_complaint=round(1 - value, 3))


# What a QA lead would label in each sample (same scenario in every language), by turn.
HINTS: dict[str, dict[int, set[str]]] = {
    "exemplary": {0: {"upset"}, 1: {"empathic"}, 3: {"empathic"}, 5: {"happy"}, 7: {"happy"}},
    "no-greeting-slow": {4: {"happy"}},
    "long-wait-no-closing": {0: {"upset"}, 1: {"empathic"}},
    "rude": {1: {"rude"}, 3: {"rude"}},
    "blame": {0: {"upset"}, 1: {"empathic"}, 3: {"deflects"}},
    "ignored-angry": {4: {"upset"}, 6: {"upset"}},
    "canned-security": {},
    "postpone": {0: {"upset"}, 1: {"empathic"}, 5: {"vague"}},
}


def scores_for(conv: Conversation, hints: dict[int, set[str]] | None = None,
               dimensions: frozenset[str] = frozenset({"politeness", "sentiment", "empathy", "ownership", "complaint"})) -> list[TurnScore]:
    """Realistic scores for every turn of a sample; ``hints`` default to its scenario's."""
    if hints is None:
        hints = HINTS[conv.id.split("-", 1)[1]]
    out: list[TurnScore] = []
    for turn in conv.turns:
        tags = hints.get(turn.index, set())
        i = turn.index
        if turn.role == "agent":
            rude = "rude" in tags
            out += [politeness(i, 0.85 if rude else 0.05),
                    sentiment(i, 0.8 if rude else 0.05, 0.05 if rude else 0.4),
                    empathy(i, 0.85 if "empathic" in tags else 0.15),
                    ownership(i, 0.85 if "deflects" in tags else 0.1, 0.9 if "vague" in tags else 0.05)]
        elif turn.role == "customer":
            if "upset" in tags:
                out += [sentiment(i, 0.85, 0.03), complaint(i, 0.8)]
            elif "happy" in tags:
                out += [sentiment(i, 0.02, 0.9), complaint(i, 0.02)]
            else:
                out += [sentiment(i, 0.15, 0.15), complaint(i, 0.1)]
    return [s for s in out if s.dimension in dimensions]
