"""Conversations ↔ tables (pandas, Arrow) with one row per turn, and results → frames.

The turn table is lossless: metadata travels as JSON text, timestamps as UTC
instants, and :func:`frame_to_conversations` rebuilds equal conversations.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator, Literal

from ..types import Analysis, Conversation, Turn

TURN_COLUMNS = (
    "conversation_id", "channel", "conversation_language", "conversation_meta",
    "turn", "role", "speaker", "text", "timestamp", "language", "turn_meta",
)


def conversations_to_records(conversations: Iterable[Conversation]) -> Iterator[dict[str, Any]]:
    """One dict per turn, in :data:`TURN_COLUMNS` order."""
    for conv in conversations:
        conv_meta = json.dumps(dict(conv.meta), ensure_ascii=False, sort_keys=True)
        for turn in conv.turns:
            yield {
                "conversation_id": conv.id,
                "channel": conv.channel,
                "conversation_language": conv.language,
                "conversation_meta": conv_meta,
                "turn": turn.index,
                "role": turn.role,
                "speaker": turn.speaker,
                "text": turn.text,
                "timestamp": turn.timestamp,
                "language": turn.language,
                "turn_meta": json.dumps(dict(turn.meta), ensure_ascii=False, sort_keys=True),
            }


def conversations_to_frame(conversations: Iterable[Conversation]):
    """A pandas DataFrame with one row per turn.

    Example:
        >>> from analyzer.types import Conversation, Turn
        >>> df = conversations_to_frame([Conversation("c1", (Turn(0, "customer", "Hi"),))])
        >>> list(df["text"])
        ['Hi']
    """
    import pandas as pd

    frame = pd.DataFrame.from_records(list(conversations_to_records(conversations)), columns=list(TURN_COLUMNS))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


def conversations_to_arrow(conversations: Iterable[Conversation]):
    """An Arrow table with one row per turn (timestamps as UTC microseconds)."""
    import pyarrow as pa

    schema = pa.schema([
        ("conversation_id", pa.string()), ("channel", pa.string()), ("conversation_language", pa.string()),
        ("conversation_meta", pa.string()), ("turn", pa.int32()), ("role", pa.string()), ("speaker", pa.string()),
        ("text", pa.string()), ("timestamp", pa.timestamp("us", tz="UTC")), ("language", pa.string()),
        ("turn_meta", pa.string()),
    ])
    return pa.Table.from_pylist(list(conversations_to_records(conversations)), schema=schema)


def _none(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if type(value).__name__ == "NaTType":
        return None
    return value


def records_to_conversations(records: Iterable[dict[str, Any]]) -> Iterator[Conversation]:
    """Inverse of :func:`conversations_to_records`: rows grouped by ``conversation_id``, in first-seen order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in records:
        groups.setdefault(str(row["conversation_id"]), []).append(row)
    for conv_id, rows in groups.items():
        rows.sort(key=lambda r: int(r["turn"]))
        first = rows[0]
        turns = []
        for row in rows:
            stamp = _none(row.get("timestamp"))
            if stamp is not None and hasattr(stamp, "to_pydatetime"):
                stamp = stamp.to_pydatetime()
            turns.append(Turn(
                index=int(row["turn"]), role=row["role"], text=row["text"], speaker=_none(row.get("speaker")),
                timestamp=stamp, language=_none(row.get("language")),
                meta=json.loads(_none(row.get("turn_meta")) or "{}"),
            ))
        yield Conversation(
            id=conv_id, turns=tuple(turns), channel=first["channel"],
            language=_none(first.get("conversation_language")),
            meta=json.loads(_none(first.get("conversation_meta")) or "{}"),
        )


def frame_to_conversations(frame) -> Iterator[Conversation]:
    """Inverse of :func:`conversations_to_frame`."""
    return records_to_conversations(frame.to_dict(orient="records"))


def arrow_to_conversations(table) -> Iterator[Conversation]:
    """Inverse of :func:`conversations_to_arrow`."""
    return records_to_conversations(table.to_pylist())


def to_pandas(results: Iterable[Analysis], level: Literal["conversation", "turn", "flag"] = "conversation"):
    """Results → a DataFrame of conversation, turn or flag rows (the same rows ``analyzer score`` writes).

    Example:
        >>> import analyzer
        >>> qa = analyzer.load(dimensions=())
        >>> df = to_pandas(qa.pipe(analyzer.read("data/samples/chat/support_en.jsonl")), level="conversation")
        >>> "first_response_s" in df.columns
        True
    """
    import pandas as pd

    from .rows import conversation_row, flag_rows, turn_rows

    rows: list[dict[str, Any]] = []
    for analysis in results:
        if level == "conversation":
            rows.append(conversation_row(analysis))
        elif level == "turn":
            rows.extend(turn_rows(analysis))
        elif level == "flag":
            rows.extend(flag_rows(analysis))
        else:
            raise ValueError(f"level must be 'conversation', 'turn' or 'flag', not {level!r}")
    return pd.DataFrame.from_records(rows)
