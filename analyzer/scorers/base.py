"""Shared machinery of the trained scorers: model folders, features once per batch, the three stages.

A model folder holds ``model.joblib`` (a dict ``{"featurizer": ..., "heads": {name: classifier}}``),
``meta.json`` and ``MODEL_CARD.md``. :func:`load_model_dir` verifies the checksum recorded in
``meta.json`` before unpickling (E031 on mismatch, E032 when missing) and warns with W012 when the
scikit-learn version differs from the one that saved it.

:class:`ModelScorer` follows the Hugging Face split ``preprocess -> _predict -> postprocess``; a
dimension subclasses it and writes only ``postprocess`` (probabilities -> ``TurnScore``). All
scorers whose featurizers have the same parameters share one feature matrix per batch (see
:func:`shared_features`), so scoring four dimensions costs one featurization, not four.

Tiers: ``tier="fast"`` is the hashed n-gram + calibrated linear model here; ``tier="accurate"``
(a transformer head) is reserved: :func:`model_path` maps it to ``models/<name>/accurate/``.

Example:
    >>> from analyzer.scorers.base import model_path
    >>> model_path("politeness").name
    'politeness'
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
import warnings
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..errors import ConfigError, Errors, ModelError, Warnings
from ..types import Turn, TurnScore

logger = logging.getLogger(__name__)

TIERS = ("fast", "accurate")
SUPPORTED_LANGUAGES = ("en", "el", "pl", "hy")


def model_path(name: str, model_dir: str | Path | None = None, tier: str = "fast") -> Path:
    """The folder of model ``name``: ``model_dir`` if given, else the repo's ``models/<name>/``.

    Args:
        name: the dimension (``"politeness"``...).
        model_dir: an explicit folder; wins over the default.
        tier: ``"fast"`` (default) or ``"accurate"`` (``models/<name>/accurate/``, not shipped yet).
    """
    if tier not in TIERS:
        raise ModelError(Errors.E040.format(kind="tier", name=tier, hint="", available=", ".join(TIERS)))
    if model_dir is not None:
        return Path(model_dir)
    import analyzer

    base = Path(analyzer.__file__).resolve().parents[1] / "models" / name
    return base if tier == "fast" else base / "accurate"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_model_dir(path: str | Path, name: str | None = None) -> tuple[Any, dict]:
    """Read and verify a model folder.

    Args:
        path: folder with ``model.joblib`` and ``meta.json``.
        name: the model's name, for the error message (default: the folder name).

    Returns:
        ``(model, meta)``: the unpickled object and the parsed ``meta.json``.

    Raises:
        ModelError: E032 when a file is missing, E031 when the checksum does not match.
    """
    path = Path(path)
    name = name or path.name
    model_file, meta_file = path / "model.joblib", path / "meta.json"
    for f in (model_file, meta_file):
        if not f.is_file():
            raise ModelError(Errors.E032.format(path=f, name=name))
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    got = sha256_file(model_file)
    if got != meta.get("sha256"):
        raise ModelError(Errors.E031.format(path=model_file, expected=meta.get("sha256"), got=got))
    import joblib
    import sklearn

    saved = meta.get("sklearn_version")
    if saved and saved != sklearn.__version__:
        message = Warnings.W012.format(path=path, library="scikit-learn", saved=saved, current=sklearn.__version__)
        logger.warning(message)
        warnings.warn(message, UserWarning, stacklevel=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's own InconsistentVersionWarning: W012 above says it
        model = joblib.load(model_file)
    return model, meta


# ---------------------------------------------------------------------------------------------
# One feature matrix per batch, shared by every scorer with the same featurizer parameters.

_CACHE: "OrderedDict[tuple, Any]" = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4
_KEYS: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()


def _featurizer_key(featurizer: Any) -> Any:
    """The featurizer's ``cache_key``, read once per featurizer object (scikit-learn's
    ``get_params`` inspects signatures, which costs more than featurizing one short turn).
    A loaded featurizer is treated as immutable: ``set_params`` on it would not change its key."""
    try:
        return _KEYS[featurizer]
    except (KeyError, TypeError):
        pass
    key = getattr(featurizer, "cache_key", None)
    if key is None:
        return id(featurizer)
    try:
        _KEYS[featurizer] = key
    except TypeError:  # not weak-referenceable: read the key every time
        pass
    return key


def shared_features(featurizer: Any, texts: Sequence[str]) -> Any:
    """``featurizer.transform(texts)``, computed once for a batch and reused by other scorers.

    The cache key is the featurizer's ``cache_key`` (its parameters) plus the batch's texts, and
    only the last few batches are kept, so memory stays flat. Thread-safe.

    Args:
        featurizer: an object with ``transform(list[str])`` and a hashable ``cache_key``.
        texts: the batch's texts (all turns of the batch, whatever the role).
    """
    key = (_featurizer_key(featurizer), tuple(texts))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    X = featurizer.transform(list(texts))
    with _CACHE_LOCK:
        _CACHE[key] = X
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return X


def guess_language(text: str, language: str | None) -> str:
    """The turn's language if it is one we support, else a script guess (Greek, Armenian, Polish letters), else ``en``."""
    if language in SUPPORTED_LANGUAGES:
        return language
    for ch in text:
        o = ord(ch)
        if 0x0370 <= o <= 0x03FF or 0x1F00 <= o <= 0x1FFF:
            return "el"
        if 0x0530 <= o <= 0x058F:
            return "hy"
        if ch in "ąćęłńśźżĄĆĘŁŃŚŹŻ":
            return "pl"
    return "en"


class ModelScorer:
    """A trained, fast-tier scorer: shared hashed features, one calibrated linear head per output.

    Subclasses set ``name`` and ``roles`` and implement :meth:`postprocess`. The object is
    picklable (only plain attributes) and thread-safe for scoring (no state changes on ``score``).

    Args:
        model: the unpickled ``model.joblib`` dict (``featurizer``, ``heads``).
        meta: the parsed ``meta.json``.
        path: where it was loaded from (for messages).
    """

    name: str = ""
    roles: frozenset[str] = frozenset({"agent", "customer"})

    def __init__(self, model: Mapping[str, Any], meta: Mapping[str, Any], path: str | Path | None = None) -> None:
        self.model = dict(model)
        self.meta = dict(meta)
        self.path = str(path) if path is not None else None
        self.featurizer = self.model["featurizer"]
        self.heads: dict[str, Any] = dict(self.model["heads"])
        self.languages: frozenset[str] = frozenset(self.meta.get("languages", SUPPORTED_LANGUAGES))
        if type(self)._predict is ModelScorer._predict:  # a subclass that predicts its own way never uses them
            self.compiled_heads()  # at load, so the first request does not pay for it

    @classmethod
    def from_dir(cls, model_dir: str | Path | None = None, tier: str = "fast") -> "ModelScorer":
        """Load a verified model folder (default ``models/<name>/``) into this scorer class."""
        path = model_path(cls.name, model_dir, tier)
        model, meta = load_model_dir(path, cls.name)
        return cls(model, meta, path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, path={self.path!r})"

    # -- the three stages ----------------------------------------------------------------------
    def preprocess(self, turns: Sequence[Turn]) -> Any:
        """Features of every turn in the batch (shared with the other scorers of the batch)."""
        return shared_features(self.featurizer, [t.text for t in turns])

    def _predict(self, X: Any) -> dict[str, Any]:
        """``{head: probabilities (n, classes)}`` for the rows of ``X``: the hot path.

        Calibrated linear heads run as one product for all of them plus numpy calibrators
        (:class:`CompiledHeads`): the same numbers as each head's ``predict_proba``, without
        scikit-learn's per-call validation, which costs more than the product on a small batch.
        Any other head is asked for ``predict_proba`` as it is.
        """
        return self.compiled_heads().predict_proba(X)

    def _predict_rows(self, X: Any, rows: list[int], n: int) -> dict[str, Any]:
        """:meth:`_predict` of ``X[rows]``; the compiled heads take the rows from the decision values,
        which spares a sparse row selection (rows are independent, so the numbers are the same)."""
        if type(self)._predict is not ModelScorer._predict:  # a subclass predicts its own way
            return self._predict(X[rows] if len(rows) != n else X)
        return self.compiled_heads().predict_proba(X, None if len(rows) == n else rows)

    def compiled_heads(self) -> "CompiledHeads":
        """The heads compiled to numpy (built once, on first use, and kept out of pickles)."""
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = self.__dict__["_compiled"] = CompiledHeads(self.heads)
        return compiled

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_compiled", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def classes(self, head: str) -> list:
        """The class labels of ``head`` in column order of its probabilities."""
        return list(self.heads[head].classes_)

    def postprocess(self, turns: Sequence[Turn], proba: Mapping[str, Any]) -> list[TurnScore]:
        """Probabilities -> one ``TurnScore`` per turn (implemented by each dimension)."""
        raise NotImplementedError

    def score(self, turns: Sequence[Turn]) -> list[TurnScore | None]:
        """Score a batch; ``None`` for turns outside ``roles``. Same length and order as ``turns``."""
        turns = list(turns)
        keep = [i for i, t in enumerate(turns) if t.role in self.roles]
        out: list[TurnScore | None] = [None] * len(turns)
        if not keep:
            return out
        X = self.preprocess(turns)
        batch = [turns[i] for i in keep]
        for i, s in zip(keep, self.postprocess(batch, self._predict_rows(X, keep, len(turns)))):
            out[i] = self.mark_language(turns[i], s)
        return out

    def mark_language(self, turn: Turn, score: TurnScore) -> TurnScore:
        """Mark a score of a turn in a language the model was not trained on as a zero-shot guess,
        so that it is never silently taken for a trained language."""
        if turn.language is None or turn.language in self.languages:
            return score
        return dataclasses.replace(score, detail={**score.detail, "zero_shot": 1.0})

    # -- helpers for postprocess ---------------------------------------------------------------
    @staticmethod
    def markers(turn: Turn, categories: Iterable[str] | None = None) -> list[Any]:
        """Lexicon markers of ``turn`` in ``categories`` (``analyzer.lexicon.match``); empty without lexicons.

        Markers of all :data:`EVIDENCE_CATEGORIES` are found once per text and shared by every
        scorer of the batch (an LRU cache), so evidence costs one lexicon pass per turn.
        """
        wanted = frozenset(categories) if categories is not None else None
        language = guess_language(turn.text, turn.language)
        if wanted is None or not wanted <= EVIDENCE_CATEGORIES:
            return _match(turn.text, language, wanted)
        return [m for m in _shared_markers(turn.text, language) if m.category in wanted]


EVIDENCE_CATEGORIES = frozenset({
    "please", "gratitude", "apology", "greeting", "hedge", "deference", "direct_question", "bare_command",
    "swearing", "insult", "formal_address", "informal_address",
    "emotional_reaction", "interpretation", "exploration",
})
"""Marker categories computed together once per turn (politeness strategies + empathy mechanisms)."""

_MARKERS: "OrderedDict[tuple[str, str], list]" = OrderedDict()
_MARKERS_LOCK = threading.Lock()
_MARKERS_SIZE = 8192


def _match(text: str, language: str, categories: Iterable[str] | None) -> list[Any]:
    try:
        from ..lexicon import match

        return list(match(text, language, list(categories) if categories is not None else None))
    except (ImportError, ConfigError) as exc:  # lexicons ship separately; scores do not depend on them
        logger.debug("no lexicon evidence: %s", exc)
        return []


def _shared_markers(text: str, language: str) -> list[Any]:
    key = (text, language)
    with _MARKERS_LOCK:
        hit = _MARKERS.get(key)
    if hit is not None:
        return hit
    found = _match(text, language, sorted(EVIDENCE_CATEGORIES))
    with _MARKERS_LOCK:
        _MARKERS[key] = found
        while len(_MARKERS) > _MARKERS_SIZE:
            _MARKERS.popitem(last=False)
    return found


# ---------------------------------------------------------------------------------------------
# Calibrated linear heads as plain numpy: one product for all heads, then each calibrator.


class _Calibrated:
    """One ``_CalibratedClassifier`` (a linear estimator + sigmoid or temperature calibrators) in numpy.

    Mirrors scikit-learn's ``_CalibratedClassifier.predict_proba`` step by step, so the numbers are
    the same; raises ``TypeError`` for anything else (the head then stays with scikit-learn).
    """

    def __init__(self, calibrated: Any, classes: Any) -> None:
        import numpy as np

        est, method = calibrated.estimator, calibrated.method
        from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
        from sklearn.svm import LinearSVC

        # decision = X @ coef.T + intercept holds for these; not e.g. SVC(kernel="linear"), which votes one-vs-one
        if not isinstance(est, (LinearSVC, LogisticRegression, SGDClassifier, RidgeClassifier)):
            raise TypeError(f"{type(est).__name__} is not a linear classifier")
        coef, intercept = getattr(est, "coef_", None), getattr(est, "intercept_", None)
        if coef is None or intercept is None:
            raise TypeError("a linear classifier without coef_/intercept_")
        coef = np.atleast_2d(np.asarray(coef))  # in the model's own dtype: float32 stays float32
        self.coef = coef
        self.intercept = np.broadcast_to(np.asarray(intercept), (coef.shape[0],)).copy()
        self.n_classes = len(classes)
        self.method = method
        calibrators = list(calibrated.calibrators)
        if method == "sigmoid":
            if not all(hasattr(c, "a_") and hasattr(c, "b_") for c in calibrators):
                raise TypeError("sigmoid calibrators without a_/b_")
            position = {c: i for i, c in enumerate(classes)}
            columns = [position[c] for c in est.classes_]
            if self.n_classes == 2:
                columns = [columns[0] + 1]  # the one calibrator maps classes[1]'s decision value
            pairs = list(zip(columns, range(coef.shape[0]), calibrators))
            self.sigmoids = [(col, k, c.a_, c.b_) for col, k, c in pairs]  # their own types: same rounding
        elif method == "temperature":
            if len(calibrators) != 1 or not hasattr(calibrators[0], "beta_"):
                raise TypeError("temperature calibrator without beta_")
            self.beta = calibrators[0].beta_
        else:
            raise TypeError(f"calibration method {method!r}")

    def proba(self, D: Any) -> Any:
        """Calibrated probabilities ``(n, classes)`` from the decision values ``D`` ``(n, k)``."""
        import numpy as np
        from scipy.special import expit

        n = D.shape[0]
        if self.method == "sigmoid":
            proba = np.zeros((n, self.n_classes))
            for col, k, a, b in self.sigmoids:
                proba[:, col] = expit(-(a * D[:, k] + b))
            if self.n_classes == 2:
                proba[:, 0] = 1.0 - proba[:, 1]
            else:
                denominator = np.sum(proba, axis=1)[:, np.newaxis]
                uniform = np.full_like(proba, 1 / self.n_classes)
                proba = np.divide(proba, denominator, out=uniform, where=denominator != 0)
        else:
            logits = D if D.shape[1] > 1 else np.concatenate([-D, D], axis=1)
            if D.shape[1] > 1 and np.all((D >= 0) & (D <= 1)) and np.all(np.isclose(D.sum(axis=1), 1.0)):
                logits = np.log(D + 1e-12)  # scikit-learn reads such rows as probabilities
            X = self.beta * logits
            X -= X.max(axis=1).reshape(-1, 1)
            np.exp(X, out=X)
            X /= X.sum(axis=1).reshape(-1, 1)
            proba = X
        proba[(1.0 < proba) & (proba <= 1.0 + 1e-5)] = 1.0
        return proba


class CompiledHeads:
    """A scorer's heads as stacked weight matrices and numpy calibrators; same results as ``predict_proba``.

    Heads that are ``CalibratedClassifierCV`` over a linear model with sigmoid or temperature
    calibration are compiled: their weights sit side by side in one C-ordered matrix per input
    width and dtype (the models' own dtype, so the rounding is scikit-learn's), and a sparse
    batch costs one product per matrix, then each calibrator. Other heads (isotonic calibration,
    a non-linear model...) keep their own ``predict_proba``.

    Args:
        heads: ``{name: fitted classifier}`` as in ``model.joblib``.
    """

    def __init__(self, heads: Mapping[str, Any]) -> None:
        import numpy as np

        self.heads = dict(heads)
        self.compiled: dict[str, list[tuple[_Calibrated, int, slice]]] = {}
        groups: dict[tuple, tuple[int, list, list]] = {}  # (width, dtype) -> (index, coefs, intercepts)
        for name, clf in self.heads.items():
            try:
                parts = [_Calibrated(cc, np.asarray(clf.classes_)) for cc in clf.calibrated_classifiers_]
            except (AttributeError, TypeError, KeyError, IndexError) as exc:
                logger.debug("head %s stays with predict_proba: %s", name, exc)
                continue
            placed = []
            for part in parts:
                key = (part.coef.shape[1], part.coef.dtype, part.intercept.dtype)  # one head's dtypes never round another's
                index, coefs, intercepts = groups.setdefault(key, (len(groups), [], []))
                at = sum(c.shape[0] for c in coefs)
                coefs.append(part.coef)
                intercepts.append(part.intercept)
                placed.append((part, index, slice(at, at + part.coef.shape[0])))
            self.compiled[name] = placed
        self.stacks = [(np.ascontiguousarray(np.vstack(coefs).T), np.concatenate(intercepts))
                       for _, coefs, intercepts in sorted(groups.values(), key=lambda g: g[0])]

    def predict_proba(self, X: Any, rows: Sequence[int] | None = None) -> dict[str, Any]:
        """``{head: probabilities (n, classes)}`` for the rows of ``X`` (sparse or dense), or of ``X[rows]``."""
        import numpy as np

        sparse = hasattr(X, "tocsr")
        # Sparse rows: one product per stack, then the rows wanted (rows are independent, so the same
        # numbers). Dense rows: each head's own product, as scikit-learn makes it (BLAS rounding
        # depends on the shapes).
        decisions = [np.asarray(X @ W) + b for W, b in self.stacks] if sparse else []
        if rows is not None:
            decisions = [D[rows] for D in decisions]
            if not sparse or len(self.compiled) < len(self.heads):
                X = X[rows]
        n = len(rows) if rows is not None else X.shape[0]
        out: dict[str, Any] = {}
        for name, clf in self.heads.items():
            placed = self.compiled.get(name)
            if placed is None:
                out[name] = clf.predict_proba(X)
                continue
            mean = np.zeros((n, placed[0][0].n_classes))
            for part, index, where in placed:
                D = decisions[index][:, where] if sparse else np.asarray(X @ part.coef.T) + part.intercept
                mean += part.proba(D)
            mean /= len(placed)
            out[name] = mean
        return out


def score_many(scorers: Iterable[Any], turns: Sequence[Turn]) -> dict[str, list[TurnScore | None]]:
    """Run several scorers over one batch, computing shared features once.

    Args:
        scorers: loaded scorers.
        turns: the batch.

    Returns:
        ``{scorer.name: scores}``, each the same length as ``turns``.
    """
    return {s.name: s.score(turns) for s in scorers}
