"""The batch runner: deterministic whatever the worker count, exactly-once after SIGKILL + resume."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

import analyzer
from analyzer.batch import run


@pytest.fixture(scope="module")
def archive(tmp_path_factory, shared_data):
    """Real support conversations (airline threads and multilingual chats) plus broken lines."""
    root = tmp_path_factory.mktemp("archive")
    lines = []
    for name in ("twacs_airlines.jsonl", "wmt24_chat_customer_support.jsonl"):
        with open(shared_data / "conversations" / name, encoding="utf-8") as f:
            lines += [next(f) for _ in range(250)]
    with open(root / "a.jsonl", "w", encoding="utf-8") as f:
        for i, line in enumerate(lines):
            f.write(line)
            if i % 97 == 0:
                f.write('{"id": "broken", "turns": [\n')  # a malformed record every so often
    return root


def _qa():
    return analyzer.load(standards=False, dimensions=())


def _frame(path):
    return pd.read_parquet(path).sort_values("conversation_id", kind="stable").reset_index(drop=True)


def test_runner_output_is_the_same_with_one_or_two_workers(tmp_path, archive):
    one = run([archive], tmp_path / "w1/r.parquet", _qa(), chunk_size=60, workers=1, turns=True)
    two = run([archive], tmp_path / "w2/r.parquet", _qa(), chunk_size=60, workers=2, turns=True)
    assert one.conversations == two.conversations == 500
    assert one.errors == two.errors == 6
    for name in ("r.parquet", "r.turns.parquet", "r.flags.parquet"):
        a = pd.read_parquet(tmp_path / "w1" / name)
        b = pd.read_parquet(tmp_path / "w2" / name)
        pd.testing.assert_frame_equal(a, b)  # same rows in the same order
    assert (tmp_path / "w1/errors.jsonl").read_bytes() == (tmp_path / "w2/errors.jsonl").read_bytes()
    assert not (tmp_path / "w1/r.parquet.parts").exists()


def test_runner_sigkill_then_resume_gives_exactly_once_output(tmp_path, archive):
    reference = tmp_path / "ref/r.parquet"
    run([archive], reference, analyzer.load(standards=False), chunk_size=25, workers=1)  # what the CLI below loads
    out = tmp_path / "killed/r.parquet"
    cmd = [sys.executable, "-m", "analyzer", "score", str(archive), "--out", str(out), "--no-standards",
           "--chunk-size", "25", "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True)
    manifest = out.with_name("r.parquet.parts") / "manifest.jsonl"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if manifest.exists() and len(manifest.read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(manifest.read_text().splitlines())
    assert 3 <= done_before < 20, "the run should be killed part-way"
    assert not out.exists()  # nothing half-written looks complete
    resumed = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 1, resumed.stderr  # 1: some input records are broken (they are)
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(reference))
    killed_errors = (out.parent / "errors.jsonl").read_text().splitlines()
    assert killed_errors == (reference.parent / "errors.jsonl").read_text().splitlines()
    assert len(killed_errors) == 6


def test_runner_partitioned_output_reads_in_pandas_and_duckdb(tmp_path, archive):
    duckdb = pytest.importorskip("duckdb")
    out = tmp_path / "parts"
    stats = run([archive], out, _qa(), chunk_size=100, workers=1, partitioned=True)
    files = sorted((out / "conversations").glob("part-*.parquet"))
    assert len(files) == 5  # 500 conversations in chunks of 100
    frame = pd.read_parquet(out / "conversations")
    assert len(frame) == stats.conversations == 500
    count = duckdb.sql(f"select count(*) from read_parquet('{out}/conversations/*.parquet')").fetchall()[0][0]
    assert count == 500
    errors = [json.loads(l) for p in sorted((out / "errors").glob("*.jsonl")) for l in p.read_text().splitlines()]
    assert len(errors) == 6 and {e["code"] for e in errors} == {"E013"}


def test_runner_resume_refuses_a_different_run(tmp_path, archive, samples):
    out = tmp_path / "r.parquet"
    parts = out.with_name("r.parquet.parts")
    parts.mkdir()
    (parts / "run.json").write_text(json.dumps({"inputs": ["elsewhere"]}))
    with pytest.raises(ValueError, match="different run"):
        run([samples / "chat"], out, _qa(), resume=True)
