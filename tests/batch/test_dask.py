"""The Dask engine on a real cluster: a `dask scheduler` and two `dask worker` processes on loopback."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import analyzer
from analyzer.batch import run

pytest.importorskip("distributed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask_command(*args):
    return [sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask-logs")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [subprocess.Popen(_dask_command("scheduler", "--host", "127.0.0.1", "--port", str(port),
                                            "--dashboard-address", ":0"),
                              stdout=open(logs / "scheduler.log", "w"), stderr=subprocess.STDOUT, env=env,
                              start_new_session=True)]
    time.sleep(1.5)
    workers = []
    for i in range(2):
        workers.append(subprocess.Popen(
            _dask_command("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                          "--name", f"w{i}", "--local-directory", str(logs / f"w{i}")),
            stdout=open(logs / f"worker{i}.log", "w"), stderr=subprocess.STDOUT, env=env, start_new_session=True))
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(2, timeout=120)
    yield address, workers
    for proc in procs + workers:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def archive(tmp_path_factory, shared_data, samples):
    """Several files: real airline threads split in pieces, the samples (every format), broken lines."""
    root = tmp_path_factory.mktemp("dask-archive")
    with open(shared_data / "conversations" / "twacs_airlines.jsonl", encoding="utf-8") as f:
        lines = [next(f) for _ in range(240)]
    for i in range(6):
        with open(root / f"part{i}.jsonl", "w", encoding="utf-8") as out:
            out.writelines(lines[i * 40:(i + 1) * 40])
            out.write("{broken json\n")
    shutil.copytree(samples, root / "samples")
    return root


def _qa():
    return analyzer.load(standards=False, dimensions=())


def _sorted(path):
    return pd.read_parquet(path).sort_values("conversation_id", kind="stable").reset_index(drop=True)


def test_dask_engine_matches_the_local_run(tmp_path, cluster, archive):
    address, _ = cluster
    local = run([archive], tmp_path / "local/r.parquet", _qa(), chunk_size=25)
    remote = run([archive], tmp_path / "dask/r.parquet", _qa(), chunk_size=25, engine="dask", scheduler=address)
    assert remote.conversations == local.conversations == 240 + 57
    assert remote.errors == local.errors == 6
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask/r.parquet"), pd.read_parquet(tmp_path / "local/r.parquet"))
    assert sorted((tmp_path / "dask/errors.jsonl").read_text().splitlines()) == \
        sorted((tmp_path / "local/errors.jsonl").read_text().splitlines())


def test_dask_engine_loses_nothing_when_a_worker_is_killed(tmp_path, cluster, archive):
    address, workers = cluster
    reference = run([archive], tmp_path / "local/r.parquet", _qa(), chunk_size=10)
    out = tmp_path / "dask/r.parquet"
    killed = []

    def kill_one_worker(stats):
        if not killed and stats.chunks >= 2:
            os.killpg(workers[0].pid, signal.SIGKILL)
            killed.append(stats.chunks)

    result = run([archive], out, _qa(), chunk_size=10, engine="dask", scheduler=address, on_progress=kill_one_worker)
    assert killed, "a worker was killed mid-run"
    assert result.conversations == reference.conversations
    pd.testing.assert_frame_equal(_sorted(out), _sorted(tmp_path / "local/r.parquet"))
    assert pd.read_parquet(out)["conversation_id"].is_unique
