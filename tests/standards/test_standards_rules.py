"""Every standard, broken and kept, in every language of the samples."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from standards_helpers import LANGUAGES, load_samples, ownership, sample, scores_for

from analyzer.standards import check, load_standards
from analyzer.types import Conversation, Turn

STANDARDS = load_standards()
ALL_IDS = STANDARDS.ids

# standard -> (scenario, the turn the flag must name first)
BREAKS = {
    "greeting": ("no-greeting-slow", 1),
    "first-response": ("no-greeting-slow", 1),
    "response-time": ("long-wait-no-closing", 2),
    "politeness": ("rude", 1),
    "empathy": ("ignored-angry", 5),
    "ownership": ("blame", 3),
    "positive-tone": ("rude", 1),
    "customer-outcome": ("ignored-angry", 6),
    "closing": ("long-wait-no-closing", 5),
    "personal": ("canned-security", 1),
    "security": ("canned-security", 1),
    "no-postpone": ("postpone", 5),
}

# phrases the evidence must cover, per language
PHRASES = {
    ("ownership", "en"): ["not my department", "you should have"],
    ("ownership", "el"): ["δεν είναι δουλειά μου", "έπρεπε να είχατε"],
    ("ownership", "pl"): ["to nie mój dział", "trzeba było"],
    ("ownership", "hy"): ["դա իմ բաժինը չէ", "դուք պետք է օգտագործեիք"],
    ("security", "en"): ["full card number", "one-time code"],
    ("security", "el"): ["αριθμό της κάρτας", "κωδικό μιας χρήσης"],
    ("security", "pl"): ["numer karty", "jednorazowy kod"],
    ("security", "hy"): ["քարտի ամբողջական համար", "մեկանգամյա կոդ"],
    ("politeness", "en"): ["Did you even look", "Stop wasting my time"],
    ("politeness", "el"): ["Δεν κοιτάξατε καθόλου", "μου τρώτε τον χρόνο"],
    ("politeness", "pl"): ["W ogóle Pan tam zajrzał", "zawracać mi głowę"],
    ("politeness", "hy"): ["Ընդհանրապես նայե՞լ եք", "իմ ժամանակը վատնել"],
    ("positive-tone", "en"): ["Stop wasting my time"],
    ("positive-tone", "hy"): ["իմ ժամանակը վատնել"],
    ("empathy", "en"): ["That's ridiculous"],
    ("empathy", "el"): ["απαράδεκτο"],
    ("empathy", "pl"): ["skandal"],
    ("empathy", "hy"): ["անընդունելի"],
    ("no-postpone", "en"): ["get back to you"],
    ("no-postpone", "el"): ["ενημερώσουμε"],
    ("no-postpone", "pl"): ["Odezwiemy się"],
    ("no-postpone", "hy"): ["Կկապվենք"],
}


def _covers(conv: Conversation, flags, phrase: str) -> bool:
    """Some evidence span of ``flags`` overlaps ``phrase`` where it occurs in its turn."""
    for flag in flags:
        for span in flag.evidence:
            text = conv.turns[span.turn].text
            at = text.lower().find(phrase.lower())
            if at >= 0 and span.start < at + len(phrase) and at < span.end:
                return True
    return False


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("standard", sorted(BREAKS))
def test_rules_each_standard_breaks_in_its_sample(standard: str, language: str) -> None:
    scenario, turn = BREAKS[standard]
    conv = sample(f"{language}-{scenario}")
    result = check(conv, scores_for(conv), STANDARDS)
    flags = [f for f in result.flags if f.standard == standard]
    assert flags, f"{standard} did not fire on {conv.id}"
    assert standard in result.evaluated
    assert min(f.turns[0] for f in flags) == turn
    for flag in flags:
        assert flag.severity == STANDARDS.get(standard).severity
        assert flag.message.startswith(f"{standard}: ")
        assert "\n" not in flag.message
        for span in flag.evidence:
            assert span.turn in flag.turns
            assert 0 <= span.start < span.end <= len(conv.turns[span.turn].text)
    for phrase in PHRASES.get((standard, language), []):
        assert _covers(conv, flags, phrase), f"no evidence span covers {phrase!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_rules_exemplary_conversation_keeps_every_standard(language: str) -> None:
    conv = sample(f"{language}-exemplary")
    result = check(conv, scores_for(conv), STANDARDS)
    assert result.flags == ()
    assert set(result.evaluated) == set(ALL_IDS)
    assert result.qa_score == 100.0 and result.passed


@pytest.mark.parametrize("language", LANGUAGES)
def test_rules_samples_flag_exactly_what_they_were_written_to_break(language: str) -> None:
    for conv in load_samples(language).values():
        result = check(conv, scores_for(conv), STANDARDS)
        assert set(result.broken) == set(conv.meta["expect_flags"]), conv.id


@pytest.mark.parametrize("language", ["en", "pl"])
def test_rules_timing_values_are_seconds(language: str) -> None:
    conv = sample(f"{language}-no-greeting-slow")
    flag = next(f for f in check(conv, [], STANDARDS).flags if f.standard == "first-response")
    assert (flag.observed, flag.threshold) == (360.0, 60.0)
    assert flag.turns == (1, 0)
    wait = next(f for f in check(sample(f"{language}-long-wait-no-closing"), [], STANDARDS).flags if f.standard == "response-time")
    assert (wait.observed, wait.turns) == (420.0, (2, 3))


def test_rules_timing_thresholds_follow_the_channel() -> None:
    conv = sample("en-no-greeting-slow")
    hours = [replace(t, timestamp=t.timestamp + timedelta(hours=5 * (t.index > 0))) for t in conv.turns]
    email = replace(conv, channel="email", turns=tuple(hours))
    result = check(email, [], STANDARDS)
    first = next(f for f in result.flags if f.standard == "first-response")
    assert first.threshold == 4 * 3600 and first.observed > 5 * 3600
    assert "response-time" in result.evaluated and "response-time" not in result.broken  # waits ≤ 24 h
    assert "first-response" not in check(replace(conv, channel="email"), [], STANDARDS).broken  # 6 min ≤ 4 h


@pytest.mark.parametrize("language", LANGUAGES)
def test_rules_model_standards_fall_back_to_phrases_without_scores(language: str) -> None:
    rude = check(sample(f"{language}-rude"), [], STANDARDS)
    for standard in ("politeness", "positive-tone"):  # the dismissive remarks alone break them
        flags = [f for f in rude.flags if f.standard == standard]
        assert [f.turns for f in flags] == [(1,), (3,)] and all(f.observed is None for f in flags)
    assert {"empathy", "customer-outcome"} <= set(rude.evaluated) - set(rude.broken)  # nobody voiced frustration
    angry = check(sample(f"{language}-ignored-angry"), [], STANDARDS)
    assert {"empathy", "customer-outcome"} <= set(angry.broken)


def test_rules_empathy_is_not_evaluated_without_scores_or_phrases() -> None:
    from analyzer.standards.rules.base import NotEvaluated
    from analyzer.standards.rules.scores import acknowledged_after

    with pytest.raises(NotEvaluated):
        list(acknowledged_after(sample("en-ignored-angry"), [], upset=()))


def test_rules_politeness_markers_flag_an_insult_without_scores() -> None:
    conv = Conversation("c", (Turn(0, "customer", "Hi, my order is late."),
                              Turn(1, "agent", "Hello. Stop whining, you idiot.")))
    flag = next(f for f in check(conv, [], STANDARDS).flags if f.standard == "politeness")
    assert flag.turns == (1,) and flag.observed is None
    assert any(s.label == "insult" and "idiot" in s.text(conv) for s in flag.evidence)


def test_rules_timing_is_not_evaluated_without_timestamps() -> None:
    conv = sample("en-no-greeting-slow")
    bare = replace(conv, turns=tuple(replace(t, timestamp=None) for t in conv.turns))
    result = check(bare, [], STANDARDS)
    assert {"first-response", "response-time"} <= set(result.not_evaluated)
    assert "greeting" in result.broken


@pytest.mark.parametrize("text,broken", [
    ("Hello Anna, we'll get back to you tomorrow by 10:00.", False),
    ("Hello Anna, we'll get back to you later.", True),
    ("Dzień dobry Pani Anno, odezwiemy się jutro do 10:00.", False),
    ("Dzień dobry Pani Anno, odezwiemy się później.", True),
    ("Γεια σας κυρία Άννα, θα σας ενημερώσουμε αύριο στις 10:00.", False),
    ("Բարև ձեզ, Աննա, կկապվենք ձեզ հետ վաղը ժամը 10:00-ին։", False),
])
def test_rules_no_postpone_accepts_a_concrete_time(text: str, broken: bool) -> None:
    conv = Conversation("c", (Turn(0, "customer", "Hi", speaker="Anna Nowak"), Turn(1, "agent", text)))
    assert ("no-postpone" in check(conv, [], STANDARDS).broken) is broken


def test_rules_no_postpone_reads_the_ownership_tag() -> None:
    conv = Conversation("c", (Turn(0, "customer", "Hi, where is my refund?"), Turn(1, "agent", "Hello, I'll pass this on.")))
    assert "no-postpone" not in check(conv, [ownership(1, 0.1, vague=0.2)], STANDARDS).broken
    flag = next(f for f in check(conv, [ownership(1, 0.1, vague=0.9)], STANDARDS).flags if f.standard == "no-postpone")
    assert flag.observed == 0.9 and flag.turns == (1,)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_rules_empathy_accepts_an_acknowledging_phrase(language: str) -> None:
    conv = sample(f"{language}-blame")  # turn 0 upset, turn 1 says sorry; its empathy score is low
    scores = scores_for(conv, hints={0: {"upset"}})
    assert "empathy" not in check(conv, scores, STANDARDS).broken
    flagged = replace(conv, turns=conv.turns[:1] + (replace(conv.turns[1], text="Let me look at it."),) + conv.turns[2:])
    assert "empathy" in check(flagged, scores, STANDARDS).broken


def test_rules_customer_outcome_only_flags_a_worse_ending() -> None:
    conv = sample("en-ignored-angry")
    opening = "Hi, this is unacceptable: my washing machine broke a week ago. When can a technician come?"
    conv = replace(conv, turns=(replace(conv.turns[0], text=opening), *conv.turns[1:]))
    angry_throughout = scores_for(conv, hints={0: {"upset"}, 4: {"upset"}, 6: {"upset"}})
    assert "customer-outcome" not in check(conv, angry_throughout, STANDARDS).broken
    assert "customer-outcome" not in check(conv, [], STANDARDS).broken  # frustrated at the start, too
    flag = next(f for f in check(conv, scores_for(conv), STANDARDS).flags if f.standard == "customer-outcome")
    assert flag.observed < flag.threshold == -0.25


@pytest.mark.parametrize("text,flagged", [
    ("Hello, I can see the card 4539 1488 0343 6467 on file.", True),   # Luhn-valid: echoes a card
    ("Hello, your ticket is 4539 1488 0343 6468.", False),              # fails Luhn: not a card
    ("Hello, we will never ask for your password or card number.", False),
    ("Hello, please tell me your password.", True),
    ("Dzień dobry, nigdy nie prosimy o hasło.", False),
    ("Dzień dobry, proszę podać hasło do konta.", True),
])
def test_rules_security_patterns(text: str, flagged: bool) -> None:
    conv = Conversation("c", (Turn(0, "customer", "Hi"), Turn(1, "agent", text)))
    assert ("security" in check(conv, [], STANDARDS).broken) is flagged


def test_rules_security_flags_an_echoed_code() -> None:
    conv = sample("en-canned-security")
    turns = list(conv.turns)
    turns[5] = replace(turns[5], text="Thanks, code 482913 accepted.")
    result = check(replace(conv, turns=tuple(turns)), [], STANDARDS)
    echo = [f for f in result.flags if f.standard == "security" and 5 in f.turns]
    assert echo and any(s.label == "echo" for s in echo[0].evidence)
    assert "482913" not in echo[0].message


@pytest.mark.parametrize("language", ["en", "el"])
def test_rules_personal_flags_repeats_and_missing_name(language: str) -> None:
    conv = sample(f"{language}-canned-security")
    flags = [f for f in check(conv, [], STANDARDS).flags if f.standard == "personal"]
    repeat = next(f for f in flags if f.turns[0] == 7)
    assert repeat.turns == (7, 5) and repeat.observed == 1.0
    assert any(f.turns == (1, 3, 5, 7, 9) for f in flags)  # never addressed by name


# standard -> (turn of the first evidence span, its label) for evidence that quotes a whole turn
WHOLE_TURN_EVIDENCE = {
    "greeting": (1, "no_greeting"),
    "first-response": (1, "first_reply"),
    "response-time": (2, "waiting"),
    "customer-outcome": (6, "ends_negative"),
    "closing": (5, "no_closing"),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("standard", sorted(WHOLE_TURN_EVIDENCE))
def test_rules_whole_turn_evidence_quotes_the_turn(standard: str, language: str) -> None:
    scenario, _ = BREAKS[standard]
    conv = sample(f"{language}-{scenario}")
    flag = next(f for f in check(conv, scores_for(conv), STANDARDS).flags if f.standard == standard)
    span = flag.evidence[0]
    assert (span.turn, span.label) == WHOLE_TURN_EVIDENCE[standard]
    quoted = span.text(conv)
    assert quoted and conv.turns[span.turn].text.startswith(quoted)
    assert " ".join(quoted.split())[:20] in flag.message  # the message quotes the evidence


def test_standards_positive_tone_spares_apologies_but_not_plain_negativity():
    """Negative sentiment words inside an apology are a caring tone; the same score without one is flagged."""
    from analyzer.standards import check, load_standards
    from analyzer.types import Conversation, Turn, TurnScore

    def run(agent_text):
        conv = Conversation("c", (Turn(0, "customer", "My bag is lost."), Turn(1, "agent", agent_text)))
        score = TurnScore(1, "sentiment", 0.05, "negative", detail={"negative": 0.9, "neutral": 0.05, "positive": 0.05})
        return [f for f in check(conv, [score], load_standards()).flags if f.standard == "positive-tone"]

    assert run("I'm so sorry your bag was lost on the way.") == []
    flags = run("Bags get lost all the time, nothing can be done.")
    assert [f.turns for f in flags] == [(1,)] and flags[0].observed == 0.9


# (language, a plain factual agent turn, the same news in negative language, the words to quote)
NEGATIVE_LANGUAGE = [
    ("en", "The refund takes 3 to 5 business days.",
     "Unfortunately we can't speed it up, the refund takes 3 to 5 business days.", "Unfortunately"),
    ("el", "Η επιστροφή χρειάζεται 3 έως 5 εργάσιμες ημέρες.",
     "Δυστυχώς δεν μπορούμε να κάνουμε κάτι, η επιστροφή χρειάζεται 3 έως 5 εργάσιμες ημέρες.", "Δυστυχώς"),
    ("pl", "Zwrot trwa od 3 do 5 dni roboczych.",
     "Niestety nic nie możemy zrobić, zwrot trwa od 3 do 5 dni roboczych.", "Niestety"),
    ("hy", "Վերադարձը տևում է 3-ից 5 աշխատանքային օր։",
     "Դժբախտաբար, ոչինչ չենք կարող անել, վերադարձը տևում է 3-ից 5 աշխատանքային օր։", "Դժբախտաբար"),
]


@pytest.mark.parametrize("language,plain,negative,quoted", NEGATIVE_LANGUAGE)
def test_rules_positive_tone_needs_negative_words_beside_the_score(language, plain, negative, quoted) -> None:
    """A sentiment score alone does not flag a plain fact; the same score with negative language does,
    and the flag quotes those words."""
    from analyzer.types import TurnScore

    def flags(agent_text: str) -> list:
        conv = Conversation("c", (Turn(0, "customer", "?", language=language), Turn(1, "agent", agent_text, language=language)))
        score = TurnScore(1, "sentiment", 0.05, "negative", detail={"negative": 0.85, "neutral": 0.1, "positive": 0.05})
        return [f for f in check(conv, [score], STANDARDS).flags if f.standard == "positive-tone"]

    assert flags(plain) == []
    flagged = flags(negative)
    assert [f.turns for f in flagged] == [(1,)] and flagged[0].observed == 0.85
    span = flagged[0].evidence[0]
    assert (span.label, negative[span.start:span.end]) == ("negative_language", quoted)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_rules_customer_outcome_spares_a_customer_who_ends_content(language: str) -> None:
    """A fall from a high start to a still clearly positive end ("OK, thanks, bye") is not a worse ending."""
    from standards_helpers import sentiment

    conv = sample(f"{language}-postpone")
    customers = [t.index for t in conv.turns if t.role == "customer"]
    def scores(end_negative: float, end_positive: float) -> list:
        return [sentiment(customers[0], 0.01, 0.97)] + [sentiment(i, end_negative, end_positive) for i in customers[1:]]

    assert "customer-outcome" not in check(conv, scores(0.1, 0.65), STANDARDS).broken  # ends at +0.55
    assert "customer-outcome" in check(conv, scores(0.45, 0.45), STANDARDS).broken     # ends at 0.0: fell
    fall_alone = STANDARDS.get("customer-outcome")
    params = {**fall_alone.params, "positive_end": 1.0}
    judged_on_fall = replace(STANDARDS, standards=tuple(replace(s, params=params) if s.id == "customer-outcome" else s
                                                       for s in STANDARDS.standards))
    assert "customer-outcome" in check(conv, scores(0.1, 0.65), judged_on_fall).broken


def test_rules_positive_tone_outside_the_phrase_languages_is_judged_on_the_score() -> None:
    """No negative-language phrases exist for German: its score alone decides, as before corroboration."""
    from analyzer.types import TurnScore

    conv = Conversation("c", (Turn(0, "customer", "?", language="de"),
                              Turn(1, "agent", "Die Erstattung dauert drei bis fünf Werktage.", language="de")))
    score = TurnScore(1, "sentiment", 0.05, "negative", detail={"negative": 0.85, "neutral": 0.1, "positive": 0.05})
    assert [f.turns for f in check(conv, [score], STANDARDS).flags if f.standard == "positive-tone"] == [(1,)]
