"""Language identification and sentence splitting benchmark: milliseconds per turn on real text.

Takes about 5,000 real turns: support-chat turns from ``../shared/data/conversations``
(WMT24: German, French, Dutch, Portuguese, Korean customers, English agents; airline
tweets) and the translated items in English, Greek, Polish and Armenian. Reports the
cold start (detector built, first models loaded), then warm per-turn times for
``identify()``, ``identify_batch()`` with and without lingua's thread pool,
``sentences()`` and ``tokens()``, plus agreement with the source's language labels.

    python bench/language.py --turns 5000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analyzer.normalize.language import identify, identify_batch, normalize_code  # noqa: E402
from analyzer.normalize.sentences import pipeline, sentences, tokens  # noqa: E402


def real_turns(data: Path, n: int, seed: int = 0) -> list[tuple[str, str | None]]:
    """``(text, source language)`` pairs: about 60% support-chat turns, 40% translated items."""
    rnd = random.Random(seed)
    chats: list[tuple[str, str | None]] = []
    for name in ("wmt24_chat_customer_support.jsonl", "twacs_airlines.jsonl"):
        path = data / "conversations" / name
        if path.exists():
            for line in path.open(encoding="utf-8"):
                record = json.loads(line)
                for turn in record["turns"]:
                    chats.append((turn["text"], normalize_code(turn.get("text_language") or record.get("language"))))
    items: list[tuple[str, str | None]] = []
    path = data / "translated-el-pl-hy" / "train.jsonl"
    if path.exists():
        for line in path.open(encoding="utf-8"):
            row = json.loads(line)
            items += [(row[k], k) for k in ("en", "el", "pl", "hy")]
    if not chats and not items:
        raise SystemExit(f"no data under {data}; pass --data")
    n_items = min(len(items), int(n * 0.4))
    turns = rnd.sample(items, n_items) + rnd.sample(chats, min(len(chats), n - n_items))
    rnd.shuffle(turns)
    return turns


def per_turn_ms(fn, texts, repeat: int = 1) -> str:
    """Best of ``repeat`` runs, as wall-clock and CPU milliseconds per item (CPU counts every thread)."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(texts)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return f"{1000 * wall / len(texts):.3f} ms/turn wall, {1000 * cpu / len(texts):.3f} ms/turn CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("ANALYZER_DATA", REPO.parent / "shared" / "data")))
    parser.add_argument("--turns", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per measure; the best is reported")
    args = parser.parse_args()

    turns = real_turns(args.data, args.turns)
    texts = [t for t, _ in turns]
    chars = sum(map(len, texts)) / len(texts)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(texts)} real turns, {chars:.0f} characters on average, {os.cpu_count()} CPUs, load {load:.1f}")

    start = time.perf_counter()
    identify("Dzień dobry, zamówienie nie dotarło")
    print(f"cold start (detector built, first models loaded): {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    found = identify_batch(texts, parallel=False)  # loads the remaining models
    print(f"first pass over all turns (loads the models the data needs): {time.perf_counter() - start:.2f} s")
    labelled = [(gold, got) for (_, gold), got in zip(turns, found) if gold is not None and len(_.split()) >= 5]
    agree = sum(g == f for g, f in labelled) / max(1, len(labelled))
    none = sum(f is None for f in found) / len(found)
    print(f"agreement with source labels (turns of >= 5 words): {agree:.4f} on {len(labelled)}; None: {none:.3f}")

    print(f"identify()                     {per_turn_ms(lambda ts: [identify(t) for t in ts], texts, args.repeat)}")
    print(f"identify_batch(parallel=False) {per_turn_ms(lambda ts: identify_batch(ts, parallel=False), texts, args.repeat)}")
    print(f"identify_batch(parallel=True)  {per_turn_ms(lambda ts: identify_batch(ts, parallel=True), texts, args.repeat)}")

    languages = [lang if lang in ("en", "el", "pl", "hy") else None for lang in found]
    start = time.perf_counter()
    for lang in ("en", "el", "pl", "hy"):
        pipeline(lang)
    print(f"spaCy pipelines for en, el, pl, hy built in {time.perf_counter() - start:.2f} s")
    pairs = list(zip(texts, languages))
    print(f"sentences()                    {per_turn_ms(lambda ps: [sentences(t, l) for t, l in ps], pairs, args.repeat)}")
    print(f"tokens()                       {per_turn_ms(lambda ps: [tokens(t, l) for t, l in ps], pairs, args.repeat)}")


if __name__ == "__main__":
    main()
