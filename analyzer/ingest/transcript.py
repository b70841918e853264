"""Plain-text transcripts of chats and calls: ``Agent: ...`` / ``Customer: ...`` lines.

Recognised turn lines (labels in English, Greek, Polish or Armenian, or plain names)::

    Agent: Hello, how can I help?
    [10:02:11] Anna (agent): Let me check.
    Customer 14:03 - It still does not work.
    2024-05-01 10:02:11 Anna: Done.

Lines without a label continue the previous turn; a turn's text keeps its characters
and newlines as written (only the label, the timestamp and the separator are cut, and
blank lines around the turn), so character offsets into it stay true. Line endings
are read as ``\\n``. Header lines before the first turn (``Date:``, ``Channel:``,
``Language:``, ``Queue:`` ...) describe the conversation; a line of ``---``/``===`` or a
``Conversation: <id>`` / ``Call ID: <id>`` header starts the next one.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import PurePosixPath
from typing import Any, BinaryIO, Iterator

from ..errors import Errors, InputError
from ..normalize.roles import infer_roles, role_from_label
from ..types import CHANNELS, Conversation, Turn
from .options import ReadOptions

_DATE = r"(?P<date>\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{4})"
_TIME = r"(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?)(?:\s?(?P<ampm>[AaPp]\.?[Mm]\.?))?"
_ZONE = r"(?:\s?(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"
_STAMP = rf"(?P<open>[\[(<])?(?:{_DATE}(?:[ T]|,\s?))?{_TIME}{_ZONE}(?(open)[\])>])"
_NAME = r"(?P<name>[^\W\d_][^:：\[\]()<>,;!?\"\n]{0,59}?)"
_PAREN = r"(?:\s*\((?P<paren>[^()\n]{1,40})\))?"
_SEP = r"(?:\s*[:：]|\s+[-–—|])[ \t]*"

_STAMP_FIRST = re.compile(rf"^\s*{_STAMP}\s*(?:[-–—|]\s*)?{_NAME}{_PAREN}{_SEP}(?P<text>.*)$")
_NAME_STAMP = re.compile(rf"^\s*{_NAME}{_PAREN}\s*{_STAMP}(?:\s*[:：\-–—|>][ \t]*|(?(open)[ \t]*|(?!)))(?P<text>.*)$")
_NAME_ONLY = re.compile(rf"^\s*{_NAME}{_PAREN}\s*[:：][ \t]*(?P<text>.*)$")
_STAMP_ONLY = re.compile(rf"^\s*{_STAMP}\s*(?P<text>.*)$")
_DIVIDER = re.compile(r"^\s*(?:[-=]{3,}|[-=]{3,}.*[-=]{3,})\s*$")
_HEADER = re.compile(r"^(?P<key>[^\W\d_][\w .\-]{0,30}?)\s*[:：]\s*(?P<value>.*?)\s*$")
_NEWLINE = re.compile(r"\r\n?|\n")

_HEADER_KEYS: dict[str, str] = {
    **dict.fromkeys(("conversation", "conversation id", "call id", "chat id", "ticket id", "session id",
                     "transcript id", "rozmowa", "id rozmowy", "συνομιλια", "κληση", "զրույց", "զանգ"), "id"),
    **dict.fromkeys(("date", "data", "ημερομηνια", "ամսաթիվ", "started", "start", "start time"), "date"),
    **dict.fromkeys(("channel", "kanał", "kanal", "καναλι", "ալիք"), "channel"),
    **dict.fromkeys(("language", "język", "jezyk", "γλωσσα", "լեզու"), "language"),
    **dict.fromkeys(("queue", "subject", "topic", "duration", "agent id", "agent name", "customer id",
                     "customer name", "team", "temat", "kolejka", "czas trwania", "θεμα", "διαρκεια",
                     "թեմա", "տևողություն"), "meta"),
}
_SPLIT_KEYS = {"conversation", "conversation id", "call id", "chat id", "ticket id", "session id", "transcript id"}
_CHANNELS = {
    **dict.fromkeys(("call", "phone", "voice", "telephone", "telefon", "rozmowa telefoniczna", "τηλεφωνο",
                     "κληση", "հեռախոս", "զանգ"), "call"),
    **dict.fromkeys(("chat", "live chat", "webchat", "czat", "συνομιλια", "չաթ", "զրույց"), "chat"),
    **dict.fromkeys(("email", "e-mail", "mail"), "email"),
    **dict.fromkeys(("social", "twitter", "facebook"), "social"),
}
_NOT_NAMES = {"note", "notes", "ps", "p.s.", "nb", "tip", "warning", "important", "update", "re", "answer",
              "question", "q", "a", "step", "example", "total", "reference", "ref", "address", "email", "phone",
              "tel", "url", "link", "password", "error", "status", "result", "reason", "http", "https",
              "uwaga", "notatka", "σημειωση", "προσοχη", "նշում", *_HEADER_KEYS}
_SERVICE_WORDS = {"service", "support", "care", "team", "desk", "obsługa", "obsluga", "εξυπηρετηση"}
_PLAIN_WORDS = {"note", "action", "event", "internal"}
_MAX_LEADING_ERRORS = 200
_EPOCH = date(1970, 1, 1)


def _fold(text: str) -> str:
    """Lower case, no accents, single spaces: the form header keys are compared in."""
    text = unicodedata.normalize("NFD", text.strip().lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").replace("ς", "σ")
    return " ".join(text.replace("_", " ").replace("-", " ").split())


@dataclass(slots=True)
class _Turn:
    line: int
    role: str
    speaker: str | None
    lines: list[str]
    timestamp: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        lines = list(self.lines)
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines).rstrip()


@dataclass(slots=True)
class _Block:
    """The conversation being read (file-wide facts such as the date live on the reader)."""

    id: str | None = None
    language: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    turns: list[_Turn] = field(default_factory=list)
    style: str | None = None  # how the first turn was labelled: "stamp", "label" or "bare"
    speakers: set[str] = field(default_factory=set)
    previous: datetime | None = None
    day_offset: int = 0


def _parse_date(text: str) -> date | None:
    match = re.search(_DATE, text)
    if not match:
        return None
    value = match.group("date")
    try:
        if "-" in value:
            return date.fromisoformat("-".join(p.zfill(2) for p in value.split("-")))
        first, second, year = (int(p) for p in re.split(r"[./]", value))
        day, month = (second, first) if "/" in value and second > 12 >= first else (first, second)
        return date(year, month, day)
    except ValueError:
        return None


def _parse_time(match: re.Match) -> tuple[time, timezone]:
    parts = re.split(r"[:.,]", match.group("time"))
    hour, minute = int(parts[0]), int(parts[1])
    second = int(parts[2]) if len(parts) > 2 else 0
    micro = int(parts[3].ljust(6, "0")) if len(parts) > 3 else 0
    ampm = (match.group("ampm") or "").lower().replace(".", "")
    if ampm and not 1 <= hour <= 12:
        raise ValueError(f"hour {hour} with {ampm}")
    hour = hour % 12 + (12 if ampm == "pm" else 0) if ampm else hour
    zone, tz = match.group("zone"), timezone.utc
    if zone and zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        tz = timezone(-offset if zone[0] == "-" else offset)
    return time(hour, minute, second, micro), tz


class _Reader:
    """Line-by-line state machine over one file."""

    def __init__(self, source: str, options: ReadOptions) -> None:
        self.source, self.options = source, options
        self.name = PurePosixPath(source.rsplit("!", 1)[-1].replace("\\", "/")).name or source
        self.count = 0  # conversations finished
        self.date: date | None = None  # from a Date: header or a dated line; kept for later conversations
        self.channel: str | None = None
        self.block = _Block()
        self.seen_turn = False
        self.pending: list[InputError] = []  # errors before the file's first turn

    # -- one line -----------------------------------------------------------------
    def feed(self, n: int, line: str) -> Iterator[Conversation | InputError]:
        block = self.block
        if not line.strip():
            if block.turns:
                block.turns[-1].lines.append(line)
            return
        if _DIVIDER.match(line):
            if block.turns:
                yield from self.finish()
            return
        header = _HEADER.match(line)
        if header and self.header(header, n):
            if self.block is not block:  # a new conversation began: finish the old one first
                yield from self._finish_block(block)
            return
        turn = self.turn(line, n)
        if isinstance(turn, InputError):
            yield turn
            turn = self.turn(line, n, timed=False)
        if turn is not None:
            if not self.seen_turn:
                self.seen_turn = True
                yield from self.pending
                self.pending.clear()
            block.turns.append(turn)
        elif block.turns:
            block.turns[-1].lines.append(line)
        else:
            error = InputError(Errors.E025, self.source, f"line {n}")
            if self.seen_turn:
                yield error
            else:
                self.pending.append(error)

    def header(self, match: re.Match, n: int) -> bool:
        """Apply a header line; ``False`` if the line is not a header here."""
        key, value = _fold(match.group("key")), match.group("value")
        kind = _HEADER_KEYS.get(key)
        block = self.block
        if kind is None or not value or match.string[:1].isspace():
            return False
        if kind == "id":
            if block.turns and key in _SPLIT_KEYS:
                self.block = block = _Block()
            elif block.turns:
                return False
            if block.id is None:
                block.id = value
            else:
                block.meta[key.replace(" ", "_")] = value
            return True
        if block.turns:
            return False
        block.meta[key.replace(" ", "_") if kind == "meta" else kind] = value
        if kind == "date" and (day := _parse_date(value)) is not None:
            self.date = day
        elif kind == "channel":
            channel = _CHANNELS.get(_fold(value), _fold(value))
            self.channel = channel if channel in CHANNELS else "other"
        elif kind == "language":
            block.language = value.strip().lower()
        return True

    def turn(self, line: str, n: int, timed: bool = True) -> _Turn | InputError | None:
        """A new turn if ``line`` opens one here, else ``None`` (a continuation)."""
        block = self.block
        for form, pattern in (("stamp", _STAMP_FIRST), ("name-stamp", _NAME_STAMP), ("bare", _NAME_ONLY)):
            match = pattern.match(line)
            if match and (accepted := self._accept(match, form)) is not None:
                role, speaker, style = accepted
                break
        else:
            match = _STAMP_ONLY.match(line)
            if not (match and match.group("open") and match.group("text").strip()):  # "[10:05] Anna joined"
                return None
            role, speaker, style = "system", None, "stamp"
        meta: dict[str, Any] = {}
        stamp = None
        if timed and match.groupdict().get("time"):
            try:
                stamp, time_only = self.when(match)
            except ValueError as exc:
                value = " ".join(v for v in (match.group("date"), match.group("time")) if v)
                return InputError(Errors.E021.format(value=value, reason=exc), self.source, f"line {n}")
            if time_only:
                meta["time_only"] = True
        block.style = block.style or style
        if speaker:
            block.speakers.add(speaker)
        return _Turn(n, role, speaker, [match.group("text")], stamp, meta)

    def _accept(self, match: re.Match, form: str) -> tuple[str, str | None, str] | None:
        """(role, speaker, style) if this label really opens a turn, judged by the form and the block so far."""
        name, paren, text = match.group("name").strip(), match.group("paren"), match.group("text")
        words = name.split()
        if not 1 <= len(words) <= 4 or len(name) > 40 or text.startswith("//"):
            return None
        role = role_from_label(paren) if paren else None
        if role is None:
            role = _label_role(words)
        speaker = name
        if paren and role_from_label(paren) is None:  # "Agent (Anna)" names Anna; "Anna (Billing)" keeps both
            speaker = paren.strip() if _label_role(words) is not None else f"{name} ({paren})"
        known = speaker in self.block.speakers
        capitalised = all(_word_ok(w) for w in words)
        if form == "stamp" or (form == "name-stamp" and capitalised):
            return role or "unknown", speaker, "stamp"
        if role is not None:
            return role, speaker, "label"
        if known:
            return "unknown", speaker, "bare"
        if form == "bare" and self.block.style in (None, "bare") and text.strip() and len(words) <= 3 \
                and (len(words) == 1 or capitalised) and _fold(name) not in _NOT_NAMES:
            return "unknown", speaker, "bare"
        return None

    def when(self, match: re.Match) -> tuple[datetime, bool]:
        """The turn's time; ``True`` as second item when no date is known (1970-01-01 stands in)."""
        block = self.block
        clock, tz = _parse_time(match)
        if match.group("date"):
            day = _parse_date(match.group("date"))
            if day is None:
                raise ValueError(f"bad date {match.group('date')!r}")
            self.date, block.day_offset = day, 0
            block.previous = datetime.combine(day, clock, tz)
            return block.previous, False
        base = self.date or _EPOCH
        stamp = datetime.combine(base, clock, tz) + timedelta(days=block.day_offset)
        while block.previous is not None and stamp < block.previous - timedelta(hours=12):  # past midnight
            stamp += timedelta(days=1)
            block.day_offset += 1
        block.previous = stamp
        return stamp, self.date is None

    # -- conversations ----------------------------------------------------------------
    def finish(self) -> Iterator[Conversation | InputError]:
        block, self.block = self.block, _Block()
        yield from self._finish_block(block)

    def _finish_block(self, block: _Block) -> Iterator[Conversation | InputError]:
        if not block.turns:
            return
        self.count += 1
        meta = dict(block.meta)
        channel = self.channel or ("call" if "call" in self.name.lower() else self.options.channel or "chat")
        try:
            turns = tuple(
                Turn(i, t.role, t.text(), speaker=t.speaker, timestamp=t.timestamp, meta=t.meta)  # type: ignore[arg-type]
                for i, t in enumerate(block.turns)
            )
            conversation = Conversation(
                id=block.id or f"{self.name}#{self.count}",
                turns=turns,
                channel=channel if channel in CHANNELS else "other",  # type: ignore[arg-type]
                language=block.language,
                meta={"file": self.source, "first_line": block.turns[0].line, **meta},
            )
            if any(t.role == "unknown" for t in turns):
                conversation = infer_roles(conversation, self.options.agent_names, self.options.agent_addresses)
        except InputError as err:
            yield err.located(self.source, f"line {block.turns[0].line}")
            return
        yield conversation

    def end(self) -> Iterator[Conversation | InputError]:
        yield from self.finish()
        if not self.seen_turn:
            yield self.pending[0] if self.pending else InputError(Errors.E019, self.source)


def _word_ok(word: str) -> bool:
    return word[0].isupper() or word[0].isdigit() or role_from_label(word) is not None


def _label_role(words: list[str]) -> str | None:
    """The role a label such as ``Agent``, ``Konsultant Anna`` or ``Πελάτης`` names, else ``None``.

    Every word must be a label word or capitalised, so that ``The agent said: ...`` stays text.
    """
    if len(words) > 3 or not all(_word_ok(w) for w in words):
        return None
    role = role_from_label(" ".join(words))
    if role == "system" and _fold(" ".join(words)) in _PLAIN_WORDS:
        return None  # "Note: ..." inside a message is text, not a system event
    if role == "customer" and any(_fold(w) in _SERVICE_WORDS for w in words[1:]):
        return "agent"  # "Customer Service", "Customer Support"
    return role


def _without_end(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    return line[:-1] if line.endswith(("\n", "\r")) else line


def _lines(stream: BinaryIO, source: str, options: ReadOptions) -> Iterator[tuple[int, str] | InputError]:
    """Decoded lines without their line ends; an :class:`InputError` (E014) ends the file."""
    head = stream.peek(4)[:4] if hasattr(stream, "peek") else b""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = io.TextIOWrapper(stream, encoding="utf-16", newline="")  # type: ignore[arg-type]
        try:
            for n, raw in enumerate(text, start=1):
                yield n, _without_end(raw)
        except UnicodeDecodeError as exc:
            yield InputError(Errors.E014.format(encoding="UTF-16", reason=exc), source)
        finally:
            text.detach()
        return
    try:
        utf8_only = codecs.lookup(options.encoding).name == "utf-8"
    except LookupError:
        utf8_only = False  # decoding with the unknown name raises LookupError, reported as E014
    encoding = "utf-8"
    for n, raw in enumerate(stream, start=1):
        if n == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[3:]
        try:
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError:
                if encoding != "utf-8" or utf8_only:
                    raise
                encoding = options.encoding  # not UTF-8: the declared encoding reads the rest
                line = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            yield InputError(Errors.E014.format(encoding=encoding, reason=exc), source, f"line {n}")
            return
        for part in _NEWLINE.split(_without_end(line)):  # a lone CR (old Mac files) also ends a line
            yield n, part


def read_transcript(stream: BinaryIO, source: str, options: ReadOptions) -> Iterator[Conversation | InputError]:
    """Read a plain-text transcript: one or more conversations of labelled turns.

    Args:
        stream: the file's bytes (UTF-8, with or without BOM; UTF-16 with BOM; or
            ``options.encoding`` when the bytes are not UTF-8).
        source: its name, used for ids (``<file name>#<n>``) and error locations.
        options: ``agent_names``/``agent_addresses`` resolve unlabelled speakers;
            ``channel`` is used when neither a ``Channel:`` header nor the file name says.

    Returns:
        Conversations in file order, with an :class:`InputError` for each line that cannot
        be attributed to a speaker (E025), a file that is not text in the encoding (E014),
        or a file without any turn (one error).

    Example:
        >>> import io
        >>> data = "Date: 2024-05-01\\n[10:02] Customer: Hi, my parcel is late\\n[10:03] Anna (agent): Sorry!\\n"
        >>> conv = next(read_transcript(io.BytesIO(data.encode()), "chat.txt", ReadOptions()))
        >>> [(t.role, t.text, t.timestamp.isoformat()) for t in conv.turns]  # doctest: +NORMALIZE_WHITESPACE
        [('customer', 'Hi, my parcel is late', '2024-05-01T10:02:00+00:00'),
         ('agent', 'Sorry!', '2024-05-01T10:03:00+00:00')]
    """
    reader = _Reader(source, options)
    for item in _lines(stream, source, options):
        if isinstance(item, InputError):
            yield item
            return
        n, line = item
        yield from reader.feed(n, line)
        if not reader.seen_turn and len(reader.pending) >= _MAX_LEADING_ERRORS:
            yield reader.pending[0]  # not a transcript: one error for the file, not one per line
            return
    yield from reader.end()
