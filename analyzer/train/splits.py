"""Fixed, seeded train/dev/test splits by group.

A row's split depends only on ``(seed, group id)``: a hash decides it, so the assignment does not
change with the order or the size of the data, rows sharing a group (translations of one item,
one text in two corpora) always share a split, and every dimension trained with the same seed
puts the same English sentence in the same split.

Example:
    >>> a = assign_splits(["g1", "g2", "g1"], seed=0)
    >>> a[0] == a[2]
    True
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any, Sequence

SPLITS = ("train", "dev", "test")
DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)


def unit_hash(group: str, seed: int = 0, salt: str = "split") -> float:
    """A uniform number in [0, 1) from ``(salt, seed, group)``."""
    digest = hashlib.sha256(f"{salt}|{seed}|{group}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_splits(groups: Sequence[str], seed: int = 0,
                  fractions: tuple[float, float, float] = DEFAULT_FRACTIONS) -> list[str]:
    """``"train"``, ``"dev"`` or ``"test"`` for every row, by its group.

    Args:
        groups: group id per row.
        seed: changes the assignment.
        fractions: expected shares of train, dev and test (they must sum to 1).

    Returns:
        One split name per row.
    """
    if abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"fractions must sum to 1, got {fractions}")
    cut1, cut2 = fractions[0], fractions[0] + fractions[1]
    cache: dict[str, str] = {}
    out = []
    for g in groups:
        s = cache.get(g)
        if s is None:
            u = unit_hash(str(g), seed)
            s = cache[g] = "train" if u < cut1 else ("dev" if u < cut2 else "test")
        out.append(s)
    return out


def fold_ids(groups: Sequence[str], n_folds: int = 5, seed: int = 0) -> list[int]:
    """Cross-validation fold (0..n_folds-1) per row, by group (used for calibration folds)."""
    return [int(unit_hash(str(g), seed, salt="fold") * n_folds) for g in groups]


def group_cv(groups: Sequence[str], n_folds: int = 5, seed: int = 0) -> list[tuple[list[int], list[int]]]:
    """``(train_index, test_index)`` pairs for ``cv=`` arguments, keeping each group in one fold."""
    folds = fold_ids(groups, n_folds, seed)
    pairs = []
    for k in range(n_folds):
        test = [i for i, f in enumerate(folds) if f == k]
        train = [i for i, f in enumerate(folds) if f != k]
        if test and train:
            pairs.append((train, test))
    return pairs


def split_sizes(splits: Sequence[str], *columns: Sequence[Any]) -> dict[str, Any]:
    """Row counts per split, and per split per value of each further column (e.g. domain, language).

    Returns:
        ``{"train": n, "dev": n, "test": n, "by": [{"train": {value: n}, ...}, ...]}``
    """
    out: dict[str, Any] = {s: int(c) for s, c in Counter(splits).items()}
    by = []
    for col in columns:
        table: dict[str, dict[str, int]] = {}
        for s, v in zip(splits, col):
            table.setdefault(s, {}).setdefault(str(v), 0)
            table[s][str(v)] += 1
        by.append(table)
    if by:
        out["by"] = by
    return out
