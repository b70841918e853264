"""Archive benchmark: end-to-end conversations/second, scaling, memory, resume overhead.

Generates a realistic archive in a temp folder: turn counts and role order drawn from
the real support conversations in ``../shared/data/conversations``; English text from
those conversations (airline threads, multilingual chats whose customers write
de/fr/nl/pt/ko), Greek/Polish/Armenian text from the parallel items in
``translated-el-pl-hy`` (customer messages and agent replies); 85% chat (JSONL files)
and 15% e-mail (an mbox). Then prints, for the default models and standards:

- conversations/second with 1 and 2 workers (and the scaling), and the CPU time per
  conversation of all the run's processes (steadier than conv/s on a machine shared with other work),
  twice: the default path, where turns in languages a fast model was not trained on (about
  10% of this archive's turns: the de/fr/nl/pt/ko customers, for politeness and complaint; only nl
  and ko for sentiment, which was trained on de/fr/pt) go to the multilingual encoder model, on
  ``--multilingual-conversations``; and ``--no-multilingual`` on ``--conversations``;
- peak RSS of a run at each size in ``--sizes`` (flat memory = streaming);
- the overhead of a run killed at 50% and resumed, against an uninterrupted one;
- with ``--hf``, a Hugging Face ``transformers`` text-classification pipeline on the MiniLM
  encoder (the ``bench`` extra) over a sample of the archive's turns, as conversations/second
  (one forward pass per turn, as if one multi-head model gave every dimension), and the ratio of
  our paths to it. Speed only: that pipeline's head is untrained.

    python bench/archive.py --conversations 20000 --multilingual-conversations 3000 --sizes 10000,100000 --hf
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def load_pools(data: Path, rng: random.Random) -> tuple[list[list[tuple[str, str]]], dict[str, list[tuple[str, str]]]]:
    """Real conversation skeletons (role, text) and per-language (customer, agent) text pairs."""
    skeletons = []
    for name in ("twacs_airlines.jsonl", "wmt24_chat_customer_support.jsonl"):
        with open(data / "conversations" / name, encoding="utf-8") as f:
            for line in f:
                conv = json.loads(line)
                skeletons.append([(t["role"], t["text"]) for t in conv["turns"] if t["role"] in ("agent", "customer")])
    pairs: dict[str, list[tuple[str, str]]] = {"el": [], "pl": [], "hy": []}
    with open(data / "translated-el-pl-hy" / "train.jsonl", encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            for lang in pairs:
                if item["task"] == "ownership":
                    pairs[lang].append((item[f"customer_{lang}"], item[lang]))
                elif item["task"] == "sentiment":
                    pairs[lang].append((item[lang], ""))
    rng.shuffle(skeletons)
    return [s for s in skeletons if len(s) >= 2], pairs


def make_conversation(i: int, skeletons, pairs, rng: random.Random) -> dict:
    skeleton = skeletons[i % len(skeletons)]
    language = rng.choices(["en", "el", "pl", "hy"], weights=[55, 15, 15, 15])[0]
    start = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=7 * i)
    turns, clock = [], start
    for role, text in skeleton:
        if language != "en":
            customer, agent = rng.choice([p for p in pairs[language] if p[1]] if role == "agent" else pairs[language])
            text = agent if role == "agent" else customer
        clock += timedelta(seconds=rng.randint(5, 240))
        turns.append({"role": role, "speaker": role, "text": text, "timestamp": clock.isoformat()})
    return {"id": f"bench-{i}", "channel": "chat", "language": language, "turns": turns,
            "meta": {"agent": f"agent{i % 40}", "team": f"team{i % 5}"}}


def write_archive(root: Path, n: int, data: Path, seed: int = 0) -> Path:
    rng = random.Random(seed)
    skeletons, pairs = load_pools(data, rng)
    root.mkdir(parents=True, exist_ok=True)
    n_email = n * 15 // 100
    files = [open(root / f"chats-{k:02d}.jsonl", "w", encoding="utf-8") for k in range(8)]
    for i in range(n - n_email):
        files[i % 8].write(json.dumps(make_conversation(i, skeletons, pairs, rng), ensure_ascii=False) + "\n")
    for f in files:
        f.close()
    with open(root / "mail.mbox", "wb") as f:
        for i in range(n - n_email, n):
            conv = make_conversation(i, skeletons, pairs, rng)
            root_id = None
            for j, turn in enumerate(conv["turns"][:6]):
                msg = EmailMessage()
                agent = turn["role"] == "agent"
                msg["From"] = "care@support.example" if agent else f"c{i}@mail.example"
                msg["To"] = f"c{i}@mail.example" if agent else "care@support.example"
                msg["Subject"] = ("Re: " if j else "") + f"Case {i}"
                msg["Date"] = format_datetime(datetime.fromisoformat(turn["timestamp"]))
                msg_id = make_msgid(domain="bench.example")
                msg["Message-ID"] = msg_id
                if root_id:
                    msg["In-Reply-To"] = msg["References"] = root_id
                root_id = root_id or msg_id
                msg.set_content(turn["text"] or "-")
                f.write(b"From bench Mon Jan  1 00:00:00 2024\n" + msg.as_bytes().replace(b"\nFrom ", b"\n>From ") + b"\n")
    return root


PEAK_WRAPPER = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
                "sys.stderr.write(p.stderr); u = resource.getrusage(resource.RUSAGE_CHILDREN); "
                "print(u.ru_maxrss, u.ru_utime + u.ru_stime); sys.exit(p.returncode)")
CPU_SECONDS: list[float] = []  # CPU seconds (user + system, all processes) of each score() run, in order


def score(archive: Path, out: Path, workers: int, extra: tuple[str, ...] = ()) -> tuple[float, float, str]:
    """Run `analyzer score` in a child process: (seconds, peak RSS in MiB of its largest process, summary line).

    The run's CPU seconds (every process it started, workers included) go to :data:`CPU_SECONDS`.
    """
    cmd = [sys.executable, "-c", PEAK_WRAPPER, sys.executable, "-m", "analyzer", "score", str(archive),
           "--out", str(out), "--workers", str(workers), "--agent-address", "@support.example", *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stderr)
    lines = proc.stderr.strip().splitlines()
    peak, cpu = proc.stdout.split()
    CPU_SECONDS.append(float(cpu))
    return seconds, int(peak) / 1024, lines[-1] if lines else ""


def killed_and_resumed(archive: Path, out: Path, workers: int, chunks_expected: int, extra: tuple[str, ...] = ()) -> float:
    """Seconds for a run SIGKILLed once half its chunks are done, plus its --resume."""
    cmd = [sys.executable, "-m", "analyzer", "score", str(archive), "--out", str(out), "--workers", str(workers),
           "--agent-address", "@support.example", "--quiet", "--chunk-size", "250", *extra]
    manifest = out.with_name(out.name + ".parts") / "manifest.jsonl"
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, start_new_session=True)
    while proc.poll() is None:
        if manifest.exists() and len(manifest.read_text().splitlines()) >= chunks_expected / 2:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait()
    subprocess.run(cmd + ["--resume"], capture_output=True)
    return time.perf_counter() - start


def throughput(archive: Path, n: int, tmp: Path, label: str, extra: tuple[str, ...]) -> dict[int, float]:
    """conv/s with 1 and 2 workers (printed with peak RSS and CPU per conversation)."""
    rates = {}
    for workers in (1, 2):
        seconds, peak, line = score(archive, tmp / f"{label}{workers}" / "r.parquet", workers, ("--chunk-size", "250", *extra))
        rates[workers] = n / seconds
        print(f"{label}, {workers} worker(s): {rates[workers]:.0f} conv/s end to end ({seconds:.1f}s, peak RSS "
              f"{peak:.0f} MiB, CPU {1000 * CPU_SECONDS[-1] / n:.1f} ms/conv) | {line}", flush=True)
    print(f"{label}, scaling 1 -> 2 workers: x{rates[2] / rates[1]:.2f}", flush=True)
    return rates


def hf_pipeline_conv_per_s(archive: Path, turns: int = 400, threads: int = 2) -> tuple[float, float]:
    """(turns/s, conv/s) of a transformers text-classification pipeline on MiniLM over the archive's turns."""
    sys.path.insert(0, str(REPO / "bench"))
    from score import bench_hf

    import analyzer

    texts, n_turns, n_convs = [], 0, 0
    for conv in analyzer.read(archive, on_error=lambda _: None):
        n_convs += 1
        n_turns += len(conv.turns)
        texts.extend(conv.turns)
    per_s = bench_hf(texts[:turns], threads)["turns_per_s"]
    return per_s, per_s / (n_turns / n_convs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=20000)
    parser.add_argument("--multilingual-conversations", type=int, default=3000,
                        help="archive size for the default (multilingual encoder) path, which is slower")
    parser.add_argument("--sizes", default="10000,100000", help="archive sizes for the memory figure")
    parser.add_argument("--hf", action="store_true", help="also time a transformers pipeline (the bench extra)")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    fast = ("--no-multilingual",)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small = write_archive(tmp / "small", args.multilingual_conversations, args.data)
        print(f"archive: {args.multilingual_conversations} conversations (default path), "
              f"{args.conversations} (--no-multilingual)", flush=True)
        default = throughput(small, args.multilingual_conversations, tmp, "default (multilingual route)", ())
        archive = write_archive(tmp / "archive", args.conversations, args.data)
        plain_rates = throughput(archive, args.conversations, tmp, "--no-multilingual", fast)
        for size in [int(s) for s in args.sizes.split(",") if s]:
            sized = write_archive(tmp / f"a{size}", size, args.data)
            seconds, peak, _ = score(sized, tmp / f"m{size}" / "r.parquet", 2, ("--chunk-size", "250", *fast))
            print(f"{size} conversations, 2 workers, --no-multilingual: {size / seconds:.0f} conv/s, peak RSS {peak:.0f} MiB",
                  flush=True)
            shutil.rmtree(sized)
        plain, _, _ = score(archive, tmp / "plain" / "r.parquet", 2, ("--chunk-size", "250", *fast))
        resumed = killed_and_resumed(archive, tmp / "resumed" / "r.parquet", 2, -(-args.conversations // 250), fast)
        print(f"kill at 50% + resume (--no-multilingual): {resumed:.1f}s vs {plain:.1f}s uninterrupted "
              f"(overhead {100 * (resumed / plain - 1):.0f}%)", flush=True)
        if args.hf:
            turns_s, conv_s = hf_pipeline_conv_per_s(small)
            print(f"HF transformers pipeline (MiniLM, 2 threads): {turns_s:.0f} turns/s = {conv_s:.1f} conv/s; "
                  f"default path x{default[2] / conv_s:.0f}, --no-multilingual x{plain_rates[2] / conv_s:.0f} faster "
                  f"(2 workers)")


if __name__ == "__main__":
    main()
