"""JSON errors (and always-valid JSON responses) for the HTTP service: ``{"error": {"code": "E0xx", "message": "..."}}``.

Every client error comes back with a code and a message that says what to do; bad input
is a 4xx, never a 500. Codes E060–E079 belong to the service; input errors raised by the
pipeline keep their own codes (E006 unknown role, E021 bad timestamp, ...).
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any, Mapping

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

log = logging.getLogger(__name__)


class ServiceErrors:
    """Message templates for the service; the code is the attribute name and starts the message."""

    E060 = "E060 missing or invalid bearer token. Send 'Authorization: Bearer <token>' with a token the server knows."
    E061 = "E061 request body is over the limit of {limit} bytes. Send fewer conversations per request or use /v1/jobs."
    E062 = "E062 conversation {index} has {n} turns, over the limit of {limit}. Split it or score it with /v1/jobs."
    E063 = "E063 batch of {n} conversations is over the limit of {limit}. Split the batch or use /v1/jobs."
    E064 = "E064 rate limit of {rate:g} requests/s exceeded for this token. Retry after {retry} s."
    E065 = "E065 invalid request: {reason}"
    E066 = "E066 the service is not ready yet ({reason}). Retry when /readyz answers 200."
    E067 = "E067 cannot run a job on {path!r}: {reason}"
    E068 = "E068 not found: {what}."
    E069 = "E069 method {method} is not allowed here."
    E070 = "E070 no API tokens: give --tokens-file FILE or ANALYZER_TOKENS, or --insecure-no-auth on a loopback host."
    E071 = "E071 --insecure-no-auth is allowed only on a loopback host (127.0.0.1, ::1, localhost), not {host!r}."
    E072 = "E072 internal error while handling the request; the server log has the details."


_CODE = re.compile(r"\bE\d{3}\b")


class ApiError(HTTPException):
    """An HTTP error with a code; rendered as the JSON error body.

    Example:
        >>> ApiError(413, ServiceErrors.E061.format(limit=10)).code
        'E061'
    """

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=dict(headers or {}) or None)
        self.message = message
        self.details = details

    @property
    def code(self) -> str:
        return code_of(self.message, "E065")


def code_of(message: str, default: str) -> str:
    """The first ``E0xx`` code in ``message``, else ``default``."""
    match = _CODE.search(message)
    return match.group(0) if match else default


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


def _json_safe(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)[:200]


def validation_details(errors: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic errors → ``[{"loc": [...], "msg": ..., "type": ...}]`` (inputs left out: they may be huge)."""
    return [{"loc": [_json_safe(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in errors[:50]]


def validation_error(errors: list[Mapping[str, Any]]) -> tuple[str, str, list[dict[str, Any]]]:
    """The code, message and details for a request that failed validation.

    A malformed JSON body is E013; a validator that raised a coded error (e.g. E006 for an
    unknown role) gives its code; anything else is E065.
    """
    details = validation_details(errors)
    if any(e.get("type") == "json_invalid" for e in errors):
        return "E013", "E013 malformed JSON: the request body is not valid JSON.", details
    for e in errors:
        msg = str(e.get("msg", ""))
        if _CODE.search(msg):
            text = msg.removeprefix("Value error, ")
            return code_of(text, "E065"), text, details
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    reason = f"{where}: {first['msg']}" if where else first["msg"]
    extra = f" (and {len(details) - 1} more problems, see details)" if len(details) > 1 else ""
    return "E065", ServiceErrors.E065.format(reason=reason + extra), details


try:  # a faster encoder where installed; the standard one otherwise (same JSON values)
    import orjson as _orjson

    # Datetimes and dataclasses go through ``_orjson_default`` (``str``) as with json.dumps; a
    # non-string key makes orjson raise, so such content takes the json.dumps path, as before.
    _ORJSON_OPTIONS = _orjson.OPT_PASSTHROUGH_DATETIME | _orjson.OPT_PASSTHROUGH_DATACLASS
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None


def _orjson_default(value: Any) -> Any:
    """What json.dumps makes of what orjson does not know: a float subclass (numpy's) stays a
    number (NaN then becomes ``null``); anything else becomes its ``str``."""
    if isinstance(value, float):
        return float(value)
    return str(value)


class SafeJSONResponse(JSONResponse):
    """JSON that stays valid: NaN/inf (e.g. from user metadata) become ``null``.

    Encoded with orjson when it is installed, to the same JSON values as :func:`json.dumps`
    (datetimes, dataclasses and unknown types through ``str``, numpy floats as numbers); anything
    orjson refuses (an integer over 64 bits, a non-string key...) falls back to :func:`json.dumps`.
    """

    def render(self, content: Any) -> bytes:
        if _orjson is not None:
            try:
                return _orjson.dumps(content, default=_orjson_default, option=_ORJSON_OPTIONS)
            except TypeError:
                pass
        try:
            text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=str)
        except ValueError:
            text = json.dumps(_finite(content), ensure_ascii=False, separators=(",", ":"), default=str)
        return text.encode("utf-8")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def install_handlers(app: Any) -> None:
    """Register the handlers that turn every error into the JSON error body."""
    from fastapi.exceptions import RequestValidationError

    from ..errors import AnalyzerError, InputError, ModelError

    def respond(status: int, code: str, message: str, headers=None, details=None) -> JSONResponse:
        return SafeJSONResponse(error_body(code, message, details), status_code=status, headers=headers)

    @app.exception_handler(ApiError)
    async def _api_error(request, exc: ApiError):
        return respond(exc.status_code, exc.code, exc.message, exc.headers, exc.details)

    @app.exception_handler(HTTPException)
    async def _http_error(request, exc: HTTPException):
        if exc.status_code == 404:
            return respond(404, "E068", ServiceErrors.E068.format(what=request.url.path), exc.headers)
        if exc.status_code == 405:
            return respond(405, "E069", ServiceErrors.E069.format(method=request.method), exc.headers)
        if exc.status_code == 400:  # FastAPI could not parse the body (e.g. bytes that are not UTF-8)
            return respond(422, "E013", f"E013 malformed JSON: {exc.detail}.")
        message = str(exc.detail)
        return respond(exc.status_code, code_of(message, "E065"), ServiceErrors.E065.format(reason=message), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request, exc: RequestValidationError):
        code, message, details = validation_error(list(exc.errors()))
        return respond(422, code, message, details=details)

    @app.exception_handler(InputError)
    async def _input_error(request, exc: InputError):
        return respond(422, exc.code, str(exc))

    @app.exception_handler(ModelError)
    async def _model_error(request, exc: ModelError):
        log.error("model error: %s", exc)
        return respond(503, exc.code, str(exc))

    @app.exception_handler(AnalyzerError)
    async def _analyzer_error(request, exc: AnalyzerError):  # ConfigError and the rest: the request's fault
        return respond(422, exc.code, str(exc))

    @app.exception_handler(Exception)
    async def _internal(request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(500, "E072", ServiceErrors.E072)
