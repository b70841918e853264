"""Language identification on real text: seed articles, translated items, multilingual support chats."""

from __future__ import annotations

import json
import random
import re
from collections import Counter

import pytest

from analyzer.normalize import language as lang_mod
from analyzer.normalize.language import (
    SUPPORTED,
    detect_languages,
    identify,
    identify_batch,
    normalize_code,
)
from analyzer.types import Conversation, Turn

SEED_LANGUAGES = {"000": "el", "001": "pl", "002": "hy", "003": "el", "004": "pl"}
SCRIPT_RANGES = {"el": ((0x370, 0x3FF), (0x1F00, 0x1FFF)), "hy": ((0x530, 0x58F),)}


def _share_of_script(text: str, language: str) -> float:
    letters = [c for c in text if c.isalpha()]
    inside = sum(any(a <= ord(c) <= b for a, b in SCRIPT_RANGES[language]) for c in letters)
    return inside / max(1, len(letters))


def _accuracy(pairs) -> tuple[float, int, list]:
    wrong = [(gold, got, text[:80]) for text, gold, got in pairs if got != gold]
    return 1 - len(wrong) / len(pairs), len(pairs), wrong[:5]


@pytest.fixture(scope="module")
def seed_items(shared_data):
    seeds = shared_data.parent / "seeds"
    if not seeds.exists():
        pytest.skip(f"seed articles not found at {seeds}")
    items = []
    for path in sorted(seeds.glob("*.txt")):
        gold = SEED_LANGUAGES.get(path.name[:3])
        if gold is None:
            continue
        text = path.read_text(encoding="utf-8")
        for chunk in re.split(r"(?<=[.!?;։:])\s+|\n+", text):  # sentences, or lines where a line has no stop
            if len(chunk.split()) < 5:
                continue
            # Gold: a line of an article in Greek or Armenian that is mostly Latin letters is not in that language
            # (an English video title, a template error); it cannot carry the article's label.
            if gold in SCRIPT_RANGES and _share_of_script(chunk, gold) < 0.5:
                continue
            items.append((chunk, gold))
    return items


@pytest.mark.parametrize("language", ["el", "pl", "hy"])
def test_language_seed_articles_accuracy(seed_items, language):
    items = [(t, g) for t, g in seed_items if g == language]
    assert len(items) >= 15, f"too few {language} chunks in the seeds: {len(items)}"
    found = identify_batch([t for t, _ in items])
    acc, n, wrong = _accuracy([(t, g, f) for (t, g), f in zip(items, found)])
    assert acc >= 0.99, f"{language}: accuracy {acc:.4f} on {n} seed chunks of >= 5 words; wrong: {wrong}"


@pytest.fixture(scope="module")
def translated(shared_data):
    path = shared_data / "translated-el-pl-hy" / "train.jsonl"
    if not path.exists():
        pytest.skip(f"translated items not found at {path}")
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    return random.Random(13).sample(rows, 300)


@pytest.mark.parametrize("language", SUPPORTED)
def test_language_translated_items_accuracy(translated, language):
    texts = [row[language] for row in translated if len(row[language].split()) >= 5]
    assert len(texts) >= 250
    found = identify_batch(texts)
    acc, n, wrong = _accuracy([(t, language, f) for t, f in zip(texts, found)])
    assert acc >= 0.99, f"{language}: accuracy {acc:.4f} on {n} translated items of >= 5 words; wrong: {wrong}"


# Measured on this fixed sample (seed 7, 150 turns of >= 5 words per language): de 0.973, en 0.993, fr 0.987,
# ko 0.980, nl 1.000, pt 0.980. The misses are mixed or mislabelled turns ("Visitor uploaded: ... Type:
# image/png" system lines, customers switching to English), so the floors sit just under those figures.
WMT_FLOORS = {"de": 0.96, "fr": 0.97, "nl": 0.99, "pt": 0.97, "ko": 0.97, "en": 0.98}


@pytest.fixture(scope="module")
def wmt_turns(shared_data):
    path = shared_data / "conversations" / "wmt24_chat_customer_support.jsonl"
    if not path.exists():
        pytest.skip(f"WMT24 support chats not found at {path}")
    by_language: dict[str, list[str]] = {}
    for line in path.open(encoding="utf-8"):
        for turn in json.loads(line)["turns"]:
            text, code = turn["text"], normalize_code(turn.get("text_language"))
            if code is None or len(re.sub(r"#[A-Z_]+#", " ", text).split()) < 5:
                continue  # masked placeholders (#NAME#, #ADDRESS#) are not words of any language
            if code == "ko" and not any("\uac00" <= c <= "\ud7af" for c in text):
                continue  # labelled Korean but written without one Hangul syllable: the customer wrote English
            if code == "en" and turn["role"] != "agent":
                continue
            by_language.setdefault(code, []).append(text)
    rnd = random.Random(7)
    return {code: rnd.sample(texts, min(150, len(texts))) for code, texts in sorted(by_language.items())}


@pytest.mark.parametrize("language", sorted(WMT_FLOORS))
def test_language_real_support_chats_by_code(wmt_turns, language):
    texts = wmt_turns[language]
    found = identify_batch(texts)
    acc, n, wrong = _accuracy([(t, language, f) for t, f in zip(texts, found)])
    counts = Counter(found)
    assert acc >= WMT_FLOORS[language], (
        f"{language}: accuracy {acc:.4f} on {n} real support turns (floor {WMT_FLOORS[language]}); "
        f"found {dict(counts)}; wrong: {wrong}"
    )
    if language != "en":
        assert counts["en"] / n < 0.05, f"{language} turns reported as English: {counts['en']}/{n}"


@pytest.mark.parametrize("text", ["", "   ", "👍🙂", "12345 678", "ok", "Thanks!", "#NAME# #PRS_ORG#", "https://example.com/a b"])
def test_language_identify_too_little_text_is_none(text):
    assert identify(text) is None


@pytest.mark.parametrize("text, code", [
    ("Ευχαριστώ", "el"), ("Շնորհակալություն", "hy"), ("감사합니다", "ko"),
    ("Το iPhone δεν φορτίζει καθόλου", "el"),
    ("Dzień dobry, zamówienie nie dotarło", "pl"), ("Hi there, my parcel never arrived", "en"),
    ("Guten Tag, meine Bestellung ist nicht angekommen", "de"),
    ("Здравствуйте, мой заказ не пришёл", "ru"),
])
def test_language_identify_examples(text, code):
    assert identify(text) == code


def test_language_identify_batch_matches_identify(translated):
    texts = [row[k] for row in translated[:40] for k in ("en", "pl", "el")] + ["", "ok 👍", "x" * 500 + " word"]
    one_by_one = [identify(t) for t in texts]
    assert identify_batch(texts) == one_by_one
    assert identify_batch(texts, parallel=False) == one_by_one
    assert identify_batch([]) == []


def test_language_detector_built_once_per_process():
    identify("Dzień dobry, zamówienie nie dotarło")
    first = lang_mod._detectors_()
    identify("Hello there, how are you today")
    assert lang_mod._detectors_() is first


def _conv(*turns, **kwargs):
    return Conversation("c", tuple(Turn(i, role, text, **extra) for i, (role, text, extra) in enumerate(turns)), **kwargs)


def test_language_detect_short_turns_inherit_from_same_role():
    conv = _conv(
        ("customer", "Dzień dobry, moja paczka nie dotarła jeszcze do domu.", {}),
        ("agent", "Hello, I am sorry to hear that, let me check the order for you.", {}),
        ("customer", "ok dzięki", {}),
        ("agent", "Done!", {}),
        ("customer", "👍", {}),
    )
    out = detect_languages(conv)
    assert [t.language for t in out.turns] == ["pl", "en", "pl", "en", "pl"]
    assert out.language == "en"  # the agent wrote more characters
    assert conv.turns[2].language is None and conv.language is None  # the input is left alone


def test_language_detect_mixed_conversation_keeps_per_turn_languages(shared_data):
    path = shared_data / "conversations" / "wmt24_chat_customer_support.jsonl"
    if not path.exists():
        pytest.skip(f"WMT24 support chats not found at {path}")
    for line in path.open(encoding="utf-8"):
        record = json.loads(line)
        if record["language"] == "nl" and len(record["turns"]) >= 6:
            break
    turns = tuple(Turn(i, t["role"], t["text"]) for i, t in enumerate(record["turns"]))
    out = detect_languages(Conversation(record["id"], turns))
    gold = [normalize_code(t["text_language"]) for t in record["turns"]]
    got = [t.language for t in out.turns]
    agree = sum(g == f for g, f in zip(gold, got)) / len(gold)
    assert agree >= 0.8, f"per-turn agreement {agree:.2f}: gold {gold}, got {got}"
    assert {"nl", "en"} <= set(got)
    chars = Counter()
    for t in out.turns:
        chars[t.language] += len(t.text)
    assert out.language == chars.most_common(1)[0][0]


def test_language_detect_short_turn_without_same_role_neighbour_takes_conversation_language():
    conv = _conv(
        ("customer", "Γεια σας, η παραγγελία μου δεν έχει φτάσει ακόμα και περιμένω δύο εβδομάδες.", {}),
        ("agent", "OK!", {}),
    )
    out = detect_languages(conv)
    assert [t.language for t in out.turns] == ["el", "el"] and out.language == "el"


def test_language_detect_keeps_languages_the_source_gave():
    conv = _conv(
        ("customer", "Hello, my order is late and nobody answers my emails.", {"language": "pt-BR"}),
        ("agent", "Sorry to hear that, I will look into it right away for you.", {}),
        language="EL",
    )
    out = detect_languages(conv)
    assert [t.language for t in out.turns] == ["pt", "en"]
    assert out.language == "el"


def test_language_detect_without_any_text_leaves_none():
    out = detect_languages(_conv(("customer", "👍", {}), ("agent", "🙂", {})))
    assert [t.language for t in out.turns] == [None, None] and out.language is None


def test_language_role_level_detection_agrees_with_per_turn_on_real_chats(shared_data):
    """The default (one lingua call per role, per-turn only for odd turns) matches per-turn identification."""
    import itertools

    import analyzer
    from analyzer.normalize.language import detect_languages

    path = shared_data / "conversations" / "wmt24_chat_customer_support.jsonl"
    same = total = 0
    for conv in itertools.islice(analyzer.read(path), 120):
        bare = conv.__class__(conv.id, tuple(t.__class__(t.index, t.role, t.text) for t in conv.turns))
        fast, slow = detect_languages(bare), detect_languages(bare, per_turn=True)
        for a, b in zip(fast.turns, slow.turns):
            same += a.language == b.language
            total += 1
    assert same / total >= 0.97, f"agreement {same / total:.3f} over {total} turns"
