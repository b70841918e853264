"""Request and response models of the HTTP service (they are what /openapi.json publishes).

Requests are validated here, so a malformed conversation is a 422 with a code before any
scoring starts. Responses mirror :meth:`analyzer.types.Analysis.to_dict`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StrictFloat, StrictInt, StrictStr, Tag, field_validator

from ..errors import Errors
from ..ingest.detect import FORMATS
from ..types import ROLES

JobStatus = Literal["queued", "running", "done", "failed"]


# -- requests -------------------------------------------------------------------------------

class TurnIn(BaseModel):
    """One message. Unknown keys are kept in the turn's ``meta``."""

    model_config = ConfigDict(extra="allow")
    role: Optional[StrictStr] = Field(None, description="agent, customer, bot, system, unknown, or a known "
                                      "label (e.g. 'Konsultant', 'Πελάτης'); omit it to infer the role.")
    text: StrictStr = Field(description="The message exactly as written.")
    speaker: Optional[Union[StrictStr, StrictInt]] = None
    timestamp: Optional[Union[StrictStr, StrictInt, StrictFloat]] = Field(
        None, description="ISO 8601 text or epoch seconds.", examples=["2024-05-02T09:14:03Z"])
    language: Optional[StrictStr] = None
    meta: Optional[dict[str, Any]] = None

    @field_validator("role")
    @classmethod
    def _known_role(cls, value: str | None) -> str | None:
        from ..normalize.roles import role_from_label

        if value is not None and role_from_label(value) is None:
            raise ValueError(Errors.E006.format(where="turn", role=value, roles=sorted(ROLES)))
        return value

    @field_validator("timestamp")
    @classmethod
    def _valid_time(cls, value: Any) -> Any:
        from ..ingest.records import parse_timestamp

        try:
            parse_timestamp(value)
        except Exception as exc:  # InputError, or out-of-range epoch seconds
            message = str(exc) if str(exc).startswith("E021") else Errors.E021.format(value=value, reason=exc)
            raise ValueError(message) from None
        return value


class ConversationIn(BaseModel):
    """A conversation in the JSON layout that ``analyzer score`` reads."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "id": "chat-1", "channel": "chat",
        "turns": [{"role": "customer", "text": "My parcel never came."},
                  {"role": "agent", "text": "I'm sorry, I'll check it now."}]}]})
    id: Optional[Union[StrictStr, StrictInt]] = None
    channel: Optional[StrictStr] = Field(None, description="chat, email, call, social or other.")
    language: Optional[StrictStr] = None
    meta: Optional[dict[str, Any]] = None
    turns: list[TurnIn] = Field(min_length=1)


class BatchIn(BaseModel):
    """Several conversations scored in one request."""

    model_config = ConfigDict(extra="forbid")
    conversations: list[ConversationIn] = Field(min_length=1)


def _request_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "batch" if "conversations" in value else "conversation"
    return "batch" if isinstance(value, BatchIn) else "conversation"


ScoreRequest = Annotated[
    Union[Annotated[ConversationIn, Tag("conversation")], Annotated[BatchIn, Tag("batch")]],
    Discriminator(_request_kind),
]


class JobRequest(BaseModel):
    """Score files that already lie on the server (under one of its --job-root folders)."""

    model_config = ConfigDict(extra="forbid")
    paths: list[StrictStr] = Field(min_length=1, max_length=100, description="Files, folders or archives.")
    format: Literal[("auto",) + FORMATS] = "auto"  # type: ignore[valid-type]
    output: Literal["jsonl", "parquet", "csv"] = "jsonl"
    turns: bool = Field(False, description="Also write one row per turn.")


# -- responses ------------------------------------------------------------------------------

class ErrorBody(BaseModel):
    code: str = Field(pattern=r"^E\d{3}$")
    message: str
    details: Optional[list[dict[str, Any]]] = None


class ErrorOut(BaseModel):
    error: ErrorBody


class SpanOut(BaseModel):
    turn: int
    start: int
    end: int
    label: str
    text: Optional[str] = None


class TurnScoreOut(BaseModel):
    turn: int
    dimension: str
    value: float = Field(ge=0, le=1)
    label: str
    detail: dict[str, Any]
    evidence: list[SpanOut]


class FlagOut(BaseModel):
    standard: str
    severity: Literal["info", "minor", "major", "critical"]
    turns: list[int]
    evidence: list[SpanOut]
    observed: Optional[float]
    threshold: Optional[float]
    message: str


class TurnOut(BaseModel):
    index: int
    role: Literal["agent", "customer", "bot", "system", "unknown"]
    speaker: Optional[str]
    text: str
    timestamp: Optional[str]
    language: Optional[str]
    meta: dict[str, Any]


class ConversationOut(BaseModel):
    id: str
    channel: Literal["chat", "email", "call", "social", "other"]
    language: Optional[str]
    meta: dict[str, Any]
    turns: list[TurnOut]


class AnalysisOut(BaseModel):
    """``Analysis.to_dict()``: the conversation as read, per-turn scores, flags and the QA score."""

    conversation: ConversationOut
    summary: dict[str, Any]
    qa_score: Optional[float]
    passed: Optional[bool]
    scores: list[TurnScoreOut]
    flags: list[FlagOut]


ScoreResponse = Union[AnalysisOut, list[AnalysisOut]]


class StandardOut(BaseModel):
    id: str
    rule: str
    severity: Literal["info", "minor", "major", "critical"]
    weight: float
    enabled: bool
    description: str
    params: dict[str, Any]
    channels: dict[str, dict[str, Any]]


class JobStats(BaseModel):
    conversations: int
    turns: int
    flags: int
    errors: int
    seconds: float


class JobOut(BaseModel):
    id: str
    status: JobStatus
    created: str
    started: Optional[str] = None
    finished: Optional[str] = None
    inputs: list[str]
    stats: Optional[JobStats] = None
    outputs: dict[str, str] = Field(default_factory=dict, description="Server-side paths of the result files.")
    error: Optional[ErrorBody] = None


class HealthOut(BaseModel):
    status: Literal["ok"]


class ReadyOut(BaseModel):
    status: Literal["ready"]
    dimensions: list[str]
    standards: int
