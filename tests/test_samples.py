"""The shipped samples, scored end to end with the shipped models and default standards.

Each standards sample names in ``meta.expect_flags`` the standards it was written to break.
Standards decided by rules (timing, formulas, security, deflection phrases) must fire exactly
there. Standards decided by model scores are held to measured floors, not to perfection: they
are as good as the models (see models/*/MODEL_CARD.md).
"""

import collections

import pytest

import analyzer

RULE_BASED = {"greeting", "first-response", "response-time", "closing", "personal", "security", "no-postpone",
              "ownership"}
MODEL_BASED = {"politeness", "empathy", "positive-tone", "customer-outcome"}


@pytest.fixture(scope="module")
def analyses():
    qa = analyzer.load()
    return list(qa.pipe(analyzer.read("data/samples/chats")))


def test_samples_cover_every_standard_in_four_languages(analyses):
    expected = collections.defaultdict(set)
    for a in analyses:
        for standard in a.conversation.meta.get("expect_flags", []):
            expected[standard].add(a.conversation.id.split("-")[0])
    assert set(expected) == RULE_BASED | MODEL_BASED
    assert all(len(langs) >= 2 for langs in expected.values()), expected


@pytest.mark.parametrize("standard", sorted(RULE_BASED))
def test_samples_rule_based_standard_fires_exactly_where_broken(analyses, standard):
    fired = {a.conversation.id for a in analyses if any(f.standard == standard for f in a.flags)}
    expected = {a.conversation.id for a in analyses if standard in a.conversation.meta.get("expect_flags", [])}
    assert fired == expected


def test_samples_model_based_standards_meet_measured_floors(analyses):
    tp = fp = fn = 0
    for a in analyses:
        expected = set(a.conversation.meta.get("expect_flags", [])) & MODEL_BASED
        fired = {f.standard for f in a.flags} & MODEL_BASED
        tp, fp, fn = tp + len(fired & expected), fp + len(fired - expected), fn + len(expected - fired)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    # Measured with the shipped models: precision 0.89, recall 1.00 (tp 16, fp 2, fn 0). Recall rests on the
    # phrase floors (dismissive remarks, voiced frustration) where the models miss el/pl/hy. The two false
    # flags are empathy triggered by customer turns the models misread as upset: a plain question scored a
    # complaint (en-canned-security) and "I looked, I can't find it" scored negative in Greek (el-rude).
    # Floors sit just under.
    assert recall >= 0.95 and precision >= 0.85, f"precision {precision:.2f}, recall {recall:.2f} (tp {tp}, fp {fp}, fn {fn})"


def test_samples_exemplary_conversations_pass(analyses):
    for a in analyses:
        if a.conversation.id.endswith("exemplary"):
            assert a.passed is True and a.qa_score >= 90, (a.conversation.id, [f.standard for f in a.flags])


# Conversations of the other sample formats that keep every rule-based standard: a well-run chat,
# e-mail or call in each language (the others break rules on purpose: blame, deferrals, card numbers).
WELL_RUN = {"pq-en-9", "pq-pl-10", "flat-en-003", "chat-en-001", "chat-el-001", "chat-pl-001", "chat-hy-001",
            "hy-3308-1@mail.example", "20240603091244.4821@mailbox.example", "EL-CHAT-201", "EN-CHAT-1042",
            "pl_chat_dostawa.txt#1"}


def test_samples_well_run_conversations_of_other_formats_keep_the_rules():
    qa = analyzer.load()
    seen = set()
    for path in ("data/samples/chat", "data/samples/email", "data/samples/transcripts"):
        for a in qa.pipe(analyzer.read(path)):
            if a.conversation.id in WELL_RUN:
                seen.add(a.conversation.id)
                assert {f.standard for f in a.flags} & RULE_BASED == set(), (a.conversation.id, [f.message for f in a.flags])
    assert seen == WELL_RUN


def test_samples_every_format_reads_without_errors():
    errors = []
    conversations = list(analyzer.read("data/samples", on_error=errors.append))
    assert errors == []
    languages = {c.language for c in analyzer.load(dimensions=(), standards=False).pipe(conversations)
                 for c in [c.conversation]}
    assert {"en", "el", "pl", "hy"} <= languages
