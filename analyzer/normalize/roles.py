"""Roles: map source labels to our roles, and infer them when a source gives none.

Label words cover English, Greek, Polish and Armenian, since speaker labels in
transcripts and exports come in the agent's language.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from typing import Iterable

from ..types import Conversation, Role

_LABELS: dict[str, Role] = {}
for _role, _words in {
    "agent": (
        "agent", "rep", "representative", "support", "staff", "operator", "advisor", "adviser", "associate",
        "consultant", "employee", "csr", "brand", "company", "airline_agent", "human_agent", "specialist",
        "πρακτορας", "εκπροσωπος", "υπαλληλος", "συμβουλος", "τεχνικος", "εξυπηρετηση",
        "konsultant", "konsultantka", "doradca", "pracownik", "obsługa", "obsluga",
        "օպերատոր", "աշխատակից", "խորհրդատու", "մասնագետ", "ներկայացուցիչ",
    ),
    "customer": (
        "customer", "client", "user", "cust", "caller", "consumer", "guest", "visitor", "end_user", "inbound",
        "πελατης", "πελάτισσα", "χρηστης", "καλων",
        "klient", "klientka", "użytkownik", "uzytkownik", "rozmówca",
        "հաճախորդ", "օգտատեր", "զանգահարող",
    ),
    "bot": ("bot", "chatbot", "assistant", "virtual_agent", "ivr", "automated", "ρομποτ", "asystent", "բոտ"),
    "unknown": ("unknown", "unk", "n/a"),
    "system": ("system", "action", "note", "event", "internal", "σύστημα", "συστημα", "system_message", "համակարգ"),
}.items():
    for _w in _words:
        _LABELS[_w] = _role  # type: ignore[assignment]


def _fold(label: str) -> str:
    """Lower-case, strip accents (keeping Polish letters' base form too), spaces → underscores."""
    text = unicodedata.normalize("NFD", label.strip().lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return text.replace("ł", "l").replace(" ", "_").replace("-", "_").replace("ς", "σ")


_FOLDED = {_fold(k): v for k, v in _LABELS.items()}


def role_from_label(label: object) -> Role | None:
    """Our role for a source's label, or ``None`` if the label says nothing we know.

    Example:
        >>> role_from_label("Konsultant"), role_from_label("Πελάτης"), role_from_label("Anna")
        ('agent', 'customer', None)
    """
    if isinstance(label, bool):  # e.g. TWCS 'inbound' = True means the customer wrote it
        return None
    folded = _fold(str(label))
    if folded in _FOLDED:
        return _FOLDED[folded]
    if any(word in folded for word in ("service", "support", "care", "helpdesk")):
        return "agent"  # "Customer Service Rep", "customer_care": the company side
    words = [w for w in folded.replace("_", " ").split() if w]
    for word in words:
        if word in _FOLDED:
            return _FOLDED[word]
    return None


def infer_roles(
    conversation: Conversation,
    agent_names: Iterable[str] = (),
    agent_addresses: Iterable[str] = (),
) -> Conversation:
    """Fill in ``unknown`` roles and record how each was inferred in the turn's ``meta``.

    In order: configured agent names or addresses (``@example.com`` matches a domain);
    a speaker's label words ("Konsultant Anna"); else the conversation's first speaker
    is taken as the customer (customers open support threads) and, where exactly two
    speakers take part, the other as the agent.

    Example:
        >>> from analyzer.types import Turn
        >>> c = Conversation("c", (Turn(0, "unknown", "Hi, my order is late", speaker="bob"),
        ...                        Turn(1, "unknown", "Sorry to hear that!", speaker="Anna")))
        >>> [t.role for t in infer_roles(c).turns]
        ['customer', 'agent']
    """
    if all(t.role != "unknown" for t in conversation.turns):
        return conversation
    names = {_fold(n) for n in agent_names}
    addresses = tuple(a.lower() for a in agent_addresses)
    decided: dict[str, tuple[Role, str]] = {}
    speakers = [t.speaker or "" for t in conversation.turns]
    for speaker in dict.fromkeys(speakers):
        if not speaker:
            continue
        low = speaker.lower()
        if _fold(speaker) in names:
            decided[speaker] = ("agent", "configured agent name")
        elif addresses and any(low == a or (a.startswith("@") and low.endswith(a)) for a in addresses):
            decided[speaker] = ("agent", "configured agent address")
        elif addresses and "@" in low:
            decided[speaker] = ("customer", "address is not an agent address")
        elif (role := role_from_label(speaker)) is not None:
            decided[speaker] = (role, "speaker label")
    known = {t.speaker: t.role for t in conversation.turns if t.role != "unknown" and t.speaker}
    for speaker, role in known.items():
        decided.setdefault(speaker, (role, "same speaker elsewhere in the conversation"))
    undecided = [s for s in dict.fromkeys(speakers) if s not in decided]
    if undecided:
        roles_taken = {r for r, _ in decided.values()}
        if "customer" not in roles_taken:
            decided[undecided[0]] = ("customer", "first unlabelled speaker")
            undecided = undecided[1:]
            roles_taken.add("customer")
        if len(undecided) == 1 and "agent" not in roles_taken:
            decided[undecided[0]] = ("agent", "the other speaker")
    turns = []
    for turn in conversation.turns:
        if turn.role == "unknown" and turn.speaker in decided or (turn.role == "unknown" and "" in decided and not turn.speaker):
            role, how = decided[turn.speaker or ""]
            turn = dataclasses.replace(turn, role=role, meta={**turn.meta, "role_inferred": how})
        turns.append(turn)
    return dataclasses.replace(conversation, turns=tuple(turns))
