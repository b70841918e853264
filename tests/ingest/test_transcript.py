"""Plain-text transcripts read through ``analyzer.read``: labels, text, times, splitting, bad lines."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from analyzer import InputError, read

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "transcripts"
UTC = timezone.utc


def _read(path, **options):
    errors: list[InputError] = []
    convs = list(read(path, on_error=errors.append, **options))
    return convs, errors


def _one(name: str):
    convs, errors = _read(SAMPLES / name)
    assert errors == []
    assert len(convs) == 1
    return convs[0]


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_transcript_samples_read_without_errors_in_every_language():
    convs, errors = _read(SAMPLES)
    assert errors == []
    ids = {c.id for c in convs}
    assert {"EN-CHAT-1042", "EN-CALL-7731", "EL-CHAT-201", "EL-CHAT-202", "PL-CALL-3310", "HY-CHAT-55",
            "HY-CALL-9", "en_chat_names.log#1", "pl_chat_dostawa.txt#1"} <= ids
    for conv in convs:
        assert {t.role for t in conv.turns} == {"agent", "customer"}, conv.id


def test_transcript_turn_text_is_verbatim_from_the_file():
    """Only the label, time and separator are cut: each turn's text sits in the file as written."""
    for path in sorted(SAMPLES.iterdir()):
        source = path.read_text(encoding="utf-8")
        convs, errors = _read(path)
        assert errors == []
        for conv in convs:
            for turn in conv.turns:
                assert turn.text and turn.text in source, (path.name, turn.index)
                assert turn.text == turn.text.strip()
                first_line = turn.text.split("\n", 1)[0]
                label_line = next(line for line in source.splitlines() if line.endswith(first_line))
                assert label_line != first_line  # a label was cut from the front


def test_transcript_multiline_turn_keeps_newlines():
    conv = _one("en_chat_good.txt")
    assert conv.turns[2].text == (
        "I can see the parcel was handed to the courier on Thursday, but it was held at their depot because of a damaged label.\n"
        "I've opened a trace with the courier and asked them to relabel it today.\n"
        "You should get a new tracking e-mail by 6 pm."
    )
    assert conv.turns[3].text == "Oh OK. Will it still arrive before the weekend?"
    # a blank line inside a turn is kept; the blank line after the last turn is not
    pl = _one("pl_chat_dostawa.txt")
    assert pl.turns[2].text.endswith("przed przyjazdem.\n\nW ramach przeprosin zwrócimy koszt dostawy na Pana konto w ciągu 3 dni.")
    assert pl.turns[3].text == "Dobrze, dziękuję za szybką pomoc."


@pytest.mark.parametrize(
    "name, speakers, roles",
    [
        ("en_chat_good.txt", ["Customer", "Anna", "Anna", "Customer"], ["customer", "agent", "agent", "customer"]),
        ("en_call_billing.txt", ["Customer", "Agent", "Customer"], ["customer", "agent", "customer"]),
        ("pl_call_reklamacja.txt", ["Klient", "Konsultant", "Klient"], ["customer", "agent", "customer"]),
        ("pl_chat_dostawa.txt", ["Klient", "Konsultantka", "Konsultantka"], ["customer", "agent", "agent"]),
        ("hy_chat.txt", ["Հաճախորդ", "Օպերատոր", "Օպերատոր"], ["customer", "agent", "agent"]),
        ("hy_call.txt", ["Հաճախորդ", "Օպերատոր", "Հաճախորդ"], ["customer", "agent", "customer"]),
    ],
)
def test_transcript_labels_map_to_roles(name, speakers, roles):
    conv = _one(name)
    n = len(speakers)
    assert [t.speaker for t in conv.turns[:n]] == speakers
    assert [t.role for t in conv.turns[:n]] == roles
    assert all("role_inferred" not in t.meta for t in conv.turns)


def test_transcript_greek_file_splits_into_two_conversations():
    convs, errors = _read(SAMPLES / "el_chat.txt")
    assert errors == []
    assert [c.id for c in convs] == ["EL-CHAT-201", "EL-CHAT-202"]
    assert [len(c.turns) for c in convs] == [5, 4]
    assert [t.speaker for t in convs[1].turns] == ["Πελάτης", "Εκπρόσωπος", "Πελάτης", "Εκπρόσωπος"]
    assert [t.role for t in convs[1].turns] == ["customer", "agent", "customer", "agent"]
    assert convs[1].turns[1].text == "Θα σας ενημερώσουμε κάποια στιγμή."
    # the file's date header (dd.mm.yyyy) dates both conversations
    assert convs[0].turns[0].timestamp == datetime(2024, 3, 12, 9, 15, 2, tzinfo=UTC)
    assert convs[1].turns[3].timestamp == datetime(2024, 3, 12, 17, 5, 2, tzinfo=UTC)
    assert all(c.channel == "chat" for c in convs)


def test_transcript_header_date_gives_full_timestamps():
    conv = _one("en_chat_good.txt")
    assert conv.turns[0].timestamp == datetime(2024, 5, 1, 10, 2, 11, tzinfo=UTC)
    assert conv.turns[1].timestamp - conv.turns[0].timestamp == timedelta(seconds=37)
    assert all("time_only" not in t.meta for t in conv.turns)
    assert conv.meta["queue"] == "orders" and conv.meta["date"] == "2024-05-01"


def test_transcript_time_without_date_keeps_order_and_waits():
    conv = _one("en_call_billing.txt")
    stamps = [t.timestamp for t in conv.turns]
    assert stamps[0] == datetime(1970, 1, 1, 14, 3, tzinfo=UTC)
    assert all(t.meta.get("time_only") is True for t in conv.turns)
    assert stamps == sorted(stamps)
    assert (stamps[1] - stamps[0]).total_seconds() == 360  # the six-minute wait for the agent
    assert conv.channel == "call"  # from the file name


def test_transcript_dated_lines_and_inferred_roles_for_plain_names():
    conv = _one("en_chat_names.log")
    assert conv.id == "en_chat_names.log#1"
    assert [t.speaker for t in conv.turns[:2]] == ["mike_t", "Daniel"]
    assert [t.role for t in conv.turns] == ["customer", "agent", "customer", "agent", "customer"]
    assert all("role_inferred" in t.meta for t in conv.turns)
    assert conv.turns[1].timestamp == datetime(2024, 5, 2, 18, 41, 55, tzinfo=UTC)
    assert conv.turns[0].text == "hey, my promo code SPRING20 doesn't work at checkout"


def test_transcript_channel_from_localised_headers():
    assert _one("pl_call_reklamacja.txt").channel == "call"  # "Kanał: telefon"
    assert _one("hy_call.txt").channel == "call"
    pl = _one("pl_call_reklamacja.txt")
    assert pl.turns[0].timestamp == datetime(2024, 4, 18, 11, 20, 5, tzinfo=UTC)


def test_transcript_agent_names_option_decides_unlabelled_speakers(tmp_path):
    path = _write(tmp_path, "names.txt", "Anna: Hello, you're through to Acme, how can I help?\nbob: my card was declined\n")
    (conv,), errors = _read(path, agent_names=("Anna",))
    assert errors == [] and [t.role for t in conv.turns] == ["agent", "customer"]
    (plain,), _ = _read(path)  # without the option the first speaker is taken as the customer
    assert [t.role for t in plain.turns] == ["customer", "agent"]


def test_transcript_bad_lines_before_first_label_are_errors_and_reading_goes_on(tmp_path):
    path = _write(tmp_path, "export.txt", (
        "Transcript exported from the helpdesk\n"
        "*** confidential ***\n"
        "Agent: Hello, how can I help?\n"
        "Customer: My router keeps rebooting.\n"
        "---\n"
        "random footer text\n"
        "Customer: Second chat here.\n"
        "Agent: Thanks for waiting.\n"
    ))
    convs, errors = _read(path)
    assert [e.code for e in errors] == ["E025", "E025", "E025"]
    assert [e.record for e in errors] == ["line 1", "line 2", "line 6"]
    assert all(e.source == str(path) for e in errors)
    assert [c.id for c in convs] == ["export.txt#1", "export.txt#2"]
    assert [t.text for t in convs[0].turns] == ["Hello, how can I help?", "My router keeps rebooting."]
    assert [t.role for t in convs[1].turns] == ["customer", "agent"]


@pytest.mark.parametrize("text, code", [
    ("just some notes\nwith no speakers at all\n", "E025"),
    ("Date: 2024-05-01\nChannel: chat\n", "E019"),
])
def test_transcript_file_without_turns_gives_one_error(tmp_path, text, code):
    convs, errors = _read(_write(tmp_path, "nothing.txt", text))
    assert convs == []
    assert [e.code for e in errors] == [code]


def test_transcript_conversation_headers_split_and_name_ids(tmp_path):
    path = _write(tmp_path, "support_calls.txt", (
        "Call ID: A-1\nAgent: Good afternoon.\nCustomer: Hi.\n"
        "Call ID: A-2\nCustomer: Hello again.\nAgent: Hi there.\n"
        "===\nCustomer: Third one.\nAgent: Yes?\n"
    ))
    convs, errors = _read(path)
    assert errors == []
    assert [c.id for c in convs] == ["A-1", "A-2", "support_calls.txt#3"]
    assert [len(c.turns) for c in convs] == [2, 2, 2]
    assert {c.channel for c in convs} == {"call"}


def test_transcript_channel_option_and_header(tmp_path):
    (conv,), _ = _read(_write(tmp_path, "chat1.txt", "Customer: Hi\nAgent: Hello\n"), channel="social")
    assert conv.channel == "social"
    (conv,), _ = _read(_write(tmp_path, "chat2.txt", "Channel: phone\nCustomer: Hi\nAgent: Hello\n"))
    assert conv.channel == "call"
    (conv,), _ = _read(_write(tmp_path, "chat3.txt", "Customer: Hi\nAgent: Hello\n"))
    assert conv.channel == "chat"


def test_transcript_line_formats(tmp_path):
    path = _write(tmp_path, "formats.txt", (
        "[10:02:11] Anna (agent): Hi, I'm Anna.\n"
        "Customer 10:03 - hello, it's about my bill\n"
        "10:04:30 - Agent (Marek): Let me check.\n"
        "[10:05] Marek joined the chat\n"
        "Customer [10:06 PM]: it is late here\n"
    ))
    (conv,), errors = _read(path)
    assert errors == []
    assert [(t.role, t.speaker, t.text) for t in conv.turns] == [
        ("agent", "Anna", "Hi, I'm Anna."),
        ("customer", "Customer", "hello, it's about my bill"),
        ("agent", "Marek", "Let me check."),
        ("system", None, "Marek joined the chat"),
        ("customer", "Customer", "it is late here"),
    ]
    assert [t.timestamp.time().isoformat() for t in conv.turns] == ["10:02:11", "10:03:00", "10:04:30", "10:05:00", "22:06:00"]


def test_transcript_label_like_text_inside_a_turn_stays_text(tmp_path):
    path = _write(tmp_path, "cont.txt", (
        "Customer: I called twice already.\n"
        "The agent said: it would be fixed by Monday.\n"
        "Note: it was not.\n"
        "Agent: I'm sorry about that.\n"
    ))
    (conv,), errors = _read(path)
    assert errors == []
    assert [t.role for t in conv.turns] == ["customer", "agent"]
    assert conv.turns[0].text == "I called twice already.\nThe agent said: it would be fixed by Monday.\nNote: it was not."


def test_transcript_times_past_midnight_roll_over(tmp_path):
    path = _write(tmp_path, "late.txt", "[23:58] Customer: still there?\n[00:03] Agent: yes, sorry for the wait\n")
    (conv,), _ = _read(path)
    first, second = (t.timestamp for t in conv.turns)
    assert (second - first).total_seconds() == 300
    assert second.date().isoformat() == "1970-01-02"


def test_transcript_bom_crlf_and_extensionless_file(tmp_path):
    path = tmp_path / "export"
    path.write_bytes(b"\xef\xbb\xbfAgent: Hello, how are you, sir?\r\nCustomer: Fine.\r\nThanks.\r\n")
    (conv,), errors = _read(path)
    assert errors == []
    assert [(t.speaker, t.text) for t in conv.turns] == [("Agent", "Hello, how are you, sir?"), ("Customer", "Fine.\nThanks.")]


def test_transcript_non_utf8_is_an_error_unless_the_encoding_is_given(tmp_path):
    text = "Πελάτης: Καλησπέρα, η παραγγελία μου δεν ήρθε.\nΕκπρόσωπος: Λυπάμαι, το ελέγχω αμέσως.\n"
    path = _write(tmp_path, "greek_cp1253.txt", text, encoding="cp1253")
    convs, errors = _read(path)
    assert convs == [] and [e.code for e in errors] == ["E014"]
    (conv,), errors = _read(path, encoding="cp1253")
    assert errors == []
    assert conv.turns[0].text == "Καλησπέρα, η παραγγελία μου δεν ήρθε."
    assert [t.role for t in conv.turns] == ["customer", "agent"]


def test_transcript_utf16_with_bom(tmp_path):
    path = _write(tmp_path, "u16.txt", "Klient: Dzień dobry\nKonsultant: Witam, w czym mogę pomóc?\n", encoding="utf-16")
    (conv,), errors = _read(path)
    assert errors == []
    assert [t.text for t in conv.turns] == ["Dzień dobry", "Witam, w czym mogę pomóc?"]


def test_transcript_unknown_encoding_name_is_e014(tmp_path):
    path = _write(tmp_path, "latin.txt", "Customer: Où est ma commande ?\n", encoding="latin-1")
    convs, errors = _read(path, encoding="no-such-codec")
    assert convs == [] and [e.code for e in errors] == ["E014"]
    (conv,), errors = _read(path, encoding="latin-1")
    assert errors == [] and conv.turns[0].text == "Où est ma commande ?"


def test_transcript_impossible_time_is_e021_and_the_turn_is_kept(tmp_path):
    path = _write(tmp_path, "badtime.txt", "[25:61] Customer: hello?\n[10:00] Agent: Hi, sorry for the wait.\n")
    (conv,), errors = _read(path)
    assert [(e.code, e.record) for e in errors] == [("E021", "line 1")]
    assert [t.text for t in conv.turns] == ["hello?", "Hi, sorry for the wait."]
    assert conv.turns[0].timestamp is None and conv.turns[1].timestamp is not None
