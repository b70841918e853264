"""Turn loosely shaped records (JSON objects, table rows) into conversations.

Used by the JSON and table readers and by the Python API, so that a dict in the
JSON layout means the same thing wherever it comes from.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Mapping

from ..errors import Errors, InputError
from ..normalize.roles import role_from_label
from ..types import CHANNELS, Conversation, Turn
from .options import ReadOptions

ID_FIELDS = ("id", "conversation_id", "ticket_id", "thread_id", "session_id")
TURNS_FIELDS = ("turns", "messages", "utterances", "dialog")
TEXT_FIELDS = ("text", "message", "body", "content", "utterance")
ROLE_FIELDS = ("role", "author_type", "sender_type", "participant_role")
SPEAKER_FIELDS = ("speaker", "author", "sender", "name", "from")
TIME_FIELDS = ("timestamp", "time", "created_at", "ts", "date", "sent_at")


def _missing(value: Any) -> bool:
    """None, NaN and pandas' NaT all mean 'no value' in a table cell."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ == "NaTType"


def pick(record: Mapping[str, Any], ours: str, aliases: Iterable[str], options: ReadOptions) -> Any:
    """The value of field ``ours``: the mapped column if one is mapped, else the first alias present."""
    if ours in options.columns:
        return record.get(options.columns[ours])
    for name in aliases:
        if name in record and not _missing(record[name]):
            return record[name]
    return None


def parse_timestamp(value: Any) -> datetime | None:
    """ISO 8601 text, epoch seconds (or milliseconds), or a datetime → aware datetime.

    Example:
        >>> parse_timestamp("2024-05-01T10:02:11Z").isoformat()
        '2024-05-01T10:02:11+00:00'
    """
    if _missing(value) or value == "":
        return None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        if str(value) == "NaT":
            return None
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise InputError(Errors.E021.format(value=value, reason=exc)) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    raise InputError(Errors.E021.format(value=value, reason=f"unsupported type {type(value).__name__}"))


def _text_of(record: Mapping[str, Any], options: ReadOptions) -> str:
    text = pick(record, "text", TEXT_FIELDS, options)
    if text is None:
        fields = [options.columns["text"]] if "text" in options.columns else list(TEXT_FIELDS)
        raise InputError(Errors.E010.format(fields=fields))
    if not isinstance(text, str):
        raise InputError(Errors.E007.format(where="turn", got=type(text).__name__))
    return text


def _meta_of(record: Mapping[str, Any], used: set[str]) -> dict[str, Any]:
    meta = {}
    for key, value in record.items():
        if key in used or _missing(value):
            continue
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif hasattr(value, "item"):  # numpy scalar
            value = value.item()
        meta[str(key)] = value
    return meta


def turn_from_record(index: int, record: Mapping[str, Any], options: ReadOptions) -> Turn:
    """One message record → :class:`Turn` (role labels are mapped; unknown labels infer later)."""
    if not isinstance(record, Mapping):
        raise InputError(Errors.E027.format(reason=f"turn {index} is a {type(record).__name__}, not an object."))
    text = _text_of(record, options)
    label = pick(record, "role", ROLE_FIELDS, options)
    speaker = pick(record, "speaker", SPEAKER_FIELDS, options)
    role = role_from_label(label) if label is not None else None
    meta_in = record.get("meta") if isinstance(record.get("meta"), Mapping) else {}
    used = {*TEXT_FIELDS, *ROLE_FIELDS, *SPEAKER_FIELDS, *TIME_FIELDS, *ID_FIELDS, "meta", "index", "language",
            *options.columns.values()}
    meta = {**_meta_of(record, used), **dict(meta_in or {})}
    if role is None:
        role = "unknown"
        if label is not None:
            meta["role_label"] = str(label)
    return Turn(
        index=index,
        role=role,
        text=text,
        speaker=None if speaker is None else str(speaker),
        timestamp=parse_timestamp(pick(record, "timestamp", TIME_FIELDS, options)),
        language=record.get("language") if isinstance(record.get("language"), str) else None,
        meta=meta,
    )


def conversation_from_dict(record: Mapping[str, Any], options: ReadOptions, default_id: str) -> Conversation:
    """A conversation in the JSON layout (``{"id", "channel", "turns": [...]}``) → :class:`Conversation`."""
    if not isinstance(record, Mapping):
        raise InputError(Errors.E027.format(reason=f"expected a JSON object, got {type(record).__name__}."))
    raw_turns = pick(record, "turns", TURNS_FIELDS, options)
    if raw_turns is None:
        raise InputError(Errors.E022.format(field="turns"))
    if not isinstance(raw_turns, list):
        raise InputError(Errors.E027.format(reason="'turns' must be a list of messages."))
    if not raw_turns:
        raise InputError(Errors.E019)
    conv_id = pick(record, "conversation_id", ID_FIELDS, options)
    turns = tuple(turn_from_record(i, t, options) for i, t in enumerate(raw_turns))
    channel = record.get("channel") or options.channel or "chat"
    if channel not in CHANNELS:
        channel = "other"
    meta = dict(record.get("meta") or record.get("metadata") or {})
    for key in ("source",):
        if key in record and key not in meta:
            meta[key] = record[key]
    language = record.get("language") if isinstance(record.get("language"), str) else None
    return Conversation(
        id=str(conv_id) if conv_id is not None else default_id,
        turns=turns,
        channel=channel,
        language=language,
        meta=meta,
    )


def group_messages(
    rows: Iterable[tuple[Any, Mapping[str, Any]]], options: ReadOptions, source: str
) -> Iterator[Conversation | InputError]:
    """Flat message rows ``(record_no, row)`` → conversations, grouped by id and ordered by time.

    Rows of one conversation need not be contiguous. Messages without timestamps keep
    their file order; timed messages are stably sorted by time.
    """
    groups: dict[str, list[tuple[Any, Mapping[str, Any]]]] = {}
    for record_no, row in rows:
        conv_id = pick(row, "conversation_id", ID_FIELDS, options)
        if conv_id is None:
            yield InputError(Errors.E022.format(field="conversation_id"), source, record_no)
            continue
        groups.setdefault(str(conv_id), []).append((record_no, row))
    for conv_id, members in groups.items():
        try:
            yield _conversation_from_rows(conv_id, members, options)
        except InputError as err:
            yield err.located(source, f"conversation {conv_id}")


def _conversation_from_rows(conv_id: str, members: list, options: ReadOptions) -> Conversation:
    stamped = []
    for position, (record_no, row) in enumerate(members):
        try:
            stamp = parse_timestamp(pick(row, "timestamp", TIME_FIELDS, options))
        except InputError as err:
            raise err.located(record=record_no) from None
        stamped.append((stamp, position, record_no, row))
    if all(s[0] is not None for s in stamped):
        stamped.sort(key=lambda s: (s[0], s[1]))
    turns = []
    for index, (_, _, record_no, row) in enumerate(stamped):
        try:
            turns.append(turn_from_record(index, row, options))
        except InputError as err:
            raise err.located(record=record_no) from None
    first = members[0][1]
    channel = first.get(options.column("channel")) or options.channel or "chat"
    return Conversation(
        id=conv_id,
        turns=tuple(turns),
        channel=channel if channel in CHANNELS else "other",
        meta={"first_record": members[0][0]},
    )
