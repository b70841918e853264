"""Stream an archive through the pipeline into result files.

Every input record ends in the results or in the errors file: readers hand bad
records to ``on_error``, which writes them to ``errors.jsonl`` as they happen.
Outputs are written atomically (see :class:`analyzer.io.RowWriter`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ..errors import InputError
from ..ingest import read
from ..ingest.options import ReadOptions
from ..io.rows import (
    FLAG_COLUMNS, conversation_columns, conversation_row, error_row, flag_rows, turn_columns, turn_rows,
)
from ..io.writers import RowWriter
from ..pipeline import Analyzer


@dataclass
class RunStats:
    conversations: int = 0
    turns: int = 0
    flags: int = 0
    errors: int = 0
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.conversations / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (f"{self.conversations} conversations, {self.turns} turns, {self.flags} flags, "
                f"{self.errors} errors in {self.seconds:.1f}s ({self.rate:.0f} conv/s)")


class StrictStop(Exception):
    """Raised by ``--strict`` on the first bad record."""

    def __init__(self, error: InputError) -> None:
        super().__init__(str(error))
        self.error = error


def sibling(out: Path, kind: str) -> Path:
    """``results.parquet`` → ``results.turns.parquet``."""
    return out.with_name(f"{out.stem}.{kind}{out.suffix}")


def run(
    paths: Sequence[str | Path],
    out: str | Path,
    analyzer: Analyzer,
    *,
    format: str = "auto",
    options: ReadOptions | None = None,
    turns: bool = False,
    strict: bool = False,
    errors_path: str | Path | None = None,
    batch_size: int = 256,
    on_progress: Callable[[RunStats], None] | None = None,
) -> RunStats:
    """Score ``paths`` into ``out`` (+ ``.flags``, optional ``.turns``) and ``errors.jsonl``.

    Returns:
        The run's :class:`RunStats`; ``stats.errors > 0`` means some records failed.
    """
    out = Path(out)
    errors_file = Path(errors_path) if errors_path else out.parent / "errors.jsonl"
    stats = RunStats()
    start = time.perf_counter()
    dims = list(analyzer.dimensions)
    writers = {"conversations": RowWriter(out, conversation_columns(dims)),
               "flags": RowWriter(sibling(out, "flags"), FLAG_COLUMNS)}
    if turns:
        writers["turns"] = RowWriter(sibling(out, "turns"), turn_columns(dims))
    errors_file.parent.mkdir(parents=True, exist_ok=True)
    errors_partial = errors_file.with_name(errors_file.name + ".partial")
    error_stream = open(errors_partial, "w", encoding="utf-8")

    def on_error(error: InputError) -> None:
        stats.errors += 1
        error_stream.write(json.dumps(error_row(error), ensure_ascii=False) + "\n")
        if strict:
            raise StrictStop(error)

    try:
        conversations = read(paths, format=format, on_error=on_error, options=options)
        for analysis in analyzer.pipe(conversations, batch_size=batch_size):
            stats.conversations += 1
            stats.turns += len(analysis.conversation.turns)
            stats.flags += len(analysis.flags)
            writers["conversations"].write(conversation_row(analysis))
            writers["flags"].write_all(flag_rows(analysis))
            if turns:
                writers["turns"].write_all(turn_rows(analysis))
            if on_progress and stats.conversations % 100 == 0:
                stats.seconds = time.perf_counter() - start
                on_progress(stats)
    except BaseException:
        for writer in writers.values():
            writer.abort()
        error_stream.close()
        errors_partial.replace(errors_file)  # the errors seen so far are worth keeping
        raise
    for name, writer in writers.items():
        writer.close()
        stats.outputs[name] = str(writer.path)
    error_stream.close()
    errors_partial.replace(errors_file)
    stats.outputs["errors"] = str(errors_file)
    stats.seconds = time.perf_counter() - start
    return stats
