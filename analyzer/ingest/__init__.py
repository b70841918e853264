"""Read conversations from files, directories, archives and in-memory tables.

Each file format has a reader ``(stream, source, options) -> Iterator[Conversation | InputError]``,
registered by name in ``analyzer/_builtins.py``. A reader yields an :class:`InputError` for
a bad record and goes on; :func:`read` hands those to ``on_error``.
"""

from __future__ import annotations

import dataclasses
import io
import os
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Mapping

from ..errors import Errors, InputError
from ..types import Conversation
from .detect import FORMATS, detect_format
from .options import ReadOptions, parse_columns
from .sources import Entry, walk

OnError = Callable[[InputError], None]

__all__ = ["read", "read_stream", "ReadOptions", "parse_columns", "FORMATS", "from_pandas", "from_hf"]


def _raise(error: InputError) -> None:
    raise error


def read(
    source: str | os.PathLike | Iterable[str | os.PathLike] | Any,
    format: str = "auto",
    on_error: OnError | None = None,
    options: ReadOptions | None = None,
    **option_fields: Any,
) -> Iterator[Conversation]:
    """Stream conversations from files, directories, archives, a DataFrame or a HF ``Dataset``.

    Args:
        source: a path (file, directory, .zip, .tar.gz), several paths, a pandas
            DataFrame or a Hugging Face ``datasets.Dataset`` (one row per message).
        format: ``auto`` (by extension, else by content) or one of
            ``jsonl, json, csv, parquet, eml, mbox, transcript``.
        on_error: called with each :class:`InputError` (bad record, bad file); the default
            raises it. Pass ``errors.append`` to collect them and keep going.
        options: :class:`ReadOptions`; or give its fields as keywords
            (``columns={"conversation_id": "ticket_id"}``, ``agent_addresses=("@shop.com",)``).

    Returns:
        A lazy iterator of :class:`Conversation`.

    Example:
        >>> convs = list(read("data/samples/chat/support_en.jsonl"))
        >>> convs[0].turns[0].role in {"agent", "customer"}
        True
    """
    handle = on_error or _raise
    opts = options or ReadOptions(**option_fields)
    if format != "auto" and format not in FORMATS:
        raise InputError(Errors.E020.format(format=format, formats=", ".join(FORMATS)))
    if _is_dataframe(source):
        yield from _route(from_pandas(source, opts), handle)
        return
    if _is_hf_dataset(source):
        yield from _route(from_hf(source, opts), handle)
        return
    paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    emails: list[tuple[str, bytes]] = []  # single-message .eml files are threaded together, after the rest
    for path in paths:
        for entry in walk(path, opts):
            if isinstance(entry, InputError):
                handle(entry)
            elif format in ("auto", "eml") and entry.name.lower().endswith(".eml"):
                emails.append(_slurp(entry, handle))
            else:
                yield from _route(_read_entry(entry, format, opts), handle)
    if emails:
        from .email import read_eml_files

        yield from _route(read_eml_files([e for e in emails if e[1]], opts), handle)


def read_stream(stream: BinaryIO, name: str, format: str = "auto", options: ReadOptions | None = None,
                on_error: OnError | None = None) -> Iterator[Conversation]:
    """Read one already-open binary stream (an upload, a socket) named ``name``."""
    entry = Entry(name, lambda: stream)
    yield from _route(_read_entry(entry, format, options or ReadOptions()), on_error or _raise)


def _slurp(entry: Entry, handle: OnError) -> tuple[str, bytes]:
    """Read a small file whole (an e-mail), reporting what cannot be read."""
    try:
        with entry.open() as stream:
            data = stream.read()
    except InputError as err:
        handle(err.located(entry.name))
        return entry.name, b""
    except OSError as exc:
        handle(InputError(Errors.E001.format(source=entry.name, format="a file", reason=exc), entry.name))
        return entry.name, b""
    if not data:
        handle(InputError(Errors.E015, entry.name))
    return entry.name, data


def _route(items: Iterator[Conversation | InputError], handle: OnError) -> Iterator[Conversation]:
    for item in items:
        if isinstance(item, InputError):
            handle(item)
        else:
            yield item


def _read_entry(entry: Entry, format: str, options: ReadOptions) -> Iterator[Conversation | InputError]:
    from ..registry import readers

    try:
        stream = entry.open()
    except OSError as exc:
        yield InputError(Errors.E001.format(source=entry.name, format="a file", reason=exc), entry.name)
        return
    try:
        buffered = stream if hasattr(stream, "peek") else io.BufferedReader(stream)  # type: ignore[arg-type]
        try:
            head = buffered.peek(4096)[:4096]
        except InputError as err:
            yield err.located(entry.name)
            return
        if not head:
            yield InputError(Errors.E015, entry.name)
            return
        fmt = detect_format(entry.name, head) if format == "auto" else format
        if fmt != "parquet" and b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            yield InputError(Errors.E016.format(format=fmt), entry.name)
            return
        reader = readers.get(fmt)
        try:
            for item in reader(buffered, entry.name, options):
                if isinstance(item, InputError):
                    yield item.located(entry.name)
                elif "file" not in item.meta:
                    yield dataclasses.replace(item, meta={**item.meta, "file": entry.name})
                else:
                    yield item
        except InputError as err:  # a reader's whole-file failure, e.g. a zip member over the limit
            yield err.located(entry.name)
    finally:
        stream.close()


def _is_dataframe(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "to_dict")


def _is_hf_dataset(obj: Any) -> bool:
    return type(obj).__name__ in {"Dataset", "IterableDataset"} and hasattr(obj, "column_names")


def from_pandas(frame: Any, options: ReadOptions | None = None) -> Iterator[Conversation | InputError]:
    """A DataFrame with one row per message → conversations (see :func:`analyzer.ingest.table.read_rows`)."""
    from .table import read_rows

    records = ((i, row) for i, row in enumerate(frame.to_dict(orient="records"), start=1))
    return read_rows(records, "<DataFrame>", options or ReadOptions())


def from_hf(dataset: Any, options: ReadOptions | None = None) -> Iterator[Conversation | InputError]:
    """A Hugging Face ``Dataset``: one row per message, or one row per conversation with a ``turns`` column."""
    from .table import read_rows

    return read_rows(((i, dict(row)) for i, row in enumerate(dataset, start=1)), "<Dataset>", options or ReadOptions())


def rows_to_conversations(rows: Iterable[Mapping[str, Any]], options: ReadOptions | None = None) -> Iterator[Conversation]:
    """Convenience for tests and the API: plain dict rows → conversations (errors raise)."""
    from .table import read_rows

    yield from _route(read_rows(enumerate(rows, start=1), "<rows>", options or ReadOptions()), _raise)
