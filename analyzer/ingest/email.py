"""E-mail: ``.eml`` files and ``.mbox`` archives → threaded conversations.

Each message becomes one turn holding only what its author wrote: quoted lines
(``> ``), the quoted history after a reply header ("On … wrote:", "W dniu … napisał(a):",
"Στις … έγραψε:", "… գրել է՝"), Outlook "-----Original Message-----" and
"From: … Sent: …" blocks, signatures after a ``-- `` line and trailing device
sign-offs ("Sent from my iPhone", "Wysłane z iPhone'a", …) are cut away. HTML parts
become text with the standard library's :mod:`html.parser`; ``text/plain`` wins when
a message has both. Every declared charset is decoded, and so are encoded-word headers.

Messages are threaded by ``Message-ID`` / ``In-Reply-To`` / ``References``; a reply
with none of these (or whose parents are all missing) joins the thread with the same
subject once reply prefixes (Re:, Odp:, ΑΠ:, Σχετ:, Պատ., …) are removed. A thread's
turns are ordered by ``Date``, then by thread order. The conversation id is the
Message-ID of the thread's first message (without ``<>``).

Roles: senders matching ``options.agent_addresses`` (``support@shop.example`` or a
whole ``@shop.example`` domain) are agents and everyone else a customer. Without
configured addresses the thread's first sender is taken as the customer and the others
as agents, and ``Turn.meta["role_inferred"]`` says so.

A bad message (no From, no body text, undecodable bytes) becomes an :class:`InputError`
with ``record`` = its Message-ID (or ``message N``) and the others are still read.
"""

from __future__ import annotations

import email
import email.message
import email.utils
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import BinaryIO, Iterable, Iterator

from ..errors import Errors, InputError
from ..types import MAX_TURN_CHARS, Conversation, Turn
from .mail_decode import _header, _decode_words, _body_text
from .mail_text import html_to_text, strip_quoted, thread_subject
from .options import ReadOptions

__all__ = ["read_eml", "read_mbox", "read_eml_files", "html_to_text", "strip_quoted", "thread_subject"]


# --------------------------------------------------------------------------- messages

_ID = re.compile(r"<([^<>\s]+)>")


def _ids(value: str) -> list[str]:
    found = _ID.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip().strip("<>")]
    return list(dict.fromkeys(found))


@dataclass(slots=True)
class _Message:
    key: str
    message_id: str | None
    parents: list[str]
    in_reply_to: str | None
    subject: str
    subject_key: str
    prefixed: bool
    date: datetime | None
    address: str
    name: str
    text: str
    order: int
    source: str
    record: str
    file: str | None = None
    date_key: datetime | None = field(default=None)


def _parse_message(raw: bytes, source: str, number: int, options: ReadOptions, synthetic_id: str,
                   file: str | None = None) -> _Message | InputError:
    """One raw message → :class:`_Message`, or the :class:`InputError` that says why it cannot be read.

    ``number`` orders messages that tie on date and thread position; it is the record
    (``message N``) of a message without a Message-ID, except in a single-message file.
    """
    record = "message 1" if file is not None else f"message {number}"
    try:
        msg = email.message_from_bytes(raw)
        fallback = options.encoding or "utf-8"
        message_id = (_ids(_header(msg, "Message-ID", fallback)) or [None])[0]
        if message_id:
            record = message_id
        if not raw.strip():
            return InputError(Errors.E015, source, record)
        name, address = _sender(msg, fallback)
        if not address or "@" not in address:
            if not msg.keys():
                return InputError(Errors.E027.format(reason="this is not an e-mail message: no headers found."), source, record)
            return InputError(Errors.E027.format(reason="the message has no From address, so its writer is unknown. "
                                                        "Export it with its headers."), source, record)
        subject = _header(msg, "Subject", fallback)
        subject_key, prefixed = thread_subject(subject)
        references = _ids(_header(msg, "References", fallback))
        in_reply_to = (_ids(_header(msg, "In-Reply-To", fallback)) or [None])[0]
        parents = [p for p in dict.fromkeys(references + ([in_reply_to] if in_reply_to else [])) if p != message_id]
        date = _parse_date(_header(msg, "Date", fallback))
        try:
            body = _body_text(msg, fallback)
        except InputError as err:
            return err.located(source, record)
        text = strip_quoted(body)
        if not text.strip():
            return InputError(Errors.E026, source, record)
        if len(text) > MAX_TURN_CHARS:
            return InputError(Errors.E008.format(where=f"message {record}", n=len(text), limit=MAX_TURN_CHARS),
                              source, record)
        return _Message(
            key=message_id or synthetic_id, message_id=message_id, parents=parents, in_reply_to=in_reply_to,
            subject=subject, subject_key=subject_key, prefixed=prefixed, date=date, address=address.strip().lower(),
            name=name, text=text, order=number, source=source, record=record, file=file,
        )
    except InputError as err:
        return err.located(source, record)
    except Exception as exc:  # the parser is lenient, but bad input must never stop a batch
        return InputError(Errors.E001.format(source=source, format="e-mail", reason=f"{type(exc).__name__}: {exc}"),
                          source, record)


def _sender(msg: email.message.Message, fallback: str) -> tuple[str, str]:
    """(display name, address) of From (else Sender); the address is split off before the name is decoded."""
    for name in ("From", "Sender"):
        raw = msg.get(name)
        if raw is None:
            continue
        if isinstance(raw, str):
            display, address = email.utils.parseaddr(re.sub(r"\r?\n[ \t]+", " ", raw))
            display = _decode_words(display, fallback)
        else:
            display, address = email.utils.parseaddr(_header(msg, name, fallback))
        if address and "@" in address:
            return display, address
    return "", ""


def _parse_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        stamp = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if stamp is None:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


# -------------------------------------------------------------------------- threading

class _Groups:
    """Union-find over message ids."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def _sort_time(m: _Message) -> tuple[int, datetime, int]:
    return (0, m.date, m.order) if m.date else (1, datetime.max.replace(tzinfo=timezone.utc), m.order)


def _thread(messages: list[_Message], options: ReadOptions, source: str | None) -> Iterator[Conversation | InputError]:
    """Group messages into threads and build one conversation per thread."""
    groups = _Groups()
    known = {m.key for m in messages}
    for m in messages:
        groups.find(m.key)
        for parent in m.parents:
            groups.union(m.key, parent)
    members: dict[str, list[_Message]] = {}
    for m in messages:
        members.setdefault(groups.find(m.key), []).append(m)

    # Subject fallback: a thread that starts with a reply whose parents are all missing (or
    # that has no reply headers at all) joins the earlier thread with the same subject.
    threads = sorted(members.values(), key=lambda ms: min(_sort_time(m) for m in ms))
    by_subject: dict[str, str] = {}
    for thread in threads:
        first = min(thread, key=_sort_time)
        orphan = (first.parents and not any(p in known for p in first.parents)) or (not first.parents and first.prefixed)
        earlier = by_subject.get(first.subject_key) if first.subject_key else None
        if orphan and earlier is not None:
            groups.union(earlier, first.key)
        elif first.subject_key and first.subject_key not in by_subject:
            by_subject[first.subject_key] = first.key
    members = {}
    for m in messages:
        members.setdefault(groups.find(m.key), []).append(m)
    for thread in sorted(members.values(), key=lambda ms: min(m.order for m in ms)):
        try:
            yield _conversation(thread, options, source)
        except InputError as err:
            yield err.located(source or thread[0].source, thread[0].record)


def _thread_order(thread: list[_Message]) -> list[_Message]:
    """Depth-first over the reply tree: parents before children, siblings by date."""
    keys = {m.key: m for m in thread}
    children: dict[str | None, list[_Message]] = {}
    for m in thread:
        parent = m.in_reply_to if m.in_reply_to in keys else next((p for p in reversed(m.parents) if p in keys), None)
        children.setdefault(parent, []).append(m)
    ordered: list[_Message] = []
    seen: set[str] = set()

    def visit(m: _Message) -> None:
        stack = [m]
        while stack:
            node = stack.pop()
            if node.key in seen:
                continue
            seen.add(node.key)
            ordered.append(node)
            stack.extend(sorted(children.get(node.key, []), key=_sort_time, reverse=True))

    for root in sorted(children.get(None, []), key=_sort_time):
        visit(root)
    for m in sorted(thread, key=_sort_time):  # a cycle in the reply headers leaves nodes unvisited
        visit(m)
    return ordered


def _is_agent(m: _Message, options: ReadOptions) -> bool:
    for entry in options.agent_addresses:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry.startswith("@"):
            if m.address.endswith(entry):
                return True
        elif "@" not in entry:
            if m.address.endswith("@" + entry) or m.address.endswith("." + entry):
                return True
        elif m.address == entry:
            return True
    names = {n.strip().casefold() for n in options.agent_names if n.strip()}
    return bool(names) and m.name.strip().casefold() in names


def _conversation(thread: list[_Message], options: ReadOptions, source: str | None) -> Conversation:
    in_thread = _thread_order(thread)
    position = {m.key: i for i, m in enumerate(in_thread)}
    last = None
    for m in in_thread:  # a message without a usable Date sorts right after the one it answers
        m.date_key = m.date or last
        last = m.date_key or last
    floor = datetime.min.replace(tzinfo=timezone.utc)
    ordered = sorted(in_thread, key=lambda m: (m.date_key or floor, position[m.key]))
    configured = bool(options.agent_addresses or options.agent_names)
    first_sender = ordered[0].address
    turns = []
    for index, m in enumerate(ordered):
        meta: dict[str, object] = {"message_id": m.message_id, "subject": m.subject}
        if m.name:
            meta["name"] = m.name
        if m.file is not None:
            meta["source"] = m.file
        if configured:
            role = "agent" if _is_agent(m, options) else "customer"
        elif m.address == first_sender:
            role, meta["role_inferred"] = "customer", "first sender of the thread"
        else:
            role, meta["role_inferred"] = "agent", "not the first sender of the thread"
        turns.append(Turn(index=index, role=role, text=m.text, speaker=m.address, timestamp=m.date, meta=meta))
    root = in_thread[0]
    meta = {"source": source if source is not None else root.file, "subject": root.subject, "messages": len(turns)}
    return Conversation(id=root.key, turns=tuple(turns), channel="email", meta=meta)


# ---------------------------------------------------------------------------- readers

def read_eml(stream: BinaryIO, source: str, options: ReadOptions) -> Iterator[Conversation | InputError]:
    """One ``.eml`` file: one message, one conversation with one turn (quoted history is not a turn)."""
    try:
        raw = stream.read()
    except (OSError, InputError) as exc:
        yield exc.located(source) if isinstance(exc, InputError) else InputError(
            Errors.E001.format(source=source, format="e-mail", reason=exc), source)
        return
    parsed = _parse_message(raw, source, 1, options, synthetic_id=source, file=source)
    if isinstance(parsed, InputError):
        yield parsed
        return
    yield from _thread([parsed], options, source)


def read_eml_files(messages: Iterable[tuple[str, bytes]], options: ReadOptions) -> Iterator[Conversation | InputError]:
    """Many single-message ``.eml`` files ``(name, raw bytes)`` threaded together into conversations."""
    parsed: list[_Message] = []
    seen: set[str] = set()
    for number, (name, raw) in enumerate(messages, start=1):
        item = _parse_message(raw, name, number, options, synthetic_id=name, file=name)
        if isinstance(item, InputError):
            yield item
            continue
        if item.key in seen:  # the same mail saved twice (e.g. Inbox and Sent)
            continue
        seen.add(item.key)
        parsed.append(item)
    yield from _thread(parsed, options, None)


_FROM_LINE = re.compile(rb"^From \S*\s.*\d{1,2}:\d{2}")
_ESCAPED_FROM = re.compile(rb"^>+From ")


def _mbox_messages(stream: BinaryIO) -> Iterator[bytes]:
    """Split an mbox on its "From " separator lines, one message at a time (mboxrd ">From " unescaped)."""
    current: list[bytes] = []
    started = False
    for line in stream:
        if line.startswith(b"From ") and (not started or _FROM_LINE.match(line)):
            if started and b"".join(current).strip():
                yield _finish(current)
            current, started = [], True
            continue
        if not started:
            if not line.strip():
                continue
            started = True  # no separator before the first message: take it as one anyway
        if _ESCAPED_FROM.match(line):
            line = line[1:]
        current.append(line)
    if started and b"".join(current).strip():
        yield _finish(current)


def _finish(lines: list[bytes]) -> bytes:
    if lines and not lines[-1].strip():
        lines = lines[:-1]  # the blank line that precedes the next separator belongs to the mbox
    return b"".join(lines)


def read_mbox(stream: BinaryIO, source: str, options: ReadOptions) -> Iterator[Conversation | InputError]:
    """An mbox archive, read message by message; its messages are threaded together at the end."""
    parsed: list[_Message] = []
    seen: set[str] = set()
    number, failed = 0, False
    try:
        for number, raw in enumerate(_mbox_messages(stream), start=1):
            item = _parse_message(raw, source, number, options, synthetic_id=f"{source}#{number}")
            if isinstance(item, InputError):
                yield item
                continue
            if item.key in seen:
                continue
            seen.add(item.key)
            parsed.append(item)
    except InputError as err:  # e.g. an archive member that expands past the limit: keep what was read
        yield err.located(source, f"message {number + 1}")
        failed = True
    except OSError as exc:
        yield InputError(Errors.E001.format(source=source, format="mbox", reason=exc), source, f"message {number + 1}")
        failed = True
    if number == 0 and not failed:
        yield InputError(Errors.E027.format(reason="no messages found in the mbox archive."), source)
        return
    yield from _thread(parsed, options, source)
