"""Scorecards: QA figures per agent or per team over many conversation results."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping

UNKNOWN = "(unknown)"


def scorecard(rows: Iterable[Mapping[str, Any]], by: str = "agent", worst: int = 3) -> list[dict[str, Any]]:
    """Mean QA score, pass rate, flag rate per standard and worst conversations per group.

    Args:
        rows: one per conversation, with ``conversation_id``, ``agent``, ``team``,
            ``qa_score``, ``passed`` and ``flags`` (standard ids; repeats count once).
        by: the grouping field (``agent`` or ``team``, or any other row field).
        worst: how many of the lowest-scoring conversation ids to list.

    Returns:
        One dict per group, sorted by group name: ``{by, conversations, mean_qa_score,
        pass_rate, flag_rate: {standard: share of conversations flagged}, worst: [ids]}``.

    Example:
        >>> rows = [{"conversation_id": "a", "agent": "Ola", "qa_score": 80, "passed": True, "flags": ["greeting"]},
        ...         {"conversation_id": "b", "agent": "Ola", "qa_score": 40, "passed": False, "flags": ["security"]}]
        >>> card = scorecard(rows)[0]
        >>> card["mean_qa_score"], card["pass_rate"], card["flag_rate"]["security"], card["worst"]
        (60.0, 0.5, 0.5, ['b', 'a'])
    """
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        key = row.get(by)
        groups[UNKNOWN if key in (None, "") else str(key)].append(row)
    out = []
    for name in sorted(groups):
        members = groups[name]
        scored = [(float(r["qa_score"]), str(r.get("conversation_id"))) for r in members if r.get("qa_score") is not None]
        judged = [bool(r["passed"]) for r in members if r.get("passed") is not None]
        counts: dict[str, int] = defaultdict(int)
        for row in members:
            for standard in set(row.get("flags") or ()):
                counts[standard] += 1
        out.append({
            by: name,
            "conversations": len(members),
            "mean_qa_score": round(sum(s for s, _ in scored) / len(scored), 2) if scored else None,
            "pass_rate": round(sum(judged) / len(judged), 4) if judged else None,
            "flag_rate": {s: round(counts[s] / len(members), 4) for s in sorted(counts)},
            "worst": [cid for _, cid in sorted(scored)[:worst]],
        })
    return out
