"""Ownership of agent turns: does the agent take the problem on (owns), stay neutral, or deflect it?

``value`` = 1 - P(deflects), a calibrated probability of the good pole (a deflection is the costly
error). ``label`` is ``owns``, ``neutral`` or ``deflects``: ``deflects`` whenever P(deflects)
reaches the threshold stored in ``meta.json`` (``thresholds.deflects``, chosen on cross-validated
English predictions for deflection recall 0.85), otherwise the likelier of ``owns`` and ``neutral``.
``detail`` holds the three class probabilities and one calibrated probability per tag
(``tag:apology``, ``tag:commits_action``, ``tag:redirects``, ``tag:blames``, ``tag:vague_postpone``,
``tag:asks_info``).

Features: the shared hashed word + character n-grams of :mod:`analyzer.train.fit` (computed once
per batch for every scorer), optionally plus counts of ownership markers from
:func:`analyzer.lexicon.match` (:class:`LexiconCounts`; the shipped model leaves them out when
cross-validation shows they do not help, see its card); the accurate tier's featurizer adds a
sentence embedding (:mod:`analyzer.encoders`). Evidence spans are those markers (commitment,
redirect, blame, vague postponement, concrete time, apology); when the lexicon finds nothing for
the predicted class, the clause the model rates most ``owns``/``deflects`` is given instead,
labelled with the class.

Example:
    >>> from analyzer.scorers.ownership import evidence_categories
    >>> evidence_categories("deflects")
    ('redirect', 'blame', 'vague_postpone')
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..types import Span, Turn, TurnScore
from .base import SUPPORTED_LANGUAGES, ModelScorer, shared_features

CLASSES = ("owns", "neutral", "deflects")
TAGS = ("apology", "commits_action", "redirects", "blames", "vague_postpone", "asks_info")
LEX_CATEGORIES = ("commitment", "redirect", "blame", "vague_postpone", "concrete_time", "apology",
                  "direct_question", "next_steps", "contact_back")
"""Lexicon categories counted as features (and the source of evidence spans)."""

_EVIDENCE = {"owns": ("commitment", "concrete_time"), "deflects": ("redirect", "blame", "vague_postpone")}
_CLAUSE = re.compile(r"[^.!?;\n]+[.!?;]*")


_SCRIPT = re.compile(r"(?P<el>[\u0370-\u03ff\u1f00-\u1fff])|(?P<hy>[\u0530-\u058f])"
                     r"|(?P<pl>[ąćęłńśźżĄĆĘŁŃŚŹŻ])")


def language_of(turn: Turn) -> str:
    """The turn's language if supported, else guessed from its script (as ``base.guess_language``, via one regex).

    Example:
        >>> language_of(Turn(0, "agent", "Dziękujemy, sprawdzimy to."))
        'pl'
    """
    if turn.language in SUPPORTED_LANGUAGES:
        return turn.language
    if turn.text.isascii():
        return "en"
    m = _SCRIPT.search(turn.text)
    return m.lastgroup if m else "en"


def evidence_categories(label: str) -> tuple[str, ...]:
    """Lexicon categories whose markers are evidence for ``label`` (empty for ``neutral``)."""
    return _EVIDENCE.get(label, ())


def clauses(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each clause (split at . ! ? ; and newlines), surrounding spaces trimmed.

    Example:
        >>> t = "Sorry! Please call our team. Thanks"
        >>> [t[s:e] for s, e in clauses(t)]
        ['Sorry!', 'Please call our team.', 'Thanks']
    """
    out = []
    for m in _CLAUSE.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e - s >= 3:
            out.append((s, e))
    return out


class LexiconCounts:
    """Lexicon marker counts per category, log-scaled, as a dense feature block.

    Args:
        categories: the lexicon categories to count (default :data:`LEX_CATEGORIES`).
        weight: scale of the block relative to the L2-normalised n-gram blocks.

    Example:
        >>> lc = LexiconCounts()
        >>> M, marks = lc.transform(["Please contact the airport."], ["en"])
        >>> M.shape == (1, len(LEX_CATEGORIES)), marks[0][0].category
        (True, 'redirect')
    """

    def __init__(self, categories: Sequence[str] = LEX_CATEGORIES, weight: float = 1.0) -> None:
        self.categories = tuple(categories)
        self.weight = float(weight)

    def transform(self, texts: Sequence[str], languages: Sequence[str]) -> tuple[np.ndarray, list[list[Any]]]:
        """``(features (n, categories) float32, markers per text)``; markers empty if the lexicon is absent."""
        try:
            from ..lexicon import match
        except ImportError:  # pragma: no cover - the lexicon ships with the package
            match = None
        index = {c: j for j, c in enumerate(self.categories)}
        out = np.zeros((len(texts), len(self.categories)), dtype=np.float32)
        marks: list[list[Any]] = []
        for i, (text, lang) in enumerate(zip(texts, languages)):
            found = list(match(text, lang, self.categories)) if match is not None else []
            for m in found:
                out[i, index[m.category]] += 1.0
            marks.append(found)
        np.log1p(out, out=out)
        out *= self.weight
        return out, marks


def featurize(model: Mapping[str, Any], texts: Sequence[str], languages: Sequence[str],
              hashed: Any = None) -> tuple[Any, list[Any]]:
    """The ownership feature matrix: hashed n-grams (``hashed`` if already computed) + lexicon counts.

    Args:
        model: the ``model.joblib`` dict (``featurizer``; ``lexicon``: a :class:`LexiconCounts` or ``None``
            when the model was trained without lexicon features).
        texts: the texts.
        languages: their languages (en, el, pl, hy).
        hashed: the featurizer's matrix for ``texts``, when the caller has it.

    Returns:
        ``(CSR float32 matrix, markers per text)``; the markers are ``None`` when no lexicon block is used.
    """
    import scipy.sparse as sp

    H = hashed if hashed is not None else model["featurizer"].transform(list(texts))
    if model.get("lexicon") is None:
        return H.tocsr(), [None] * len(texts)
    L, marks = model["lexicon"].transform(texts, languages)
    return sp.hstack([H, sp.csr_matrix(L)], format="csr", dtype=np.float32), marks


def _markers(text: str, language: str, categories: Sequence[str]) -> list[Any]:
    try:
        from ..lexicon import match
    except ImportError:  # pragma: no cover - the lexicon ships with the package
        return []
    return list(match(text, language, list(categories)))


def decide(proba: np.ndarray, classes: Sequence[str], threshold: float | None) -> list[str]:
    """Labels from class probabilities: ``deflects`` when P(deflects) >= ``threshold``, else argmax of the rest.

    Example:
        >>> decide(np.array([[0.5, 0.2, 0.3], [0.1, 0.8, 0.1]]), ["owns", "neutral", "deflects"], 0.25)
        ['deflects', 'neutral']
    """
    classes = [str(c) for c in classes]
    proba = np.asarray(proba, dtype=float)
    if threshold is None or "deflects" not in classes:
        return [classes[j] for j in proba.argmax(axis=1)]
    d = classes.index("deflects")
    rest = proba.copy()
    rest[:, d] = -1.0
    return ["deflects" if p[d] >= threshold else classes[int(r.argmax())] for p, r in zip(proba, rest)]


class OwnershipScorer(ModelScorer):
    """Scores agent turns for ownership (see the module docstring). Picklable, thread-safe."""

    name = "ownership"
    roles = frozenset({"agent"})

    def __init__(self, model: Mapping[str, Any], meta: Mapping[str, Any], path: str | Path | None = None) -> None:
        super().__init__(model, meta, path)
        self.threshold: float | None = (self.meta.get("thresholds") or {}).get("deflects")

    def score(self, turns: Sequence[Turn]) -> list[TurnScore | None]:
        """Score a batch; ``None`` for turns that are not agent turns. Same length and order as ``turns``."""
        turns = list(turns)
        keep = [i for i, t in enumerate(turns) if t.role in self.roles]
        out: list[TurnScore | None] = [None] * len(turns)
        if not keep:
            return out
        H = shared_features(self.featurizer, [t.text for t in turns])  # shared with the other scorers
        if len(keep) != len(turns):
            H = H[keep]
        batch = [turns[i] for i in keep]
        lex = self.model.get("lexicon") is not None  # languages are needed only where markers are looked up
        langs = [language_of(t) for t in batch] if lex else []
        X, marks = featurize(self.model, [t.text for t in batch], langs if lex else [None] * len(batch), hashed=H)
        for i, s in zip(keep, self.postprocess(batch, self._predict(X), marks, langs)):
            out[i] = self.mark_language(turns[i], s)
        return out

    def postprocess(self, turns: Sequence[Turn], proba: Mapping[str, Any], marks: Sequence[Sequence[Any]] = (),
                    languages: Sequence[str] = ()) -> list[TurnScore]:
        """Probabilities and markers -> one ``TurnScore`` per turn, with evidence spans."""
        classes = [str(c) for c in self.classes("ownership")]
        P = np.asarray(proba["ownership"], dtype=float)
        labels = decide(P, classes, self.threshold)
        tag_p = {t: np.asarray(proba[f"tag:{t}"])[:, list(self.heads[f"tag:{t}"].classes_).index(True)]
                 for t in TAGS if f"tag:{t}" in proba}
        spans = self.evidence(turns, labels, marks, languages)
        d = classes.index("deflects")
        out = []
        for k, (turn, label) in enumerate(zip(turns, labels)):
            detail = {c: float(P[k, j]) for j, c in enumerate(classes)}
            detail.update({f"tag:{t}": float(p[k]) for t, p in tag_p.items()})
            value = min(1.0, max(0.0, 1.0 - float(P[k, d])))
            out.append(TurnScore(turn.index, self.name, value, label, tuple(spans[k]), detail))
        return out

    def evidence(self, turns: Sequence[Turn], labels: Sequence[str], marks: Sequence[Sequence[Any]],
                 languages: Sequence[str]) -> list[list[Span]]:
        """Evidence spans per turn: the predicted class's lexicon markers, else its best clause, plus apologies."""
        spans: list[list[Span]] = [[] for _ in turns]
        fallback: list[tuple[int, int, int]] = []  # (turn position, start, end) of candidate clauses
        for k, (turn, label) in enumerate(zip(turns, labels)):
            wanted = evidence_categories(label)
            found = marks[k] if k < len(marks) else None
            if found is None:  # no lexicon features: look for markers only where evidence is wanted
                lang = languages[k] if k < len(languages) else language_of(turn)
                found = _markers(turn.text, lang, wanted + ("apology",)) if wanted else []
            hits = [m for m in found if m.category in wanted]
            if label == "owns" and not any(m.category == "commitment" for m in hits):
                hits = []  # a bare time is evidence only beside a commitment
            spans[k] = [Span(turn.index, m.start, m.end, m.category) for m in hits]
            if wanted and not hits:
                fallback += [(k, s, e) for s, e in clauses(turn.text)]
            spans[k] += [Span(turn.index, m.start, m.end, "apology") for m in found if m.category == "apology"]
        if fallback:
            texts = [turns[k].text[s:e] for k, s, e in fallback]
            langs = {k: languages[k] if k < len(languages) else language_of(turns[k]) for k, _, _ in fallback}
            X, _ = featurize(self.model, texts, [langs[k] for k, _, _ in fallback])
            head = self.heads["ownership"]
            P = head.predict_proba(X)
            classes = list(head.classes_)
            best: dict[int, tuple[float, int, int]] = {}
            for (k, s, e), p in zip(fallback, P):
                score = float(p[classes.index(labels[k])])
                if k not in best or score > best[k][0]:
                    best[k] = (score, s, e)
            for k, (_, s, e) in best.items():
                spans[k].insert(0, Span(turns[k].index, s, e, labels[k]))
        return spans


def load(model_dir: str | Path | None = None, tier: str = "fast") -> OwnershipScorer:
    """Load the verified ownership model (default ``models/ownership/``).

    Args:
        model_dir: a model folder; default the repo's ``models/ownership/``.
        tier: ``"fast"`` or ``"accurate"`` (``models/ownership/accurate/``, where shipped).

    Returns:
        An :class:`OwnershipScorer`.

    Raises:
        ModelError: E032 if the folder or a file is missing, E031 if the checksum fails.
    """
    return OwnershipScorer.from_dir(model_dir, tier)
