import pandas as pd
import pytest

import analyzer
from analyzer.ingest import ReadOptions


def _read(path, **kw):
    errors = []
    return list(analyzer.read(path, on_error=errors.append, **kw)), errors


def test_table_reads_csv_messages_into_conversations(samples):
    convs, errors = _read(samples / "chat" / "messages.csv")
    assert errors == []
    by_id = {c.id: c for c in convs}
    el = by_id["ticket-el-7"]
    assert [t.role for t in el.turns] == ["customer", "agent", "customer", "agent"]
    assert el.turns[3].text == "Στείλε μου τον αριθμό της κάρτας σου για να δούμε."
    assert by_id["ticket-hy-8"].turns[0].text == "Բարև, ինչո՞ւ է իմ պատվերը ուշանում։"


def test_table_reads_parquet(samples):
    convs, errors = _read(samples / "chat" / "messages.parquet")
    assert errors == []
    assert [c.id for c in convs] == ["pq-en-9", "pq-pl-10"]
    assert convs[1].turns[1].speaker == "Adam"


def test_table_column_mapping(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "ticket_id,author_type,body,sent,agent_name\n"
        "T1,Client,Where is my refund?,2024-01-01 10:00:00,\n"
        "T1,Support,I'm sorry - I have issued it today.,2024-01-01 10:05:00,Anna\n",
        encoding="utf-8",
    )
    opts = ReadOptions(columns={"conversation_id": "ticket_id", "role": "author_type", "text": "body",
                                "timestamp": "sent"})
    convs, errors = _read(path, options=opts)
    assert errors == []
    (conv,) = convs
    assert conv.id == "T1"
    assert [t.role for t in conv.turns] == ["customer", "agent"]
    assert conv.turns[1].meta["agent_name"] == "Anna"
    assert (conv.turns[1].timestamp - conv.turns[0].timestamp).total_seconds() == 300


def test_table_bad_rows_become_errors(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        b"conversation_id,role,text,timestamp\n"
        b"A,customer,hello,2024-01-01T10:00:00Z\n"
        b",customer,no id here,2024-01-01T10:00:00Z\n"
        b"B,agent,bad time,yesterday-ish\n"
        b"A,agent,hi there,2024-01-01T10:00:30Z\n"
    )
    convs, errors = _read(path)
    assert [c.id for c in convs] == ["A"]
    assert [len(c.turns) for c in convs] == [2]
    assert sorted((e.code, str(e.record)) for e in errors) == [("E021", "row 4"), ("E022", "row 3")]


def test_table_missing_text_column_says_how_to_map_it(tmp_path):
    path = tmp_path / "notext.csv"
    path.write_text("conversation_id,role,msg\nA,customer,hello\n")
    convs, errors = _read(path)
    assert convs == []
    assert errors[0].code == "E010" and "--columns text=" in errors[0].reason


def test_table_reads_pandas_dataframe():
    frame = pd.DataFrame({
        "conversation_id": ["x", "x", "y"],
        "role": ["customer", "agent", "customer"],
        "text": ["Γεια", "Καλημέρα σας", "Բարև"],
        "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:01", None], utc=True),
    })
    convs = list(analyzer.read(frame))
    assert [(c.id, len(c.turns)) for c in convs] == [("x", 2), ("y", 1)]
    assert convs[1].turns[0].timestamp is None


def test_table_reads_hf_dataset():
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_list([
        {"conversation_id": "d1", "role": "customer", "text": "Dzień dobry"},
        {"conversation_id": "d1", "role": "agent", "text": "Dzień dobry Pani!"},
    ])
    (conv,) = list(analyzer.read(ds))
    assert [t.text for t in conv.turns] == ["Dzień dobry", "Dzień dobry Pani!"]
