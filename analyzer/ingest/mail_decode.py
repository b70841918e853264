"""Mail decoding: charsets, encoded-word headers and the text body of a message.

Used by :mod:`analyzer.ingest.email`.
"""

from __future__ import annotations

import codecs
import email
import email.header
import email.message
import re

from ..errors import Errors, InputError
from .mail_text import _unflow, html_to_text

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
