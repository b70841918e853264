"""Which model scores a turn: the turn's language decides.

A dimension ships a fast model trained on English, Greek, Polish and Armenian and, under
``accurate/``, a model on a multilingual sentence encoder. With the default fast tier, turns in
those four languages go to the fast model; a turn in any other language (German, Korean...) goes to
the multilingual model, loaded on first need, and its score says so (``zero_shot`` and
``multilingual`` in its detail): never an English model's guess passed off as a score. With
``tier="accurate"`` every turn goes to the multilingual model.

Example:
    >>> from analyzer.scorers import politeness
    >>> type(politeness.load()).__name__
    'LanguageRouter'
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import warnings
from pathlib import Path
from typing import Any, Sequence

from ..errors import Warnings
from ..types import Turn, TurnScore

logger = logging.getLogger(__name__)


class LanguageRouter:
    """A scorer that sends each turn to the fast model of its language or to the multilingual one.

    Picklable (the multilingual model is re-loaded from its folder after unpickling).

    Args:
        fast: the fast-tier scorer (its ``languages`` are the ones it was trained on).
        multilingual_dir: the folder of the multilingual model, loaded with ``fast``'s class on the
            first turn that needs it.
    """

    def __init__(self, fast: Any, multilingual_dir: str | Path) -> None:
        self.fast = fast
        self.multilingual_dir = Path(multilingual_dir)
        self._multilingual: Any = None
        self._lock = threading.Lock()
        self.name, self.roles, self.languages = fast.name, fast.roles, fast.languages

    def __getattr__(self, attr: str) -> Any:  # meta, path, heads, classes...: the fast model's
        if attr.startswith("__") or attr in ("fast", "_lock", "_multilingual"):
            raise AttributeError(attr)
        return getattr(self.fast, attr)

    def __getstate__(self) -> dict:
        return {"fast": self.fast, "multilingual_dir": self.multilingual_dir}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["fast"], state["multilingual_dir"])

    def __repr__(self) -> str:
        return f"LanguageRouter({self.fast!r})"

    @property
    def multilingual(self) -> Any:
        """The multilingual scorer (loaded now if it was not yet)."""
        with self._lock:
            if self._multilingual is None:
                self._multilingual = type(self.fast).from_dir(self.multilingual_dir)
            return self._multilingual

    def routes_to_fast(self, turn: Turn) -> bool:
        """True when the fast model knows the turn's language (or no language was detected)."""
        return turn.language is None or turn.language in self.fast.languages

    def score(self, turns: Sequence[Turn]) -> list[TurnScore | None]:
        """Scores in ``turns`` order; each turn scored by the model of its language."""
        turns = list(turns)
        other = [i for i, t in enumerate(turns) if t.role in self.roles and not self.routes_to_fast(t)]
        if not other:
            return self.fast.score(turns)
        out: list[TurnScore | None] = [None] * len(turns)
        other_set = set(other)
        known = [i for i in range(len(turns)) if i not in other_set]
        if known:
            for i, s in zip(known, self.fast.score([turns[i] for i in known])):
                out[i] = s
        for i, s in zip(other, self.multilingual.score([turns[i] for i in other])):
            out[i] = None if s is None else dataclasses.replace(s, detail={**s.detail, "multilingual": 1.0})
        return out


def load_routed(cls: Any, model_dir: str | Path | None, tier: str) -> Any:
    """Load dimension ``cls`` for ``tier``: the fast model routed by language, or the accurate model.

    ``model_dir`` is the dimension's fast-model folder (default ``models/<name>/``); its multilingual
    model lives in ``accurate/`` inside it. Without one, the fast model scores every turn (tier
    ``accurate`` then warns with W013).
    """
    from .base import TIERS, model_path

    if tier not in TIERS:
        model_path(cls.name, None, tier)  # raises the E040 message
    folder = Path(model_dir) if model_dir is not None else model_path(cls.name)
    accurate = folder / "accurate"
    has_accurate = (accurate / "meta.json").is_file()
    if tier == "accurate":
        if has_accurate:
            return cls.from_dir(accurate)
        message = Warnings.W013.format(name=cls.name, path=folder)
        logger.warning(message)
        warnings.warn(message, UserWarning, stacklevel=3)
        return cls.from_dir(folder)
    fast = cls.from_dir(folder)
    return LanguageRouter(fast, accurate) if has_accurate else fast
