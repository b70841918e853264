"""JSON and JSON Lines chat exports.

JSONL: each line is either a whole conversation (an object with a ``turns`` list) or
one message of the flat layout (``conversation_id``, ``role``/``speaker``, ``text``,
``timestamp``); flat messages are grouped into conversations and ordered by time.
JSON: a list of either, a single conversation, or ``{"conversations": [...]}``.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO, Iterator

from ..errors import Errors, InputError
from ..types import Conversation
from .options import ReadOptions
from .records import TURNS_FIELDS, conversation_from_dict, group_messages


def _is_conversation(obj: Any, options: ReadOptions) -> bool:
    fields = (options.columns["turns"],) if "turns" in options.columns else TURNS_FIELDS
    return isinstance(obj, dict) and any(f in obj for f in fields)


def read_jsonl(stream: BinaryIO, source: str, options: ReadOptions) -> Iterator[Conversation | InputError]:
    """One JSON value per line; blank lines are skipped."""
    flat: list[tuple[int, dict]] = []
    for line_no, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield InputError(Errors.E014.format(encoding="UTF-8", reason=exc), source, f"line {line_no}")
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield InputError(Errors.E013.format(reason=exc), source, f"line {line_no}")
            continue
        if _is_conversation(obj, options):
            try:
                yield conversation_from_dict(obj, options, default_id=f"{source}:{line_no}")
            except InputError as err:
                yield err.located(source, f"line {line_no}")
        elif isinstance(obj, dict):
            flat.append((f"line {line_no}", obj))  # type: ignore[arg-type]
        else:
            yield InputError(Errors.E027.format(reason=f"expected a JSON object, got {type(obj).__name__}."), source, f"line {line_no}")
    if flat:
        yield from group_messages(flat, options, source)


def read_json(stream: BinaryIO, source: str, options: ReadOptions) -> Iterator[Conversation | InputError]:
    """A whole JSON document."""
    raw = stream.read()
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        yield InputError(Errors.E014.format(encoding="UTF-8", reason=exc), source)
        return
    except json.JSONDecodeError as exc:
        yield InputError(Errors.E013.format(reason=exc), source)
        return
    if isinstance(doc, dict) and isinstance(doc.get("conversations"), list):
        doc = doc["conversations"]
    items = doc if isinstance(doc, list) else [doc]
    flat = []
    for position, obj in enumerate(items):
        record = f"item {position}"
        if _is_conversation(obj, options):
            try:
                yield conversation_from_dict(obj, options, default_id=f"{source}:{position}")
            except InputError as err:
                yield err.located(source, record)
        elif isinstance(obj, dict):
            flat.append((record, obj))
        else:
            yield InputError(Errors.E027.format(reason=f"expected a JSON object, got {type(obj).__name__}."), source, record)
    if flat:
        yield from group_messages(flat, options, source)
