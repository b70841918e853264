"""The scorer base's compiled heads give scikit-learn's probabilities exactly, for every head kind
the models use (and fall back to ``predict_proba`` for the kinds they do not)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from analyzer.pipeline import load_scorers
from analyzer.scorers.base import CompiledHeads, ModelScorer
from analyzer.types import Turn

TEXTS = ["Could you please send the receipt? Thanks!", "Worst airline ever, lost my bag again", "ok",
         "Θα σας καλέσουμε αύριο.", "Proszę skontaktować się z lotniskiem.", "Շնորհակալություն", "", "!!!"]


def _fast(scorer):
    return getattr(scorer, "fast", scorer)  # a LanguageRouter wraps the fast model


@pytest.fixture(scope="module")
def shipped() -> list:
    return [_fast(s) for s in load_scorers()]


def _assert_same(compiled: CompiledHeads, heads: dict, X, rows=None) -> None:
    got = compiled.predict_proba(X, rows)
    Xr = X if rows is None else X[rows]
    for name, clf in heads.items():
        want = clf.predict_proba(Xr)
        assert got[name].shape == want.shape and got[name].dtype == want.dtype
        np.testing.assert_array_equal(got[name], want, err_msg=name)


def test_compiled_heads_equal_predict_proba_on_the_shipped_models(shipped):
    assert shipped, "no shipped models"
    for scorer in shipped:
        X = scorer.featurizer.transform(TEXTS)
        if scorer.name == "ownership":  # its heads also see lexicon features: build its own X
            from analyzer.scorers.ownership import featurize

            X, _ = featurize(scorer.model, TEXTS, ["en", "en", "en", "el", "pl", "hy", "en", "en"])
        compiled = scorer.compiled_heads()
        assert set(compiled.compiled) == set(scorer.heads), "every shipped head compiles"
        _assert_same(compiled, scorer.heads, X)
        _assert_same(compiled, scorer.heads, X, rows=[1, 3, 4])
        _assert_same(compiled, scorer.heads, X[:1])
        _assert_same(compiled, scorer.heads, X[:3].toarray())  # a dense featurizer (the accurate tier's)


def _data(n_classes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(240, 12)).astype(np.float32)
    y = (X[:, :n_classes] + 0.5 * rng.normal(size=(240, n_classes))).argmax(axis=1)
    return X, np.array(["abc"[k] for k in y])


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("method", ["sigmoid", "temperature", "isotonic"])
@pytest.mark.parametrize("ensemble", [False, True])
def test_compiled_heads_equal_predict_proba_for_each_calibration(n_classes, method, ensemble):
    X, y = _data(n_classes)
    heads = {
        "svc": CalibratedClassifierCV(LinearSVC(), method=method, cv=3, ensemble=ensemble).fit(X, y),
        "logreg": CalibratedClassifierCV(LogisticRegression(), method=method, cv=3, ensemble=ensemble).fit(X, y),
    }
    compiled = CompiledHeads(heads)
    assert (method == "isotonic") == (compiled.compiled == {})  # isotonic stays with scikit-learn
    _assert_same(compiled, heads, X[:50])
    _assert_same(compiled, heads, sp.csr_matrix(X[:50]))
    _assert_same(compiled, heads, sp.csr_matrix(X[:50]), rows=[0, 7, 9])


def test_compiled_heads_leave_other_classifiers_to_predict_proba():
    X, y = _data(3)
    heads = {"plain": LogisticRegression().fit(X, y),
             "calibrated": CalibratedClassifierCV(LinearSVC(), cv=3).fit(X, y)}
    compiled = CompiledHeads(heads)
    assert set(compiled.compiled) == {"calibrated"}
    _assert_same(compiled, heads, X[:20])
    _assert_same(compiled, heads, sp.csr_matrix(X[:20]), rows=[2, 5])


def test_scorer_scores_same_as_sklearn_heads_and_pickles_without_compiled_heads(shipped):
    scorer = shipped[0]
    turns = [Turn(i, role, t) for i, (role, t) in enumerate(zip(["agent", "customer", "system"] * 3, TEXTS))]
    fast = scorer.score(turns)
    blob = pickle.dumps(scorer)
    assert b"CompiledHeads" not in blob  # rebuilt after loading, never shipped to workers
    assert pickle.loads(blob).score(turns) == fast

    class SklearnPath(type(scorer)):  # a subclass with its own _predict: scikit-learn's own path
        def _predict(self, X):
            return {h: clf.predict_proba(X) for h, clf in self.heads.items()}

    slow = SklearnPath(scorer.model, scorer.meta, scorer.path).score(turns)
    assert isinstance(scorer, ModelScorer) and any(s is None for s in fast)
    assert fast == slow


def test_compiled_heads_leave_one_vs_one_svc_to_scikit_learn():
    """SVC(kernel="linear") has coef_ and intercept_, but its decision values are one-vs-one votes."""
    from sklearn.svm import SVC

    rng = np.random.default_rng(0)
    X = sp.csr_matrix(rng.random((90, 6)))
    y = np.repeat(["a", "b", "c"], 30)
    head = CalibratedClassifierCV(SVC(kernel="linear"), cv=3).fit(X, y)
    compiled = CompiledHeads({"h": head})
    assert "h" not in compiled.compiled
    np.testing.assert_array_equal(compiled.predict_proba(X)["h"], head.predict_proba(X))
