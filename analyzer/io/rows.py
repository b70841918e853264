"""The results schema: conversation rows, turn rows, flag rows and error rows.

This is a public contract read by QA pipelines, notebooks and the service; it is
documented in docs/schema.md. Change it deliberately and bump :data:`SCHEMA_VERSION`.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from ..errors import InputError
from ..types import Analysis

SCHEMA_VERSION = "1.1"
"""1.1 added ``language_supported`` to turn rows."""

SUPPORTED_LANGUAGES = frozenset({"en", "el", "pl", "hy"})


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def conversation_row(analysis: Analysis) -> dict[str, Any]:
    """One flat row per conversation."""
    conv = analysis.conversation
    meta = conv.meta
    row: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "conversation_id": conv.id,
        "source": meta.get("source") or meta.get("file"),
        "channel": conv.channel,
        "language": conv.language,
        "agent": meta.get("agent"),
        "team": meta.get("team"),
    }
    row.update(analysis.summary)
    row["qa_score"] = analysis.qa_score
    row["passed"] = analysis.passed
    row["n_flags"] = len(analysis.flags)
    row["flags"] = ";".join(sorted({f.standard for f in analysis.flags}))
    row.setdefault("standards_evaluated", None)
    return row


def turn_rows(analysis: Analysis) -> Iterator[dict[str, Any]]:
    """One row per turn with every dimension's value, label and evidence (JSON)."""
    conv = analysis.conversation
    by_turn: dict[int, dict[str, Any]] = {}
    for s in analysis.scores:
        cols = by_turn.setdefault(s.turn, {})
        cols[s.dimension] = s.value
        cols[f"{s.dimension}_label"] = s.label
        cols[f"{s.dimension}_detail"] = _json(dict(s.detail))
        cols[f"{s.dimension}_evidence"] = _json([e.to_dict(conv) for e in s.evidence])
    for turn in conv.turns:
        row = {
            "schema_version": SCHEMA_VERSION,
            "conversation_id": conv.id,
            "turn": turn.index,
            "role": turn.role,
            "speaker": turn.speaker,
            "language": turn.language,
            "language_supported": None if turn.language is None else turn.language in SUPPORTED_LANGUAGES,
            "timestamp": turn.timestamp.isoformat() if turn.timestamp else None,
            "text": turn.text,
        }
        row.update(by_turn.get(turn.index, {}))
        yield row


def flag_rows(analysis: Analysis) -> Iterator[dict[str, Any]]:
    conv = analysis.conversation
    for flag in analysis.flags:
        data = flag.to_dict(conv)
        yield {
            "schema_version": SCHEMA_VERSION,
            "conversation_id": conv.id,
            "standard": flag.standard,
            "severity": flag.severity,
            "turns": ";".join(str(t) for t in flag.turns),
            "observed": flag.observed,
            "threshold": flag.threshold,
            "message": flag.message,
            "evidence": _json(data["evidence"]),
        }


def error_row(error: InputError) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "source": error.source,
        "record": None if error.record is None else str(error.record),
        "code": error.code,
        "reason": error.reason,
    }


FLAG_COLUMNS = ("schema_version", "conversation_id", "standard", "severity", "turns", "observed", "threshold",
                "message", "evidence")
ERROR_COLUMNS = ("schema_version", "source", "record", "code", "reason")


def conversation_columns(dimensions: tuple[str, ...] | list[str]) -> list[str]:
    """Conversation-row columns, in order, for a run scoring ``dimensions``."""
    cols = ["schema_version", "conversation_id", "source", "channel", "language", "agent", "team",
            "n_turns", "n_agent_turns", "n_customer_turns", "n_other_turns",
            "first_response_s", "longest_customer_wait_s"]
    for dim in dimensions:
        cols += [f"agent_{dim}_mean", f"agent_{dim}_min"]
    if "sentiment" in dimensions:
        cols += ["customer_sentiment_start", "customer_sentiment_end"]
    if "ownership" in dimensions:
        cols += ["ownership_share_owns", "ownership_share_deflects", "first_deflection_turn"]
    return cols + ["qa_score", "passed", "n_flags", "flags", "standards_evaluated"]


def turn_columns(dimensions: tuple[str, ...] | list[str]) -> list[str]:
    cols = ["schema_version", "conversation_id", "turn", "role", "speaker", "language", "language_supported",
            "timestamp", "text"]
    for dim in dimensions:
        cols += [dim, f"{dim}_label", f"{dim}_detail", f"{dim}_evidence"]
    return cols


def column_kind(name: str) -> str:
    """``float``, ``int``, ``bool`` or ``string``: the stable type of a results column."""
    if name in {"passed", "language_supported"}:
        return "bool"
    if name.startswith("n_") or name in {"turn", "first_deflection_turn"}:
        return "int"
    if name.endswith(("_s", "_mean", "_min", "_start", "_end", "_owns", "_deflects")) or name in {
        "qa_score", "observed", "threshold", "politeness", "empathy", "sentiment", "complaint", "ownership",
    }:
        return "float"
    return "string"
