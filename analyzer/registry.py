"""Catalogues of named parts: readers, scorers, rules, writers.

Built-ins are registered in one place (``_builtins.py``); third parties add theirs
through entry points in the groups ``analyzer.readers``, ``analyzer.scorers``,
``analyzer.rules`` and ``analyzer.writers``. Registering a name twice is an error,
never a silent replacement.
"""

from __future__ import annotations

import difflib
from importlib.metadata import entry_points
from typing import Any, Callable

from .errors import ConfigError, Errors


class Registry:
    """A name → callable catalogue.

    Example:
        >>> r = Registry("rule")
        >>> r.register("always", func=lambda conv, scores: iter(()))
        >>> sorted(r.names())
        ['always']
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, Callable[..., Any]] = {}
        self._entry_points_loaded = False

    def register(self, name: str, *, func: Callable[..., Any]) -> None:
        if name in self._items and self._items[name] is not func:
            raise ConfigError(Errors.E041.format(kind=self.kind, name=name))
        self._items[name] = func

    def get(self, name: str) -> Callable[..., Any]:
        self._load_builtins()
        if name not in self._items:
            self._load_entry_points()
        if name not in self._items:
            close = difflib.get_close_matches(name, list(self._items), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                Errors.E040.format(kind=self.kind, name=name, hint=hint, available=", ".join(sorted(self._items)))
            )
        return self._items[name]

    def names(self) -> list[str]:
        self._load_builtins()
        self._load_entry_points()
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self.names()

    def _load_builtins(self) -> None:
        from . import _builtins  # noqa: F401  (registers on import)

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=f"analyzer.{self.kind}s"):
            if ep.name not in self._items:
                self._items[ep.name] = ep.load()


readers = Registry("reader")
scorers = Registry("scorer")
rules = Registry("rule")
writers = Registry("writer")
