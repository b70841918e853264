"""Options shared by every reader."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..errors import Errors, InputError

LIMITS_MAX_MEMBER_BYTES = 512 * 1024 * 1024
"""An archive member that expands past this is refused (zip-bomb guard)."""
LIMITS_MAX_RATIO = 200
"""...and so is one whose compression ratio is above this while larger than 1 MiB."""


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read sources whose layout is not self-describing.

    Args:
        columns: our field name → the source's column name, e.g.
            ``{"conversation_id": "ticket_id", "role": "author_type"}``.
        agent_addresses: e-mail addresses or ``@domain`` suffixes that belong to agents.
        agent_names: speaker names that belong to agents (transcripts, chats without roles).
        channel: channel to give conversations whose source does not say.
        encoding: fallback text encoding when a file declares none and is not UTF-8.
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    agent_addresses: tuple[str, ...] = ()
    agent_names: tuple[str, ...] = ()
    channel: str | None = None
    encoding: str = "utf-8"
    max_member_bytes: int = LIMITS_MAX_MEMBER_BYTES
    max_ratio: int = LIMITS_MAX_RATIO

    def column(self, name: str) -> str:
        """The source column holding our field ``name``."""
        return self.columns.get(name, name)


def parse_columns(text: str | None) -> dict[str, str]:
    """Parse ``--columns conversation_id=ticket_id,role=author_type``.

    Example:
        >>> parse_columns("conversation_id=ticket_id, role=author_type")
        {'conversation_id': 'ticket_id', 'role': 'author_type'}
    """
    if not text:
        return {}
    mapping: dict[str, str] = {}
    for pair in text.split(","):
        if "=" not in pair:
            raise InputError(Errors.E023.format(text=text))
        ours, theirs = (p.strip() for p in pair.split("=", 1))
        if not ours or not theirs:
            raise InputError(Errors.E023.format(text=text))
        mapping[ours] = theirs
    return mapping
