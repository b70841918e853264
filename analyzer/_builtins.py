"""The one place where every built-in part is registered.

Parts are registered lazily (``module:attribute``) so that importing :mod:`analyzer`
stays cheap and optional dependencies load only when used.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from .registry import readers, rules, scorers


def lazy(target: str) -> Callable[..., Any]:
    """A callable that imports ``module:attribute`` on first call."""
    module_name, attribute = target.split(":")
    cache: list[Callable[..., Any]] = []

    def call(*args: Any, **kwargs: Any) -> Any:
        if not cache:
            cache.append(getattr(importlib.import_module(module_name), attribute))
        return cache[0](*args, **kwargs)

    call.__name__ = attribute
    call.__qualname__ = target
    return call


_READERS = {
    "jsonl": "analyzer.ingest.chat_json:read_jsonl",
    "json": "analyzer.ingest.chat_json:read_json",
    "csv": "analyzer.ingest.table:read_csv",
    "parquet": "analyzer.ingest.table:read_parquet",
    "eml": "analyzer.ingest.email:read_eml",
    "mbox": "analyzer.ingest.email:read_mbox",
    "transcript": "analyzer.ingest.transcript:read_transcript",
}

for _name, _target in _READERS.items():
    if _name not in readers._items:
        readers.register(_name, func=lazy(_target))

_SCORERS = {name: f"analyzer.scorers.{name}:load" for name in ("politeness", "empathy", "sentiment", "complaint", "ownership")}

for _name, _target in _SCORERS.items():
    if _name not in scorers._items:
        scorers.register(_name, func=lazy(_target))


def _register_rules() -> None:
    """Mirror the standards' rule table (analyzer/standards/rules) into the registry."""
    from .standards.rules import RULES

    for name, func in RULES.items():
        if name not in rules._items:
            rules.register(name, func=func)


_register_rules()
