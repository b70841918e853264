"""Ingest benchmark: conversations/second for reading + normalising a large archive.

Builds (in a temp dir) a JSONL archive from real support conversations in
``../shared/data/conversations`` (falling back to the shipped samples), and an mbox of
e-mail threads made from the same turns, then times ``analyzer.read`` followed by
normalisation (role inference + language identification). Memory is reported as the
peak RSS, to show that reading streams.

    python bench/ingest.py --conversations 20000
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import analyzer  # noqa: E402
from analyzer.pipeline import Analyzer  # noqa: E402


def real_conversations(data: Path) -> list[dict]:
    files = sorted((data / "conversations").glob("*.jsonl")) if data.exists() else []
    convs = [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not convs:
        convs = [c.to_dict() for c in analyzer.read(REPO / "data" / "samples" / "chat")]
    return convs


def write_jsonl(path: Path, seeds: list[dict], n: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i, conv in zip(range(n), itertools.cycle(seeds)):
            f.write(json.dumps({**conv, "id": f"bench-{i}"}, ensure_ascii=False) + "\n")


def write_mbox(path: Path, seeds: list[dict], n: int) -> None:
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    with open(path, "wb") as f:
        for i, conv in zip(range(n), itertools.cycle(seeds)):
            root = None
            for j, turn in enumerate(conv["turns"][:6]):
                msg = EmailMessage()
                sender = "help@support.example" if turn["role"] == "agent" else f"customer{i}@mail.example"
                msg["From"], msg["To"] = sender, "help@support.example" if sender != "help@support.example" else f"customer{i}@mail.example"
                msg["Subject"] = ("Re: " if j else "") + f"Order {i}"
                msg["Date"] = format_datetime(start + timedelta(minutes=i * 10 + j))
                msg_id = make_msgid(domain="bench.example")
                msg["Message-ID"] = msg_id
                if root:
                    msg["In-Reply-To"], msg["References"] = root, root
                root = root or msg_id
                msg.set_content(turn["text"] or "-")
                f.write(f"From {sender} Mon Jan  1 00:00:00 2024\n".encode())
                f.write(msg.as_bytes().replace(b"\nFrom ", b"\n>From ") + b"\n")


def measure(label: str, path: Path, qa: Analyzer, **options) -> None:
    start = time.perf_counter()
    n = turns = 0
    errors: list = []
    for conv in analyzer.read(path, on_error=errors.append, **options):
        conv = qa.normalize(conv)
        n += 1
        turns += len(conv.turns)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label}: {n} conversations ({turns} turns, {len(errors)} errors) in {seconds:.1f}s = "
          f"{n / seconds:.0f} conv/s, {turns / seconds:.0f} turns/s; peak RSS so far {peak:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=20000)
    parser.add_argument("--emails", type=int, default=2000, help="threads in the mbox")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    seeds = real_conversations(args.data)
    qa = Analyzer()
    with tempfile.TemporaryDirectory() as tmp:
        jsonl, mbox = Path(tmp) / "archive.jsonl", Path(tmp) / "archive.mbox"
        write_jsonl(jsonl, seeds, args.conversations)
        write_mbox(mbox, seeds, args.emails)
        qa.normalize(next(analyzer.read(jsonl)))  # warm-up: language models load once per process
        measure("jsonl read+normalise", jsonl, qa)
        measure("mbox read+normalise", mbox, qa, agent_addresses=("@support.example",))


if __name__ == "__main__":
    main()
