"""Bearer tokens and per-token rate limits for the HTTP service.

Tokens come from a file (one a line, ``#`` comments) and/or ``ANALYZER_TOKENS``
(comma-separated). Each token (or, without auth, each client address) has a token bucket:
``rate`` requests a second on average, bursts up to ``burst``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import os
import threading
import time
from pathlib import Path

from ..errors import ConfigError

TOKENS_ENV = "ANALYZER_TOKENS"


def load_tokens(tokens_file: str | Path | None = None, env: str | None = None) -> frozenset[str]:
    """The accepted tokens: the file's non-blank, non-comment lines plus ``ANALYZER_TOKENS``.

    Example:
        >>> sorted(load_tokens(None, env="a, b,,"))
        ['a', 'b']
    """
    tokens: set[str] = set()
    if tokens_file is not None:
        path = Path(tokens_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"E024 no such file or directory: {path} ({exc.strerror}).") from None
        tokens.update(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))
    raw = os.environ.get(TOKENS_ENV, "") if env is None else env
    tokens.update(t.strip() for t in raw.split(",") if t.strip())
    return frozenset(tokens)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``.

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("localhost")
        (True, False, True)
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def token_id(token: str) -> str:
    """A short, stable, non-secret id for a token (used as the job owner and bucket key)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


class TokenChecker:
    """Checks a presented token against the accepted ones in constant time."""

    def __init__(self, tokens: frozenset[str]) -> None:
        self._digests = [hashlib.sha256(t.encode("utf-8")).digest() for t in tokens]

    def check(self, presented: str | None) -> bool:
        if not presented:
            return False
        digest = hashlib.sha256(presented.encode("utf-8")).digest()
        found = False
        for known in self._digests:
            found |= hmac.compare_digest(digest, known)
        return found


class RateLimiter:
    """One token bucket per key; thread-safe.

    Args:
        rate: requests per second refilled; ``0`` turns limiting off.
        burst: bucket size (default ``max(1, 2 * rate)``).

    Example:
        >>> limiter = RateLimiter(rate=1, burst=2)
        >>> [limiter.acquire("k") for _ in range(3)][:2]
        [0.0, 0.0]
    """

    def __init__(self, rate: float, burst: int | None = None, max_keys: int = 10_000) -> None:
        self.rate = float(rate)
        self.burst = float(burst if burst else max(1, math.ceil(2 * self.rate)))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def acquire(self, key: str) -> float:
        """Take one request from ``key``'s bucket: ``0.0`` if allowed, else the seconds to wait."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._store(key, tokens - 1.0, now)
                return 0.0
            self._store(key, tokens, now)
            return (1.0 - tokens) / self.rate

    def _store(self, key: str, tokens: float, now: float) -> None:
        if key not in self._buckets and len(self._buckets) >= self._max_keys:
            full = [k for k, (t, last) in self._buckets.items() if t + (now - last) * self.rate >= self.burst]
            for k in full or list(self._buckets)[: self._max_keys // 10]:
                del self._buckets[k]
        self._buckets[key] = (tokens, now)
