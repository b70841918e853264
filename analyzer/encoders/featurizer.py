"""The accurate tier's features: the fast tier's hashed n-grams joined to a sentence embedding.

Keeping the n-grams beside the embedding lets one linear head use both the exact marker words
("please", "not my department") and the encoder's sense of the whole turn, in any language the
encoder knows. Every accurate-tier model uses the same parameters, so a batch is encoded once for
all dimensions (:func:`analyzer.scorers.base.shared_features` keys on :attr:`cache_key`).

Example:
    >>> import numpy as np
    >>> f = EncodedFeaturizer()
    >>> X = f.join(["Thanks!"], np.zeros((1, 384), np.float32))
    >>> ngrams = HashFeaturizer()          # the default n-gram block
    >>> X.shape[1] == ngrams.n_word_features + ngrams.n_char_features + 384
    True
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..train.fit import HashFeaturizer
from .e5 import E5_PIN, get_encoder


class EncodedFeaturizer(TransformerMixin, BaseEstimator):
    """Sparse ``[hashed n-grams | weight x e5 embedding]`` rows (CSR, float32).

    Args:
        hashed: the n-gram featurizer (default: the fast tier's parameters).
        weight: scale of the embedding block (each block is L2-normalised, so 1.0 weighs the
            embedding like one n-gram block).
    """

    def __init__(self, hashed: HashFeaturizer | None = None, weight: float = 1.0) -> None:
        self.hashed = hashed
        self.weight = weight

    @property
    def _hashed(self) -> HashFeaturizer:
        return self.hashed if self.hashed is not None else HashFeaturizer()

    @property
    def cache_key(self) -> tuple:
        """Hashable identity: the n-gram parameters, the weight and the encoder's checksum."""
        return ("EncodedFeaturizer.v1", self._hashed.cache_key, float(self.weight), E5_PIN["sha256"])

    @property
    def dim(self) -> int:
        return int(E5_PIN["dim"])

    def fit(self, X: Sequence[str], y: Any = None) -> "EncodedFeaturizer":
        """Nothing to learn; returns ``self``."""
        return self

    def join(self, texts: Sequence[str], embeddings: np.ndarray) -> Any:
        """Features from texts and their already computed embeddings (training reads them from a cache)."""
        import scipy.sparse as sp

        dense = sp.csr_matrix(np.asarray(embeddings, dtype=np.float32) * np.float32(self.weight))
        return sp.hstack([self._hashed.transform(list(texts)), dense], format="csr", dtype=np.float32)

    def transform(self, X: Sequence[str]) -> Any:
        """Encode ``X`` with the pinned encoder and join the n-grams."""
        texts = [t if isinstance(t, str) else "" for t in X]
        return self.join(texts, get_encoder().encode(texts))
