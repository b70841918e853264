import json

import pytest

import analyzer
from analyzer.ingest import ReadOptions


def _read(path, **kw):
    errors = []
    convs = list(analyzer.read(path, on_error=errors.append, **kw))
    return convs, errors


def test_chat_json_reads_conversation_lines(samples):
    convs, errors = _read(samples / "chat" / "support_en.jsonl")
    assert errors == []
    assert [c.id for c in convs] == ["chat-en-001", "chat-en-002"]
    first = convs[0]
    assert first.meta["agent"] == "Maya"
    assert first.turns[1].text.startswith("Good morning Daniel, thank you for reaching out.")
    assert first.turns[1].timestamp.isoformat() == "2024-05-02T09:14:40+00:00"
    assert [t.role for t in first.turns[:3]] == ["customer", "agent", "agent"]


def test_chat_json_groups_flat_messages_and_orders_them_by_time(samples):
    convs, errors = _read(samples / "chat" / "messages_flat.jsonl")
    assert errors == []
    by_id = {c.id: c for c in convs}
    assert set(by_id) == {"flat-pl-002", "flat-en-003"}
    en = by_id["flat-en-003"]
    # the file lists the 09:01:30 customer message before the 09:01:00 agent message
    assert [t.timestamp.strftime("%H:%M:%S") for t in en.turns] == ["09:00:00", "09:00:50", "09:01:00", "09:01:30"]
    assert [t.role for t in en.turns] == ["customer", "agent", "agent", "customer"]
    assert by_id["flat-pl-002"].turns[1].text == "Nie wiem, to nie mój dział. Proszę zadzwonić do księgowości."


def test_chat_json_reads_json_document_in_all_scripts(samples):
    convs, errors = _read(samples / "chat" / "support_multilingual.json")
    assert errors == []
    texts = {c.id: c.turns[0].text for c in convs}
    assert texts["chat-el-001"].startswith("Καλημέρα, ο λογαριασμός")
    assert texts["chat-pl-001"].startswith("Dzień dobry, zamówiłem buty")
    assert texts["chat-hy-001"].startswith("Բարև Ձեզ, իմ ինտերնետը")


def test_chat_json_bad_lines_become_errors_and_the_rest_is_read(tmp_path):
    good = {"id": "ok", "turns": [{"role": "customer", "text": "hello"}]}
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        json.dumps(good).encode() + b"\n"
        + b'{"id": "broken", "turns": [\n'                        # malformed JSON
        + b'{"id": "bytes", "turns": [{"role": "agent", "text": "\xff\xfe caf\xe9"}]}\n'  # not UTF-8
        + b'{"id": "notext", "turns": [{"role": "agent"}]}\n'       # missing field
        + b'{"id": "badchannel", "channel": 7, "turns": {"role": "agent", "text": "x"}}\n'
        + b'{"id": "empty", "turns": []}\n'
        + json.dumps({**good, "id": "ok2"}).encode() + b"\n"
    )
    convs, errors = _read(path)
    assert [c.id for c in convs] == ["ok", "ok2"]
    by_line = {e.record: e.code for e in errors}
    assert by_line == {"line 2": "E013", "line 3": "E014", "line 4": "E010", "line 5": "E027", "line 6": "E019"}
    assert all(e.source == str(path) for e in errors)


def test_chat_json_unknown_role_label_is_kept_and_inferred_later(tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps({"id": "c", "turns": [
        {"speaker": "Πελάτης", "text": "Γεια σας"}, {"speaker": "Konsultant", "text": "Dzień dobry"}]}), encoding="utf-8")
    conv = next(analyzer.read(path))
    assert [t.role for t in conv.turns] == ["unknown", "unknown"]
    from analyzer.normalize.roles import infer_roles

    inferred = infer_roles(conv)
    assert [t.role for t in inferred.turns] == ["customer", "agent"]
    assert inferred.turns[0].meta["role_inferred"] == "speaker label"


def test_chat_json_reads_real_support_threads(shared_data):
    path = shared_data / "conversations" / "twcs_threads.jsonl"
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    convs, errors = _read(path)
    assert errors == []
    assert len(convs) == len(raw)
    for conv, record in zip(convs, raw):
        assert conv.channel == "social"
        assert [t.text for t in conv.turns] == [t["text"] for t in record["turns"]]
        assert [t.role for t in conv.turns] == [t["role"] for t in record["turns"]]
        assert conv.turns[0].meta.get("tweet_id") == record["turns"][0]["tweet_id"]


def test_chat_json_unknown_format_is_refused(samples):
    with pytest.raises(analyzer.InputError) as err:
        list(analyzer.read(samples / "chat" / "support_en.jsonl", format="docx"))
    assert err.value.code == "E020"


def test_chat_json_default_on_error_raises(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("{not json}\n")
    with pytest.raises(analyzer.InputError) as err:
        list(analyzer.read(path))
    assert err.value.record == "line 1"
