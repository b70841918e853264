"""Background scoring jobs for the HTTP service: archives that take longer than a request.

A job runs :func:`analyzer.batch.run` in a worker thread. Its state lives in
``<jobs_dir>/<id>/status.json`` (written atomically), so every uvicorn worker sharing
``jobs_dir`` can answer ``GET /v1/jobs/{id}``; outputs go beside it.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from .api_errors import code_of

log = logging.getLogger(__name__)

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def safe_name(name: str | None, default: str = "upload") -> str:
    """A file name that cannot leave its folder.

    Example:
        >>> safe_name("../../etc/passwd"), safe_name("chats 2024.jsonl"), safe_name(None)
        ('passwd', 'chats_2024.jsonl', 'upload')
    """
    base = _UNSAFE.sub("_", Path(str(name or "")).name).lstrip("._")
    return base[:120] or default


class JobManager:
    """Queues jobs and runs them one at a time in a daemon thread.

    Args:
        jobs_dir: where each job's folder (status, uploads, outputs) is made.
        get_analyzer: returns the loaded :class:`~analyzer.pipeline.Analyzer` (waits if need be).
        on_done: called with each finished job's :class:`~analyzer.batch.runner.RunStats`.
    """

    def __init__(self, jobs_dir: str | Path, get_analyzer: Callable[[], Any],
                 on_done: Callable[[Any], None] | None = None) -> None:
        self.jobs_dir = Path(jobs_dir)
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self._get_analyzer = get_analyzer
        self._on_done = on_done
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- state ----------------------------------------------------------------------------

    def _status_path(self, job_id: str) -> Path:
        return self.jobs_dir / job_id / "status.json"

    def _write(self, state: dict[str, Any]) -> None:
        path = self._status_path(state["id"])
        tmp = path.with_name(f"status.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    def _read(self, job_id: str) -> dict[str, Any] | None:
        try:
            return json.loads(self._status_path(job_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def get(self, job_id: str, owner: str) -> dict[str, Any] | None:
        """The job's public state, or ``None`` if there is no such job for this owner."""
        if not JOB_ID.match(job_id):
            return None
        state = self._read(job_id)
        if state is None or state.get("owner") != owner:
            return None
        return {k: v for k, v in state.items() if k not in ("owner", "request")}

    # -- submitting -------------------------------------------------------------------------

    def new_job_dir(self) -> tuple[str, Path]:
        """A fresh job id and its folder (for an upload to stream into before :meth:`submit`)."""
        job_id = uuid.uuid4().hex
        folder = self.jobs_dir / job_id
        (folder / "input").mkdir(parents=True)
        return job_id, folder

    def submit(self, job_id: str, inputs: list[str], owner: str, *, format: str = "auto",
               output: str = "jsonl", turns: bool = False, shown: list[str] | None = None) -> dict[str, Any]:
        """Queue a job over ``inputs`` (server paths); returns its public state."""
        state = {"id": job_id, "status": "queued", "created": _now(), "started": None, "finished": None,
                 "inputs": shown or inputs, "stats": None, "outputs": {}, "error": None, "owner": owner,
                 "request": {"paths": inputs, "format": format, "output": output, "turns": turns}}
        self._write(state)
        self._ensure_worker()
        self._queue.put(job_id)
        return self.get(job_id, owner) or {}

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="analyzer-jobs", daemon=True)
                self._thread.start()

    # -- running ----------------------------------------------------------------------------

    def _work(self) -> None:
        while (job_id := self._queue.get()) is not None:
            try:
                self._run(job_id)
            except Exception:  # never let one job kill the worker
                log.exception("job %s crashed", job_id)

    def _run(self, job_id: str) -> None:
        from ..batch.runner import run

        state = self._read(job_id)
        if state is None or state["status"] != "queued":
            return
        state.update(status="running", started=_now())
        self._write(state)
        request = state["request"]
        out = self.jobs_dir / job_id / f"results.{request['output']}"
        try:
            stats = run(request["paths"], out, self._get_analyzer(), format=request["format"], turns=request["turns"])
        except Exception as exc:  # a job's failure is its status, not the server's
            log.warning("job %s failed: %s", job_id, exc)
            message = str(exc) or type(exc).__name__
            state.update(status="failed", finished=_now(), error={"code": code_of(message, "E072"), "message": message})
        else:
            state.update(status="done", finished=_now(), outputs=dict(stats.outputs),
                         stats={"conversations": stats.conversations, "turns": stats.turns, "flags": stats.flags,
                                "errors": stats.errors, "seconds": round(stats.seconds, 3)})
            if self._on_done:
                self._on_done(stats)
        self._write(state)

    def close(self) -> None:
        """Stop taking jobs; queued ones are marked failed (the running one is abandoned)."""
        while True:
            try:
                job_id = self._queue.get_nowait()
            except queue.Empty:
                break
            state = self._read(job_id) if job_id else None
            if state and state["status"] == "queued":
                message = "E072 the server shut down before this job started; submit it again."
                state.update(status="failed", finished=_now(), error={"code": "E072", "message": message})
                self._write(state)
        self._queue.put(None)
