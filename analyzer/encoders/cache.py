"""Embeddings of training texts kept on disk, so a re-run encodes only texts it has not seen.

Encoding is the slow step of training the accurate tier (~27 texts/s here); the cache turns a second
run over the same data into seconds. Keys are sha1 of the exact text (after the encoder's cut);
each flush appends one ``part-NNNNN.npz`` (keys + vectors), written to a temporary name and renamed,
so a killed run leaves no half-written part.

Example:
    >>> import tempfile, numpy as np
    >>> c = EmbeddingCache(tempfile.mkdtemp(), dim=2)
    >>> c.encode(["a", "b"], lambda ts: np.ones((len(ts), 2), np.float32)).shape
    (2, 2)
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

Encode = Callable[[Sequence[str]], np.ndarray]


def default_cache_dir() -> Path:
    """``$ANALYZER_CACHE/embeddings`` or ``~/.cache/analyzer/embeddings``."""
    root = os.environ.get("ANALYZER_CACHE") or Path.home() / ".cache" / "analyzer"
    return Path(root) / "embeddings"


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """A folder of embedding parts for one encoder (name the folder after the encoder's checksum).

    Args:
        folder: where the parts live (created when missing).
        dim: embedding width.
        flush_every: new vectors per part (also bounds the work lost to a kill).
    """

    def __init__(self, folder: str | Path, dim: int, flush_every: int = 512) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.dim = dim
        self.flush_every = flush_every
        self.vectors: dict[str, np.ndarray] = {}
        for part in sorted(self.folder.glob("part-*.npz")):
            with np.load(part) as z:
                self.vectors.update(zip(z["keys"].tolist(), z["vectors"]))

    def encode(self, texts: Sequence[str], encode: Encode, progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Embeddings of ``texts`` (``float32``, one row each), encoding only the missing ones with ``encode``."""
        keys = [_key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.vectors))
        text_of = dict(zip(keys, texts))
        for start in range(0, len(missing), self.flush_every):
            chunk = missing[start:start + self.flush_every]
            vecs = np.asarray(encode([text_of[k] for k in chunk]), dtype=np.float32)
            self.vectors.update(zip(chunk, vecs))
            self._write(chunk, vecs)
            if progress:
                progress(min(start + self.flush_every, len(missing)), len(missing))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = self.vectors[k]
        return out

    def _write(self, keys: list[str], vectors: np.ndarray) -> None:
        n = len(list(self.folder.glob("part-*.npz")))
        final = self.folder / f"part-{n:05d}.npz"
        tmp = self.folder / f".part-{n:05d}.tmp.npz"
        np.savez(tmp, keys=np.asarray(keys), vectors=vectors)
        os.replace(tmp, final)
