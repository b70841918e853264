"""Service load test: requests/s and latency percentiles for ``POST /v1/score``, 1 then 2 uvicorn workers.

Starts ``analyzer.service.serve`` on 127.0.0.1 (a free port, loopback only) in a subprocess,
waits until every worker is ready and warm, then sends a fixed number of single-conversation
requests (bounded by a time limit too) from a thread pool of keep-alive ``http.client``
connections, and prints the throughput and p50/p95/p99 latency. The conversations are the
shipped chat samples. The client runs on the same cores as the server, so it is the leanest
the standard library has (about a quarter of httpx's CPU time per request).

It also prints the CPU time per request of the server (all its processes) and of this client
(Linux ``/proc``): on a shared machine those move much less with other load than req/s does,
so they are the figures to compare between two versions measured at different times.

    python bench/service.py --requests 400 --concurrency 8 --workers 1,2
    python bench/service.py --openapi docs/openapi.json     # regenerate the published schema
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

import analyzer  # noqa: E402

TOKEN = "bench-token"


def write_openapi(path: Path) -> None:
    from analyzer.service import ServiceSettings, create_app

    schema = create_app(ServiceSettings(tokens=frozenset({TOKEN}), jobs_dir=tempfile.mkdtemp())).openapi()
    path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def conversations() -> list[dict]:
    return [c.to_dict() for c in analyzer.read(REPO / "data" / "samples" / "chat", on_error=lambda e: None)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(workers: int, port: int, standards: object, log: Path) -> subprocess.Popen:
    kwargs = dict(host="127.0.0.1", port=port, workers=workers, rate_limit=0.0, standards=standards,
                  max_batch=64, log_level="warning", shutdown_timeout=10)
    env = {**os.environ, "ANALYZER_TOKENS": TOKEN}
    return subprocess.Popen([sys.executable, "-c", f"from analyzer.service import serve; serve(**{kwargs!r})"],
                            cwd=REPO, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its live descendants (0.0 without ``/proc``)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent, cpu seconds)
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, (pp, _) in stats.items() if pp == parent and p not in tree]
        tree.update(children)
        frontier += children
    return sum(stats[p][1] for p in tree if p in stats)


def wait_ready(base: str, workers: int, timeout: float = 180) -> None:
    """Ready once ``10 * workers`` fresh connections in a row get 200 from /readyz."""
    deadline, streak = time.monotonic() + timeout, 0
    while streak < 10 * workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base} not ready after {timeout}s")
        try:
            ok = httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        except httpx.TransportError:
            ok = False
        streak = streak + 1 if ok else 0
        if not ok:
            time.sleep(0.2)


def load(base: str, convs: list[dict], n: int, concurrency: int, time_limit: float) -> dict:
    local = threading.local()
    bodies = itertools.cycle([json.dumps(c).encode("utf-8") for c in convs])
    lock = threading.Lock()
    stop_at = time.monotonic() + time_limit
    url = urlsplit(base)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    def one(_: int) -> tuple[float, int] | None:
        if time.monotonic() > stop_at:
            return None
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        with lock:
            body = next(bodies)
        start = time.perf_counter()
        try:
            local.conn.request("POST", "/v1/score", body=body, headers=headers)
            response = local.conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            local.conn.close()
            del local.conn
            status = 0
        return time.perf_counter() - start, status

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = [r for r in pool.map(one, range(n)) if r is not None]
    elapsed = time.perf_counter() - began
    latencies = sorted(r[0] for r in results)
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return {"requests": len(results), "errors": sum(r[1] != 200 for r in results), "seconds": elapsed,
            "rps": len(results) / elapsed, "p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000, "p99_ms": q[98] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per run")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--time-limit", type=float, default=90.0, help="seconds per run at most")
    parser.add_argument("--workers", default="1,2", help="uvicorn worker counts to try, comma-separated")
    parser.add_argument("--no-standards", action="store_true", help="score only; check no standards")
    parser.add_argument("--openapi", type=Path, help="write the OpenAPI schema to this file and exit")
    args = parser.parse_args()
    if args.openapi:
        write_openapi(args.openapi)
        return
    convs = conversations()
    standards = False if args.no_standards else None
    print(f"{len(convs)} sample conversations, {args.requests} requests, concurrency {args.concurrency}, "
          f"cpus {os.cpu_count()}")
    for workers in (int(w) for w in args.workers.split(",")):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = Path(tempfile.mkdtemp()) / "server.log"
        proc = start(workers, port, standards, log)
        try:
            wait_ready(base, workers)
            load(base, convs, 4 * args.concurrency * workers, args.concurrency, args.time_limit)  # warm every worker
            server_cpu, client_cpu = tree_cpu_seconds(proc.pid), time.process_time()
            r = load(base, convs, args.requests, args.concurrency, args.time_limit)
            server_cpu, client_cpu = tree_cpu_seconds(proc.pid) - server_cpu, time.process_time() - client_cpu
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        print(f"workers={workers}: {r['requests']} requests ({r['errors']} non-200) in {r['seconds']:.1f}s = "
              f"{r['rps']:.1f} req/s; latency p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, "
              f"p99 {r['p99_ms']:.0f} ms; CPU per request: server {1000 * server_cpu / max(1, r['requests']):.1f} ms, "
              f"client {1000 * client_cpu / max(1, r['requests']):.1f} ms")


if __name__ == "__main__":
    main()
