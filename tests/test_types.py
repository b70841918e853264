from datetime import datetime, timedelta, timezone

import pytest

from analyzer import Conversation, InputError, Span, Turn, TurnScore


def test_types_turn_rejects_unknown_role():
    with pytest.raises(InputError) as err:
        Turn(0, "supervisor", "hello")
    assert err.value.code == "E006"
    assert "supervisor" in str(err.value)


def test_types_conversation_requires_contiguous_indices():
    with pytest.raises(InputError) as err:
        Conversation("c", (Turn(0, "agent", "a"), Turn(2, "customer", "b")))
    assert err.value.code == "E011"


def test_types_conversation_requires_turns():
    with pytest.raises(InputError) as err:
        Conversation("c", ())
    assert err.value.code == "E019"


def test_types_naive_timestamp_is_read_as_utc():
    turn = Turn(0, "agent", "hi", timestamp=datetime(2024, 1, 1, 12, 0))
    assert turn.timestamp.utcoffset() == timedelta(0)


def test_types_meta_must_be_json_serialisable():
    with pytest.raises(InputError) as err:
        Turn(0, "agent", "hi", meta={"x": object()})
    assert err.value.code == "E003"


def test_types_text_over_limit_is_rejected():
    with pytest.raises(InputError) as err:
        Turn(0, "agent", "x" * 100_001)
    assert err.value.code == "E008"


def test_types_text_keeps_original_characters_so_spans_slice_it():
    text = "  Καλημέρα σας!\r\nΕυχαριστώ  "
    conv = Conversation("c", (Turn(0, "agent", text),))
    span = Span(0, 2, 10, "greeting")
    assert span.text(conv) == "Καλημέρα"
    assert conv.turns[0].text == text


def test_types_score_value_must_be_probability():
    with pytest.raises(ValueError):
        TurnScore(0, "politeness", 1.2, "polite")


def test_types_to_dict_is_json_only():
    import json

    stamp = datetime(2024, 5, 1, 10, 2, 11, tzinfo=timezone.utc)
    conv = Conversation("c", (Turn(0, "customer", "hi", timestamp=stamp, meta={"k": [1, 2]}),), meta={"agent": "A"})
    data = json.loads(json.dumps(conv.to_dict()))
    assert data["turns"][0]["timestamp"] == "2024-05-01T10:02:11+00:00"
    assert data["meta"] == {"agent": "A"}
