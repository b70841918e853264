"""One table of held-out quality per language, dimension and tier, from the shipped model cards.

Each row is a set of parallel items (the same texts in English and in Greek, Polish and
Armenian translations) from a model's test split, so the languages are compared on the very
same items. The README shows this table; a test checks that it matches the shipped models.

Example:
    >>> print(languages_table().splitlines()[0])
    | dimension | tier | items (test split) | en | el † | pl † | hy † | largest gap to en |
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

from .card import language_rows

MODELS = Path(__file__).resolve().parents[2] / "models"
DIMENSIONS = ("politeness", "empathy", "sentiment", "complaint", "ownership")
LANGS = ("en", "el", "pl", "hy")
_OWNERSHIP_ITEM = re.compile(r"test: translated items, (en|el|pl|hy), argmax$")


def _evaluations(meta: dict[str, Any]) -> list[dict[str, Any]]:
    metrics = meta.get("metrics", {})
    return list(metrics.get("evaluations", []) if isinstance(metrics, dict) else metrics)


def _parallel_sets(dimension: str, evals: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, dict]]]:
    """``(items, {language: evaluation})`` for each parallel item set of one model."""
    if dimension == "ownership":
        by_lang = {m.group(1): e for e in evals if (m := _OWNERSHIP_ITEM.match(e["name"]))}
        if by_lang:
            yield "translated in-house agent turns (owns/neutral/deflects)", by_lang
        return
    for row in language_rows(evals):
        yield row["items"], {lang: row[lang] for lang in LANGS if lang in row}


def languages_table(models_dir: Path | str | None = None) -> str:
    """Markdown: macro-F1 (n) per language on parallel test items, for every shipped model and tier.

    The gap is English minus the worst of el/pl/hy, in points (positive: below English).
    """
    root = Path(models_dir) if models_dir else MODELS
    lines = ["| dimension | tier | items (test split) | en | el † | pl † | hy † | largest gap to en |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for dimension in DIMENSIONS:
        for tier, folder in (("fast", root / dimension), ("accurate", root / dimension / "accurate")):
            if not (folder / "meta.json").is_file():
                continue
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            for items, by_lang in _parallel_sets(dimension, _evaluations(meta)):
                cells = [f"{by_lang[lg]['macro_f1']:.3f} ({by_lang[lg]['n']})" if lg in by_lang else "—" for lg in LANGS]
                others = [by_lang[lg]["macro_f1"] for lg in LANGS[1:] if lg in by_lang]
                gap = f"{100 * (by_lang['en']['macro_f1'] - min(others)):+.1f}" if "en" in by_lang and others else "—"
                lines.append(f"| {dimension} | {tier} | {items} | " + " | ".join(cells) + f" | {gap} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m analyzer.train.languages: the table for the README
    print(languages_table())
