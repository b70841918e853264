"""The one shape every training set takes: texts + labels + languages + domains + group ids.

Group ids tie together rows that must stay in one split (translations of one item, the same text
in two corpora). :func:`group_key` makes one from a text, so the same English sentence gets the
same group wherever it appears.

Example:
    >>> s = TextSet(["Thanks!", "No."], ["polite", "impolite"], ["en", "en"], ["demo", "demo"], ["a", "b"])
    >>> len(s), s.subset([1]).texts
    (2, ['No.'])
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

_SPACE = re.compile(r"\s+")


def group_key(text: str) -> str:
    """A stable group id for a text: sha1 of its case-folded, space-collapsed NFKC form (16 hex)."""
    norm = _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:16]


@dataclass
class TextSet:
    """Parallel lists describing labelled texts.

    Args:
        texts: the texts.
        labels: one label per text (str or int).
        languages: ISO 639-1 code per text.
        domains: where the text comes from (``"wikipedia"``, ``"airline"``...), for per-domain metrics.
        groups: group id per text; rows sharing one always land in the same split.
        extras: further per-row columns (e.g. ``{"score": [...]}``), same length.
    """

    texts: list[str]
    labels: list[Any]
    languages: list[str]
    domains: list[str]
    groups: list[str]
    extras: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.texts)
        cols = {"labels": self.labels, "languages": self.languages, "domains": self.domains, "groups": self.groups}
        cols.update(self.extras)
        for name, col in cols.items():
            if len(col) != n:
                raise ValueError(f"TextSet column {name!r} has {len(col)} rows, texts has {n}")

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: Iterable[int] | Sequence[bool]) -> "TextSet":
        """Rows by position (ints) or by a boolean mask of full length."""
        index = list(index)
        if index and all(isinstance(i, bool) for i in index):
            index = [i for i, keep in enumerate(index) if keep]
        index = [int(i) for i in index]

        def take(col: list[Any]) -> list[Any]:
            return [col[i] for i in index]

        return TextSet(
            take(self.texts), take(self.labels), take(self.languages), take(self.domains), take(self.groups),
            {k: take(v) for k, v in self.extras.items()},
        )

    def where(self, **conditions: Any) -> "TextSet":
        """Rows whose columns equal the given values, e.g. ``where(domains="wikipedia", languages="en")``."""
        mask = [True] * len(self)
        for col, value in conditions.items():
            values = getattr(self, col) if hasattr(self, col) else self.extras[col]
            mask = [m and v == value for m, v in zip(mask, values)]
        return self.subset([i for i, m in enumerate(mask) if m])

    @staticmethod
    def concat(sets: Iterable["TextSet"]) -> "TextSet":
        """Rows of several sets, in order; extras missing from a set are filled with ``None``."""
        sets = list(sets)
        keys = sorted({k for s in sets for k in s.extras})
        out = TextSet([], [], [], [], [], {k: [] for k in keys})
        for s in sets:
            out.texts += s.texts
            out.labels += s.labels
            out.languages += s.languages
            out.domains += s.domains
            out.groups += s.groups
            for k in keys:
                out.extras[k] += s.extras.get(k, [None] * len(s))
        return out

    def to_hf(self) -> Any:
        """As a Hugging Face ``datasets.Dataset`` (columns text, label, language, domain, group, extras)."""
        from datasets import Dataset

        rows = {"text": self.texts, "label": [str(x) for x in self.labels], "language": self.languages,
                "domain": self.domains, "group": self.groups}
        rows.update(self.extras)
        return Dataset.from_dict(rows)

    @staticmethod
    def from_hf(ds: Any, label_column: str = "label") -> "TextSet":
        """From a ``datasets.Dataset`` with columns text, language, domain, group and ``label_column``."""
        core = {"text", label_column, "language", "domain", "group"}
        table = ds.data  # the Arrow table: column-wise to_pylist is far faster than row iteration

        def col(name: str) -> list[Any]:
            return table.column(name).to_pylist()

        extras = {c: col(c) for c in ds.column_names if c not in core}
        return TextSet(col("text"), col(label_column), col("language"), col("domain"), col("group"), extras)
