"""Row writers for JSONL, CSV and Parquet: streaming, with a fixed column set, atomic.

Rows go to ``<path>.partial`` and the file is renamed into place only by
:meth:`RowWriter.close`, so a half-written file never looks complete.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any, Iterable, Sequence

from .rows import column_kind

FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}


def format_for(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot tell the output format of {path}: use .parquet, .jsonl or .csv")
    return FORMATS[suffix]


class RowWriter:
    """Write dict rows with a fixed set of columns to ``path`` (format from the extension).

    Example:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "rows.jsonl"
        >>> with RowWriter(out, ["a", "n_b"]) as w:
        ...     w.write({"a": "x", "n_b": 1})
        >>> out.read_text()
        '{"a": "x", "n_b": 1}\\n'
    """

    def __init__(self, path: str | Path, columns: Sequence[str], batch_rows: int = 2048) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self.format = format_for(self.path)
        self.partial = self.path.with_name(self.path.name + ".partial")
        self.rows_written = 0
        self._batch: list[dict[str, Any]] = []
        self._batch_rows = batch_rows
        self._file = None
        self._csv = None
        self._parquet = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.format == "jsonl":
            self._file = open(self.partial, "w", encoding="utf-8")
        elif self.format == "csv":
            self._file = open(self.partial, "w", encoding="utf-8", newline="")
            self._csv = csv.DictWriter(self._file, fieldnames=self.columns, extrasaction="ignore")
            self._csv.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        self.rows_written += 1
        if self.format == "jsonl":
            self._file.write(json.dumps({c: row.get(c) for c in self.columns}, ensure_ascii=False) + "\n")
        elif self.format == "csv":
            self._csv.writerow({c: row.get(c) for c in self.columns})
        else:
            self._batch.append(row)
            if len(self._batch) >= self._batch_rows:
                self._flush_parquet()

    def write_all(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.write(row)

    def _schema(self):
        return arrow_schema(self.columns)

    def _flush_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = self._schema()
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.partial, schema, compression="zstd")
        if self._batch:
            data = {c: [_cast(r.get(c), column_kind(c)) for r in self._batch] for c in self.columns}
            self._parquet.write_table(pa.Table.from_pydict(data, schema=schema))
            self._batch = []

    def close(self) -> None:
        """Finish the file and move it into place."""
        if self.format == "parquet":
            self._flush_parquet()
            self._parquet.close()
        else:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
        os.replace(self.partial, self.path)

    def abort(self) -> None:
        """Drop the partial file."""
        try:
            if self._file:
                self._file.close()
            if self._parquet:
                self._parquet.close()
        finally:
            self.partial.unlink(missing_ok=True)

    def __enter__(self) -> "RowWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def arrow_schema(columns: Sequence[str]):
    """The stable Arrow schema of a results table with these columns."""
    import pyarrow as pa

    kinds = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "string": pa.string()}
    return pa.schema([(c, kinds[column_kind(c)]) for c in columns])


def _cast(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "float":
        return float(value)
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)
