"""Benchmark the fast tier: turns per second per dimension and for all together, on one core.

Reads real turns from ``../shared/data/conversations/`` (airline Twitter threads and multilingual
support chats), scores them in batches, and prints turns/s. Threads are pinned to one
(OMP/MKL/OpenBLAS = 1) before numpy loads, so the figure is single-threaded.

Usage::

    python bench/score.py [--data ../shared/data] [--turns 20000] [--batch 1024] [--json out.json]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

logger = logging.getLogger("bench")
DIMENSIONS = ("politeness", "empathy", "sentiment", "complaint")


def read_turns(data_dir: Path, limit: int) -> list:
    """Real turns (agent and customer) from the conversation files, round-robin across files."""
    from analyzer.types import Turn

    files = sorted((data_dir / "conversations").glob("*.jsonl"))
    per_file: list[list] = []
    for f in files:
        turns = []
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                conv = json.loads(line)
                for i, t in enumerate(conv.get("turns", [])):
                    role = t.get("role") if t.get("role") in ("agent", "customer") else "customer"
                    lang = t.get("language") or t.get("text_language") or conv.get("language")
                    turns.append(Turn(i, role, str(t.get("text", ""))[:5000], language=lang))
                if len(turns) >= limit:
                    break
        per_file.append(turns)
    out = []
    while len(out) < limit and any(per_file):
        for turns in per_file:
            if turns:
                out.append(turns.pop(0))
    return out[:limit]


def bench(scorers: list, turns: list, batch: int) -> float:
    """Seconds to score ``turns`` in batches with every scorer in ``scorers`` (features shared)."""
    from analyzer import lexicon
    from analyzer.scorers import base
    from analyzer.scorers.base import score_many

    base._CACHE.clear()  # start cold: no features or markers left over from an earlier run
    base._MARKERS.clear()
    lexicon._FOUND.clear()
    t0 = time.perf_counter()
    for i in range(0, len(turns), batch):
        score_many(scorers, turns[i:i + batch])
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--turns", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--update-cards", action="store_true",
                    help="write the measured speed into models/*/meta.json and re-render MODEL_CARD.md")
    args = ap.parse_args(argv)
    import importlib

    turns = read_turns(args.data, args.turns)
    n_agent = sum(t.role == "agent" for t in turns)
    scorers = {d: importlib.import_module(f"analyzer.scorers.{d}").load() for d in DIMENSIONS}
    bench(list(scorers.values()), turns[:256], args.batch)  # warm-up (tables, lexicon compilation)
    result = {"turns": len(turns), "agent_turns": n_agent, "batch": args.batch, "per_dimension": {}}
    for d, s in scorers.items():
        dt = bench([s], turns, args.batch)
        scored = sum(t.role in s.roles for t in turns)
        result["per_dimension"][d] = {"turns_per_s": round(len(turns) / dt), "scored_turns_per_s": round(scored / dt)}
    dt = bench(list(scorers.values()), turns, args.batch)
    agent_turns = [t for t in turns if t.role == "agent"]
    dt_agent = bench(list(scorers.values()), agent_turns, args.batch)
    result["all"] = {"turns_per_s": round(len(turns) / dt), "agent_turns_per_s": round(len(agent_turns) / dt_agent),
                     "seconds": round(dt, 2)}
    for d, r in result["per_dimension"].items():
        print(f"{d:<12} {r['turns_per_s']:>8} turns/s  ({r['scored_turns_per_s']} scored turns/s)")
    print(f"{'all':<12} {result['all']['turns_per_s']:>8} turns/s  ({result['all']['agent_turns_per_s']} agent turns/s on agent-only batches)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if args.update_cards:
        import platform

        from analyzer.train.card import update_meta

        machine = f"{os.cpu_count()}-core {platform.machine()} ({platform.processor() or 'cpu'}), one thread, batch {args.batch}"
        for d in DIMENSIONS:
            update_meta(ROOT / "models" / d, speed={
                "machine": machine, "turns scored": len(turns),
                "this dimension alone (turns/s)": result["per_dimension"][d]["turns_per_s"],
                "all four fast-tier dimensions together (turns/s)": result["all"]["turns_per_s"],
                "all four together, agent-only batches (agent turns/s)": result["all"]["agent_turns_per_s"],
                "note": "measured by bench/score.py on real turns from shared/data/conversations while other jobs "
                        "shared the 2 cores, so figures are lower bounds"})
    return result


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()
