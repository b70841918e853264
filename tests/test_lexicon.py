"""Tests for analyzer.lexicon: the marker lexicons (en, el, pl, hy) and the matcher."""

from __future__ import annotations

import json
import unicodedata

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from analyzer.errors import ConfigError
from analyzer.lexicon import CATEGORIES, LANGUAGES, LEXICON_DIR, Lexicon, categories, load, match, normalize, scan
from analyzer.lexicon_fold import fold, fold_char

MAJOR = ("please", "gratitude", "apology", "greeting", "hedge", "emotional_reaction", "interpretation",
         "exploration", "commitment", "redirect", "blame", "vague_postpone", "concrete_time",
         "greeting_open", "closing", "next_steps", "contact_back")


def surfaces(text: str, language: str | None, category: str) -> list[str]:
    return [text[m.start:m.end] for m in match(text, language, [category])]


# --- the files ---------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_lexicon_file_loads_with_every_category(language):
    raw = yaml.safe_load((LEXICON_DIR / f"{language}.yaml").read_text(encoding="utf-8"))
    assert list(raw["categories"]) == list(CATEGORIES)
    lex = Lexicon.from_yaml(LEXICON_DIR / f"{language}.yaml", language)
    assert lex.categories == frozenset(CATEGORIES) == categories(language)
    floor = 10 if language == "en" else 6
    for category in MAJOR:
        assert len(raw["categories"][category]) >= floor, (language, category)
    for category in CATEGORIES:
        assert raw["categories"][category], (language, category)


def test_lexicon_files_share_the_same_keys():
    keys = {lang: list(yaml.safe_load((LEXICON_DIR / f"{lang}.yaml").read_text("utf-8"))["categories"])
            for lang in LANGUAGES}
    assert all(k == keys["en"] for k in keys.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_lexicon_file_names_its_sources(language):
    head = (LEXICON_DIR / f"{language}.yaml").read_text(encoding="utf-8").split("categories:")[0]
    assert "written by the team" in head and "Danescu-Niculescu-Mizil" in head


def test_lexicon_bad_file_lists_every_problem(tmp_path):
    path = tmp_path / "xx.yaml"
    cats = {c: ["hello"] for c in CATEGORIES if c not in ("swearing", "insult")}
    cats["please"] = [{"re": "(unclosed"}, {"re": r"(a)\1"}, 42]
    cats["typo_category"] = ["x"]
    path.write_text(yaml.safe_dump({"language": "xx", "categories": cats}), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Lexicon.from_yaml(path, "xx")
    message = str(info.value)
    assert message.startswith("E050")
    for bit in ("swearing", "insult", "typo_category", "(unclosed", "backreferences", "please -> 2"):
        assert bit in message


def test_lexicon_unknown_category_is_a_coded_error():
    with pytest.raises(ConfigError) as info:
        match("thank you", "en", ["gratitud"])
    assert info.value.code == "E040" and "'gratitude'" in str(info.value)


@pytest.mark.parametrize("language, expected", [
    (None, "en"), ("", "en"), ("de", "en"), ("EN-us", "en"), ("el-GR", "el"), ("ell", "el"),
    ("pl_PL", "pl"), ("hye", "hy"), ("HY", "hy"),
])
def test_lexicon_language_resolution(language, expected):
    assert load(language).language == expected


def test_lexicon_load_is_cached():
    assert load("pl") is load("pl-PL")


# --- matching in each language -----------------------------------------------------------

CASES = [
    # English
    ("en", "Hi Sarah, thank you for reaching out!", "greeting_open", "thank you for reaching out"),
    ("en", "Hi Sarah, thank you for reaching out!", "gratitude", "thank you"),
    ("en", "Hi Sarah, thank you for reaching out!", "personal_address", "Hi Sarah"),
    ("en", "Could you please DM us your booking reference?", "please", "please"),
    ("en", "I’m so sorry to hear about the delay.", "emotional_reaction", "so sorry to hear"),
    ("en", "I’m so sorry to hear about the delay.", "apology", "I’m so sorry"),
    ("en", "It sounds like the agent gave you the wrong gate.", "interpretation", "It sounds like"),
    ("en", "Can you tell me more about what happened at the desk?", "exploration", "Can you tell me more"),
    ("en", "I think the flight might be full.", "hedge", "I think"),
    ("en", "Why did you cancel it? Send me the refund now.", "direct_question", "Why did you"),
    ("en", "Why did you cancel it? Send me the refund now.", "bare_command", "Send"),
    ("en", "That's not our department, you need to contact the bank.", "redirect", "you need to contact"),
    ("en", "You should have read the terms before booking.", "blame", "You should have"),
    ("en", "I have refunded the ticket; you will receive an email.", "commitment", "I have refunded"),
    ("en", "I have refunded the ticket; you will receive an email.", "next_steps", "you will receive"),
    ("en", "Your refund will arrive within 5 business days.", "concrete_time", "within 5 business days"),
    ("en", "You can reach us at 0800 123 456. Have a great day!", "contact_back", "You can reach us at"),
    ("en", "You can reach us at 0800 123 456. Have a great day!", "closing", "Have a great day"),
    ("en", "Please confirm the card number and the CVV.", "ask_card", "card number"),
    ("en", "Please confirm the card number and the CVV.", "ask_card", "CVV"),
    ("en", "Never share your password or PIN.", "ask_password", "your password"),
    ("en", "Never share your password or PIN.", "ask_password", "PIN"),
    ("en", "Read me the verification code we sent.", "ask_otp", "verification code"),
    ("en", "Dear Mr. Jones, thanks again.", "personal_address", "Dear Mr. Jones"),
    ("en", "Thanks, Mr. Jones.", "personal_address", "Mr. Jones"),
    ("en", "This is a fucking joke, you idiots.", "swearing", "fucking"),
    ("en", "This is a fucking joke, you idiots.", "insult", "idiots"),
    # Greek (accented, unaccented, capitals, final sigma)
    ("el", "Καλημέρα σας! Ευχαριστούμε για την υπομονή σας.", "greeting_open", "Καλημέρα σας"),
    ("el", "Καλημέρα σας! Ευχαριστούμε για την υπομονή σας.", "gratitude", "Ευχαριστούμε για την υπομονή σας"),
    ("el", "καλημερα σας, ευχαριστουμε πολυ", "gratitude", "ευχαριστουμε πολυ"),
    ("el", "ΕΥΧΑΡΙΣΤΟΥΜΕ ΠΟΛΥ", "gratitude", "ΕΥΧΑΡΙΣΤΟΥΜΕ ΠΟΛΥ"),
    ("el", "Ζητούμε συγγνώμη για την ταλαιπωρία.", "apology", "Ζητούμε συγγνώμη για την ταλαιπωρία"),
    ("el", "Ζητούμε συγγνώμη.", "apology", "Ζητούμε συγγνώμη"),
    ("el", "ζητουμε συγνωμη", "apology", "ζητουμε συγνωμη"),
    ("el", "Καταλαβαίνω απόλυτα πώς νιώθετε.", "emotional_reaction", "Καταλαβαίνω απόλυτα"),
    ("el", "Καταλαβαίνω απόλυτα πώς νιώθετε.", "exploration", "πώς νιώθετε"),
    ("el", "Αν κατάλαβα καλά, η παραγγελία δεν έφτασε.", "interpretation", "Αν κατάλαβα καλά"),
    ("el", "Θα το φροντίσω προσωπικά.", "commitment", "Θα το φροντίσω"),
    ("el", "Θα σας καλέσουμε αύριο στις 10.", "commitment", "Θα σας καλέσουμε"),
    ("el", "Θα σας καλέσουμε αύριο στις 10.", "concrete_time", "αύριο στις 10"),
    ("el", "Θα επικοινωνήσουμε μαζί σας σύντομα.", "vague_postpone", "Θα επικοινωνήσουμε μαζί σας"),
    ("el", "Θα επικοινωνήσουμε μαζί σας σύντομα.", "vague_postpone", "σύντομα"),
    ("el", "Δεν είναι αρμοδιότητά μας, απευθυνθείτε στην τράπεζα.", "redirect", "Δεν είναι αρμοδιότητά μας"),
    ("el", "Όπως σας είπαμε ήδη, δικό σας λάθος.", "blame", "Όπως σας είπαμε ήδη"),
    ("el", "Μπορείτε να μου πείτε τον κωδικό μιας χρήσης;", "ask_otp", "κωδικό μιας χρήσης"),
    ("el", "Δώστε μου τον αριθμό κάρτας.", "ask_card", "αριθμό κάρτας"),
    ("el", "Είστε άχρηστοι και απατεώνες.", "insult", "απατεώνες"),
    ("el", "ΕΙΣΤΕ ΜΑΛΑΚΑΣ", "insult", "ΜΑΛΑΚΑΣ"),
    ("el", "ειστε μαλακασ", "insult", "μαλακασ"),  # final sigma typed as σ
    ("el", "ΣΑΣ ΕΥΧΑΡΙΣΤΟΥΜΕ", "formal_address", "ΣΑΣ"),
    ("el", "σασ ευχαριστουμε", "gratitude", "σασ ευχαριστουμε"),
    ("el", "Είστε άχρηστοι και απατεώνες.", "formal_address", "Είστε"),
    ("el", "Εσύ μου το είπες, σου λέω.", "informal_address", "Εσύ"),
    ("el", "Καλή συνέχεια και καλή σας μέρα!", "closing", "καλή σας μέρα"),
    ("el", "Αγαπητέ κύριε Παπαδόπουλε,", "personal_address", "κύριε Παπαδόπουλε"),
    ("el", "Γιατί δεν απαντάτε;", "direct_question", "Γιατί"),
    # Polish (with and without diacritics, inflected forms)
    ("pl", "Dzień dobry, dziękuję za wiadomość.", "greeting_open", "Dzień dobry"),
    ("pl", "Dzień dobry, dziękuję za wiadomość.", "gratitude", "dziękuję"),
    ("pl", "dzien dobry, dziekuje bardzo", "gratitude", "dziekuje"),
    ("pl", "DZIĘKUJEMY za cierpliwość", "gratitude", "DZIĘKUJEMY za cierpliwość"),
    ("pl", "Przepraszamy za niedogodności.", "apology", "Przepraszamy za niedogodności"),
    ("pl", "Najmocniej przepraszam, przykro mi.", "apology", "Najmocniej przepraszam"),
    ("pl", "Najmocniej przepraszam, przykro mi.", "apology", "przykro mi"),
    ("pl", "Należą się Panu przeprosiny.", "apology", "przeprosiny"),
    ("pl", "Zajmę się tym osobiście.", "commitment", "Zajmę się tym"),
    ("pl", "zajme sie tym osobiscie", "commitment", "zajme sie tym"),
    ("pl", "Zwróciliśmy już pieniądze.", "commitment", "Zwróciliśmy"),
    ("pl", "Oddzwonimy jutro o 10:00.", "concrete_time", "jutro o 10:00"),
    ("pl", "Odezwiemy się wkrótce.", "vague_postpone", "Odezwiemy się"),
    ("pl", "Odezwiemy się wkrótce.", "vague_postpone", "wkrótce"),
    ("pl", "Rozumiem Pana frustrację.", "emotional_reaction", "Rozumiem Pana frustrację"),
    ("pl", "Wygląda na to, że paczka utknęła.", "interpretation", "Wygląda na to, że"),
    ("pl", "Co dokładnie się stało?", "exploration", "Co dokładnie się stało"),
    ("pl", "Myślę, że to możliwe.", "hedge", "Myślę, że"),
    ("pl", "To nie nasz dział, musi się Pan skontaktować z bankiem.", "redirect", "To nie nasz dział"),
    ("pl", "To nie nasz dział, musi się Pan skontaktować z bankiem.", "redirect", "musi się Pan skontaktować z"),
    ("pl", "Jak już informowaliśmy, to Pana wina.", "blame", "Jak już informowaliśmy"),
    ("pl", "Jak już informowaliśmy, to Pana wina.", "formal_address", "Pana"),
    ("pl", "Czy możesz mi wysłać twój numer?", "informal_address", "możesz"),
    ("pl", "Proszę podać numer karty i kod CVV.", "ask_card", "numer karty"),
    ("pl", "Proszę podać hasło.", "ask_password", "hasło"),
    ("pl", "Proszę podać kod SMS.", "ask_otp", "kod SMS"),
    ("pl", "Miłego dnia! Pozdrawiam.", "closing", "Miłego dnia"),
    ("pl", "Miłego dnia! Pozdrawiam.", "closing", "Pozdrawiam"),
    ("pl", "Panie Kowalski, dziękujemy.", "personal_address", "Panie Kowalski"),
    ("pl", "Kurwa, co za złodzieje!", "swearing", "Kurwa"),
    ("pl", "Kurwa, co za zlodzieje!", "insult", "zlodzieje"),
    # Armenian (Eastern; ՞ inside a word, the և ligature, ։ full stop)
    ("hy", "Բարև Ձեզ։ Ինչո՞ւ եք ուշացնում։", "greeting_open", "Բարև Ձեզ"),
    ("hy", "Բարեւ ձեզ։ Ինչո՞ւ եք ուշացնում։", "greeting", "Բարեւ ձեզ"),
    ("hy", "Լավ։ Ինչո՞ւ եք ուշացնում։", "direct_question", "Ինչո՞ւ"),
    ("hy", "Շնորհակալություն համբերության համար։", "gratitude", "Շնորհակալություն համբերության համար"),
    ("hy", "Ներողություն ենք խնդրում ուշացման համար։", "apology", "Ներողություն ենք խնդրում"),
    ("hy", "Ես կզբաղվեմ դրանով և վաղը կզանգահարեմ։", "commitment", "Ես կզբաղվեմ"),
    ("hy", "Ես կզբաղվեմ դրանով և վաղը կզանգահարեմ։", "concrete_time", "վաղը"),
    ("hy", "Կզանգահարենք վաղը ժամը 10-ին։", "concrete_time", "վաղը ժամը 10-ին"),
    ("hy", "Կկապվենք ձեզ հետ շուտով։", "vague_postpone", "Կկապվենք ձեզ հետ"),
    ("hy", "Կկապվենք ձեզ հետ շուտով։", "vague_postpone", "շուտով"),
    ("hy", "Հասկանում եմ, թե որքան տհաճ է։", "emotional_reaction", "Հասկանում եմ"),
    ("hy", "Կարո՞ղ եք ավելին պատմել։", "exploration", "Կարո՞ղ եք ավելին պատմել"),
    ("hy", "Կարծում եմ, որ թռիչքը չեղարկվել է։", "hedge", "Կարծում եմ"),
    ("hy", "Դա մեր բաժինը չէ, պետք է դիմեք բանկին։", "redirect", "Դա մեր բաժինը չէ"),
    ("hy", "Ինչպես արդեն ասել ենք, ձեր մեղքն է։", "blame", "Ինչպես արդեն ասել ենք"),
    ("hy", "Խնդրում եմ, ուղարկեք քարտի համարը և SMS կոդը։", "please", "Խնդրում եմ"),
    ("hy", "Խնդրում եմ, ուղարկեք քարտի համարը և SMS կոդը։", "ask_card", "քարտի համարը"),
    ("hy", "Խնդրում եմ, ուղարկեք քարտի համարը և SMS կոդը։", "ask_otp", "SMS կոդը"),
    ("hy", "Ասեք Ձեր գաղտնաբառը։", "ask_password", "գաղտնաբառը"),
    ("hy", "Հարգելի պարոն Պետրոսյան, հաճելի օր։", "personal_address", "պարոն Պետրոսյան"),
    ("hy", "Հարգելի պարոն Պետրոսյան, հաճելի օր։", "closing", "հաճելի օր"),
    ("hy", "Դու ապուշ ես։", "informal_address", "Դու"),
    ("hy", "Դու ապուշ ես։", "insult", "ապուշ"),
    ("hy", "Կարող եք կապվել մեզ հետ հեռախոսով։", "contact_back", "Կարող եք կապվել մեզ հետ"),
]


@pytest.mark.parametrize("language, text, category, expected", CASES)
def test_lexicon_marker_on_the_right_characters(language, text, category, expected):
    assert expected in surfaces(text, language, category)


@pytest.mark.parametrize("language, text", [
    ("en", "The parcel left the warehouse and the courier delivers on the route."),
    ("el", "Η παράδοση του προϊόντος γίνεται από την αποθήκη της εταιρείας."),
    ("pl", "Paczka została nadana w sortowni i jest w drodze do odbiorcy."),
    ("hy", "Առաքումը կատարվում է պահեստից ընկերության տրանսպորտով։"),
])
def test_lexicon_neutral_sentence_has_no_markers(language, text):
    assert match(text, language) == []


def test_lexicon_concrete_promise_against_vague_deferral():
    text = "we will call you tomorrow at 10"
    found = {(m.category, text[m.start:m.end]) for m in match(text, "en")}
    assert ("commitment", "we will call") in found
    assert ("concrete_time", "tomorrow at 10") in found
    assert not any(c == "vague_postpone" for c, _ in found)
    vague = "We’ll get back to you."
    found = {(m.category, vague[m.start:m.end]) for m in match(vague, "en")}
    assert ("vague_postpone", "We’ll get back to you") in found
    assert not any(c in ("commitment", "concrete_time") for c, _ in found)


def test_lexicon_word_boundaries():
    assert surfaces("This is unpleasant, hiking is fun.", "en", "please") == []
    assert surfaces("Ship it.", "en", "greeting") == []
    assert surfaces("Chillax", "en", "greeting") == []


def test_lexicon_folding_collisions_are_guarded():
    # "część" (part) and "cześć" (hi) fold alike; only the greeting's shape counts
    assert surfaces("Część zamówienia dotarła.", "pl", "greeting") == []
    assert surfaces("Cześć, w czym mogę pomóc?", "pl", "greeting") == ["Cześć"]
    assert surfaces("Η κυρία που μίλησα ήταν ευγενική.", "el", "personal_address") == []


def test_lexicon_phrase_names_the_entry():
    (marker,) = match("Dziekuje!", "pl", ["gratitude"])
    assert marker.phrase == "dziękuję"
    (marker,) = match("See you on Monday.", "en", ["concrete_time"])
    assert marker.phrase.startswith("re: ") and marker.category == "concrete_time"


# --- offsets, normalisation ----------------------------------------------------------------

@pytest.mark.parametrize("text, folded", [
    ("Ευχαριστώ ΠΟΛΎ", "ευχαριστω πολυ"),
    ("ΐ ΰ ς Σ", "ι υ σ σ"),
    ("Dziękuję, Łukasz", "dziekuje, lukasz"),
    ("Ինչո՞ւ Բարև", "ինչու բարեւ"),
    ("I’ll", "i'll"),
])
def test_lexicon_normalize_folds(text, folded):
    assert normalize(text)[0] == folded


@pytest.mark.parametrize("text, language", [
    (unicodedata.normalize("NFD", "Ευχαριστούμε πολύ! Ζητούμε συγγνώμη."), "el"),
    ("Straße\u200b, ﬁne. Thank\u00ad you so much, İlker!", "en"),
    ("Բարև Ձեզ։ Ինչո՞ւ եք ուշացնում։ Շնորհակալություն։", "hy"),
    (unicodedata.normalize("NFD", "Dzień dobry, przepraszamy. Zajmę się tym jutro o 10:00."), "pl"),
])
def test_lexicon_offsets_slice_the_original(text, language):
    found = match(text, language)
    assert found
    for m in found:
        surface = text[m.start:m.end]
        assert surface and surface == surface.strip()
        # the slice folds to what the entry matched: matching the slice alone finds it again
        assert any(x.category == m.category and x.start == 0 and x.end == len(surface)
                   for x in scan(surface, language, [m.category])) or m.phrase.startswith("re: <S>")
    if "NFD" not in text:
        assert text[found[0].start:found[0].end] in text


def test_lexicon_nfd_accents_are_kept_in_the_slice():
    text = unicodedata.normalize("NFD", "Ευχαριστώ")
    (marker,) = match(text, "el", ["gratitude"])
    assert (marker.start, marker.end) == (0, len(text))


def test_lexicon_markers_sorted_and_not_overlapping_within_a_category():
    text = "Thank you, thanks so much! Sorry, so sorry, I'm so sorry to hear that. Thank you thank you."
    found = match(text, "en")
    assert found == sorted(found, key=lambda m: (m.start, m.end, m.category))
    for category in {m.category for m in found}:
        spans = [(m.start, m.end) for m in found if m.category == category]
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert surfaces(text, "en", "gratitude")[:2] == ["Thank you", "thanks so much"]


def test_lexicon_empty_text_and_single_category_string():
    assert match("", "el") == []
    assert [m.category for m in match("Thanks!", "en", "gratitude")] == ["gratitude"]


# --- the word index against a full scan, on real data ---------------------------------------

def test_lexicon_index_agrees_with_full_scan_on_parallel_items(shared_data):
    path = shared_data / "translated-el-pl-hy" / "train.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    with path.open(encoding="utf-8") as lines:
        items = [json.loads(line) for _, line in zip(range(200), lines)]
    hits = {lang: 0 for lang in LANGUAGES}
    for item in items:
        for lang in LANGUAGES:
            found = match(item[lang], lang)
            assert found == scan(item[lang], lang), (lang, item[lang])
            hits[lang] += len(found)
    assert min(hits.values()) > 0.5 * max(hits.values())  # coverage is of the same order


def test_lexicon_index_agrees_with_full_scan_on_agent_turns(shared_data):
    path = shared_data / "conversations" / "twacs_airlines.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    turns: list[str] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            turns += [t["text"] for t in json.loads(line)["turns"] if t["role"] == "agent"]
            if len(turns) >= 300:
                break
    subset = ["apology", "commitment", "concrete_time", "closing"]
    for text in turns:
        assert match(text, "en") == scan(text, "en")
        assert match(text, "en", subset) == [m for m in scan(text, "en") if m.category in subset]
    assert sum(1 for t in turns if match(t, "en", ["apology"])) > 30


PIECES = ["Ευχαριστώ πολύ", "ΣΥΓΓΝΏΜΗ", "ΐ", "ς", "Dziękuję", "ŁUKASZ", "przepraszamy", "Ինչո՞ւ", "բարև",
          "Շնորհակալություն", "։", "Straße", "ﬁ", "İ", "\u0301", "\u200b", "\u00ad", "’", "…", "I’ll", "sorry",
          "tomorrow at 10", "we'll get back to you", " ", ", ", ". ", "😀", "x", "7"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12), st.sampled_from(LANGUAGES))
def test_lexicon_offsets_hold_for_any_mix(pieces, language):
    text = "".join(pieces)
    folded, index = normalize(text)
    if index is None:
        assert len(folded) == len(text)
    else:
        assert len(index) == len(folded) and index == sorted(index)
        assert all(folded[j] in normalize(text[i])[0] for j, i in enumerate(index))
    found = match(text, language)
    assert found == scan(text, language)
    for m in found:
        assert 0 <= m.start < m.end <= len(text)
        assert normalize(text[m.start:m.end])[0].strip() == normalize(text[m.start:m.end])[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_lexicon_index_agrees_with_full_scan_on_every_phrase(language):
    # every literal entry, in a sentence and in capitals: the word index (and its guards) finds what a scan finds
    raw = yaml.safe_load((LEXICON_DIR / f"{language}.yaml").read_text(encoding="utf-8"))["categories"]
    phrases = [p.replace("*", "") for items in raw.values() for p in items if isinstance(p, str)]
    assert len(phrases) > 100
    found = 0
    for phrase in phrases:
        for text in (f"Well, {phrase} today.", f"{phrase.upper()}! 24 {phrase}"):
            markers = match(text, language)
            assert markers == scan(text, language), (language, text)
            found += bool(markers)
    assert found >= len(phrases)  # each phrase is found at least in one of its two sentences


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_lexicon_fold_is_per_character(text):
    folded, breaks = fold(text)
    assert folded == "".join(fold_char(c) for c in text)
    assert (breaks is None) == all(len(fold_char(c)) == 1 for c in text)


@pytest.mark.parametrize("char, folded", [
    ("Ώ", "ω"), ("ς", "σ"), ("Ł", "l"), ("ą", "a"), ("և", "եւ"), ("՞", ""), ("։", "."), ("’", "'"),
    ("ß", "ss"), ("…", "..."), ("\u00a0", " "), ("Ա", "ա"), ("x", "x"),
])
def test_lexicon_fold_char(char, folded):
    assert fold_char(char) == folded
    assert fold(f"a{char}b")[0] == f"a{folded}b"
