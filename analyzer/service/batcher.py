"""Score the conversations of concurrent requests together: one scoring thread, one pipeline call per batch.

A worker process can score only one thing at a time (the GIL), so requests that arrive while a
batch is being scored wait in a queue; when the scoring thread is free it takes everything queued
(up to ``max_conversations``) and runs it through :meth:`Analyzer.pipe` in one call. A batch of
four one-conversation requests costs about half of four separate calls (one featurization, one
product per model), and nothing waits for a batch to fill: an idle service scores a lone
request at once. Each conversation's result is the same as when it is scored alone.

If a batch fails, each request in it is scored again on its own, so a request gets its own
error (an ``InputError`` → 422) and never one caused by another request.

Example:
    >>> from analyzer.pipeline import Analyzer, coerce
    >>> batcher = MicroBatcher(lambda: Analyzer())
    >>> [a.summary["n_turns"] for a in batcher.score_sync([coerce([("customer", "Hi"), ("agent", "Hello!")])])]
    [2]
    >>> batcher.close()
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable, Sequence

from ..types import Analysis, Conversation

log = logging.getLogger(__name__)


class MicroBatcher:
    """Queues conversations from many requests and scores them in batches on one daemon thread.

    Args:
        get_analyzer: returns the loaded :class:`~analyzer.pipeline.Analyzer` (called per batch,
            so the service may load it after the batcher starts).
        max_conversations: most conversations in one batch (a request is never split, so a
            single larger request still goes through whole).
    """

    def __init__(self, get_analyzer: Callable[[], Any], max_conversations: int = 64) -> None:
        self.get_analyzer = get_analyzer
        self.max_conversations = max(1, max_conversations)
        self._queue: "queue.SimpleQueue[tuple[list[Conversation], Future] | None]" = queue.SimpleQueue()
        self._held: tuple[list[Conversation], Future] | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, conversations: Sequence[Conversation], waiter: tuple[Any, Any] | None = None
               ) -> "Future[list[Analysis]]":
        """Queue one request's conversations; the future gets their analyses, in order.

        Args:
            waiter: ``(loop, asyncio future)`` that also gets the result, on its loop.
        """
        future: Future = Future()
        if waiter is not None:
            future.waiter = waiter  # type: ignore[attr-defined]
        with self._lock:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            if self._thread is None or not self._thread.is_alive():  # first use, or the thread died
                self._thread = threading.Thread(target=self._run, name="analyzer-batcher", daemon=True)
                self._thread.start()
            self._queue.put((list(conversations), future))
        return future

    async def score(self, conversations: Sequence[Conversation]) -> list[Analysis]:
        """Await the analyses of ``conversations`` (from an event loop).

        The results of a batch reach each event loop in one wake-up (not one per request), so the
        scoring thread does not hand the GIL back and forth once per request.
        """
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self.submit(conversations, (loop, waiter))
        return await waiter

    def score_sync(self, conversations: Sequence[Conversation]) -> list[Analysis]:
        """Block until the analyses of ``conversations`` are ready (from a plain thread)."""
        return self.submit(conversations).result()

    def close(self) -> None:
        """Stop the thread once the queue is drained; later submissions raise."""
        with self._lock:
            self._closed = True
            if self._thread is not None:
                self._queue.put(None)

    # -- the scoring thread -------------------------------------------------------------------
    def _run(self) -> None:
        batch: list[tuple[list[Conversation], Future]] | None = None
        try:
            while True:
                batch = self._take()
                if batch is None:
                    return
                self._score(batch)
                batch = None
        except BaseException as exc:  # noqa: BLE001 - the waiting requests get the error, none hangs
            log.exception("the scoring thread stopped")
            for _, future in batch or []:
                if not future.done():
                    future.set_exception(RuntimeError(f"scoring stopped: {exc!r}"))
            _wake_waiters([f for _, f in batch or []])
            with self._lock:  # what is still queued gets a new thread
                if not self._closed:
                    self._thread = threading.Thread(target=self._run, name="analyzer-batcher", daemon=True)
                    self._thread.start()

    def _take(self) -> list[tuple[list[Conversation], Future]] | None:
        """Block for one request, then add whatever else is queued, up to the size limit."""
        first = self._held or self._queue.get()
        self._held = None
        if first is None:
            return None
        batch, size = [first], len(first[0])
        while size < self.max_conversations:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:  # closing: finish this batch, then stop
                self._held = None
                self._queue.put(None)
                break
            if size + len(item[0]) > self.max_conversations:
                self._held = item  # first in the next batch: order is kept
                break
            batch.append(item)
            size += len(item[0])
        return batch

    def _score(self, batch: list[tuple[list[Conversation], Future]]) -> None:
        live = [(convs, f) for convs, f in batch if f.set_running_or_notify_cancel()]
        if live:
            self._score_live(live)
        _wake_waiters([f for _, f in live])

    def _score_live(self, live: list[tuple[list[Conversation], Future]]) -> None:
        try:
            analyzer = self.get_analyzer()
            conversations = [c for convs, _ in live for c in convs]
            analyses = list(analyzer.pipe(conversations, batch_size=max(1, len(conversations))))
            if len(analyses) != len(conversations):  # never hand a request another one's result
                raise RuntimeError(f"{len(analyses)} analyses for {len(conversations)} conversations")
        except Exception as exc:  # noqa: BLE001 - each request then meets its own error, or none
            if len(live) == 1:
                live[0][1].set_exception(exc)
                return
            log.debug("batch of %d requests failed (%s); scoring each on its own", len(live), exc)
            for convs, future in live:
                try:
                    future.set_result(list(self.get_analyzer().pipe(convs, batch_size=max(1, len(convs)))))
                except Exception as own:  # noqa: BLE001
                    future.set_exception(own)
            return
        at = 0
        for convs, future in live:
            future.set_result(analyses[at:at + len(convs)])
            at += len(convs)


def _wake_waiters(futures: Sequence[Future]) -> None:
    """Pass finished results to their event loops' futures: one ``call_soon_threadsafe`` per loop."""
    by_loop: dict[Any, list[tuple[Any, Future]]] = {}
    for future in futures:
        waiter = getattr(future, "waiter", None)
        if waiter is not None:
            by_loop.setdefault(waiter[0], []).append((waiter[1], future))
    for loop, pairs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_deliver, pairs)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass


def _deliver(pairs: list[tuple[Any, Future]]) -> None:
    for waiter, future in pairs:
        if waiter.done():  # the request was cancelled (client gone)
            continue
        exc = future.exception()
        if exc is not None:
            waiter.set_exception(exc)
        else:
            waiter.set_result(future.result())
