"""Stream an archive through the pipeline into result files: chunked, parallel, resumable.

The reader streams conversations; they are cut into chunks of ``chunk_size`` in reading
order (deterministic for a given input). Each chunk is scored (all its turns through each
model at once), written as part files and recorded in a manifest (see :mod:`.parts`).
At the end the parts are merged in chunk order, so the output is the same whatever the
number of workers, and identical after ``resume=True`` picks up a killed run.
Every input record ends in the results or in ``errors.jsonl``.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import contextlib
import multiprocessing
import os
import shutil
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from ..errors import InputError
from ..ingest import read
from ..ingest.options import ReadOptions
from ..io.rows import conversation_row, error_row, flag_rows, turn_rows
from ..pipeline import Analyzer
from ..types import Conversation
from .parts import WorkDir


@dataclass
class RunStats:
    conversations: int = 0
    turns: int = 0
    flags: int = 0
    errors: int = 0
    chunks: int = 0
    chunks_resumed: int = 0
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.conversations / self.seconds if self.seconds else 0.0

    def add(self, chunk_stats: dict[str, int]) -> None:
        self.conversations += chunk_stats["conversations"]
        self.turns += chunk_stats["turns"]
        self.flags += chunk_stats["flags"]
        self.errors += chunk_stats["errors"]
        self.chunks += 1

    def line(self) -> str:
        resumed = f", {self.chunks_resumed} chunks resumed" if self.chunks_resumed else ""
        return (f"{self.conversations} conversations, {self.turns} turns, {self.flags} flags, "
                f"{self.errors} errors in {self.seconds:.1f}s ({self.rate:.0f} conv/s){resumed}")


class StrictStop(Exception):
    """Raised by ``strict=True`` on the first bad record."""

    def __init__(self, error: InputError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class Chunk:
    """A unit of work: conversations in reading order plus the errors met while reading them."""

    index: int
    conversations: tuple[Conversation, ...]
    errors: tuple[dict[str, Any], ...]


def sibling(out: Path, kind: str) -> Path:
    """``results.parquet`` → ``results.turns.parquet``."""
    return out.with_name(f"{out.stem}.{kind}{out.suffix}")


def chunks(paths: Sequence[str | Path], chunk_size: int, *, format: str = "auto",
           options: ReadOptions | None = None, strict: bool = False) -> Iterator[Chunk]:
    """Cut the input into chunks; errors go with the chunk being read when they occur."""
    pending_errors: list[dict[str, Any]] = []

    def on_error(error: InputError) -> None:
        if strict:
            raise StrictStop(error)
        pending_errors.append(error_row(error))

    stream = read(list(paths), format=format, on_error=on_error, options=options)
    for index in itertools.count():
        batch = tuple(itertools.islice(stream, chunk_size))
        errors, pending_errors[:] = tuple(pending_errors), []
        if not batch and not errors:
            return
        yield Chunk(index, batch, errors)
        if not batch:
            return


def score_chunk(analyzer: Analyzer, chunk: Chunk, work: WorkDir, turns: bool) -> dict[str, int]:
    """Score one chunk and write its parts. Returns its counts."""
    tables: dict[str, list[dict[str, Any]]] = {"conversations": [], "flags": [], "errors": list(chunk.errors)}
    if turns:
        tables["turns"] = []
    n_turns = n_flags = 0
    for analysis in analyzer.pipe(chunk.conversations, batch_size=max(len(chunk.conversations), 1)):
        tables["conversations"].append(conversation_row(analysis))
        tables["flags"].extend(flag_rows(analysis))
        if turns:
            tables["turns"].extend(turn_rows(analysis))
        n_turns += len(analysis.conversation.turns)
        n_flags += len(analysis.flags)
    work.write_chunk(chunk.index, tables, analyzer.dimensions)
    return {"conversations": len(chunk.conversations), "turns": n_turns, "flags": n_flags, "errors": len(chunk.errors)}


_WORKER: dict[str, Any] = {}


def _init_worker(analyzer: Analyzer, work: WorkDir, turns: bool) -> None:
    """Runs once per worker process: the models arrive (and load) once, not per chunk."""
    _WORKER.update(analyzer=analyzer, work=work, turns=turns)


def _score_in_worker(chunk: Chunk) -> tuple[int, dict[str, int]]:
    return chunk.index, score_chunk(_WORKER["analyzer"], chunk, _WORKER["work"], _WORKER["turns"])


def _describe(paths, out, format, options, turns, chunk_size, analyzer) -> dict[str, Any]:
    description = {
        "inputs": [str(Path(p).resolve()) for p in paths], "out": str(Path(out).resolve()), "format": format,
        "options": dataclasses.asdict(options) if options else None, "turns": turns, "chunk_size": chunk_size,
        "dimensions": list(analyzer.dimensions),
        # other languages routed to the multilingual model, or scored by the fast ones (--no-multilingual)
        "multilingual": any(hasattr(s, "multilingual_dir") for s in analyzer.scorers),
    }
    return json.loads(json.dumps(description, default=str))


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
    chunk_size: int = 500,
    workers: int = 1,
    resume: bool = False,
    partitioned: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
    on_progress: Callable[[RunStats], None] | None = None,
) -> RunStats:
    """Score ``paths`` into ``out`` (+ ``.flags``, optional ``.turns``) and ``errors.jsonl``.

    Args:
        workers: processes scoring chunks in parallel (each loads the models once).
        resume: finish a killed run: chunks in its manifest are not redone.
        partitioned: keep ``out`` as a folder of part files (for very large runs) instead of merging.
        engine: ``local`` (processes on this machine) or ``dask`` (a Dask cluster at ``scheduler``).

    Returns:
        The run's :class:`RunStats`; ``stats.errors > 0`` means some records failed.
    """
    out = Path(out)
    suffix = ".parquet" if partitioned else out.suffix
    work = WorkDir(out if partitioned else out.with_name(out.name + ".parts"), suffix)
    description = {**_describe(paths, out, format, options, turns, chunk_size, analyzer), "engine": engine}
    done = work.start(description, resume)
    stats = RunStats(chunks_resumed=len(done))
    start = time.perf_counter()

    def progressed(chunk_stats: dict[str, int]) -> None:
        stats.add(chunk_stats)
        stats.seconds = time.perf_counter() - start
        if on_progress:
            on_progress(stats)

    def finished(index: int, chunk_stats: dict[str, int]) -> None:
        work.record(index, chunk_stats)
        progressed(chunk_stats)

    if engine == "dask":
        from .dask import default_scheduler, resumed_stats, run_on_dask

        address = scheduler or default_scheduler()
        if not address:
            raise ValueError("--engine dask needs --scheduler tcp://HOST:PORT (or DASK_SCHEDULER_ADDRESS)")
        for kept in resumed_stats(work) if resume else []:
            stats.add(kept)
        all_chunks = run_on_dask(paths, work, analyzer, scheduler=address, turns=turns, chunk_size=chunk_size,
                                 format=format, options=options, on_chunk=lambda _, s: progressed(s))
        return _finish(work, out, errors_path, all_chunks, analyzer, turns, partitioned, stats, start)
    if engine != "local":
        raise ValueError(f"unknown engine {engine!r}: use local or dask")
    all_chunks: list[int] = []
    todo = (c for c in chunks(paths, chunk_size, format=format, options=options, strict=strict)
            if not (all_chunks.append(c.index) or c.index in done))
    head = list(itertools.islice(todo, 2))
    todo = itertools.chain(head, todo)
    if workers <= 1 or len(head) < 2:  # one chunk of work: starting processes would only cost time
        for chunk in todo:
            finished(chunk.index, score_chunk(analyzer, chunk, work, turns))
    else:
        _run_parallel(todo, analyzer, work, turns, workers, finished)
    _add_resumed(stats, work, done)
    return _finish(work, out, errors_path, all_chunks, analyzer, turns, partitioned, stats, start)


def _finish(work: WorkDir, out: Path, errors_path, all_chunks: list[int], analyzer: Analyzer, turns: bool,
            partitioned: bool, stats: RunStats, start: float) -> RunStats:
    if not partitioned:
        errors_file = Path(errors_path) if errors_path else out.parent / "errors.jsonl"
        _merge(work, out, errors_file, all_chunks, analyzer.dimensions, turns, stats)
    stats.seconds = time.perf_counter() - start
    return stats


def _run_parallel(todo: Iterator[Chunk], analyzer: Analyzer, work: WorkDir, turns: bool, workers: int,
                  finished: Callable[[int, dict[str, int]], None]) -> None:
    """At most ``2 × workers`` chunks in flight, so memory stays flat."""
    context = multiprocessing.get_context("spawn")  # no fork: model threads and locks stay sane
    with _threads_per_worker(workers), ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                                           initargs=(analyzer, work, turns)) as pool:
        in_flight: set[Future] = set()
        for chunk in todo:
            in_flight.add(pool.submit(_score_in_worker, chunk))
            if len(in_flight) >= 2 * workers:
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    finished(*future.result())
        for future in in_flight:
            finished(*future.result())


@contextlib.contextmanager
def _threads_per_worker(workers: int) -> Iterator[None]:
    """Workers started in this block get ``cores // workers`` OpenMP threads each (the multilingual
    encoder's, BLAS's), unless the user set ``OMP_NUM_THREADS``: N workers each starting one thread
    per core would fight over the cores (measured: 32 -> 39 conv/s with 2 workers on 2 cores)."""
    if "OMP_NUM_THREADS" in os.environ:
        yield
        return
    os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    try:
        yield
    finally:
        os.environ.pop("OMP_NUM_THREADS", None)


def _add_resumed(stats: RunStats, work: WorkDir, done: set[int]) -> None:
    """Count the chunks a resumed run kept (each once, even if recorded twice)."""
    for entry in work.entries():
        if entry.get("chunk") in done:
            stats.add(entry)
            done = done - {entry["chunk"]}


def _merge(work: WorkDir, out: Path, errors_file: Path, chunks_seen: list[int], dimensions, turns: bool,
           stats: RunStats) -> None:
    tables = {"conversations": out, "flags": sibling(out, "flags"), "errors": errors_file}
    if turns:
        tables["turns"] = sibling(out, "turns")
    for table, path in tables.items():
        work.merge(table, path, dimensions, chunks_seen)
        stats.outputs[table] = str(path)
    shutil.rmtree(work.root)
