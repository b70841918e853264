"""Prometheus metrics and the request-body limit, as plain ASGI middleware.

Metrics: requests by route template, method and status; latency histogram by route;
conversations scored; flags by standard and severity. With several uvicorn workers
(``PROMETHEUS_MULTIPROC_DIR`` set by :func:`analyzer.service.serve`) ``/metrics`` adds up
every worker's figures.
"""

from __future__ import annotations

import os
import time
from typing import Any, Iterable

from .api_errors import ApiError, ServiceErrors, error_body

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The service's metrics, in a registry of their own (so that several apps can live in one process)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

        disable_created_metrics()  # the *_created series only double the output
        self.registry = CollectorRegistry()
        self.requests = Counter("analyzer_http_requests", "HTTP requests by route template, method and status.",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("analyzer_http_request_duration_seconds", "Request latency by route template.",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.conversations = Counter("analyzer_conversations_scored", "Conversations scored, by how they came in.",
                                     ["via"], registry=self.registry)
        self.flags = Counter("analyzer_flags", "Flags raised, by standard and severity.",
                             ["standard", "severity"], registry=self.registry)

    def scored(self, analyses: Iterable[Any], via: str = "score") -> None:
        n = 0
        for analysis in analyses:
            n += 1
            for flag in analysis.flags:
                self.flags.labels(flag.standard, flag.severity).inc()
        if n:
            self.conversations.labels(via).inc(n)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Counts every HTTP request by its route template (``/v1/jobs/{job_id}``, not the raw path)."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def send_status(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(route, scope.get("method", ""), str(status[0])).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - start)


class BodyLimitMiddleware:
    """413 for a body over the limit: at once from Content-Length, else while it streams in.

    Args:
        limit: bytes allowed in a request body.
        upload_limit: bytes allowed on ``upload_paths`` (archive uploads to /v1/jobs).
    """

    def __init__(self, app: Any, limit: int, upload_limit: int, upload_paths: tuple[str, ...] = ("/v1/jobs",)) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.upload_paths = upload_paths

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope.get("path") in self.upload_paths else self.limit
        declared = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            from starlette.responses import JSONResponse

            message = ServiceErrors.E061.format(limit=limit)
            response = JSONResponse(error_body("E061", message), status_code=413, headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ApiError(413, ServiceErrors.E061.format(limit=limit))
            return message

        await self.app(scope, limited, send)
