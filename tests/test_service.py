"""The HTTP service against a real server: uvicorn on 127.0.0.1, called over HTTP with httpx.

The main server runs ``analyzer.service.serve`` in a subprocess (the path ``analyzer serve``
takes); a second one with a tight rate limit runs ``create_app`` on ``uvicorn.Server`` in a
thread. The schema is fuzzed with schemathesis (bounded), checking for no 5xx and responses
that conform to the published schema.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

import analyzer
from analyzer.errors import ConfigError

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CHAT = REPO / "data" / "samples" / "chat"
OPENAPI_DOC = REPO / "docs" / "openapi.json"
TOKEN, OTHER_TOKEN, FUZZ_TOKEN = "svc-test-token", "svc-other-token", "svc-fuzz-token"
STANDARDS = None if importlib.util.find_spec("analyzer.standards") else False
LIMITS = dict(max_batch=4, max_body_bytes=64_000, max_turns=50)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(base: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"service at {base} not ready after {seconds}s")


def _auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _conversations(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return json.loads(text)["conversations"]


@pytest.fixture(scope="session")
def live(tmp_path_factory, request) -> str:
    """``serve()`` in a subprocess on a free loopback port; yields its base URL."""
    tmp = tmp_path_factory.mktemp("service")
    tokens = tmp / "tokens.txt"
    tokens.write_text(f"# test tokens\n{TOKEN}\n{OTHER_TOKEN}\n{FUZZ_TOKEN}\n", encoding="utf-8")
    port = _free_port()
    kwargs = dict(host="127.0.0.1", port=port, tokens_file=str(tokens), workers=1, rate_limit=1000.0,
                  standards=STANDARDS, jobs_dir=str(tmp / "jobs"), job_roots=[str(REPO / "data")],
                  log_level="warning", shutdown_timeout=5, **LIMITS)
    env = {k: v for k, v in os.environ.items() if k != "ANALYZER_TOKENS"}
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-c", f"from analyzer.service import serve; serve(**{kwargs!r})"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        request.getfixturevalue("reference")  # warms up in this process while the server warms up in its own
        _wait_ready(base)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def reference():
    """The same pipeline, loaded in-process, to compare the service's answers with."""
    qa = analyzer.load(standards=STANDARDS)
    qa.analyze([("customer", "Hello, my order is late."), ("agent", "Sorry, I will check it now.")])
    return qa


@contextlib.contextmanager
def _serve_in_thread(app, **config):
    """``uvicorn.Server`` in a thread on a free loopback port; yields the base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        yield base, server
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def throttled() -> str:
    """``create_app`` on uvicorn.Server in a thread: 0.5 request/s, bursts of 3, no standards."""
    from analyzer.service import ServiceSettings, create_app

    app = create_app(ServiceSettings(tokens=frozenset({TOKEN, OTHER_TOKEN}), rate_limit=0.5, rate_burst=3,
                                     standards=False, dimensions=()))
    with _serve_in_thread(app) as (base, _):
        _wait_ready(base, 30)
        yield base


def _same_as_pipeline(result: dict, expected) -> None:
    want = json.loads(json.dumps(expected.to_dict()))
    assert result["conversation"]["turns"] == want["conversation"]["turns"]
    assert result["summary"] == want["summary"]
    assert result["scores"] == want["scores"]
    assert result["flags"] == want["flags"]
    assert result["qa_score"] == want["qa_score"] and result["passed"] == want["passed"]


def test_service_scores_one_conversation_like_the_pipeline(live, reference):
    conv = _conversations(CHAT / "support_en.jsonl")[0]
    response = httpx.post(f"{live}/v1/score", json=conv, headers=_auth(), timeout=60)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["conversation"]["id"] == conv["id"]
    assert len(result["conversation"]["turns"]) == len(conv["turns"])
    _same_as_pipeline(result, reference.analyze(conv))


def test_service_scores_a_batch_in_order(live, reference):
    convs = _conversations(CHAT / "support_multilingual.json")[:3] + _conversations(CHAT / "support_en.jsonl")[:1]
    response = httpx.post(f"{live}/v1/score", json={"conversations": convs}, headers=_auth(), timeout=60)
    assert response.status_code == 200, response.text
    results = response.json()
    assert [r["conversation"]["id"] for r in results] == [c["id"] for c in convs]
    for result, conv in zip(results, convs):
        _same_as_pipeline(result, reference.analyze(conv))


def test_service_auth_rejects_missing_and_wrong_tokens(live):
    conv = {"turns": [{"role": "customer", "text": "Hi"}]}
    for headers in ({}, _auth("not-a-token"), {"Authorization": f"Basic {TOKEN}"}):
        response = httpx.post(f"{live}/v1/score", json=conv, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "E060"
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert httpx.get(f"{live}/v1/standards").status_code == 401
    assert httpx.get(f"{live}/metrics").status_code == 401
    assert httpx.get(f"{live}/healthz").json() == {"status": "ok"}


def test_service_readyz_lists_the_loaded_dimensions(live, reference):
    response = httpx.get(f"{live}/readyz")
    assert response.status_code == 200
    assert response.json()["dimensions"] == list(reference.dimensions)
    assert response.json()["standards"] == len(reference.standards or ())
    standards = httpx.get(f"{live}/v1/standards", headers=_auth()).json()
    assert [s["id"] for s in standards] == [s.id for s in (reference.standards or ())]


def test_service_413_for_oversized_body_turns_and_batch(live):
    big = {"turns": [{"role": "customer", "text": "x" * 70_000}]}
    response = httpx.post(f"{live}/v1/score", json=big, headers=_auth())
    assert response.status_code == 413 and response.json()["error"]["code"] == "E061"
    long = {"turns": [{"role": ("customer", "agent")[i % 2], "text": f"message {i}"} for i in range(51)]}
    response = httpx.post(f"{live}/v1/score", json=long, headers=_auth())
    assert response.status_code == 413 and response.json()["error"]["code"] == "E062"
    at_limit = {"turns": long["turns"][:50]}
    assert httpx.post(f"{live}/v1/score", json=at_limit, headers=_auth(), timeout=60).status_code == 200
    batch = {"conversations": [{"turns": [{"role": "customer", "text": "Hi"}]}] * 5}
    response = httpx.post(f"{live}/v1/score", json=batch, headers=_auth())
    assert response.status_code == 413 and response.json()["error"]["code"] == "E063"


@pytest.mark.parametrize("body, code", [
    ({"turns": [{"role": "martian", "text": "Hello"}]}, "E006"),
    ({"turns": [{"role": "agent"}]}, "E065"),
    ({"turns": [{"role": "agent", "text": 42}]}, "E065"),
    ({"turns": []}, "E065"),
    ({"turns": [{"role": "agent", "text": "Hi", "timestamp": "yesterday-ish"}]}, "E021"),
    ({"turns": [{"role": "agent", "text": "Hi", "timestamp": 1e300}]}, "E021"),
    ({"id": "", "turns": [{"role": "agent", "text": "Hi"}]}, "E009"),
    ({"conversations": []}, "E065"),
    ([1, 2, 3], "E065"),
])
def test_service_422_with_a_code_for_malformed_conversations(live, body, code):
    response = httpx.post(f"{live}/v1/score", json=body, headers=_auth())
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"].startswith(code)


def test_service_422_for_malformed_json(live):
    response = httpx.post(f"{live}/v1/score", content=b'{"turns": [', headers={**_auth(), "Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "E013"


def test_service_answers_valid_json_for_nan_in_metadata(live):
    body = b'{"turns": [{"role": "agent", "text": "Hello!", "meta": {"score": NaN}}]}'
    response = httpx.post(f"{live}/v1/score", content=body, headers={**_auth(), "Content-Type": "application/json"},
                          timeout=60)
    assert response.status_code == 200
    assert json.loads(response.text)["conversation"]["turns"][0]["meta"] == {"score": None}


def test_service_rate_limit_is_per_token_with_retry_after(throttled):
    with httpx.Client(base_url=throttled, headers=_auth()) as client:
        responses = [client.get("/v1/standards") for _ in range(6)]
    assert [r.status_code for r in responses[:3]] == [200, 200, 200]  # the burst
    limited = [r for r in responses[3:] if r.status_code == 429]
    assert limited, "no 429 after the burst was spent"
    assert limited[0].json()["error"]["code"] == "E064" and int(limited[0].headers["retry-after"]) >= 1
    assert httpx.get(f"{throttled}/v1/standards", headers=_auth(OTHER_TOKEN)).json() == []
    assert httpx.get(f"{throttled}/healthz").status_code == 200  # health checks are neither authed nor limited


def _wait_job(live: str, job_id: str, token: str = TOKEN) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = httpx.get(f"{live}/v1/jobs/{job_id}", headers=_auth(token)).json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {state}")


def test_service_job_over_server_side_folder_writes_every_row(live):
    errors: list = []
    expected = list(analyzer.read(CHAT, on_error=errors.append))
    response = httpx.post(f"{live}/v1/jobs", json={"paths": ["samples/chat"], "output": "jsonl"}, headers=_auth())
    assert response.status_code == 202, response.text
    assert response.json()["status"] in ("queued", "running", "done")
    assert response.headers["location"] == f"/v1/jobs/{response.json()['id']}"
    state = _wait_job(live, response.json()["id"])
    assert state["status"] == "done", state
    rows = Path(state["outputs"]["conversations"]).read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(expected) == state["stats"]["conversations"]
    assert {json.loads(r)["conversation_id"] for r in rows} == {c.id for c in expected}
    assert state["stats"]["errors"] == len(errors)
    assert state["stats"]["turns"] == sum(len(c.turns) for c in expected)
    other = httpx.get(f"{live}/v1/jobs/{state['id']}", headers=_auth(OTHER_TOKEN))
    assert other.status_code == 404 and other.json()["error"]["code"] == "E068"  # jobs belong to their token


def test_service_job_from_an_uploaded_file(live):
    data = (CHAT / "support_en.jsonl").read_bytes()
    n = sum(1 for line in data.decode("utf-8").splitlines() if line.strip())
    response = httpx.post(f"{live}/v1/jobs", content=data, params={"filename": "chats.jsonl", "output": "csv"},
                          headers={**_auth(), "Content-Type": "application/octet-stream"})
    assert response.status_code == 202, response.text
    state = _wait_job(live, response.json()["id"])
    assert state["status"] == "done" and state["stats"]["conversations"] == n
    assert state["outputs"]["conversations"].endswith(".csv") and Path(state["outputs"]["conversations"]).exists()


@pytest.mark.parametrize("paths", [["/etc/passwd"], ["../../etc"], ["samples/no-such-folder"]])
def test_service_job_refuses_paths_outside_its_roots(live, paths):
    response = httpx.post(f"{live}/v1/jobs", json={"paths": paths}, headers=_auth())
    assert response.status_code == 422 and response.json()["error"]["code"] == "E067"


def test_service_metrics_count_requests_and_scored_conversations(live):
    def count(text: str, prefix: str) -> float:
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))

    route = 'analyzer_http_requests_total{method="GET",route="/v1/standards",status="200"}'
    before = httpx.get(f"{live}/metrics", headers=_auth()).text
    for _ in range(3):
        httpx.get(f"{live}/v1/standards", headers=_auth())
    httpx.post(f"{live}/v1/score", json={"conversations": [{"turns": [{"role": "customer", "text": "Hi"}]}] * 2},
               headers=_auth(), timeout=60)
    after = httpx.get(f"{live}/metrics", headers=_auth())
    assert after.headers["content-type"].startswith("text/plain")
    assert count(after.text, route) - count(before, route) == 3
    scored = 'analyzer_conversations_scored_total{via="score"}'
    assert count(after.text, scored) - count(before, scored) == 2
    assert "analyzer_http_request_duration_seconds_bucket" in after.text


def test_service_refuses_to_start_without_tokens(monkeypatch, tmp_path):
    from analyzer.service import ServiceSettings, create_app, serve

    monkeypatch.delenv("ANALYZER_TOKENS", raising=False)
    with pytest.raises(ConfigError, match="E070"):
        serve(host="0.0.0.0", port=_free_port(), tokens_file=None, jobs_dir=tmp_path)
    with pytest.raises(ConfigError, match="E071"):
        serve(host="0.0.0.0", port=_free_port(), insecure_no_auth=True, jobs_dir=tmp_path)
    empty = tmp_path / "tokens.txt"
    empty.write_text("# no tokens yet\n\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="E070"):
        serve(host="10.1.2.3", port=_free_port(), tokens_file=empty, jobs_dir=tmp_path)
    create_app(ServiceSettings(host="127.0.0.1", insecure_no_auth=True, jobs_dir=str(tmp_path)))  # loopback: allowed


def test_service_graceful_shutdown_finishes_in_flight_requests(tmp_path):
    from analyzer.service import ServiceSettings, create_app

    app = create_app(ServiceSettings(tokens=frozenset({TOKEN}), jobs_dir=str(tmp_path), rate_limit=0),
                     analyzer=analyzer.load(standards=False, dimensions=()))
    lines = (CHAT / "support_en.jsonl").read_bytes().splitlines(keepends=True)
    streaming = threading.Event()

    def slow_upload():
        yield lines[0]
        streaming.set()
        time.sleep(1.0)  # the server is told to stop while this request is in flight
        yield b"".join(lines[1:])

    result: dict = {}
    with _serve_in_thread(app, timeout_graceful_shutdown=10) as (base, server):
        client = threading.Thread(target=lambda: result.update(response=httpx.post(
            f"{base}/v1/jobs", content=slow_upload(), params={"filename": "chats.jsonl"}, timeout=30,
            headers={**_auth(), "Content-Type": "application/octet-stream"})))
        client.start()
        assert streaming.wait(10)
        time.sleep(0.2)
        server.should_exit = True
        client.join(timeout=30)
        time.sleep(0.5)
        with pytest.raises(httpx.TransportError):  # no new connections once shutting down
            httpx.get(f"{base}/healthz", timeout=2)
    assert result["response"].status_code == 202, result["response"].text


def test_service_not_ready_answers_503_with_the_reason(tmp_path):
    from analyzer.service import ServiceSettings, create_app

    if STANDARDS is False:
        pytest.skip("analyzer.standards is not there yet")
    bad = tmp_path / "standards.yaml"
    bad.write_text("version: 1\nstandards:\n  - {id: greeting, rule: no_such_rule}\n", encoding="utf-8")
    app = create_app(ServiceSettings(tokens=frozenset({TOKEN}), standards=str(bad), dimensions=(),
                                     jobs_dir=str(tmp_path / "jobs")))
    with _serve_in_thread(app) as (base, _):
        for _ in range(100):
            response = httpx.get(f"{base}/readyz")
            if "still loading" not in response.text:
                break
            time.sleep(0.1)
        assert response.status_code == 503 and response.json()["error"]["code"] == "E066"
        assert "no_such_rule" in response.json()["error"]["message"]
        scored = httpx.post(f"{base}/v1/score", json={"turns": [{"role": "agent", "text": "Hi"}]}, headers=_auth())
        assert scored.status_code == 503 and scored.json()["error"]["code"] == "E066"
        assert httpx.get(f"{base}/healthz").status_code == 200


def test_service_concurrent_requests_each_get_their_own_result(live, reference):
    """Requests that arrive together are scored in one batch; each answer is the one it gets alone."""
    from concurrent.futures import ThreadPoolExecutor

    convs = _conversations(CHAT / "support_multilingual.json") + _conversations(CHAT / "support_en.jsonl")
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda c: httpx.post(f"{live}/v1/score", json=c, headers=_auth(), timeout=60),
                                  convs * 2))
    for conv, response in zip(convs * 2, responses):
        assert response.status_code == 200, response.text
        assert response.json()["conversation"]["id"] == conv["id"]
        _same_as_pipeline(response.json(), reference.analyze(conv))


class _FailsOn:
    """A scorer that raises on one text: a stand-in for a model error met by one request only."""

    name, roles = "failing", frozenset({"agent", "customer"})

    def __init__(self, text: str) -> None:
        self.text = text

    def score(self, turns):
        from analyzer.errors import InputError

        if any(t.text == self.text for t in turns):
            raise InputError(f"E027 cannot score {self.text!r}")
        return [None] * len(turns)


def test_service_batcher_keeps_one_request_error_to_that_request():
    from analyzer.pipeline import Analyzer, coerce
    from analyzer.service.batcher import MicroBatcher

    batcher = MicroBatcher(lambda: Analyzer([_FailsOn("boom")]))
    try:
        good = [coerce([("customer", f"Hello {i}"), ("agent", "Hi!")]) for i in range(5)]
        bad = coerce([("customer", "boom")])
        futures = [batcher.submit([c]) for c in good[:2]] + [batcher.submit([bad])] + [batcher.submit(good[2:])]
        assert [a.conversation.turns[0].text for a in futures[0].result(30) + futures[1].result(30)] == [
            "Hello 0", "Hello 1"]
        assert [a.conversation.turns[0].text for a in futures[3].result(30)] == ["Hello 2", "Hello 3", "Hello 4"]
        with pytest.raises(analyzer.errors.InputError, match="E027"):
            futures[2].result(30)
    finally:
        batcher.close()


def test_service_openapi_doc_matches_the_live_schema(live):
    live_schema = httpx.get(f"{live}/openapi.json").json()
    assert OPENAPI_DOC.exists(), "generate docs/openapi.json (see bench/service.py --openapi)"
    assert json.loads(OPENAPI_DOC.read_text(encoding="utf-8")) == live_schema, (
        "docs/openapi.json is stale: run `python bench/service.py --openapi docs/openapi.json`")
    assert {"/v1/score", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/standards", "/healthz", "/readyz", "/metrics"} <= set(
        live_schema["paths"])


@pytest.fixture(scope="session")
def api_schema(live):
    return schemathesis.openapi.from_url(f"{live}/openapi.json")


fuzz = schemathesis.pytest.from_fixture("api_schema")


@fuzz.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_service_fuzzed_requests_get_no_5xx_and_conform(case, live):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance, response_schema_conformance, status_code_conformance,
    )

    case.call_and_validate(base_url=live, headers=_auth(FUZZ_TOKEN), timeout=30,
                           checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])


class _Dies(BaseException):
    """Not an Exception: what the batcher's ordinary error handling does not catch."""


def test_service_batcher_survives_its_thread_dying():
    """A BaseException in scoring fails that batch's requests; the next requests are scored."""
    from analyzer.pipeline import Analyzer, coerce
    from analyzer.service.batcher import MicroBatcher

    calls = []

    def get_analyzer():
        calls.append(1)
        if len(calls) == 1:
            raise _Dies()
        return Analyzer()

    batcher = MicroBatcher(get_analyzer)
    try:
        first = batcher.submit([coerce([("customer", "Hi")])])
        with pytest.raises(RuntimeError, match="scoring stopped"):
            first.result(30)
        again = batcher.submit([coerce([("customer", "Hello"), ("agent", "Hi!")])])
        assert [a.summary["n_turns"] for a in again.result(30)] == [2]
    finally:
        batcher.close()


def test_service_json_encoder_gives_the_standard_encoders_values():
    """orjson (where installed) writes what json.dumps would: numpy floats as numbers, NaN/inf as null,
    datetimes and unknown types as their str, non-ASCII kept."""
    import datetime as dt
    import json

    import numpy as np

    from analyzer.service.api_errors import SafeJSONResponse

    content = {"score": np.float64(0.25), "nan": np.float64("nan"), "inf": float("inf"), "when": dt.datetime(2024, 1, 2),
               "count": np.int64(3), "text": "Ευχαριστώ, dziękuję, շնորհակալություն", "nested": [{"x": 1.5}], 7: "int key"}
    expected = {"score": 0.25, "nan": None, "inf": None, "when": "2024-01-02 00:00:00", "count": "3",
                "text": content["text"], "nested": [{"x": 1.5}], "7": "int key"}
    assert json.loads(SafeJSONResponse(content).body) == expected
