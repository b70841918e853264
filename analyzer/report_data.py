"""Read the files ``analyzer score`` writes back into frames, views and provenance for the report."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from .scorers.base import sha256_file

log = logging.getLogger(__name__)

DIMENSIONS = ("politeness", "empathy", "sentiment", "complaint", "ownership")


def _read_table(path: Path):
    """One results table (.parquet, .jsonl, .csv, or a folder of parts) as a DataFrame, or ``None``."""
    import pandas as pd

    if path.is_dir():
        parts = sorted(p for p in path.iterdir() if p.suffix in (".parquet", ".jsonl", ".csv") and p.stat().st_size)
        frames = [f for f in (_read_table(p) for p in parts) if f is not None]
        return pd.concat(frames, ignore_index=True) if frames else None
    if not path.exists() or path.stat().st_size == 0:
        return None
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype={"conversation_id": str, "agent": str, "team": str, "flags": str})
    raise ValueError(f"cannot read results from {path}: give a .parquet, .jsonl or .csv file "
                     "(or a --partitioned folder)")


def load_results(results: str | Path) -> dict[str, Any]:
    """The four result tables of one run: ``conversations``, ``flags``, ``turns``, ``errors`` (frames or ``None``).

    Args:
        results: the ``--out`` of ``analyzer score``: ``OUT.parquet|jsonl|csv`` or a ``--partitioned`` folder.
    """
    results = Path(results)
    if results.is_dir():
        tables = {k: _read_table(results / k) for k in ("conversations", "flags", "turns", "errors")}
    else:
        def sibling(kind: str) -> Path:
            return results.with_name(f"{results.stem}.{kind}{results.suffix}")

        tables = {"conversations": _read_table(results), "flags": _read_table(sibling("flags")),
                  "turns": _read_table(sibling("turns")), "errors": _read_table(results.parent / "errors.jsonl")}
    if tables["conversations"] is None:
        raise ValueError(f"no conversation rows in {results}: run `analyzer score ... --out {results}` first")
    conv = tables["conversations"]
    conv["conversation_id"] = conv["conversation_id"].astype(str)
    for key in ("flags", "turns"):
        if tables[key] is not None:
            tables[key]["conversation_id"] = tables[key]["conversation_id"].astype(str)
    return tables


def _json_list(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, str) or not value:
        return []
    try:
        data = json.loads(value)
    except ValueError:
        return []
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and value != value)


def view_from_rows(row: dict[str, Any], turns, flags) -> dict[str, Any]:
    """A conversation view for :func:`analyzer.display.render_view` from its result rows.

    Args:
        row: the conversation row; turns, flags: frames holding that conversation's turn and flag rows.
    """
    views = []
    for t in turns.sort_values("turn").to_dict(orient="records") if turns is not None else []:
        scores, spans = {}, []
        for dim in DIMENSIONS:
            if dim in t and _present(t[dim]):
                scores[dim] = {"value": float(t[dim]), "label": t.get(f"{dim}_label")}
                spans += [{**e, "dimension": dim} for e in _json_list(t.get(f"{dim}_evidence"))]
        views.append({"index": int(t["turn"]), "role": t.get("role"), "speaker": t.get("speaker") if _present(
            t.get("speaker")) else None, "language": t.get("language") if _present(t.get("language")) else None,
            "timestamp": t.get("timestamp") if _present(t.get("timestamp")) else None,
            "text": t.get("text") if _present(t.get("text")) else "", "scores": scores, "spans": spans})
    by_index = {v["index"]: v for v in views}
    flag_views = []
    for f in flags.to_dict(orient="records") if flags is not None else []:
        turn_ids = [int(x) for x in str(f.get("turns") or "").split(";") if x.strip().lstrip("-").isdigit()]
        flag_views.append({"standard": f.get("standard"), "severity": f.get("severity"), "turns": turn_ids,
                           "message": f.get("message"), "observed": f.get("observed"), "threshold": f.get("threshold")})
        for e in _json_list(f.get("evidence")):
            target = by_index.get(e.get("turn"))
            if target is not None:
                target["spans"].append({**e, "dimension": "flag", "label": f.get("standard"),
                                        "severity": f.get("severity")})
    return {"id": row.get("conversation_id"), "channel": row.get("channel"), "language": row.get("language"),
            "qa_score": row.get("qa_score") if _present(row.get("qa_score")) else None,
            "passed": bool(row["passed"]) if _present(row.get("passed")) else None,
            "agent": row.get("agent") if _present(row.get("agent")) else None,
            "team": row.get("team") if _present(row.get("team")) else None, "turns": views, "flags": flag_views}


def provenance(models_dir: Path | None = None, standards: Path | None = None) -> dict[str, Any]:
    """What produced the results: models (name, version, tier, sha256), analyzer version, standards hash."""
    from . import __version__
    from .pipeline import MODELS_DIR

    models = []
    for meta_path in sorted(Path(models_dir or MODELS_DIR).glob("*/meta.json")):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("cannot read %s: %s", meta_path, exc)
            continue
        models.append({k: meta.get(k) for k in ("name", "version", "tier", "sha256", "analyzer_version",
                                                 "sklearn_version", "quick")})
    standards = Path(standards) if standards else Path(__file__).resolve().parent / "standards" / "default.yaml"
    return {"analyzer_version": __version__, "models": models, "standards_file": str(standards),
            "standards_sha256": sha256_file(standards) if standards.exists() else None}
