"""The phrase floors of the standards: frustration, dismissive remarks, closings, greetings.

Each case is a small realistic exchange, broken and kept, in at least two languages; the flag
must name the right turn and its evidence the right words.
"""

from __future__ import annotations

import pytest
from standards_helpers import complaint, empathy, sentiment

from analyzer.standards import check, load_standards
from analyzer.standards.rules.markers import find
from analyzer.types import Conversation, Turn, TurnScore

STANDARDS = load_standards()


def _conv(language: str, *texts: str) -> Conversation:
    """Customer and agent turns alternating, the customer first."""
    turns = tuple(Turn(i, "customer" if i % 2 == 0 else "agent", text, language=language) for i, text in enumerate(texts))
    return Conversation(f"{language}-case", turns, language=language)


def _flags(conv: Conversation, standard: str, scores: list[TurnScore] | None = None):
    return [f for f in check(conv, scores or [], STANDARDS).flags if f.standard == standard]


def _quoted(conv: Conversation, flag) -> list[str]:
    return [s.text(conv) for s in flag.evidence]


# --- empathy: an upset voiced in words, acknowledged or not ---------------------------------

FRUSTRATED = {
    "en": ("Three more weeks?! This is unacceptable.", "This is unacceptable", "The first free slot is on 28 May.",
           "I'm sorry, I understand how annoying another wait is. The first free slot is on 28 May."),
    "el": ("Τρεις εβδομάδες ακόμα;! Είμαι πολύ απογοητευμένος.", "απογοητευμένος", "Η πρώτη ελεύθερη ημερομηνία είναι στις 28 Μαΐου.",
           "Λυπάμαι πολύ, καταλαβαίνω την αναμονή. Η πρώτη ελεύθερη ημερομηνία είναι στις 28 Μαΐου."),
    "pl": ("Jeszcze trzy tygodnie?! To skandal.", "skandal", "Najbliższy wolny termin to 28 maja.",
           "Bardzo mi przykro, rozumiem. Najbliższy wolny termin to 28 maja."),
    "hy": ("Եվս երեք շաբա՞թ։ Սա անընդունելի է։", "անընդունելի", "Առաջին ազատ օրը մայիսի 28-ն է։",
           "Ցավում եմ, հասկանում եմ։ Առաջին ազատ օրը մայիսի 28-ն է։"),
}


@pytest.mark.parametrize("language", sorted(FRUSTRATED))
def test_phrases_voiced_frustration_needs_an_acknowledgement(language: str) -> None:
    said, phrase, plain, caring = FRUSTRATED[language]
    ignored = _conv(language, "Hello, when can the technician come?", "Hello.", said, plain)
    flag, = _flags(ignored, "empathy")
    assert flag.turns == (3, 2)
    assert _quoted(ignored, flag)[0] == phrase and flag.evidence[0].turn == 2
    assert _flags(_conv(language, "Hello, when can the technician come?", "Hello.", said, caring), "empathy") == []
    calm = _conv(language, "Hello, when can the technician come?", "Hello.", "OK.", plain)
    assert _flags(calm, "empathy") == []


@pytest.mark.parametrize("language", ["en", "pl"])
def test_phrases_a_question_is_not_an_acknowledgement(language: str) -> None:
    """An upset customer answered by a question: exploration is high, the acknowledging mechanisms low."""
    said, _, plain, _ = FRUSTRATED[language]
    conv = _conv(language, "Hello.", "Hello.", said, plain)
    upset = [sentiment(2, 0.9, 0.02), complaint(2, 0.9)]
    asks = TurnScore(3, "empathy", 0.8, "weak", detail={"emotional_reaction": 0.1, "interpretation": 0.2, "exploration": 0.95})
    flag, = _flags(conv, "empathy", upset + [asks])
    assert flag.turns == (3, 2) and flag.observed == pytest.approx(0.2)
    assert _flags(conv, "empathy", upset + [empathy(3, 0.8)]) == []  # emotional reaction 0.8: acknowledged


# --- customer-outcome: ending on frustration not voiced at the start ------------------------

@pytest.mark.parametrize("language,opening,ending,phrase", [
    ("en", "Hi, my parcel is late.", "I'm really disappointed with your service.", "I'm really disappointed"),
    ("pl", "Dzień dobry, paczka się spóźnia.", "Jestem bardzo rozczarowany waszą obsługą.", "rozczarowany"),
    ("el", "Καλημέρα, το δέμα μου καθυστερεί.", "Αυτό είναι απαράδεκτο.", "απαράδεκτο"),
])
def test_phrases_customer_ending_on_frustration_is_a_worse_outcome(language, opening, ending, phrase) -> None:
    conv = _conv(language, opening, "It will arrive on Friday.", ending)
    flag, = _flags(conv, "customer-outcome")
    assert flag.turns == (2, 0) and _quoted(conv, flag) == [phrase]
    same_mood = _conv(language, f"{ending} {opening}", "It will arrive on Friday.", ending)
    assert _flags(same_mood, "customer-outcome") == []


# --- closing: next steps may come before "anything else?" and the goodbye --------------------

CLOSINGS = {
    "en": ("You will receive a new tracking e-mail by 6 pm.", "Is there anything else I can help you with?", "You too, take care!"),
    "pl": ("Otrzyma Pan nowy numer przesyłki do 18:00.", "Czy mogę jeszcze w czymś pomóc?", "Miłego dnia!"),
    "hy": ("Հինգ րոպեի ընթացքում կստանաք հաստատման նամակ։", "Էլ ինչո՞վ կարող եմ օգնել։", "Ցտեսություն։"),
}


@pytest.mark.parametrize("language", sorted(CLOSINGS))
def test_phrases_closing_counts_next_steps_before_the_goodbye(language: str) -> None:
    steps, anything_else, bye = CLOSINGS[language]
    kept = _conv(language, "Hi, where is my parcel?", steps, "Great.", anything_else, "No, thanks.", bye)
    assert _flags(kept, "closing") == []
    formulas_only = _conv(language, "Hi, where is my parcel?", "Let me check.", "OK.", anything_else, "No, thanks.", bye)
    flag, = _flags(formulas_only, "closing")
    assert flag.turns == (5,) and flag.observed == 1.0  # a closing formula, but no next steps nor a way back


# --- greeting: an e-mail salutation opens ----------------------------------------------------

@pytest.mark.parametrize("language,salutation", [("en", "Dear Emma,"), ("pl", "Szanowna Pani,"), ("el", "Αγαπητέ κύριε Παπαδόπουλε,"),
                                                 ("hy", "Հարգելի Արամ,")])
def test_phrases_email_salutation_is_a_greeting(language: str, salutation: str) -> None:
    conv = _conv(language, "My blender arrived cracked.", f"{salutation}\n\nA replacement ships today.")
    assert _flags(conv, "greeting") == []
    assert [f.turns for f in _flags(_conv(language, "My blender arrived cracked.", "A replacement ships today."), "greeting")] == [(1,)]


# --- the matcher folds like the lexicon ------------------------------------------------------

@pytest.mark.parametrize("text,language,category,surface", [
    ("Խնդրեմ։ Էլ ինչո՞վ կարող եմ օգնել։", "hy", "closing", "Էլ ինչո՞վ կարող եմ օգնել"),   # Armenian ՞ inside the word
    ("Ընդհանրապես նայե՞լ եք։", "hy", "frustration", None),
    ("ΕΊΜΑΙ ΠΟΛΎ ΑΠΟΓΟΗΤΕΥΜΈΝΟΣ!", "el", "frustration", "ΑΠΟΓΟΗΤΕΥΜΈΝΟΣ"),                  # capitals, accents, final sigma
    ("That’s ridiculous.", "en", "frustration", "That’s ridiculous"),                          # typographic apostrophe
    ("Jestem wściekła.", "pl", "frustration", "wściekła"),
])
def test_phrases_match_through_accents_and_marks(text: str, language: str, category: str, surface: str | None) -> None:
    found = [text[m.start:m.end] for m in find(text, [language], [category])]
    assert found == ([surface] if surface else [])


# --- personal: a role label in the speaker field is not a name --------------------------------

@pytest.mark.parametrize("language,label", [("el", "Πελάτης"), ("pl", "Klientka"), ("en", "Customer")])
def test_phrases_role_label_is_not_a_customer_name(language: str, label: str) -> None:
    texts = ("Hello.", "Hello, how can I help?", "My parcel is late.", "It arrives on Friday.", "Thanks.", "Have a nice day.")
    turns = tuple(Turn(i, "customer" if i % 2 == 0 else "agent", text, speaker=label if i % 2 == 0 else "Agent", language=language)
                  for i, text in enumerate(texts))
    assert _flags(Conversation("c", turns, language=language), "personal") == []
    named = tuple(t if t.role == "agent" else Turn(t.index, t.role, t.text, speaker="Anna Nowak", language=language) for t in turns)
    assert [f.turns for f in _flags(Conversation("c", named, language=language), "personal")] == [(1, 3, 5)]
