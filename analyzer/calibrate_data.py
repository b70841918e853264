"""Calibration I/O: review files, the USS dialogues as reviews, the tuned YAML and the Markdown report.

A review file (CSV or JSONL) has one row per reviewed conversation: its id (column
``conversation_id``, ``id`` or ``conversation``), the reviewer's 0–100 ``score`` and/or one
``<standard-id>_pass`` column per standard (``true``/``false``, ``1``/``0``, ``pass``/``fail``).

The USS corpus (Sun et al., SIGIR 2021; ``shared/data/uss-user-satisfaction``) has task
dialogues whose users rated their own satisfaction 1–5 after every system turn and once
OVERALL. :func:`load_uss` turns them into conversations (USER → customer, SYSTEM → agent)
and reviews (the mean OVERALL rating mapped to 0–100), real human judgements to calibrate on.
"""

from __future__ import annotations

import copy
import csv
import json
import math
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from .errors import Errors, InputError
from .types import Analysis, Conversation, Turn

ID_COLUMNS = ("conversation_id", "id", "conversation")
SCORE_COLUMNS = ("score", "qa_score", "review_score")
PASS_SUFFIX = "_pass"
_TRUE = {"1", "true", "t", "yes", "y", "pass", "passed", "ok"}
_FALSE = {"0", "false", "f", "no", "n", "fail", "failed"}


def _flag(value: Any) -> bool | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in ("", "na", "n/a", "none", "null", "nan"):
        return None
    raise ValueError(f"not a pass/fail value: {value!r}")


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def normalize_reviews(rows: Iterable[Mapping[str, Any]], source: str = "<reviews>") -> list[dict[str, Any]]:
    """Reviews as ``{"conversation_id", "score" (0–100 or None), "passes": {standard: bool}}``.

    Args:
        rows: mappings with an id column, a score column and/or ``<standard>_pass`` columns.
        source: name used in error messages.

    Raises:
        InputError: a row without an id, a score outside 0–100 or a pass value that is not one.

    Example:
        >>> normalize_reviews([{"id": "c1", "score": "80", "greeting_pass": "yes"}])
        [{'conversation_id': 'c1', 'score': 80.0, 'passes': {'greeting': True}}]
    """
    out = []
    for number, row in enumerate(rows, start=1):
        cid = next((row[c] for c in ID_COLUMNS if row.get(c) not in (None, "")), None)
        if cid is None:
            raise InputError(Errors.E022.format(field="conversation_id"), source, number)
        try:
            score = next((_number(row[c]) for c in SCORE_COLUMNS if c in row), None)
            passes = {key[: -len(PASS_SUFFIX)]: _flag(value) for key, value in row.items()
                      if isinstance(key, str) and key.endswith(PASS_SUFFIX)}
        except (TypeError, ValueError) as exc:
            raise InputError(Errors.E027.format(reason=f"bad review value: {exc}"), source, number) from None
        if score is not None and not 0.0 <= score <= 100.0:
            raise InputError(Errors.E027.format(reason=f"review score {score} is outside 0-100"), source, number)
        out.append({"conversation_id": str(cid), "score": score,
                    "passes": {k: v for k, v in passes.items() if v is not None}})
    return out


def read_reviews(path: str | Path) -> list[dict[str, Any]]:
    """Read a review file (``.csv`` or ``.jsonl``/``.json``) into :func:`normalize_reviews` form.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.csv"
        >>> _ = p.write_text("conversation_id,score\\nc1,75\\n")
        >>> read_reviews(p)[0]["score"]
        75.0
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(Errors.E024.format(path=path))
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        stripped = text.strip()
        if stripped.startswith("["):
            rows = json.loads(stripped)
        else:
            try:
                rows = [json.loads(line) for line in stripped.splitlines() if line.strip()]
            except json.JSONDecodeError as exc:
                raise InputError(Errors.E013.format(reason=exc), str(path)) from None
    else:
        rows = list(csv.DictReader(text.splitlines()))
    return normalize_reviews(rows, str(path))


# -- USS ----------------------------------------------------------------------------------

def _ratings(field: str) -> list[float]:
    return [float(x) for x in field.split(",") if x.strip()]


def _to_100(rating: float) -> float:
    return round(100.0 * (rating - 1.0) / 4.0, 2)


def load_uss(path: str | Path, limit: int | None = None, offset: int = 0) -> tuple[list[Conversation], list[dict[str, Any]]]:
    """USS dialogues as conversations plus their users' own ratings as reviews.

    Args:
        path: one USS file, e.g. ``shared/data/uss-user-satisfaction/MWOZ.txt`` (English: MWOZ, SGD,
            ReDial, CCPE).
        limit: at most this many dialogues (those with an OVERALL rating), after ``offset``.
        offset: dialogues to skip first.

    Returns:
        ``(conversations, reviews)``: ids ``<file stem>-<n>``; each review's ``score`` is the mean
        OVERALL rating mapped 1→0, 5→100, and ``passes["customer-outcome"]`` says whether the
        user's last rating is at least their first (the customer did not end worse off).

    Example:
        >>> from analyzer.calibrate_data import load_uss
        >>> convs, reviews = load_uss("../shared/data/uss-user-satisfaction/MWOZ.txt", limit=2)  # doctest: +SKIP
        >>> convs[0].turns[0].role, 0 <= reviews[0]["score"] <= 100                             # doctest: +SKIP
        ('customer', True)
    """
    path = Path(path)
    stem = path.stem.lower()
    conversations: list[Conversation] = []
    reviews: list[dict[str, Any]] = []
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    seen = 0
    for number, block in enumerate(blocks):
        lines = [line.split("\t") for line in block.splitlines() if line.strip()]
        overall = next((_ratings(p[3]) for p in lines if len(p) > 3 and p[0] == "USER" and p[1] == "OVERALL"), None)
        if not overall:
            continue
        seen += 1
        if seen <= offset:
            continue
        turns, turn_ratings = [], []
        for parts in lines:
            if parts[0] not in ("USER", "SYSTEM") or parts[1] == "OVERALL" or not parts[1].strip():
                continue
            role = "customer" if parts[0] == "USER" else "agent"
            turns.append(Turn(len(turns), role, parts[1], language="en"))
            if role == "customer" and len(parts) > 3 and parts[3].strip():
                ratings = _ratings(parts[3])
                turn_ratings.append(sum(ratings) / len(ratings))
        if not turns:
            continue
        cid = f"{stem}-{number:04d}"
        conversations.append(Conversation(cid, tuple(turns), "chat", "en", {"source": path.name}))
        passes = {"customer-outcome": turn_ratings[-1] >= turn_ratings[0]} if len(turn_ratings) >= 2 else {}
        reviews.append({"conversation_id": cid, "score": _to_100(sum(overall) / len(overall)), "passes": passes})
        if limit is not None and len(conversations) >= limit:
            break
    return conversations, reviews


# -- conversations in: matched to reviews, scored once ---------------------------------------

def match_reviewed(conversations: Iterable[Any], wanted: set[str]) -> dict[str, Any]:
    """The reviewed conversations (or analyses) by id, first occurrence of each id."""
    found: dict[str, Any] = {}
    for item in conversations:
        cid = item.conversation.id if isinstance(item, Analysis) else item.id
        if cid in wanted and cid not in found:
            found[cid] = item
    return found


def score_once(matched: dict[str, Any], qa: Any) -> tuple[dict[str, tuple], list[str]]:
    """``{id: (conversation, scores)}``: analyses as given, conversations scored here, each once."""
    found = {cid: (a.conversation, a.scores) for cid, a in matched.items() if isinstance(a, Analysis)}
    dimensions = {s.dimension for _, scores in found.values() for s in scores}
    pending = [c for c in matched.values() if not isinstance(c, Analysis)]
    if pending:
        if qa is None:
            from .pipeline import load

            qa = load(standards=False)
        dimensions |= set(qa.dimensions)
        for analysis in qa.pipe(pending):
            found[analysis.conversation.id] = (analysis.conversation, analysis.scores)
    return {cid: found[cid] for cid in matched}, sorted(dimensions)


# -- standards in, tuned standards out --------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _raw_standard(s: Any) -> dict[str, Any]:
    item = {"id": s.id, "description": s.description, "rule": s.rule, "enabled": s.enabled,
            "severity": s.severity, "weight": s.weight, "params": _plain(dict(s.params))}
    channels = {ch: {k: _plain(v) for k, v in p.items() if s.params.get(k) != v} for ch, p in s.channels.items()}
    if any(channels.values()):
        item["channels"] = {ch: p for ch, p in channels.items() if p}
    return item


def standards_source(standards: Any) -> tuple[Any, dict[str, Any], str, str]:
    """``(loaded set, raw YAML mapping, name, original text)`` from a path, a loaded set or ``None`` (default)."""
    from .standards.config import DEFAULT_PATH, StandardsSet, load_standards

    if isinstance(standards, StandardsSet):
        source = Path(standards.source)
        if source.is_file():
            text = source.read_text(encoding="utf-8")
            return standards, yaml.safe_load(text), str(source), text
        return standards, {"version": 1, "standards": [_raw_standard(s) for s in standards]}, standards.source, ""
    path = Path(standards) if standards is not None else DEFAULT_PATH
    loaded = load_standards(path)
    text = path.read_text(encoding="utf-8")
    return loaded, yaml.safe_load(text), str(path), text


def _num(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _agreement_line(report: Mapping[str, Any]) -> str:
    held = report["agreement"]["held_out"]
    parts = []
    if "spearman" in held:
        rho = held["spearman"]
        parts.append(f"Spearman {rho['before']} -> {rho['after']} (pooled {rho['pooled_before']} -> {rho['pooled_after']})")
    for sid, k in held.get("kappa", {}).items():
        if k["before"] is not None:
            parts.append(f"kappa[{sid}] {k['before']} -> {k['after']}")
    return "; ".join(parts) or "n/a"


def tuned_yaml(raw: Mapping[str, Any], report: Mapping[str, Any], original: str = "") -> str:
    """The standards file with the report's ``changes`` applied, headed by comments saying how it was calibrated.

    Example:
        >>> raw = {"version": 1, "standards": [{"id": "a", "rule": "score_below", "weight": 1,
        ...                                      "params": {"dimension": "empathy", "threshold": 0.3}}]}
        >>> report = {"created": "2026-01-01T00:00:00+00:00", "standards_source": "x.yaml", "dimensions": ["empathy"],
        ...           "reviews": {"used": 80}, "cv": {"folds": 5}, "agreement": {"held_out": {}},
        ...           "changes": [{"standard": "a", "param": "threshold", "before": 0.3, "after": 0.45}]}
        >>> "threshold: 0.45" in tuned_yaml(raw, report)
        True
    """
    raw = copy.deepcopy(dict(raw))
    items = [i for i in raw.get("standards", []) if isinstance(i, dict)]
    by_id = {i.get("id"): i for i in items}
    notes: dict[str, list[str]] = {}
    for change in report["changes"]:
        item = by_id[change["standard"]]
        if change["param"] == "weight":
            item["weight"] = _num(change["after"])
        else:
            item.setdefault("params", {})[change["param"]] = _num(change["after"])
        notes.setdefault(change["standard"], []).append(f"{change['param']} {change['before']:g} -> {change['after']:g}")
    used = report["reviews"]["used"]
    raw["description"] = f"{raw.get('description') or 'Standards'} (calibrated on {used} reviews, {report['created'][:10]})"
    header = [
        f"# Calibrated by `analyzer calibrate` on {report['created']}",
        f"# from {report['standards_source']} and {used} reviewed conversations;",
        f"# dimensions scored: {', '.join(report['dimensions']) or 'none (markers and timing only)'}.",
        f"# Held-out agreement ({report['cv']['folds']}-fold CV), before -> after: {_agreement_line(report)}.",
        "# Changed: " + ("; ".join(f"{sid}: {', '.join(n)}" for sid, n in notes.items()) or "nothing (no change beat the defaults)."),
    ]
    kept: list[str] = []
    for line in original.splitlines():
        if not line.startswith("#"):
            break
        kept.append(line)
    head = {k: v for k, v in raw.items() if k != "standards"}
    body = yaml.safe_dump(head, sort_keys=False, allow_unicode=True, width=120) + "standards:\n"
    for item in items:
        if item.get("id") in notes:
            body += f"  # calibrated: {', '.join(notes[item['id']])}\n"
        chunk = yaml.safe_dump([item], sort_keys=False, allow_unicode=True, width=120, default_flow_style=False)
        body += "".join(f"  {line}\n" for line in chunk.splitlines()) + "\n"
    lines = header + (["#", "# The original file's header follows.", *kept] if kept else [])
    return "\n".join(lines) + "\n" + body


def _na(value: Any) -> str:
    return "n/a (standard not evaluated)" if value is None else str(value)


def report_markdown(report: Mapping[str, Any]) -> str:
    """A short Markdown summary of a calibration report."""
    held = report["agreement"]["held_out"]
    out = [f"# Calibration report ({report['created']})", "",
           f"- Standards: `{report['standards_source']}`; dimensions scored: {', '.join(report['dimensions']) or 'none'}",
           f"- Reviews used: {report['reviews']['used']} of {report['reviews']['given']} "
           f"({report['reviews']['with_score']} with a score); {report['cv']['folds']}-fold CV, seed {report['cv']['seed']}",
           "", "## Agreement on held-out folds", "", "| measure | before | after |", "| --- | --- | --- |"]
    if "spearman" in held:
        rho = held["spearman"]
        out += [f"| Spearman (mean of folds) | {rho['before']} | {rho['after']} |",
                f"| Spearman (pooled held-out) | {rho['pooled_before']} | {rho['pooled_after']} |"]
    out += [f"| kappa `{sid}` | {_na(k['before'])} | {_na(k['after'])} |" for sid, k in held.get("kappa", {}).items()]
    out += ["", "## What changed", ""]
    out += [f"- `{c['standard']}` {c['param']}: {c['before']:g} → {c['after']:g}" for c in report["changes"]] or ["- nothing"]
    return "\n".join(out) + "\n"
