"""A one-line progress display on stderr, only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .runner import RunStats


class Progress:
    """Call with :class:`RunStats` as chunks finish; redraws at most a few times a second.

    Shows conversations done, conversations/second, errors so far, and the ETA when
    ``total`` (conversations) is known. Silent when the stream is not a terminal.
    """

    def __init__(self, stream: TextIO | None = None, total: int | None = None, enabled: bool | None = None) -> None:
        stream = stream or sys.stderr
        self.stream = stream
        self.total = total
        self.enabled = stream.isatty() if enabled is None else enabled
        self._last = 0.0

    def __call__(self, stats: RunStats) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < 0.2:
            return
        self._last = now
        text = f"\r{stats.conversations:>10,} conversations  {stats.rate:>7,.0f} conv/s  {stats.errors:,} errors"
        if self.total and stats.rate:
            remaining = max(self.total - stats.conversations, 0) / stats.rate
            text += f"  ETA {int(remaining // 60)}m{int(remaining % 60):02d}s"
        self.stream.write(text)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
