"""Run the batch on a Dask distributed cluster: the same pipeline, units spread over workers.

The inputs are split into units (one per file; all ``.eml`` files of the run together,
since they thread into each other). A ``dask.bag`` with one partition per unit maps each
unit to :func:`score_unit`, which reads it, cuts it into chunks and writes their parts
with the same code as a local run. The analyzer is scattered once, so each worker holds
(and loads) the models once. The client records each finished unit in the manifest; a
unit lost with a killed worker is recomputed by Dask on another worker and its parts are
overwritten whole, so the output holds every conversation exactly once.

The output folder must be reachable by every worker under the same path (a shared
filesystem); see docs/distributed.md.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import Errors, InputError
from ..ingest.options import ReadOptions
from ..io.rows import error_row
from ..pipeline import Analyzer
from .parts import WorkDir
from .runner import Chunk, chunks, score_chunk

UNIT_STRIDE = 1_000_000
"""Chunk ids are ``unit * UNIT_STRIDE + chunk``: sorting them gives the reading order."""


def plan_units(paths: Sequence[str | Path]) -> tuple[list[list[str]], list[dict[str, Any]]]:
    """Split the inputs into units of work, in the order a local run reads them."""
    units: list[list[str]] = []
    emails: list[str] = []
    errors: list[dict[str, Any]] = []
    for path in map(Path, paths):
        if not path.exists():
            errors.append(error_row(InputError(Errors.E024.format(path=path), str(path))))
            continue
        files = [path] if path.is_file() else sorted(
            p for p in path.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            and p.name != "errors.jsonl"
        )
        for file in files:
            (emails.append(str(file)) if file.suffix.lower() == ".eml" else units.append([str(file)]))
    if emails:
        units.append(emails)
    return units, errors


def score_unit(unit: int, paths: list[str], analyzer: Analyzer, work: WorkDir, turns: bool, chunk_size: int,
               format: str, options: ReadOptions | None) -> list[tuple[int, dict[str, int]]]:
    """Runs on a worker: read one unit, score it chunk by chunk, write the parts."""
    done = []
    for chunk in chunks(paths, chunk_size, format=format, options=options):
        chunk = dataclasses.replace(chunk, index=unit * UNIT_STRIDE + chunk.index)
        done.append((chunk.index, score_chunk(analyzer, chunk, work, turns)))
    return done


def _total(stats) -> dict[str, int]:
    total = {"conversations": 0, "turns": 0, "flags": 0, "errors": 0}
    for item in stats:
        for key in total:
            total[key] += item[key]
    return total


def _unit_lines(work: WorkDir):
    """The finished-unit lines of the manifest."""
    return (entry for entry in work.entries() if "unit_done" in entry)


def resumed_stats(work: WorkDir) -> list[dict[str, int]]:
    """The recorded totals of the units a resumed distributed run keeps."""
    return [entry["stats"] for entry in _unit_lines(work) if entry.get("stats")]


def finished_units(work: WorkDir) -> dict[int, list[int]]:
    """Units recorded as finished: unit → its chunk ids."""
    return {int(entry["unit_done"]): [int(c) for c in entry["chunks"]] for entry in _unit_lines(work)}


def run_on_dask(
    paths: Sequence[str | Path], work: WorkDir, analyzer: Analyzer, *, scheduler: str, turns: bool, chunk_size: int,
    format: str, options: ReadOptions | None, on_chunk: Callable[[int, dict[str, int]], None],
) -> list[int]:
    """Score every unit not yet finished on the cluster at ``scheduler``; return all chunk ids in order."""
    import dask.bag as db
    from distributed import Client, as_completed

    units, plan_errors = plan_units(paths)
    done = finished_units(work)
    chunk_ids = [c for unit_chunks in done.values() for c in unit_chunks]
    if plan_errors and -1 not in done:
        error_chunk = Chunk(index=len(units) * UNIT_STRIDE, conversations=(), errors=tuple(plan_errors))
        stats = score_chunk(analyzer, error_chunk, work, turns)
        on_chunk(error_chunk.index, stats)
        work.record_unit(-1, [error_chunk.index], stats)
        chunk_ids.append(error_chunk.index)
    elif -1 in done:
        chunk_ids += done[-1]
    todo = [(i, unit) for i, unit in enumerate(units) if i not in done]
    if todo:
        with Client(scheduler) as client:
            shared = client.scatter(analyzer, broadcast=True)  # one copy per worker: models load once
            bag = db.from_sequence(todo, npartitions=len(todo)).map(
                lambda item, model: (item[0], score_unit(item[0], item[1], model, work, turns, chunk_size, format,
                                                         options)),
                model=shared,
            )
            futures = client.compute(bag.to_delayed())
            for future in as_completed(futures):
                for unit, results in future.result():
                    for chunk_id, stats in results:
                        on_chunk(chunk_id, stats)
                    work.record_unit(unit, [c for c, _ in results], _total(s for _, s in results))
                    chunk_ids += [c for c, _ in results]
    return sorted(chunk_ids)


def default_scheduler() -> str | None:
    return os.environ.get("DASK_SCHEDULER_ADDRESS")
