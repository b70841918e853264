import pytest

from analyzer.normalize.roles import infer_roles, role_from_label
from analyzer.types import Conversation, Turn


@pytest.mark.parametrize("label, role", [
    ("Agent", "agent"), ("Customer Service Rep", "agent"), ("Konsultantka", "agent"), ("Εκπρόσωπος", "agent"),
    ("εκπροσωπος", "agent"), ("Օպերատոր", "agent"), ("Client", "customer"), ("Klient", "customer"),
    ("ΠΕΛΑΤΗΣ", "customer"), ("Հաճախորդ", "customer"), ("chatbot", "bot"), ("action", "system"),
    ("Anna", None), ("", None),
])
def test_roles_label_words_in_four_languages(label, role):
    assert role_from_label(label) == role


def _conv(*speakers):
    return Conversation("c", tuple(Turn(i, "unknown", f"message {i}", speaker=s) for i, s in enumerate(speakers)))


def test_roles_configured_agent_address_and_domain():
    conv = _conv("jan@mail.example", "anna@shop.example", "jan@mail.example")
    out = infer_roles(conv, agent_addresses=("@shop.example",))
    assert [t.role for t in out.turns] == ["customer", "agent", "customer"]
    assert out.turns[1].meta["role_inferred"] == "configured agent address"


def test_roles_configured_agent_name_wins_over_order():
    out = infer_roles(_conv("Anna", "Bob"), agent_names=("anna",))
    assert [t.role for t in out.turns] == ["agent", "customer"]


def test_roles_first_speaker_is_customer_when_nothing_else_is_known():
    out = infer_roles(_conv("x1", "y2", "x1", "y2"))
    assert [t.role for t in out.turns] == ["customer", "agent", "customer", "agent"]
    assert all("role_inferred" in t.meta for t in out.turns)


def test_roles_known_roles_are_kept():
    conv = Conversation("c", (Turn(0, "agent", "Hi", speaker="A"), Turn(1, "unknown", "Hello", speaker="B"),
                              Turn(2, "unknown", "Thanks", speaker="A")))
    out = infer_roles(conv)
    assert [t.role for t in out.turns] == ["agent", "customer", "agent"]
    assert "role_inferred" not in out.turns[0].meta
