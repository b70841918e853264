"""The e-mail reader: .eml files and .mbox archives → threaded conversations.

Most tests read the committed samples in data/samples/email/ (real files in real
charsets); a few build small messages in memory for cases the samples do not cover.
"""

from __future__ import annotations

import base64
import io
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import analyzer
from analyzer.errors import InputError
from analyzer.ingest.email import (
    html_to_text,
    read_eml,
    read_eml_files,
    read_mbox,
    strip_quoted,
    thread_subject,
)
from analyzer.ingest.options import ReadOptions
from analyzer.types import Conversation

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "email"
EML_DIR = SAMPLES / "eml"
MBOX = SAMPLES / "support.mbox"
BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "email_broken"  # bad input: kept out of data/samples
BROKEN_MBOX = BROKEN / "mixed.mbox"
AGENTS = ReadOptions(agent_addresses=("@support.example",))


def _eml_files() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(EML_DIR.glob("*.eml"))]


def _split(items) -> tuple[list[Conversation], list[InputError]]:
    convs, errors = [], []
    for item in items:
        (errors if isinstance(item, InputError) else convs).append(item)
    return convs, errors


def _mbox(path: Path = MBOX, options: ReadOptions = AGENTS) -> tuple[list[Conversation], list[InputError]]:
    with path.open("rb") as stream:
        return _split(read_mbox(stream, str(path), options))


def _by_id(convs: list[Conversation]) -> dict[str, Conversation]:
    return {c.id: c for c in convs}


def _msg(headers: dict[str, str], body: str | bytes) -> bytes:
    head = "".join(f"{k}: {v}\n" for k, v in headers.items()).encode()
    return head + b"\n" + (body.encode() if isinstance(body, str) else body)


# ----------------------------------------------------------------------------- .eml threads

EN_TEXTS = [
    "Hello,\n\nMy order #48213 arrived this morning and the blender jug is cracked. I'd like a replacement, please.\n\nEmma",
    "Dear Emma,\n\nThank you for letting us know, and I'm very sorry that your blender arrived damaged.\n\n"
    "I have arranged a free replacement, which will ship today by express courier. You will receive a tracking "
    "number by e-mail within 24 hours, and there is no need to return the cracked jug.\n\n"
    "If anything else goes wrong, just reply to this e-mail and I will sort it out personally.\n\nKind regards,\nDaniel",
    "Thank you Daniel, that's great service!",
    "Hi Emma,\n\nYou\u2019re welcome! Your replacement is on its way: the tracking number is EX123456789GB and it "
    "should arrive tomorrow before 1 pm.\n\nBest wishes,\nDaniel",
]
EL_TEXTS = [
    "Καλησπέρα σας,\n\nΧρεωθήκαμε δύο φορές για την παραγγελία 7731 (2 x 54,90 ευρώ). Παρακαλώ επιστρέψτε το ποσό "
    "της δεύτερης χρέωσης.\n\nΕυχαριστώ,\nΓιώργος",
    "Αγαπητέ κύριε Παπαδόπουλε,\n\nΣας ζητούμε συγγνώμη για τη διπλή χρέωση. Ελέγξαμε την παραγγελία 7731 και "
    "ακυρώσαμε τη δεύτερη συναλλαγή· το ποσό θα επιστραφεί στην κάρτα σας σε 3-5 εργάσιμες ημέρες.\n\n"
    "Με εκτίμηση,\nΕλένη Κωνσταντίνου",
    "Ευχαριστώ πολύ για τη γρήγορη απάντηση!",
]


def test_eml_files_thread_into_conversations():
    convs, errors = _split(read_eml_files(_eml_files(), AGENTS))
    assert errors == []
    assert sorted(c.id for c in convs) == ["20240603091244.4821@mailbox.example", "el-7731-1@mail.example"]
    for conv in convs:
        assert conv.channel == "email"
        assert [t.index for t in conv.turns] == list(range(len(conv.turns)))


def test_english_thread_text_is_only_what_each_author_wrote():
    conv = _by_id(_split(read_eml_files(_eml_files(), AGENTS))[0])["20240603091244.4821@mailbox.example"]
    # "Sent from my iPhone", the "-- " signature, the -----Original Message----- block,
    # a wrapped "On … \nwrote:" header with its "> " quote, and an HTML gmail_signature/blockquote are gone
    assert [t.text for t in conv.turns] == EN_TEXTS
    assert [t.role for t in conv.turns] == ["customer", "agent", "customer", "agent"]
    assert [t.speaker for t in conv.turns] == ["emma.clarke@mailbox.example", "daniel.reyes@support.example"] * 2
    assert conv.turns[0].meta["message_id"] == "20240603091244.4821@mailbox.example"
    assert conv.turns[1].meta["subject"] == "RE: Damaged blender - order #48213"
    assert conv.meta["subject"] == "Damaged blender - order #48213"


def test_plain_text_is_preferred_to_html_and_html_only_becomes_text():
    conv = _by_id(_split(read_eml_files(_eml_files(), AGENTS))[0])["20240603091244.4821@mailbox.example"]
    assert "Rate our service" not in conv.turns[1].text  # only in the text/html alternative
    html_only = conv.turns[3]
    assert html_only.meta["source"] == "en_4_agent_html.eml"
    assert "<" not in html_only.text and "&nbsp;" not in html_only.text
    assert "EX123456789GB" in html_only.text


def test_greek_thread_charsets_and_subject_fallback():
    conv = _by_id(_split(read_eml_files(_eml_files(), AGENTS))[0])["el-7731-1@mail.example"]
    # el_customer_first: ISO-8859-7 quoted-printable; el_agent_reply: UTF-8 QP with a "Στις … έγραψε:" quote;
    # el_customer_thanks: Windows-1253 8bit with no In-Reply-To/References, threaded by its "Σχετ:" subject
    assert [t.text for t in conv.turns] == EL_TEXTS
    assert [t.meta["source"] for t in conv.turns] == ["el_customer_first.eml", "el_agent_reply.eml", "el_customer_thanks.eml"]
    assert [t.role for t in conv.turns] == ["customer", "agent", "customer"]
    assert conv.meta["subject"] == "Λάθος χρέωση στην παραγγελία 7731"  # =?iso-8859-7?B?…?=
    assert conv.turns[1].meta["subject"] == "ΑΠ: Λάθος χρέωση στην παραγγελία 7731"  # =?utf-8?B?…?=
    assert conv.turns[2].meta["subject"] == "Σχετ: Λάθος χρέωση στην παραγγελία 7731"  # =?windows-1253?Q?…?=
    assert conv.turns[0].meta["name"] == "Γιώργος Παπαδόπουλος"
    assert conv.turns[1].meta["name"] == "Ελένη Κωνσταντίνου"


def test_turns_follow_dates_not_file_order():
    files = list(reversed(_eml_files()))  # el_customer_thanks first, en_1_customer last
    convs = _by_id(_split(read_eml_files(files, AGENTS))[0])
    el = convs["el-7731-1@mail.example"]
    assert [t.timestamp for t in el.turns] == sorted(t.timestamp for t in el.turns)
    assert el.turns[0].timestamp == datetime(2024, 6, 4, 11, 20, 5, tzinfo=timezone(timedelta(hours=3)))
    assert el.turns[0].timestamp.utcoffset() == timedelta(hours=3)
    en = convs["20240603091244.4821@mailbox.example"]
    assert [t.text for t in en.turns] == EN_TEXTS


def test_roles_from_first_writer_without_agent_addresses():
    convs = _by_id(_split(read_eml_files(_eml_files(), ReadOptions()))[0])
    for conv in convs.values():
        assert [t.role for t in conv.turns][:2] == ["customer", "agent"]
        assert all(t.meta.get("role_inferred") for t in conv.turns)
        customer = conv.turns[0].speaker
        assert all((t.role == "customer") == (t.speaker == customer) for t in conv.turns)


def test_roles_from_agent_addresses_are_not_marked_inferred():
    for options in (AGENTS, ReadOptions(agent_addresses=("Eleni.K@support.example", "daniel.reyes@support.example")),
                    ReadOptions(agent_addresses=("support.example",))):
        for conv in _split(read_eml_files(_eml_files(), options))[0]:
            for turn in conv.turns:
                assert turn.role == ("agent" if turn.speaker.endswith("@support.example") else "customer")
                assert "role_inferred" not in turn.meta


def test_agent_address_overrides_first_writer():
    # an outbound mail: the agent writes first
    first = _msg({"From": "anna@support.example", "Subject": "Your warranty", "Message-ID": "<o1@x>",
                  "Date": "Mon, 1 Jul 2024 09:00:00 +0000"}, "Hello Mr Smith, your warranty expires soon.")
    reply = _msg({"From": "smith@home.example", "Subject": "Re: Your warranty", "Message-ID": "<o2@x>",
                  "In-Reply-To": "<o1@x>", "Date": "Mon, 1 Jul 2024 10:00:00 +0000"}, "Thanks, I will renew it.")
    conv = _split(read_eml_files([("a.eml", first), ("b.eml", reply)], AGENTS))[0][0]
    assert [t.role for t in conv.turns] == ["agent", "customer"]
    conv = _split(read_eml_files([("a.eml", first), ("b.eml", reply)], ReadOptions()))[0][0]
    assert [t.role for t in conv.turns] == ["customer", "agent"]  # without config, the first writer is the customer


def test_read_eml_reads_one_message_as_one_turn():
    path = EML_DIR / "el_agent_reply.eml"
    with path.open("rb") as stream:
        convs, errors = _split(read_eml(stream, str(path), AGENTS))
    assert errors == []
    (conv,) = convs
    assert conv.id == "el-7731-2@support.example"
    assert conv.channel == "email"
    assert [t.text for t in conv.turns] == [EL_TEXTS[1]]  # the quoted history is not a turn of its own
    assert conv.turns[0].role == "agent"


def test_analyzer_read_eml_file_and_directory():
    conv = next(analyzer.read(str(EML_DIR / "el_customer_first.eml"), agent_addresses=("@support.example",)))
    assert conv.turns[0].text == EL_TEXTS[0]
    assert conv.turns[0].role == "customer"
    convs = list(analyzer.read(str(EML_DIR), agent_addresses=("@support.example",)))
    texts = sorted(t.text for c in convs for t in c.turns)
    assert texts == sorted(EN_TEXTS + EL_TEXTS)
    assert all(c.channel == "email" for c in convs)


# ------------------------------------------------------------------------------------ .mbox

PL_TEXTS = [
    "Dzień dobry,\n\nDwa tygodnie temu odesłałam kurtkę z zamówienia 5520, a zwrot pieniędzy wciąż nie dotarł. "
    "Kiedy mogę się go spodziewać?\n\nPozdrawiam,\nAgnieszka Wójcik",
    "To nie nasz dział. Zwrotami zajmuje się księgowość, proszę pisać na adres ksiegowosc@shop.example.",
    "Przecież to Państwo przyjęli zwrot. Proszę o przekazanie sprawy właściwej osobie i podanie terminu zwrotu."
    "\n\nAgnieszka",
    "Nic więcej nie mogę zrobić. Proszę kontaktować się z księgowością.",
]
HY_TEXTS = [
    "Բարև Ձեզ,\n\nՊատվեր 3308-ը պետք է առաքվեր երեկ, բայց դեռ չի ստացվել։ Խնդրում եմ ստուգել։\n\n"
    "Շնորհակալություն,\nԱրամ",
    "Հարգելի Արամ,\n\nՆերողություն ենք խնդրում ուշացման համար։ Ձեր պատվերը կառաքվի վաղը՝ հունիսի 13-ին, մինչև ժամը "
    "18:00, և Դուք կստանաք SMS հաղորդագրություն։\n\nՀարգանքով՝\nԱնի",
    "Շատ շնորհակալ եմ, կսպասեմ։",
]
ENB_TEXTS = [
    "Hi,\n\nMy coffee machine (order #50917) stopped heating after only three weeks of use.\n"
    "From what I can see on your website it has a two-year warranty. What should I do?\n\nThanks,\nOliver",
    "That's not our department. Warranty claims go to the manufacturer, their details are on the box.\n\nKevin",
    "You sold me the machine, so it is your department.\n\n"
    "I no longer have the box. Please send me the manufacturer's contact details.",
]


def test_mbox_threads_interleaved_messages():
    convs, errors = _mbox()
    assert errors == []
    assert [c.id for c in convs] == ["pl-5520-1@poczta.example", "hy-3308-1@mail.example", "CAB-50917-1@mailbox.example"]
    assert all(c.meta["source"] == str(MBOX) for c in convs)


def test_mbox_polish_thread_charsets_and_quotes():
    conv = _by_id(_mbox()[0])["pl-5520-1@poczta.example"]
    # ISO-8859-2 base64; Windows-1250 base64 with a wrapped "W dniu … napisał(a):" quote; UTF-8 8bit with a
    # Samsung sign-off and an Outlook "Od: … Wysłano: …" block; ISO-8859-2 QP with "-----Wiadomość oryginalna-----"
    assert [t.text for t in conv.turns] == PL_TEXTS
    assert [t.role for t in conv.turns] == ["customer", "agent", "customer", "agent"]
    assert conv.turns[0].meta["name"] == "Agnieszka Wójcik"  # =?iso-8859-2?Q?…?=
    assert conv.meta["subject"] == "Zwrot pieniędzy za zamówienie 5520"  # =?iso-8859-2?B?…?=
    assert conv.turns[1].meta["subject"] == "Odp: Zwrot pieniędzy za zamówienie 5520"  # =?utf-8?Q?…?=
    assert set("ąęłńóśżć") <= set("".join(t.text for t in conv.turns))


def test_mbox_armenian_thread():
    conv = _by_id(_mbox()[0])["hy-3308-1@mail.example"]
    # "… գրել է՝" followed by a "> " quote, and "… գրեց." followed by the unmarked quoted mail
    assert [t.text for t in conv.turns] == HY_TEXTS
    assert [t.role for t in conv.turns] == ["customer", "agent", "customer"]
    assert conv.turns[1].meta["subject"] == "Պատ. Պատվերը դեռ չի առաքվել"
    assert conv.turns[0].meta["name"] == "Արամ Պետրոսյան"
    assert conv.turns[0].timestamp == datetime(2024, 6, 12, 5, 40, tzinfo=timezone.utc)


def test_mbox_english_deflection_thread():
    conv = _by_id(_mbox()[0])["CAB-50917-1@mailbox.example"]
    # format=flowed joined; ">From" un-escaped (and not taken for a quote); "Get Outlook for Android" dropped;
    # an interleaved reply keeps the customer's answers between the quotes
    assert [t.text for t in conv.turns] == ENB_TEXTS
    assert [t.role for t in conv.turns] == ["customer", "agent", "customer"]


def test_mbox_first_writer_fallback():
    for conv in _mbox(options=ReadOptions())[0]:
        assert conv.turns[0].role == "customer"
        assert conv.turns[0].meta["role_inferred"]
        assert {t.role for t in conv.turns} == {"customer", "agent"}
        assert all(t.role == ("agent" if t.speaker.endswith("@support.example") else "customer") for t in conv.turns)


def test_analyzer_read_mbox():
    convs = list(analyzer.read(str(MBOX), agent_addresses=("@support.example",)))
    assert [[t.text for t in c.turns] for c in convs] == [PL_TEXTS, HY_TEXTS, ENB_TEXTS]
    assert all(t.timestamp.tzinfo is not None for c in convs for t in c.turns)


# ---------------------------------------------------------------------------------- errors

def test_broken_messages_become_errors_and_the_rest_is_read():
    convs, errors = _mbox(BROKEN_MBOX)
    assert sorted((e.code, e.record) for e in errors) == [
        ("E014", "bad-bytes@poczta.example"),  # declared UTF-8, written in Windows-1250
        ("E026", "quote-only@mailbox.example"),  # nothing but a quote
        ("E027", "no-from@mailbox.example"),  # no From header
    ]
    assert all(e.source == str(BROKEN_MBOX) for e in errors)
    (conv,) = convs
    assert conv.id == "ok-1@mailbox.example"
    assert [t.text for t in conv.turns] == [
        "Hello, are you open on Saturday?\n\nSofia",
        "Hi Sofia,\n\nYes, we are open on Saturday from 9:00 to 14:00.\n\nBest regards,\nNina",
    ]


def test_analyzer_read_routes_errors_to_on_error():
    errors: list[InputError] = []
    convs = list(analyzer.read(str(BROKEN), on_error=errors.append))
    assert [c.id for c in convs] == ["ok-1@mailbox.example"]
    assert sorted(e.code for e in errors) == ["E014", "E026", "E026", "E027"]
    no_body = next(e for e in errors if e.source.endswith("no_body.eml"))
    assert no_body.record == "empty@mailbox.example"
    with pytest.raises(InputError):
        list(analyzer.read(str(BROKEN / "no_body.eml")))


def test_bad_eml_files_do_not_stop_the_others():
    files = _eml_files() + [
        ("garbage.eml", b"\x89PNG not a mail at all"),
        ("empty.eml", b""),
        ("no_from.eml", _msg({"Subject": "x", "Message-ID": "<nf@x>"}, "hello")),
    ]
    convs, errors = _split(read_eml_files(files, AGENTS))
    assert len(convs) == 2 and sum(len(c.turns) for c in convs) == 7
    assert {(e.source, e.code) for e in errors} == {("garbage.eml", "E027"), ("empty.eml", "E015"), ("no_from.eml", "E027")}
    assert next(e for e in errors if e.source == "no_from.eml").record == "nf@x"
    assert next(e for e in errors if e.source == "garbage.eml").record == "message 1"


def test_undeclared_charset_falls_back_to_options_encoding():
    raw = _msg({"From": "jan@poczta.example", "Message-ID": "<c@x>"}, "Zażółć gęślą jaźń".encode("cp1250"))
    convs, errors = _split(read_eml(io.BytesIO(raw), "m.eml", ReadOptions()))
    assert convs == [] and errors[0].code == "E014"
    convs, errors = _split(read_eml(io.BytesIO(raw), "m.eml", ReadOptions(encoding="cp1250")))
    assert errors == [] and convs[0].turns[0].text == "Zażółć gęślą jaźń"


def test_no_exception_escapes_for_mangled_input():
    rng = random.Random(7)
    seeds = [p.read_bytes() for p in sorted(EML_DIR.glob("*.eml"))] + [MBOX.read_bytes()]
    for _ in range(300):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 40)):
            op = rng.random()
            pos = rng.randrange(len(data) + 1)
            if op < 0.4 and data:
                del data[pos: pos + rng.randint(1, 200)]
            elif op < 0.7:
                data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
            else:
                data[pos:pos] = rng.choice([b"\n", b"\n\n", b"From x Mon Jun 10 08:15:20 2024\n", b"=?utf-8?B?", b"<", b">", b"--"])
        blob = bytes(data)
        for item in read_eml(io.BytesIO(blob), "fuzz.eml", AGENTS):
            assert isinstance(item, (Conversation, InputError))
        for item in read_mbox(io.BytesIO(blob), "fuzz.mbox", ReadOptions()):
            assert isinstance(item, (Conversation, InputError))


# ------------------------------------------------------------------ threading and ordering

def test_threads_by_references_when_the_root_is_missing():
    headers = {"From": "a@home.example", "Subject": "Re: Refund", "Date": "Mon, 1 Jul 2024 10:00:00 +0000"}
    first = _msg({**headers, "Message-ID": "<r2@x>", "References": "<r1@x>", "In-Reply-To": "<r1@x>"}, "Any news?")
    second = _msg({**headers, "From": "b@support.example", "Message-ID": "<r3@x>", "References": "<r1@x> <r2@x>",
                   "Date": "Mon, 1 Jul 2024 11:00:00 +0000"}, "Yes, sent today.")
    third = _msg({**headers, "Subject": "Refund", "Message-ID": "<r9@x>"}, "A different refund question.")
    convs = _split(read_eml_files([("1.eml", first), ("2.eml", second), ("3.eml", third)], AGENTS))[0]
    assert [(c.id, [t.text for t in c.turns]) for c in convs] == [
        ("r2@x", ["Any news?", "Yes, sent today."]),
        ("r9@x", ["A different refund question."]),  # same subject, no reply prefix: a thread of its own
    ]


def test_subject_fallback_needs_a_reply_prefix():
    base = {"From": "c@home.example", "Date": "Mon, 1 Jul 2024 10:00:00 +0000"}
    a = _msg({**base, "Subject": "Order 77 late", "Message-ID": "<s1@x>"}, "Where is it?")
    b = _msg({**base, "From": "d@support.example", "Subject": "Odp: ORDER 77  late", "Message-ID": "<s2@x>",
              "Date": "Mon, 1 Jul 2024 11:00:00 +0000"}, "On its way.")
    c = _msg({**base, "Subject": "Պատ. Order 77 late", "Message-ID": "<s3@x>", "Date": "Mon, 1 Jul 2024 12:00:00 +0000"},
             "Thanks.")
    d = _msg({**base, "Subject": "Order 77 late", "Message-ID": "<s4@x>", "Date": "Mon, 1 Jul 2024 13:00:00 +0000"},
             "New question.")
    convs = _split(read_eml_files([("a", a), ("b", b), ("c", c), ("d", d)], AGENTS))[0]
    assert [[t.meta["message_id"] for t in conv.turns] for conv in convs] == [["s1@x", "s2@x", "s3@x"], ["s4@x"]]


def test_equal_dates_keep_thread_order_and_missing_dates_follow_their_parent():
    date = "Mon, 1 Jul 2024 10:00:00 +0000"
    root = _msg({"From": "c@home.example", "Subject": "Q", "Message-ID": "<t1@x>", "Date": date}, "Question")
    answer = _msg({"From": "a@support.example", "Subject": "Re: Q", "Message-ID": "<t2@x>", "In-Reply-To": "<t1@x>",
                   "Date": date}, "Answer")
    undated = _msg({"From": "c@home.example", "Subject": "Re: Q", "Message-ID": "<t3@x>", "In-Reply-To": "<t2@x>"},
                   "Thanks")
    files = [("3", undated), ("2", answer), ("1", root)]
    (conv,) = _split(read_eml_files(files, ReadOptions()))[0]
    assert [t.text for t in conv.turns] == ["Question", "Answer", "Thanks"]
    assert conv.turns[2].timestamp is None
    assert conv.id == "t1@x"


def test_duplicate_message_ids_are_read_once():
    raw = (EML_DIR / "en_1_customer.eml").read_bytes()
    (conv,) = _split(read_eml_files([("inbox.eml", raw), ("copy.eml", raw)], AGENTS))[0]
    assert len(conv.turns) == 1


def test_mbox_with_crlf_and_no_leading_separator():
    one = _msg({"From": "c@home.example", "Subject": "Hi", "Message-ID": "<m1@x>", "Date": "Mon, 1 Jul 2024 10:00:00 +0000"},
               "First line\n>From the start\n")
    two = _msg({"From": "a@support.example", "Subject": "Re: Hi", "Message-ID": "<m2@x>", "In-Reply-To": "<m1@x>",
                "Date": "Mon, 1 Jul 2024 11:00:00 +0000"}, "Reply")
    data = (one + b"\nFrom a@support.example Mon Jul  1 11:00:00 2024\n" + two).replace(b"\n", b"\r\n")
    (conv,) = _split(read_mbox(io.BytesIO(data), "x.mbox", AGENTS))[0]
    assert [t.text for t in conv.turns] == ["First line\nFrom the start", "Reply"]


# ---------------------------------------------------------------------- bodies and headers

def test_multipart_mixed_skips_attachments_and_forwarded_mails():
    boundary = "b1"
    body = f"""--{boundary}
Content-Type: text/plain; charset=utf-8

Please see the attached invoice.
--{boundary}
Content-Type: text/plain; charset=utf-8
Content-Disposition: attachment; filename="notes.txt"

not the author's text
--{boundary}
Content-Type: message/rfc822

From: someone@else.example
Subject: old

forwarded text
--{boundary}--
"""
    raw = _msg({"From": "c@home.example", "Message-ID": "<mm@x>", "MIME-Version": "1.0",
                "Content-Type": f'multipart/mixed; boundary="{boundary}"'}, body)
    (conv,) = _split(read_eml(io.BytesIO(raw), "m.eml", AGENTS))[0]
    assert conv.turns[0].text == "Please see the attached invoice."


def test_encoded_word_headers_in_each_charset():
    greek = "Επιστροφή χρημάτων"
    for charset in ("iso-8859-7", "windows-1253", "utf-8"):
        word = f"=?{charset}?B?{base64.b64encode(greek.encode(charset)).decode()}?="
        raw = _msg({"From": f"{word} <g@home.example>", "Subject": f"Re: {word}", "Message-ID": "<e@x>"}, "Γεια σας")
        (conv,) = _split(read_eml(io.BytesIO(raw), "m.eml", AGENTS))[0]
        assert conv.turns[0].meta["subject"] == f"Re: {greek}"
        assert conv.turns[0].meta["name"] == greek
    polish = "Reklamacja - zły rozmiar"
    for charset in ("iso-8859-2", "windows-1250"):
        word = "=?{}?Q?{}?=".format(charset, "".join(
            chr(b) if chr(b).isalnum() and b < 128 else "_" if b == 32 else f"={b:02X}" for b in polish.encode(charset)))
        raw = _msg({"From": "p@home.example", "Subject": word, "Message-ID": "<p@x>"}, "Dzień dobry")
        (conv,) = _split(read_eml(io.BytesIO(raw), "m.eml", AGENTS))[0]
        assert conv.turns[0].meta["subject"] == polish
    raw = _msg({"From": "Żaneta <z@home.example>", "Subject": "Zwrot", "Message-ID": "<u@x>"}, "Tekst")  # raw UTF-8
    (conv,) = _split(read_eml(io.BytesIO(raw), "m.eml", AGENTS))[0]
    assert conv.turns[0].meta["name"] == "Żaneta"


def test_body_charsets_and_transfer_encodings():
    cases = [
        ("iso-8859-7", "quoted-printable", "Καλημέρα, η παραγγελία άργησε."),
        ("windows-1253", "base64", "Ά Έ Ή Ί Ό Ύ Ώ ευχαριστώ"),
        ("iso-8859-2", "base64", "Zażółć gęślą jaźń"),
        ("windows-1250", "quoted-printable", "Dziękuję, Łódź, Świętokrzyska"),
        ("utf-8", "base64", "Շնորհակալություն"),
    ]
    import quopri

    for charset, cte, text in cases:
        data = text.encode(charset)
        body = base64.encodebytes(data) if cte == "base64" else quopri.encodestring(data)
        raw = _msg({"From": "x@home.example", "Message-ID": "<b@x>", "Content-Type": f"text/plain; charset={charset}",
                    "Content-Transfer-Encoding": cte}, body)
        (conv,) = _split(read_eml(io.BytesIO(raw), "m.eml", AGENTS))[0]
        assert conv.turns[0].text == text, charset


def test_html_to_text():
    html = ("<html><head><title>t</title><style>p{}</style></head><body><p>Dear&nbsp;Ola,</p>"
            "<p>We are sorry. Steps:</p><ul><li>Open the app</li><li>Tap <b>Refund</b></li></ul>"
            "<div id=\"Signature\">Ola | Support</div><div id=\"appendonsend\"></div><hr>"
            "<div id=\"divRplyFwdMsg\"><b>From:</b> ola</div><div>old mail</div></body></html>")
    assert html_to_text(html) == "Dear Ola,\n\nWe are sorry. Steps:\n\n- Open the app\n- Tap Refund"


@pytest.mark.parametrize("text, expected", [
    ("Yes.\n\nW dniu 10.06.2024 o 08:15, Jan Kowalski pisze:\n> Pytanie?\n", "Yes."),
    ("Tak.\n\nDnia 10 czerwca 2024 Jan Kowalski <jan@x.pl> napisał:\nPytanie bez cytatu\n", "Tak."),
    ("Ναι.\n\nΣτις 4/6/2024 11:20 π.μ., ο/η Γιώργος έγραψε:\nπαλιό μήνυμα\n", "Ναι."),
    ("Այո։\n\n2024-06-12 10:15, Անի <a@b.am> գրել է՝\n> հին\n", "Այո։"),
    ("OK.\n\n----- Original Message -----\nFrom: a\nold\n", "OK."),
    ("OK.\n\nFrom: Anna <a@support.example>\nSent: Monday\nTo: me\nSubject: x\n\nold\n", "OK."),
    ("OK.\n\nΑπό: Ελένη\nΣτάλθηκε: Τρίτη\nΠρος: εμένα\nΘέμα: x\n\nπαλιό\n", "OK."),
    ("OK.\n\nBegin forwarded message:\n\nFrom: x\n", "OK."),
    ("Thanks\n--\nJohn Smith\nACME", "Thanks"),
    ("As my colleague wrote: we will call you.", "As my colleague wrote: we will call you."),
    ("Best regards,\nAnna\n\nSent from my iPad\n", "Best regards,\nAnna"),
    ("Sent from my warehouse team: your parcel is ready.", "Sent from my warehouse team: your parcel is ready."),
    ("Ευχαριστώ\n\nΣτάλθηκε από το κινητό μου Samsung", "Ευχαριστώ"),
])
def test_strip_quoted(text, expected):
    assert strip_quoted(text) == expected


def test_thread_subject_prefixes():
    assert thread_subject("RE: Fwd: ΣΧΕΤ: Odp: Պատ. [EXT] Hello")[0] == "hello"
    assert thread_subject("Re[2]: Hello") == ("hello", True)
    assert thread_subject("Ref. 1234") == ("ref. 1234", False)


def test_overlong_message_is_an_error_not_a_truncated_turn():
    raw = _msg({"From": "c@home.example", "Message-ID": "<long@x>"}, "word " * 30_000)
    convs, errors = _split(read_eml(io.BytesIO(raw), "m.eml", AGENTS))
    assert convs == [] and [(e.code, e.record) for e in errors] == [("E008", "long@x")]


def test_outlook_html_reply_keeps_line_layout_and_drops_the_history():
    html = ("<div class=WordSection1><p class=MsoNormal>Hi Tom,<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
            "<p class=MsoNormal>We&#8217;ve refunded you.<o:p></o:p></p><p class=MsoNormal>Anna<o:p></o:p></p>"
            "<div style='border-top:solid #E1E1E1 1.0pt'><p class=MsoNormal><b>From:</b> Tom &lt;t@x&gt;<br>"
            "<b>Sent:</b> Monday, June 3, 2024 9:00 AM<br><b>To:</b> help@shop.example<br><b>Subject:</b> refund</p></div>"
            "<p class=MsoNormal>old text</p></div>")
    raw = _msg({"From": "anna@support.example", "Message-ID": "<ol@x>", "Content-Type": "text/html; charset=windows-1250",
                "Content-Transfer-Encoding": "8bit"}, html.encode("cp1250"))
    (conv,) = _split(read_eml(io.BytesIO(raw), "m.eml", AGENTS))[0]
    assert conv.turns[0].text == "Hi Tom,\n\nWe\u2019ve refunded you.\nAnna"
