import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from analyzer.cli import app

runner = CliRunner()


@pytest.fixture()
def archive(tmp_path, samples):
    """A copy of the JSON/CSV/Parquet samples plus broken files."""
    root = tmp_path / "in"
    shutil.copytree(samples / "chat", root)
    (root / "broken.jsonl").write_bytes(b'{"id": "b1", "turns": [{"role": "agent", "text": "ok"}]}\n{oops\n')
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.jsonl").write_bytes(b"\x00\x01\x02\x03" * 50)
    return root


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl", ".csv"])
def test_cli_score_writes_every_good_conversation_and_every_error(tmp_path, archive, suffix):
    out = tmp_path / f"out/results{suffix}"
    result = runner.invoke(app, ["score", str(archive), "--out", str(out), "--turns", "--no-standards", "--quiet"])
    assert result.exit_code == 1, result.output  # some records failed
    read = {".parquet": pd.read_parquet, ".jsonl": lambda p: pd.read_json(p, lines=True), ".csv": pd.read_csv}[suffix]
    rows = read(out)
    assert sorted(rows["conversation_id"]) == sorted([
        "b1", "chat-el-001", "chat-en-001", "chat-en-002", "chat-hy-001", "chat-pl-001",
        "flat-en-003", "flat-pl-002", "pq-en-9", "pq-pl-10", "ticket-el-7", "ticket-hy-8"])
    errors = [json.loads(line) for line in (out.parent / "errors.jsonl").read_text().splitlines()]
    assert sorted((e["code"], e["source"].rsplit("/", 1)[-1], e["record"]) for e in errors) == [
        ("E013", "broken.jsonl", "line 2"), ("E015", "empty.txt", None), ("E016", "binary.jsonl", None)]
    turns = read(out.with_name(f"results.turns{suffix}"))
    assert len(turns) == rows["n_turns"].sum()
    assert not list(out.parent.glob("*.partial"))


def test_cli_score_first_response_and_longest_wait(tmp_path, samples):
    out = tmp_path / "r.parquet"
    result = runner.invoke(app, ["score", str(samples / "chat" / "support_en.jsonl"), "--out", str(out), "--no-standards"])
    assert result.exit_code == 0, result.output
    rows = pd.read_parquet(out).set_index("conversation_id")
    assert rows.loc["chat-en-001", "first_response_s"] == 37.0
    assert rows.loc["chat-en-002", "first_response_s"] == 450.0
    assert rows.loc["chat-en-002", "longest_customer_wait_s"] == 450.0
    assert rows.loc["chat-en-001", "n_agent_turns"] == 4


def test_cli_score_strict_stops_at_first_error(tmp_path, archive):
    out = tmp_path / "r.jsonl"
    result = runner.invoke(app, ["score", str(archive), "--out", str(out), "--strict", "--no-standards"])
    assert result.exit_code == 1
    assert "stopped (--strict)" in result.output
    assert not out.exists()  # no half-written result


def test_cli_score_column_mapping(tmp_path):
    src = tmp_path / "tickets.csv"
    src.write_text("ticket_id,author_type,body\nT1,Client,Where is my order?\nT1,Support,It ships today.\n")
    out = tmp_path / "r.csv"
    result = runner.invoke(app, ["score", str(src), "--out", str(out), "--no-standards",
                                 "--columns", "conversation_id=ticket_id,role=author_type,text=body"])
    assert result.exit_code == 0, result.output
    row = pd.read_csv(out).iloc[0]
    assert (row["conversation_id"], row["n_customer_turns"], row["n_agent_turns"]) == ("T1", 1, 1)


def test_cli_score_bad_columns_mapping_is_a_usage_error(tmp_path, samples):
    result = runner.invoke(app, ["score", str(samples / "chat"), "--out", str(tmp_path / "r.csv"),
                                 "--no-standards", "--columns", "conversation_id"])
    assert result.exit_code == 2
    assert "E023" in result.output


def test_cli_runs_as_a_module(tmp_path, samples):
    out = tmp_path / "r.jsonl"
    proc = subprocess.run([sys.executable, "-m", "analyzer", "score", str(samples / "chat" / "messages.csv"),
                           "--out", str(out), "--no-standards"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "2 conversations" in proc.stderr
    assert len(out.read_text().splitlines()) == 2
