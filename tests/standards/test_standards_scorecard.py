"""Scorecards per agent and per team over the checked sample conversations."""

from __future__ import annotations

from functools import lru_cache

import pytest
from standards_helpers import LANGUAGES, load_samples, scores_for

from analyzer.standards import check, load_standards, scorecard


@lru_cache(maxsize=1)
def _rows() -> tuple[dict, ...]:
    """One result row per sample conversation, as the batch writes them."""
    standards = load_standards()
    out = []
    for language in LANGUAGES:
        for conv in load_samples(language).values():
            result = check(conv, scores_for(conv), standards)
            out.append({"conversation_id": conv.id, "agent": conv.meta["agent"], "team": conv.meta["team"],
                        "qa_score": result.qa_score, "passed": result.passed, "flags": [f.standard for f in result.flags]})
    return tuple(out)


def test_scorecard_by_team() -> None:
    rows = _rows()
    cards = {c["team"]: c for c in scorecard(rows, by="team")}
    assert list(cards) == sorted(cards)
    assert sum(c["conversations"] for c in cards.values()) == len(rows) == 32
    billing = cards["billing"]  # long-wait (passes) and canned-security (fails) in 4 languages
    assert billing["conversations"] == 8 and billing["pass_rate"] == 0.5
    assert billing["flag_rate"]["security"] == 0.5 and billing["flag_rate"]["personal"] == 0.5
    assert billing["flag_rate"]["closing"] == 0.5
    assert set(billing["worst"]) <= {r["conversation_id"] for r in rows if r["team"] == "billing"}
    assert len(billing["worst"]) == 3
    worst_scores = [next(r["qa_score"] for r in rows if r["conversation_id"] == cid) for cid in billing["worst"]]
    assert worst_scores == sorted(worst_scores)
    assert max(worst_scores) <= min(r["qa_score"] for r in rows if r["team"] == "billing" and r["conversation_id"] not in billing["worst"])
    parcels = cards["parcels"]  # exemplary + no-greeting-slow
    assert parcels["mean_qa_score"] == pytest.approx(sum(r["qa_score"] for r in rows if r["team"] == "parcels") / 8, abs=0.01)
    assert "security" not in parcels["flag_rate"] and parcels["pass_rate"] == 1.0


def test_scorecard_by_agent_counts_each_standard_once_per_conversation() -> None:
    rows = _rows()
    cards = {c["agent"]: c for c in scorecard(rows)}
    assert len(cards) == 32  # every sample has its own agent
    sam = cards["Sam Porter"]
    assert sam["conversations"] == 1 and sam["pass_rate"] == 0.0
    assert sam["flag_rate"] == {"personal": 1.0, "security": 1.0}  # two flags each, counted once
    assert sam["worst"] == ["en-canned-security"]


def test_scorecard_handles_missing_fields() -> None:
    cards = scorecard([{"conversation_id": "a", "qa_score": None, "passed": None, "flags": None},
                       {"conversation_id": "b", "agent": "", "qa_score": 50, "passed": False, "flags": ["x"]}])
    assert len(cards) == 1 and cards[0]["agent"] == "(unknown)"
    assert cards[0]["conversations"] == 2 and cards[0]["mean_qa_score"] == 50.0 and cards[0]["pass_rate"] == 0.0
    assert cards[0]["flag_rate"] == {"x": 0.5} and cards[0]["worst"] == ["b"]
