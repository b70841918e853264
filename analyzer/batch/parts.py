"""A run's work folder: one part file per chunk and table, and a manifest of finished chunks.

Layout of ``<out>.parts/``::

    run.json                     what the run is (inputs, options): a resume must match it
    manifest.jsonl               one line per finished chunk, appended after its parts are in place
    conversations/part-000007.parquet   flags/…   turns/…   errors/part-000007.jsonl

A chunk's parts are written atomically and only then recorded in the manifest, so after a
crash a chunk is either recorded (and complete) or redone from scratch: exactly once.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from ..io.rows import ERROR_COLUMNS, FLAG_COLUMNS, conversation_columns, turn_columns
from ..io.writers import RowWriter, arrow_schema

TABLES = ("conversations", "flags", "turns", "errors")


def columns_for(table: str, dimensions: Sequence[str]) -> list[str]:
    return {
        "conversations": conversation_columns(list(dimensions)),
        "flags": list(FLAG_COLUMNS),
        "turns": turn_columns(list(dimensions)),
        "errors": list(ERROR_COLUMNS),
    }[table]


class WorkDir:
    """The parts and manifest of one run."""

    def __init__(self, root: Path, suffix: str) -> None:
        self.root = Path(root)
        self.suffix = suffix
        self.manifest = self.root / "manifest.jsonl"

    def part(self, table: str, chunk: int) -> Path:
        suffix = ".jsonl" if table == "errors" else self.suffix
        return self.root / table / f"part-{chunk:06d}{suffix}"

    def start(self, description: dict[str, Any], resume: bool) -> set[int]:
        """Prepare the folder; return the chunks already finished (only when resuming the same run)."""
        run_file = self.root / "run.json"
        if resume and run_file.exists():
            saved = json.loads(run_file.read_text(encoding="utf-8"))
            if saved != description:
                raise ValueError(f"--resume: {self.root} belongs to a different run ({saved}); "
                                 "use the same inputs and options, or drop --resume to start again")
            return self.finished()
        if self.root.exists():
            if not run_file.exists() and any(self.root.iterdir()):
                raise ValueError(f"{self.root} exists and is not a run folder: refusing to overwrite it")
            shutil.rmtree(self.root)
        for table in TABLES:
            (self.root / table).mkdir(parents=True, exist_ok=True)
        run_file.write_text(json.dumps(description, sort_keys=True), encoding="utf-8")
        return set()

    def entries(self) -> Iterator[dict[str, Any]]:
        """The manifest's lines, parsed; a line torn by a crash is skipped (its work is redone)."""
        if not self.manifest.exists():
            return
        for line in self.manifest.read_text(encoding="utf-8").splitlines():
            try:
                yield json.loads(line)
            except ValueError:
                continue

    def finished(self) -> set[int]:
        """Chunks recorded as finished by a local run."""
        return {int(entry["chunk"]) for entry in self.entries() if "chunk" in entry}

    def write_chunk(self, chunk: int, tables: dict[str, list[dict[str, Any]]], dimensions: Sequence[str]) -> None:
        """Write every table's part for ``chunk`` (atomically, each)."""
        for table, rows in tables.items():
            with RowWriter(self.part(table, chunk), columns_for(table, dimensions)) as writer:
                writer.write_all(rows)

    def record(self, chunk: int, stats: dict[str, int]) -> None:
        """Append the chunk to the manifest, durably."""
        with open(self.manifest, "a", encoding="utf-8") as f:
            f.write(json.dumps({"chunk": chunk, **stats}) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def record_unit(self, unit: int, chunk_ids: list[int], stats: dict[str, int] | None = None) -> None:
        """Append a finished unit of a distributed run (all its chunks at once), durably."""
        with open(self.manifest, "a", encoding="utf-8") as f:
            f.write(json.dumps({"unit_done": unit, "chunks": chunk_ids, "stats": stats or {}}) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def merge(self, table: str, out: Path, dimensions: Sequence[str], chunks: Iterable[int]) -> int:
        """Concatenate ``table``'s parts in chunk order into ``out`` (atomic). Returns the row count."""
        parts = [self.part(table, c) for c in sorted(chunks)]
        return merge_files(parts, out, columns_for(table, dimensions))


def merge_files(parts: Sequence[Path], out: Path, columns: list[str]) -> int:
    """Stream ``parts`` (all of ``out``'s format) into ``out``."""
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    rows = 0
    if out.suffix == ".parquet":
        import pyarrow.parquet as pq

        schema = arrow_schema(columns)  # the same stable schema the parts have
        with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
            for part in parts:
                table = pq.read_table(part, schema=schema)
                rows += table.num_rows
                writer.write_table(table)
    else:
        with open(partial, "wb") as dst:
            for i, part in enumerate(parts):
                with open(part, "rb") as src:
                    if out.suffix == ".csv":
                        header = src.readline()
                        if i == 0:
                            dst.write(header)
                    data = src.read()
                    rows += data.count(b"\n") if out.suffix != ".csv" else _csv_rows(data)
                    dst.write(data)
            if not parts and out.suffix == ".csv":
                dst.write((",".join(columns) + "\r\n").encode())
    os.replace(partial, out)
    return rows


def _csv_rows(data: bytes) -> int:
    import csv
    import io

    return sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
