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

import codecs
import email
import email.header
import email.message
import email.utils
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import BinaryIO, Iterable, Iterator

from ..errors import Errors, InputError
from ..types import MAX_TURN_CHARS, Conversation, Turn
from .options import ReadOptions

__all__ = ["read_eml", "read_mbox", "read_eml_files", "html_to_text", "strip_quoted", "thread_subject"]


# ---------------------------------------------------------------------------- subjects

_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:\[[^\]]{0,40}\]\s*)?"  # a list or ticket tag such as [EXT] before the prefix
    r"(?:(?:re|aw|sv|vs|ref|fw|fwd|tr|wg|rv|odp|pd|pda|απ|σχετ|πρθ|προωθ)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]"
    r"|(?:պատ|պատասխան|պտսխ|փխց|փոխանց)\s*(?:\[\d+\]|\(\d+\))?\s*[:：.՝։])\s*",
    re.I,
)
_LIST_TAG = re.compile(r"^\s*\[[^\]]{0,40}\]\s*")


def thread_subject(subject: str) -> tuple[str, bool]:
    """The subject as compared for threading, and whether it carried a reply/forward prefix.

    Example:
        >>> thread_subject("Re: ΑΠ: Odp: Fwd:  Order  #1042 late")
        ('order #1042 late', True)
        >>> thread_subject("Պատ. Պատվերը ուշանում է")
        ('պատվերը ուշանում է', True)
        >>> thread_subject("Delivery question")
        ('delivery question', False)
    """
    text, prefixed = subject or "", False
    while True:
        match = _SUBJECT_PREFIX.match(text)
        if not match:
            break
        text, prefixed = text[match.end():], True
    text = _LIST_TAG.sub("", text)
    return " ".join(text.split()).casefold(), prefixed


# ------------------------------------------------------------------------- HTML → text

_BLOCK_TAGS = frozenset(
    "address article aside blockquote center dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table tbody thead tfoot tr ul".split()
)
_VOID_TAGS = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_SKIP_TAGS = frozenset("script style head title template noscript object".split())
_QUOTE_CLASSES = ("gmail_quote", "gmail_signature", "gmail_extra", "moz-cite-prefix", "moz-signature", "yahoo_quoted",
                  "protonmail_quote", "ms-outlook-mobile-signature")
_QUOTE_IDS = ("divrplyfwdmsg", "signature", "appendonsend", "mail-editor-reference-message-container")


class _HTMLText(HTMLParser):
    """Visible text of an HTML mail part, without quoted history or marked-up signatures."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip_tag: str | None = None
        self._skip_depth = 0
        self._pre = 0
        self._rest_is_history = False
        self._paragraphs: list[bool] = []  # per open <p>: does it leave a blank line after it?

    def _trailing_newlines(self) -> int:
        tail = "".join(self.out[-8:]).rstrip(" ")
        return len(tail) - len(tail.rstrip("\n")) if tail else 2

    def _newline(self, blank: bool = False) -> None:
        """End the current line (a block boundary); ``blank`` leaves an empty line (a paragraph)."""
        missing = (2 if blank else 1) - self._trailing_newlines()
        if missing > 0:
            self.out.append("\n" * missing)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._rest_is_history:
            return
        if self._skip_tag is not None:
            if tag == self._skip_tag and tag not in _VOID_TAGS:
                self._skip_depth += 1
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        classes = values.get("class", "").lower()
        ident = values.get("id", "").lower()
        if ident == "appendonsend":  # Outlook: everything after this empty marker is the quoted mail
            self._rest_is_history = True
            return
        if tag in _SKIP_TAGS or tag == "blockquote" or any(c in classes for c in _QUOTE_CLASSES) or ident in _QUOTE_IDS:
            if tag not in _VOID_TAGS:
                self._skip_tag, self._skip_depth = tag, 1
            return
        if tag == "br":
            self.out.append("\n")
        elif tag == "p":
            blank = "msonormal" not in classes  # Outlook's MsoNormal paragraphs have no margin
            self._paragraphs.append(blank)
            self._newline(blank=blank)
        elif tag == "li":
            self._newline()
            self.out.append("- ")
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag in _BLOCK_TAGS:
            self._newline()
        if tag == "pre":
            self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._rest_is_history:
            return
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth -= 1
                if self._skip_depth == 0:
                    self._skip_tag = None
                    self._newline()
            return
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag == "p":
            self._newline(blank=self._paragraphs.pop() if self._paragraphs else True)
        elif tag in _BLOCK_TAGS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self._rest_is_history or self._skip_tag is not None:
            return
        if not self._pre:  # collapse white space as a browser does; &nbsp; (kept until text()) is content
            data = re.sub(r"[ \t\r\n\f\v]+", " ", data)
            if data == " " and self._trailing_newlines():
                return
        self.out.append(data)

    def text(self) -> str:
        lines = "".join(self.out).split("\n")
        kept: list[str] = []
        for line in lines:
            line = line.replace("\xa0", " ").strip()
            if not line and (not kept or not kept[-1]):
                continue
            kept.append(line)
        return "\n".join(kept).strip("\n")


def html_to_text(html: str) -> str:
    """Readable text of an HTML mail body: block tags become line breaks, quoted history goes.

    Example:
        >>> html_to_text("<div>Hello&nbsp;Anna,</div><div><br></div><p>Your refund is on its way.</p>"
        ...              "<blockquote type='cite'>old</blockquote>")
        'Hello Anna,\\n\\nYour refund is on its way.'
    """
    parser = _HTMLText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; this only guards against pathological input
        pass
    return parser.text()


# -------------------------------------------------------------- quotes and signatures

_QUOTE_LINE = re.compile(r"^\s*>")
_WROTE = re.compile(
    r"(?:\bwrote|\bnapisał(?:\(a\)|a)?|\bnapisała?|\bpisze|έγραψε|\bschrieb|\ba écrit|\bescribió|\bha scritto)\s*[:：]\s*$",
    re.I,
)
_WROTE_HY = re.compile(r"(?:գրել\s+է|գրեց|գրել\s+էր)\s*[:։՝.]?\s*$")
_OPENER = re.compile(r"^\s*(?:On|W dniu|Dnia|Dn\.|Στις|Την|Ο/Η|Am|Le|El|Il giorno)\b", re.I)
_EVIDENCE = re.compile(r"@|\d{1,2}[:.]\d{2}|\b(?:19|20)\d{2}\b|\d{1,2}[./]\d{1,2}[./]\d{2,4}")
_ORIGINAL = re.compile(
    r"^\s*[-_=]{2,}\s*(?:original message|forwarded message|oryginalna wiadomość|wiadomość oryginalna|"
    r"wiadomość przekazana dalej|przekazana wiadomość|αρχικό μήνυμα|προωθημένο μήνυμα|"
    r"սկզբնական հաղորդագրություն|նախնական հաղորդագրություն|փոխանցված հաղորդագրություն|"
    r"ursprüngliche nachricht|weitergeleitete nachricht|message d'origine|message transféré)\s*[-_=]{2,}\s*$",
    re.I,
)
_BEGIN_FORWARD = re.compile(r"^\s*(?:begin forwarded message|początek przekazywanej wiadomości|αρχή προωθημένου μηνύματος)\s*:\s*$", re.I)
_HEADER_FROM = re.compile(r"^\s*\*?(?:from|od|από|ումից|ուղարկող|von|de)\s*:\*?\s*\S", re.I)
_HEADER_OTHER = re.compile(
    r"^\s*\*?(?:sent|date|to|cc|subject|wysłano|wysłane|data|do|dw|temat|στάλθηκε|ημερομηνία|προς|κοιν|θέμα|"
    r"ուղարկված|ուղարկվել է|ամսաթիվ|ում|թեմա|պատճեն|gesendet|an|betreff|envoyé|à|objet)\s*:\*?",
    re.I,
)
_SIGNATURE = re.compile(r"^--\s?$")
_SEPARATOR_ONLY = re.compile(r"^[\s\-_=*~]*$")
_DEVICE_WORDS = (r"(?:iphone|ipad|android|mobile|smartphone|smartfon\w*|telefon\w*|phone|tablet\w*|samsung|galaxy|huawei|"
                 r"xiaomi|pixel|blackberry|outlook|aplikacj\w+|poczt\w+|κινητ\w+|συσκευ\w+|հեռախոս\w*|mail|gmail|yahoo)")
_DEVICE_LINES = [
    re.compile(rf"sent (?:from|with|via|using) (?:my )?(?:\S+ ){{0,4}}?{_DEVICE_WORDS}\b.{{0,60}}", re.I),
    re.compile(r"get outlook for \w+.{0,60}", re.I),
    re.compile(rf"wysłan[eo] (?:z|przy użyciu) (?:mojego |mojej |aplikacji )?(?:\S+ ){{0,4}}?{_DEVICE_WORDS}.{{0,60}}", re.I),
    re.compile(r"pobierz (?:aplikację )?outlook.{0,60}", re.I),
    re.compile(rf"(?:στάλθηκε|εστάλη|απεστάλη) (?:από|μέσω) (?:το |την |τη |τον )?(?:\S+ ){{0,4}}?{_DEVICE_WORDS}.{{0,60}}", re.I),
    re.compile(r"ուղարկ(?:ված|վել) է .{0,60}", re.I),
]


def _reply_header(lines: list[str], i: int) -> int:
    """How many lines (1-3) starting at ``i`` form a reply header such as "On … wrote:", else 0."""
    if not lines[i].strip() or _QUOTE_LINE.match(lines[i]):
        return 0
    joined = ""
    for span in range(1, 4):
        if i + span > len(lines):
            break
        line = lines[i + span - 1]
        if span > 1 and (not line.strip() or _QUOTE_LINE.match(line)):
            break
        joined = f"{joined} {line.strip()}".strip()
        if len(joined) > 400:
            break
        if _WROTE.search(joined) or _WROTE_HY.search(joined):
            return span
    return 0


def _is_strong_header(text: str) -> bool:
    return bool(_OPENER.match(text) or _EVIDENCE.search(text))


def _is_outlook_block(lines: list[str], i: int) -> bool:
    """A "From: … / Sent: … / To: … / Subject: …" block (any of our languages) at line ``i``."""
    if not _HEADER_FROM.match(lines[i]):
        return False
    following = [line for line in lines[i + 1 : i + 7] if line.strip()][:5]
    return sum(1 for line in following if _HEADER_OTHER.match(line)) >= 2


def _next_text_line(lines: list[str], start: int) -> str | None:
    for line in lines[start:]:
        if line.strip():
            return line
    return None


def _is_device_line(line: str) -> bool:
    text = line.strip()
    return 0 < len(text) <= 120 and any(p.fullmatch(text) for p in _DEVICE_LINES)


def strip_quoted(text: str) -> str:
    """Only what the author wrote: drop quoted lines, quoted history and signatures.

    Quoted lines (``>``) are dropped wherever they are, so an interleaved reply keeps the
    author's answers. A reply header followed by quoted lines is dropped with them; one
    followed by unmarked text (the quoted mail pasted below it), an Outlook
    "-----Original Message-----" line or "From: … Sent: …" block, a forwarded-message
    line and a ``-- `` signature line each end the author's text. Device sign-offs at
    the very end ("Sent from my iPhone") go too.

    Example:
        >>> strip_quoted("Thanks, that works.\\n\\nOn Mon, 3 Jun 2024 at 10:00, Anna <a@support.example> wrote:\\n"
        ...              "> Please restart the router.\\n\\n-- \\nJohn")
        'Thanks, that works.'
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _QUOTE_LINE.match(line):
            i += 1
            continue
        if _SIGNATURE.match(line) or _ORIGINAL.match(line) or _BEGIN_FORWARD.match(line) or _is_outlook_block(lines, i):
            break
        span = _reply_header(lines, i)
        if span:
            header = " ".join(part.strip() for part in lines[i : i + span])
            after = _next_text_line(lines, i + span)
            if after is not None and _QUOTE_LINE.match(after):
                i += span  # the quote below is dropped line by line; text between quotes is kept
                continue
            if _is_strong_header(header):
                break
        kept.append(line.rstrip())
        i += 1
    while kept and (_SEPARATOR_ONLY.match(kept[-1]) or _is_device_line(kept[-1])):
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    collapsed: list[str] = []
    for line in kept:
        if not line.strip() and collapsed and not collapsed[-1].strip():
            continue
        collapsed.append(line if line.strip() else "")
    return "\n".join(collapsed)


def _unflow(text: str, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed: join soft line breaks, remove space-stuffing."""
    out: list[str] = []
    paragraph = ""
    open_paragraph = False
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line.startswith(" "):
            line = line[1:]
        if line != "-- " and line.endswith(" ") and not line.startswith(">"):
            paragraph += line[:-1] if delsp else line
            open_paragraph = True
            continue
        if open_paragraph:
            out.append(paragraph + line)
            paragraph, open_paragraph = "", False
        else:
            out.append(line)
    if open_paragraph:
        out.append(paragraph.rstrip())
    return "\n".join(out)


# ------------------------------------------------------------------------- decoding

_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949", "iso-8859-8-i": "iso-8859-8", "x-mac-cyrillic": "mac-cyrillic", "utf8": "utf-8",
    "windows-874": "cp874", "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "unicode-1-1-utf-7": "utf-7",
    "iso_8859-7": "iso-8859-7", "iso_8859-2": "iso-8859-2", "cp-1250": "cp1250", "cp-1253": "cp1253",
    "x-cp1250": "cp1250", "x-cp1253": "cp1253", "armscii-8": "armscii8",
}
_UNKNOWN_CHARSETS = frozenset({"unknown-8bit", "x-unknown", "unknown", "x-user-defined", "default", "charset"})
_C1 = re.compile(rb"[\x80-\x9f]")


def _codec(charset: str | None) -> str | None:
    """A Python codec name for a declared charset, ``None`` if none (or unknown-8bit) was declared."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    if name in _UNKNOWN_CHARSETS:
        return None
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return f"?{charset}"  # declared but unknown to Python: fall back, and report it if that fails


def _decode_bytes(data: bytes, charset: str | None, fallback: str) -> str:
    """Decode with the declared charset, else UTF-8, else ``fallback``; raise E014 if none fits."""
    codec = _codec(charset)
    if codec in ("latin-1", "iso8859-1", "ascii") and _C1.search(data):
        codec = "cp1252"  # mail labelled Latin-1/ASCII is in practice Windows-1252 when C1 bytes appear
    tried: list[str] = []
    first_error: Exception | None = None
    for name in (codec, "utf-8", fallback):
        if not name or name.startswith("?") or name in tried:
            continue
        tried.append(name)
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError) as exc:
            first_error = first_error or exc
            continue
    declared = charset or "UTF-8 (no charset declared)"
    reason = first_error if first_error is not None else f"unknown charset {charset!r}"
    raise InputError(Errors.E014.format(encoding=declared, reason=reason))


def _header(msg: email.message.Message, name: str, fallback: str) -> str:
    """A header's value as text, with encoded words (=?iso-8859-7?B?…?=) and raw 8-bit bytes decoded."""
    raw = msg.get(name)
    if raw is None:
        return ""
    if isinstance(raw, email.header.Header):  # raw 8-bit bytes in the header (RFC 6532 UTF-8, or legacy)
        try:
            chunks = email.header.decode_header(raw)
            value = "".join(_decode_lenient(b, c, fallback) if isinstance(b, bytes) else b for b, c in chunks)
        except Exception:
            value = str(raw)
    else:
        value = str(raw)
    return _decode_words(value, fallback)


def _decode_lenient(data: bytes, charset: str | None, fallback: str) -> str:
    try:
        return _decode_bytes(data, None if charset in (None, "unknown-8bit") else charset, fallback)
    except InputError:
        return data.decode(fallback if _codec(fallback) else "latin-1", "replace")


def _decode_words(value: str, fallback: str) -> str:
    """Decode RFC 2047 encoded words; text outside them is kept as it is."""
    value = re.sub(r"\r?\n[ \t]+", " ", value)  # unfold
    if "=?" not in value:
        return value.strip()
    try:
        chunks = email.header.decode_header(value)
    except Exception:
        return value.strip()
    parts: list[str] = []
    for data, charset in chunks:
        if isinstance(data, str):
            parts.append(data)
            continue
        try:
            parts.append(data.decode(_codec(charset) or "ascii"))
        except (UnicodeDecodeError, LookupError):
            parts.append(_decode_lenient(data, None, fallback))
    return "".join(parts).strip()


def _leaf_parts(part: email.message.Message) -> list[email.message.Message]:
    """The text parts that make up the body: text/plain preferred within multipart/alternative."""
    ctype = part.get_content_type()
    if ctype.startswith("message/"):
        return []  # an attached or forwarded mail is not the author's text
    if part.is_multipart():
        children = [c for c in part.get_payload() if isinstance(c, email.message.Message)]
        if ctype == "multipart/alternative":
            choices = [_leaf_parts(c) for c in children]
            for choice in choices:
                if any(p.get_content_type() == "text/plain" and _has_payload(p) for p in choice):
                    return choice
            for choice in reversed(choices):  # the last alternative is the richest
                if choice:
                    return choice
            return []
        leaves: list[email.message.Message] = []
        for child in children:
            if child.get_content_disposition() == "attachment":
                continue
            leaves.extend(_leaf_parts(child))
        return leaves
    if ctype in ("text/plain", "text/html") and part.get_content_disposition() != "attachment":
        return [part]
    return []


def _has_payload(part: email.message.Message) -> bool:
    payload = part.get_payload()
    return isinstance(payload, str) and bool(payload.strip())


def _body_text(msg: email.message.Message, fallback: str) -> str:
    leaves = _leaf_parts(msg)
    plain = [p for p in leaves if p.get_content_type() == "text/plain"]
    chosen = plain if any(_has_payload(p) for p in plain) else [p for p in leaves if p.get_content_type() == "text/html"]
    texts: list[str] = []
    for part in chosen:
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        text = _decode_bytes(data, part.get_content_charset(), fallback)
        if part.get_content_type() == "text/html":
            text = html_to_text(text)
        else:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            if (part.get_param("format") or "").lower() == "flowed":
                text = _unflow(text, (part.get_param("delsp") or "").lower() == "yes")
        texts.append(text)
    return "\n\n".join(t for t in texts if t.strip())


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
