"""The engine: QA score from the weights, critical = fail, PII-masked output."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from standards_helpers import LANGUAGES, load_samples, sample, scores_for

from analyzer.standards import check, load_standards, mask_pii
from analyzer.normalize.redact import find_cards, luhn_ok
from analyzer.types import Conversation, Turn

STANDARDS = load_standards()

SMALL = """\
version: 1
standards:
  - {id: greeting, rule: opens_with, severity: minor, weight: 1}
  - {id: closing, rule: closes_with, severity: major, weight: 3}
  - {id: security, rule: secrets, severity: SEVERITY, weight: 2}
  - {id: politeness, rule: score_above, severity: major, weight: 5,
     params: {dimension: politeness, key: impolite, threshold: 0.5}}
"""


def _small(tmp_path: Path, severity: str = "critical"):
    path = tmp_path / f"small_{severity}.yaml"
    path.write_text(SMALL.replace("SEVERITY", severity), encoding="utf-8")
    return load_standards(path)


def _conv(agent_text: str) -> Conversation:
    return Conversation("c", (Turn(0, "customer", "Hi there"), Turn(1, "agent", agent_text)))


@pytest.mark.parametrize("agent_text,broken,score", [
    ("Hello! Your refund is sent, you will receive it today. If you have any questions, contact us. Bye!", set(), 100.0),
    ("Your refund is sent, you will receive it today. If you have any questions, contact us. Bye!", {"greeting"}, 100 * (1 - 1 / 6)),
    ("Hello, your refund is sent.", {"closing"}, 100 * (1 - 3 / 6)),
    ("Refund sent.", {"greeting", "closing"}, 100 * (1 - 4 / 6)),
    ("Send me your full card number.", {"greeting", "closing", "security"}, 0.0),
])
def test_engine_qa_score_follows_the_weights_of_evaluated_standards(tmp_path, agent_text, broken, score) -> None:
    # politeness (weight 5) has no scores here: not evaluated, so not in the denominator (1 + 3 + 2)
    result = check(_conv(agent_text), [], _small(tmp_path))
    assert set(result.broken) == broken
    assert result.evaluated == ("greeting", "closing", "security")
    assert result.not_evaluated == ("politeness",)
    assert result.qa_score == pytest.approx(score, abs=0.01)


def test_engine_critical_breach_fails_the_conversation(tmp_path) -> None:
    conv = _conv("Hello! Please send your full card number. You will receive a receipt today. Contact us anytime. Bye!")
    critical = check(conv, [], _small(tmp_path, "critical"))
    major = check(conv, [], _small(tmp_path, "major"))
    assert critical.broken == major.broken == ("security",)
    assert critical.passed is False and major.passed is True
    assert critical.qa_score == major.qa_score  # severity decides pass/fail, weight decides the score
    many_minor = check(_conv("ok"), [], _small(tmp_path))
    assert many_minor.passed is True and many_minor.qa_score < 100


def test_engine_nothing_evaluated_scores_100(tmp_path) -> None:
    path = tmp_path / "only_scores.yaml"
    path.write_text("standards:\n  - {id: p, rule: score_below, params: {dimension: politeness, threshold: 0.3}}\n")
    result = check(_conv("Hello"), [], load_standards(path))
    assert result.evaluated == () and result.not_evaluated == ("p",)
    assert result.qa_score == 100.0 and result.passed


@pytest.mark.parametrize("language", LANGUAGES)
def test_engine_samples_pass_unless_security_breaks(language: str) -> None:
    for conv in load_samples(language).values():
        result = check(conv, scores_for(conv), STANDARDS)
        assert result.passed is ("security" not in conv.meta["expect_flags"]), conv.id
        assert 0.0 <= result.qa_score <= 100.0
        assert (result.qa_score == 100.0) is (not conv.meta["expect_flags"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_engine_flag_output_masks_pii(language: str) -> None:
    conv = sample(f"{language}-canned-security")
    turns = list(conv.turns)
    # the agent also reads the card and the code back, and gives a contact e-mail and phone
    turns[5] = replace(turns[5], text="4539 1488 0343 6467 / 482913 — help@shop.example, +48 601 234 567")
    conv = replace(conv, turns=tuple(turns))
    result = check(conv, scores_for(conv), STANDARDS)
    echo = [f for f in result.flags if f.standard == "security" and f.turns == (5,)]
    assert echo, result.flags
    labels = {s.label for s in echo[0].evidence}
    assert {"card_number", "echo"} <= labels
    dumped = json.dumps(result.to_dict(conv), ensure_ascii=False)
    for secret in ("4539 1488 0343 6467", "482913", "help@shop.example", "601 234 567"):
        assert secret not in dumped
        assert all(secret not in f.message for f in result.flags)
    assert "[CARD]" in dumped and "[CODE]" in dumped


@pytest.mark.parametrize("text,masked", [
    ("Card 4111 1111 1111 1111, mail anna@example.com", "Card [CARD], mail [EMAIL]"),
    ("Ο αριθμός μου είναι +30 210 123 4567 και ο κωδικός 482913", "Ο αριθμός μου είναι [PHONE] και ο κωδικός [SECRET]"),
    ("Mój telefon to 601 234 567, kod z SMS: 5521", "Mój telefon to [PHONE], kod z SMS: [CODE]"),
    ("Իմ քարտը 5500-0000-0000-0004 է, կոդը՝ 7731", "Իմ քարտը [CARD] է, կոդը՝ [CODE]"),
    ("Order placed on 2024-05-01 at 10:30, in 2024.", "Order placed on 2024-05-01 at 10:30, in 2024."),
    ("My password is hunter2", "My password is [SECRET]"),
])
def test_engine_mask_pii(text: str, masked: str) -> None:
    assert mask_pii(text) == masked


def test_engine_luhn_checks_card_numbers() -> None:
    assert luhn_ok("4539148803436467") and not luhn_ok("4539148803436468")
    assert find_cards("a 4539-1488-0343-6467 b 1234 5678 9012 3456") == [(2, 21)]
    assert find_cards("too short 411111111111") == []  # 12 digits


def test_engine_flags_serialise_to_json() -> None:
    conv = sample("pl-ignored-angry")
    result = check(conv, scores_for(conv), STANDARDS)
    data = json.loads(json.dumps(result.to_dict(conv), ensure_ascii=False))
    assert {f["standard"] for f in data["flags"]} == {"empathy", "customer-outcome"}
    empathy = next(f for f in data["flags"] if f["standard"] == "empathy")
    assert empathy["turns"] == [5, 4] and empathy["threshold"] == 0.5
    assert empathy["evidence"][0]["text"] == "skandal"  # the customer's words, then the reply that ignored them
    assert empathy["evidence"][1]["text"].startswith("To pierwszy wolny termin")
