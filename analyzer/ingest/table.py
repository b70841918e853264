"""Tables with one row per message: CSV, Parquet, pandas DataFrames, HF datasets.

Columns are found by their usual names (``conversation_id``, ``role``, ``speaker``,
``text``, ``timestamp``) or mapped with ``ReadOptions.columns``
(``--columns conversation_id=ticket_id,role=author_type``). A table whose rows are
whole conversations (a ``turns`` column) is read row by row.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from typing import Any, BinaryIO, Iterable, Iterator, Mapping

from ..errors import Errors, InputError
from ..types import Conversation
from .options import ReadOptions
from .records import conversation_from_dict, group_messages, parse_timestamp

csv.field_size_limit(16 * 1024 * 1024)


def read_rows(
    rows: Iterable[tuple[Any, Mapping[str, Any]]], source: str, options: ReadOptions
) -> Iterator[Conversation | InputError]:
    """Rows ``(record_no, mapping)`` → conversations; rows with a ``turns`` column are whole conversations."""
    turns_col = options.column("turns")
    flat = []
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    if _is_turn_table(first[1]):
        yield from _read_turn_table(itertools.chain([first], rows), source)
        return
    for record_no, row in itertools.chain([first], rows):
        turns = row.get(turns_col)
        if turns is not None and not isinstance(turns, float):
            if isinstance(turns, str):
                try:
                    turns = json.loads(turns)
                except json.JSONDecodeError as exc:
                    yield InputError(Errors.E013.format(reason=exc), source, record_no)
                    continue
            record = {**row, turns_col: [dict(t) for t in _as_list(turns)]}
            meta = record.get("meta")
            if isinstance(meta, str):
                try:
                    record["meta"] = json.loads(meta)
                except json.JSONDecodeError:
                    pass
            try:
                yield conversation_from_dict(record, options, default_id=f"{source}:{record_no}")
            except InputError as err:
                yield err.located(source, record_no)
        else:
            flat.append((record_no, row))
    if flat:
        yield from group_messages(flat, options, source)


def _is_turn_table(row: Mapping[str, Any]) -> bool:
    """Our own lossless turn layout (see :mod:`analyzer.io.frame`)."""
    return {"conversation_id", "turn", "turn_meta", "conversation_meta"} <= set(row)


def _read_turn_table(rows: Iterable[tuple[Any, Mapping[str, Any]]], source: str) -> Iterator[Conversation | InputError]:
    from ..io.frame import records_to_conversations

    groups: dict[str, list[dict[str, Any]]] = {}
    for record_no, row in rows:
        try:
            clean = dict(row)
            clean["turn"] = int(clean["turn"])
            clean["timestamp"] = parse_timestamp(clean.get("timestamp"))
            clean["text"] = "" if clean.get("text") is None else clean["text"]
            groups.setdefault(str(clean["conversation_id"]), []).append(clean)
        except (InputError, TypeError, ValueError) as exc:
            reason = exc.reason if isinstance(exc, InputError) else Errors.E027.format(reason=exc)
            yield InputError(reason, source, record_no)
    for conv_id, members in groups.items():
        try:
            yield from records_to_conversations(members)
        except (InputError, ValueError, KeyError) as exc:
            reason = exc.reason if isinstance(exc, InputError) else Errors.E027.format(reason=exc)
            yield InputError(reason, source, f"conversation {conv_id}")


def _as_list(value: Any) -> list:
    if hasattr(value, "tolist"):
        value = value.tolist()
    return list(value)


def read_csv(stream: BinaryIO, source: str, options: ReadOptions) -> Iterator[Conversation | InputError]:
    """CSV (or TSV, by extension) with a header row. Undecodable rows become errors; the rest is read."""
    delimiter = "\t" if source.lower().endswith(".tsv") else ","
    text = io.TextIOWrapper(stream, encoding=options.encoding, errors="strict", newline="")

    def rows() -> Iterator[tuple[Any, Mapping[str, Any]]]:
        reader = csv.DictReader(text, delimiter=delimiter)
        row_no = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                errors.append(InputError(Errors.E014.format(encoding=options.encoding, reason=exc), source, f"row {row_no + 1}"))
                return
            except csv.Error as exc:
                errors.append(InputError(Errors.E027.format(reason=f"CSV: {exc}"), source, f"row {row_no + 1}"))
                continue
            row_no += 1
            if None in row:
                errors.append(InputError(Errors.E027.format(reason="row has more fields than the header."), source, f"row {row_no}"))
                continue
            yield f"row {row_no}", {k: (v if v != "" or k == text_col else None) for k, v in row.items()}

    errors: list[InputError] = []
    text_col = options.column("text")
    yield from read_rows(rows(), source, options)
    yield from errors


def read_parquet(stream: BinaryIO, source: str, options: ReadOptions) -> Iterator[Conversation | InputError]:
    """Parquet, read batch by batch."""
    import pyarrow.parquet as pq

    try:
        data = stream.read()
        parquet = pq.ParquetFile(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        yield InputError(Errors.E001.format(source=source, format="Parquet", reason=exc), source)
        return

    def rows() -> Iterator[tuple[Any, Mapping[str, Any]]]:
        row_no = 0
        for batch in parquet.iter_batches(batch_size=4096):
            for row in batch.to_pylist():
                row_no += 1
                yield f"row {row_no}", row

    yield from read_rows(rows(), source, options)
