"""PII masking for anything the standards engine quotes: card numbers, e-mails, phones, codes.

Flags quote evidence from the transcript; :func:`mask_pii` makes that quote safe to
write to a report, a log or an HTTP response.
"""

from __future__ import annotations

import re

CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
"""13–19 digits, optionally grouped by spaces or dashes."""
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w+])(?:\+\d[\d ()./-]{6,18}\d|\(?\d{2,4}\)?[ ./-]?\d{2,4}[ ./-]?\d{2,4}(?:[ ./-]?\d{2,4})?)(?![\w])")
CODE = re.compile(r"(?<![\w.,:/-])\d{4,8}(?![\w.,:/-]\d)")
SECRET = re.compile(
    r"(?i)((?<!\w)(?:password|passcode|pin|hasło|haslo|κωδικός|κωδικος|συνθηματικό|գաղտնաբառ)\w*\s*(?:is|to|:|=|είναι|jest)?\s*)(\S+)"
)
_YEAR = re.compile(r"^(19|20)\d\d$")


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum that every payment card number satisfies.

    Example:
        >>> luhn_ok("4111111111111111"), luhn_ok("4111111111111112")
        (True, False)
    """
    total = 0
    for position, char in enumerate(reversed(digits)):
        d = int(char)
        if position % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def find_cards(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of every Luhn-valid card number (13–19 digits) in ``text``.

    Example:
        >>> find_cards("card 4111 1111 1111 1111, order 1234567890123")
        [(5, 24)]
    """
    out = []
    for m in CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            out.append((m.start(), m.end()))
    return out


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def mask_pii(text: str) -> str:
    """Mask card numbers, e-mails, phone numbers, one-time codes and stated passwords.

    Any 13–19 digit run is masked as a card whether or not it passes Luhn (a mistyped
    card is still a card); 4–8 digit codes are masked except years and clock times.

    Example:
        >>> mask_pii("Card 4111 1111 1111 1111, mail anna@example.com, tel +48 601 234 567, code 482913")
        'Card [CARD], mail [EMAIL], tel [PHONE], code [CODE]'
        >>> mask_pii("My password is hunter2 and it is 2024")
        'My password is [SECRET] and it is 2024'
    """
    text = EMAIL.sub("[EMAIL]", text)
    text = CARD.sub(lambda m: "[CARD]" if 13 <= _digits(m.group()) <= 19 else m.group(), text)
    text = SECRET.sub(lambda m: m.group(1) + "[SECRET]", text)
    text = PHONE.sub(lambda m: "[PHONE]" if (_digits(m.group()) >= (8 if m.group().startswith("+") else 9)) else m.group(), text)
    text = CODE.sub(lambda m: m.group() if _YEAR.match(m.group()) else "[CODE]", text)
    return text
