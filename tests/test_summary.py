from datetime import datetime, timedelta, timezone

from analyzer.summary import counts, response_times, score_aggregates
from analyzer.types import Conversation, Turn, TurnScore

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)


def _conv(*turns):
    return Conversation("c", tuple(Turn(i, role, "x", timestamp=None if s is None else T0 + timedelta(seconds=s))
                                   for i, (role, s) in enumerate(turns)))


def test_summary_wait_runs_from_first_unanswered_customer_message():
    conv = _conv(("customer", 0), ("customer", 30), ("agent", 90), ("customer", 100), ("agent", 400))
    assert response_times(conv) == (90.0, 300.0)


def test_summary_agent_opening_does_not_count_as_response():
    conv = _conv(("agent", 0), ("customer", 10), ("agent", 25))
    assert response_times(conv) == (15.0, 15.0)


def test_summary_no_timestamps_no_times():
    assert response_times(_conv(("customer", None), ("agent", None))) == (None, None)


def test_summary_unanswered_last_message_is_not_a_wait():
    assert response_times(_conv(("customer", 0), ("agent", 20), ("customer", 30))) == (20.0, 20.0)


def test_summary_counts_and_aggregates():
    conv = _conv(("customer", 0), ("agent", 5), ("bot", 6), ("agent", 9), ("customer", 12))
    assert counts(conv) == {"n_turns": 5, "n_agent_turns": 2, "n_customer_turns": 2, "n_other_turns": 1}
    scores = [TurnScore(1, "politeness", 0.9, "polite"), TurnScore(3, "politeness", 0.3, "impolite"),
              TurnScore(0, "sentiment", 0.2, "negative"), TurnScore(4, "sentiment", 0.7, "positive"),
              TurnScore(1, "ownership", 0.9, "owns"), TurnScore(3, "ownership", 0.1, "deflects")]
    agg = score_aggregates(conv, scores, ["politeness", "sentiment", "ownership"])
    assert agg["agent_politeness_mean"] == 0.6 and agg["agent_politeness_min"] == 0.3
    assert (agg["customer_sentiment_start"], agg["customer_sentiment_end"]) == (0.2, 0.7)
    assert agg["ownership_share_deflects"] == 0.5 and agg["first_deflection_turn"] == 3
