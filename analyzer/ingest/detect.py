"""Guess a file's format from its name, else from its first bytes."""

from __future__ import annotations

import re

FORMATS = ("jsonl", "json", "csv", "parquet", "eml", "mbox", "transcript")

_BY_SUFFIX = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "csv",
    ".parquet": "parquet", ".pq": "parquet", ".eml": "eml", ".mbox": "mbox", ".mbx": "mbox",
    ".txt": "transcript", ".log": "transcript",
}
_HEADER = re.compile(rb"^(From|To|Subject|Date|Message-ID|Received|Return-Path|MIME-Version|Delivered-To):", re.I | re.M)


def detect_format(name: str, head: bytes) -> str:
    """The reader to use for a file called ``name`` starting with ``head``.

    Example:
        >>> detect_format("chats.jsonl", b"")
        'jsonl'
        >>> detect_format("export", b'{"id": "1", "turns": []}\\n')
        'jsonl'
    """
    lower = name.lower().rsplit("!", 1)[-1]
    for suffix, fmt in _BY_SUFFIX.items():
        if lower.endswith(suffix):
            return fmt
    return sniff(head)


def sniff(head: bytes) -> str:
    """Format from content alone."""
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"From ") and _HEADER.search(text[:2048]):
        return "mbox"
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        first_line = text.split(b"\n", 1)[0].rstrip()
        return "jsonl" if first_line.endswith(b"}") else "json"
    if _HEADER.match(text) and b"\n\n" in text.replace(b"\r\n", b"\n"):
        return "eml"
    first = text.split(b"\n", 1)[0]
    if first.count(b",") >= 2 and b":" not in first.split(b",")[0]:
        return "csv"
    return "transcript"
