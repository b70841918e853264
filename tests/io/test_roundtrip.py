"""Conversations survive JSONL, CSV, Parquet, DataFrame and Arrow unchanged (property-based)."""

import csv
import dataclasses
import json
from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import analyzer
from analyzer.io import (
    arrow_to_conversations, conversations_to_arrow, conversations_to_frame, frame_to_conversations,
)
from analyzer.types import CHANNELS, Conversation, Turn

text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=80)
names = st.none() | st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=12)
stamps = st.none() | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 1, 1),
                                  timezones=st.just(timezone.utc))
meta = st.dictionaries(st.text(st.characters(whitelist_categories=("L",)), min_size=1, max_size=6),
                       st.integers(-5, 5) | st.text(max_size=10), max_size=3)


@st.composite
def conversations(draw):
    n = draw(st.integers(1, 5))
    turns = tuple(
        Turn(i, draw(st.sampled_from(["agent", "customer", "bot", "system", "unknown"])), draw(text),
             speaker=draw(names), timestamp=draw(stamps), language=draw(st.none() | st.sampled_from(["en", "el", "pl", "hy"])),
             meta=draw(meta))
        for i in range(n)
    )
    return Conversation(draw(st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)), turns,
                        channel=draw(st.sampled_from(sorted(CHANNELS))),
                        language=draw(st.none() | st.sampled_from(["en", "el"])), meta=draw(meta))


def _unique(convs):
    seen = {}
    for c in convs:
        seen.setdefault(c.id, c)
    return list(seen.values())


def _without_file(conv):
    return dataclasses.replace(conv, meta={k: v for k, v in conv.meta.items() if k != "file"})


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(st.lists(conversations(), min_size=1, max_size=4))
def test_roundtrip_dataframe_and_arrow(convs):
    convs = _unique(convs)
    assert list(frame_to_conversations(conversations_to_frame(convs))) == convs
    assert list(arrow_to_conversations(conversations_to_arrow(convs))) == convs


@SETTINGS
@given(st.lists(conversations(), min_size=1, max_size=4))
def test_roundtrip_jsonl(tmp_path, convs):
    convs = _unique(convs)
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in convs), encoding="utf-8")
    assert [_without_file(c) for c in analyzer.read(path)] == [_without_file(c) for c in convs]


@SETTINGS
@given(st.lists(conversations(), min_size=1, max_size=4))
def test_roundtrip_csv_and_parquet(tmp_path, convs):
    convs = _unique(convs)
    frame = conversations_to_frame(convs)
    frame.to_csv(tmp_path / "c.csv", index=False, quoting=csv.QUOTE_ALL)  # as exporters do: \r inside text is quoted
    frame.to_parquet(tmp_path / "c.parquet", index=False)
    expected = [_without_file(c) for c in convs]  # the reader adds the file name unless the source has one
    assert [_without_file(c) for c in analyzer.read(tmp_path / "c.csv")] == expected
    assert [_without_file(c) for c in analyzer.read(tmp_path / "c.parquet")] == expected
