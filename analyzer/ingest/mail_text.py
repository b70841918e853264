"""Mail text: thread subjects, HTML to text, and cutting quotes, reply headers and signatures.

Pure ``str -> str`` functions used by :mod:`analyzer.ingest.email`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

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
