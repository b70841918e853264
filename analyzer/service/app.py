"""The HTTP service: ``analyzer serve`` (FastAPI on uvicorn), on the same pipeline as ``analyzer score``.

Routes: ``POST /v1/score`` (one conversation or a batch), ``POST /v1/jobs`` + ``GET /v1/jobs/{id}``
(archives, run by :func:`analyzer.batch.run` in a background thread), ``GET /v1/standards``,
``GET /healthz``, ``GET /readyz``, ``GET /metrics``. Every route but the health checks and
the schema needs ``Authorization: Bearer <token>``; errors are ``{"error": {"code", "message"}}``.

Example:
    >>> settings = ServiceSettings(tokens=frozenset({"secret"}))
    >>> app = create_app(settings)
    >>> sorted(r.path for r in app.routes if r.path.startswith("/v1"))
    ['/v1/jobs', '/v1/jobs/{job_id}', '/v1/score', '/v1/standards']
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import math
import os
import shutil
import tempfile
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Optional, Sequence

from fastapi import Body, Depends, FastAPI, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from ..errors import ConfigError
from .auth import RateLimiter, TokenChecker, is_loopback, load_tokens, token_id
from .api_errors import ApiError, SafeJSONResponse, ServiceErrors, install_handlers
from .batcher import MicroBatcher
from .jobs import JobManager, safe_name
from .metrics import BodyLimitMiddleware, Metrics, MetricsMiddleware
from .models import (
    AnalysisOut, BatchIn, ErrorOut, HealthOut, JobOut, JobRequest, ReadyOut, ScoreRequest, StandardOut,
)

log = logging.getLogger(__name__)

SETTINGS_ENV = "ANALYZER_SERVICE_SETTINGS"


@dataclass(frozen=True)
class ServiceSettings:
    """Everything the service is configured with (the ``analyzer serve`` options).

    Args:
        tokens: accepted bearer tokens; empty needs ``insecure_no_auth`` on a loopback host.
        max_batch: conversations per ``/v1/score`` request; max_turns: turns per conversation.
        max_body_bytes: request body limit; max_upload_bytes: the limit for uploads to ``/v1/jobs``.
        rate_limit: requests/s per token (0 = off), bursts up to ``rate_burst`` (default 2 × rate).
        standards: a standards YAML, ``None`` for the shipped default, ``False`` for none.
        jobs_dir: where job folders go (default: a fresh temporary folder).
        job_roots: folders whose files ``/v1/jobs`` may read by path (none: uploads only).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    tokens: frozenset[str] = frozenset()
    insecure_no_auth: bool = False
    workers: int = 1
    max_batch: int = 64
    max_body_bytes: int = 2_000_000
    max_upload_bytes: int = 256 * 2**20
    max_turns: int = 500
    rate_limit: float = 20.0
    rate_burst: Optional[int] = None
    standards: Any = None
    tier: str = "fast"
    dimensions: Optional[tuple[str, ...]] = None
    models_dir: Optional[str] = None
    jobs_dir: Optional[str] = None
    job_roots: tuple[str, ...] = ()
    shutdown_timeout: float = 30.0

    def check(self) -> None:
        """Refuse to serve without tokens, and without auth anywhere but loopback (ConfigError)."""
        if self.insecure_no_auth:
            if not is_loopback(self.host):
                raise ConfigError(ServiceErrors.E071.format(host=self.host))
        elif not self.tokens:
            raise ConfigError(ServiceErrors.E070)

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["tokens"] = sorted(self.tokens)
        data["standards"] = str(self.standards) if isinstance(self.standards, Path) else self.standards
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> "ServiceSettings":
        data = json.loads(text)
        data["tokens"] = frozenset(data["tokens"])
        data["job_roots"] = tuple(data["job_roots"])
        data["dimensions"] = None if data["dimensions"] is None else tuple(data["dimensions"])
        return cls(**data)


class _Service:
    """The app's state: the Analyzer (loaded once, in a thread), limits, metrics and jobs."""

    def __init__(self, settings: ServiceSettings, analyzer: Any = None) -> None:
        self.settings = settings
        self.analyzer = analyzer
        self.load_error: str | None = None
        self.ready = threading.Event()
        if analyzer is not None:
            self.ready.set()
        self.checker = TokenChecker(settings.tokens)
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_burst)
        self.metrics = Metrics()
        jobs_dir = settings.jobs_dir or tempfile.mkdtemp(prefix="analyzer-jobs-")
        self.jobs = JobManager(jobs_dir, self.wait_analyzer,
                               on_done=lambda stats: self.metrics.conversations.labels("job").inc(stats.conversations))
        self.roots = tuple(Path(r).resolve() for r in settings.job_roots)
        self.batcher = self.new_batcher()

    def new_batcher(self) -> MicroBatcher:
        return MicroBatcher(self.wait_analyzer, max_conversations=max(64, self.settings.max_batch))

    def load(self) -> None:
        from ..pipeline import load

        s = self.settings
        try:
            qa = load(standards=s.standards, tier=s.tier, dimensions=s.dimensions, models_dir=s.models_dir)
            qa.analyze([("customer", "Hello, my order is late."), ("agent", "Sorry, I will check it now.")])  # warm up
            self.analyzer = qa
            log.info("analyzer ready: dimensions %s", list(self.analyzer.dimensions))
        except Exception as exc:
            self.load_error = str(exc) or type(exc).__name__
            log.error("could not load the analyzer: %s", self.load_error)
        self.ready.set()

    def wait_analyzer(self) -> Any:
        self.ready.wait()
        if self.analyzer is None:
            raise ConfigError(self.load_error or "the analyzer is not loaded")
        return self.analyzer

    def require_ready(self) -> Any:
        if not self.ready.is_set() or self.analyzer is None:
            reason = self.load_error or "models are still loading"
            raise ApiError(503, ServiceErrors.E066.format(reason=reason), headers={"Retry-After": "1"})
        return self.analyzer

    def job_paths(self, paths: Sequence[str]) -> list[str]:
        if not self.roots:
            reason = "this server reads no server-side paths (start it with --job-root DIR); upload the file instead"
            raise ApiError(422, ServiceErrors.E067.format(path=paths[0], reason=reason))
        out = []
        for raw in paths:
            try:
                path = Path(raw) if Path(raw).is_absolute() else self.roots[0] / raw
                path = path.resolve()
                inside = any(path == root or root in path.parents for root in self.roots)
                exists = path.exists()
            except (OSError, ValueError) as exc:
                raise ApiError(422, ServiceErrors.E067.format(path=raw, reason=str(exc))) from None
            if not inside:
                raise ApiError(422, ServiceErrors.E067.format(path=raw, reason="outside the server's --job-root folders"))
            if not exists:
                raise ApiError(422, ServiceErrors.E067.format(path=raw, reason="no such file or directory"))
            out.append(str(path))
        return out


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorOut} for status in statuses}


_UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": JobRequest.model_json_schema()},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
}}}


def create_app(settings: ServiceSettings, analyzer: Any = None) -> FastAPI:
    """The FastAPI app. The Analyzer is loaded once at startup (in a thread; /readyz says when).

    Args:
        settings: the service's configuration; checked with :meth:`ServiceSettings.check`.
        analyzer: an already-loaded :class:`~analyzer.pipeline.Analyzer` to serve instead.
    """
    from .. import __version__

    settings.check()
    service = _Service(settings, analyzer)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not service.ready.is_set():
            threading.Thread(target=service.load, name="analyzer-load", daemon=True).start()
        service.batcher = service.new_batcher()  # a fresh one each time the app starts
        yield
        service.batcher.close()
        service.jobs.close()

    app = FastAPI(title="analyzer", version=__version__, lifespan=lifespan, default_response_class=SafeJSONResponse,
                  description="Contact-centre conversation QA: per-turn scores, service-standard flags, QA score.")
    app.state.service = service
    install_handlers(app)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes)
    app.add_middleware(MetricsMiddleware, metrics=service.metrics)
    bearer = HTTPBearer(auto_error=False, description="A token from --tokens-file or ANALYZER_TOKENS.")

    async def authorize(request: Request, credentials: Optional[HTTPAuthorizationCredentials] = Security(bearer)) -> str:
        if settings.insecure_no_auth:
            owner, key = "anonymous", request.client.host if request.client else "anonymous"
        elif credentials is None or not service.checker.check(credentials.credentials):
            raise ApiError(401, ServiceErrors.E060, headers={"WWW-Authenticate": 'Bearer realm="analyzer"'})
        else:
            owner = key = token_id(credentials.credentials)
        wait = service.limiter.acquire(key)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise ApiError(429, ServiceErrors.E064.format(rate=settings.rate_limit, retry=retry),
                           headers={"Retry-After": str(retry)})
        return owner

    @app.get("/healthz", response_model=HealthOut, tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", response_model=ReadyOut, responses=_errors(503), tags=["health"])
    async def readyz():
        """Readiness: 200 with the scored dimensions once the models are loaded, else 503."""
        analyzer = service.require_ready()
        standards = analyzer.standards
        return {"status": "ready", "dimensions": list(analyzer.dimensions), "standards": len(standards or ())}

    @app.post("/v1/score", response_model=None, tags=["score"],
              responses={200: {"model": AnalysisOut | list[AnalysisOut],
                               "description": "One analysis for a conversation; a list for a batch, in order."},
                         **_errors(401, 413, 422, 429, 503)})
    async def score(body: Annotated[ScoreRequest, Body()], owner: str = Depends(authorize)) -> Response:
        """Score one conversation (JSON layout) or ``{"conversations": [...]}``; runs in a worker thread."""
        # Reading the conversations and writing the answer run in the thread pool, scoring on the
        # batcher's thread (.batcher): requests that arrive together are scored in one pipeline
        # call, each with the result it would get alone. The event loop only waits, so health
        # checks and metrics answer while a large batch is being scored.
        from starlette.concurrency import run_in_threadpool

        from ..ingest.options import ReadOptions
        from ..ingest.records import conversation_from_dict

        service.require_ready()
        batch = isinstance(body, BatchIn)
        items = body.conversations if batch else [body]
        if len(items) > settings.max_batch:
            raise ApiError(413, ServiceErrors.E063.format(n=len(items), limit=settings.max_batch))
        for i, item in enumerate(items):
            if len(item.turns) > settings.max_turns:
                raise ApiError(413, ServiceErrors.E062.format(index=i, n=len(item.turns), limit=settings.max_turns))
        def read() -> list:
            options = ReadOptions()
            return [conversation_from_dict(item.model_dump(exclude_unset=True), options,
                                           default_id=f"conversation-{i}" if batch else "conversation")
                    for i, item in enumerate(items)]

        def answer(analyses: list) -> Response:
            results = [a.to_dict() for a in analyses]
            return SafeJSONResponse(results if batch else results[0])

        analyses = await service.batcher.score(await run_in_threadpool(read))
        service.metrics.scored(analyses)
        return await run_in_threadpool(answer, analyses)

    @app.get("/v1/standards", response_model=list[StandardOut], responses=_errors(401, 429, 503), tags=["standards"])
    async def standards(owner: str = Depends(authorize)):
        """The loaded standards (``[]`` when the service checks none)."""
        loaded = service.require_ready().standards
        return [{"id": s.id, "rule": s.rule, "severity": s.severity, "weight": s.weight, "enabled": s.enabled,
                 "description": s.description, "params": dict(s.params),
                 "channels": {k: dict(v) for k, v in s.channels.items()}} for s in (loaded or ())]

    @app.post("/v1/jobs", status_code=202, response_model=JobOut, openapi_extra=_UPLOAD_BODY, tags=["jobs"],
              responses=_errors(401, 413, 422, 429))
    async def create_job(
        request: Request,
        owner: str = Depends(authorize),
        filename: Optional[str] = Query(None, max_length=255, description="Upload only: the file's name (its format)."),
        format: str = Query("auto", pattern="^(auto|jsonl|json|csv|parquet|eml|mbox|transcript)$",
                            description="Upload only: the input format."),
        output: str = Query("jsonl", pattern="^(jsonl|parquet|csv)$", description="Upload only: result format."),
        turns: bool = Query(False, description="Upload only: also write one row per turn."),
    ):
        """Start a job: JSON ``{"paths": [...]}`` for server-side files, or the file itself as the body."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/json":
            try:
                job = JobRequest.model_validate_json(await request.body())
            except ValidationError as exc:
                raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None
            paths = service.job_paths(job.paths)
            job_id, _ = service.jobs.new_job_dir()
            state = service.jobs.submit(job_id, paths, owner, format=job.format, output=job.output, turns=job.turns,
                                        shown=list(job.paths))
        else:
            job_id, folder = service.jobs.new_job_dir()
            target = folder / "input" / safe_name(filename)
            size = 0
            try:
                with open(target, "wb") as sink:
                    async for chunk in request.stream():
                        size += len(chunk)
                        sink.write(chunk)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            if size == 0:
                shutil.rmtree(folder, ignore_errors=True)
                raise ApiError(422, "E015 empty file: nothing to read. Send the archive as the request body.")
            state = service.jobs.submit(job_id, [str(target)], owner, format=format, output=output, turns=turns,
                                        shown=[target.name])
        return SafeJSONResponse(state, status_code=202, headers={"Location": f"/v1/jobs/{job_id}"})

    @app.get("/v1/jobs/{job_id}", response_model=JobOut, responses=_errors(401, 404, 429), tags=["jobs"])
    async def get_job(job_id: str, owner: str = Depends(authorize)):
        """A job's status (queued, running, done, failed), its RunStats and output paths."""
        state = service.jobs.get(job_id, owner)
        if state is None:
            raise ApiError(404, ServiceErrors.E068.format(what=f"job {job_id[:64]!r}"))
        return state

    @app.get("/metrics", response_class=Response, tags=["health"], responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text format."},
        **_errors(401, 429)})
    async def metrics(owner: str = Depends(authorize)) -> Response:
        """Prometheus metrics: requests, latency, conversations scored, flags by standard."""
        content, media_type = service.metrics.render()
        return Response(content, media_type=media_type)

    return app


def app_from_env() -> FastAPI:
    """The app for uvicorn workers (``--workers N``): settings come from ``ANALYZER_SERVICE_SETTINGS``."""
    return create_app(ServiceSettings.from_json(os.environ[SETTINGS_ENV]))


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    tokens_file: str | Path | None = None,
    insecure_no_auth: bool = False,
    workers: int = 1,
    max_batch: int = 64,
    max_body_bytes: int = 2_000_000,
    max_turns: int = 500,
    rate_limit: float = 20.0,
    standards: Any = None,
    tier: str = "fast",
    *,
    dimensions: Sequence[str] | None = None,
    models_dir: str | Path | None = None,
    jobs_dir: str | Path | None = None,
    job_roots: Sequence[str | Path] = (),
    rate_burst: int | None = None,
    max_upload_bytes: int = 256 * 2**20,
    shutdown_timeout: float = 30.0,
    log_level: str = "info",
) -> None:
    """Run the service on uvicorn until stopped; in-flight requests get ``shutdown_timeout`` s to finish.

    Raises:
        ConfigError: no tokens (E070), ``insecure_no_auth`` off loopback (E071), a bad standards file.
    """
    settings = ServiceSettings(
        host=host, port=port, tokens=load_tokens(tokens_file), insecure_no_auth=insecure_no_auth, workers=workers,
        max_batch=max_batch, max_body_bytes=max_body_bytes, max_upload_bytes=max_upload_bytes, max_turns=max_turns,
        rate_limit=rate_limit, rate_burst=rate_burst, tier=tier,
        standards=str(standards) if isinstance(standards, Path) else standards,
        dimensions=None if dimensions is None else tuple(dimensions),
        models_dir=None if models_dir is None else str(models_dir),
        jobs_dir=str(jobs_dir or tempfile.mkdtemp(prefix="analyzer-jobs-")),
        job_roots=tuple(str(r) for r in job_roots), shutdown_timeout=shutdown_timeout)
    settings.check()
    if standards not in (None, False, True):
        from ..standards import load_standards

        load_standards(standards)  # a bad file stops here, before the port is bound
    import uvicorn

    options: dict[str, Any] = dict(host=host, port=port, log_level=log_level,
                                   timeout_graceful_shutdown=max(1, math.ceil(shutdown_timeout)))
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.run).parameters:
        options["timeout_worker_healthcheck"] = 120  # scoring holds the GIL; 5 s would kill busy workers
    if workers <= 1:
        uvicorn.run(create_app(settings), **options)
        return
    os.environ[SETTINGS_ENV] = settings.to_json()
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="analyzer-metrics-"))
    uvicorn.run("analyzer.service:app_from_env", factory=True, workers=workers, **options)
