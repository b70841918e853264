"""Every built-in rule keeps the rule contract on every sample conversation."""

from __future__ import annotations

import pickle

import pytest
from standards_helpers import LANGUAGES, load_samples, scores_for

from analyzer.standards import RULES, check, load_standards
from analyzer.standards.rules import Breach, NotEvaluated, Params

STANDARDS = load_standards()
PARAMS = {s.rule: s.params_for("chat") for s in STANDARDS}
CONVERSATIONS = [c for language in LANGUAGES for c in load_samples(language).values()]


@pytest.mark.parametrize("name", sorted(RULES))
def test_conformance_rule_contract(name: str) -> None:
    rule = RULES[name]
    assert issubclass(rule.Params, Params) and rule.__doc__
    params = PARAMS.get(name) or {"dimension": "politeness", "threshold": 0.5}
    assert rule.Params.model_validate(params)  # the shipped params are valid for it
    assert pickle.loads(pickle.dumps(rule)) is rule
    for conv in CONVERSATIONS:
        scores = scores_for(conv)
        try:
            first = list(rule(conv, scores, **params))
        except NotEvaluated:
            continue
        assert first == list(rule(conv, scores, **params))  # deterministic
        for breach in first:
            assert isinstance(breach, Breach) and breach.reason
            assert all(0 <= t < len(conv.turns) for t in breach.turns)
            for span in breach.evidence:
                assert span.turn in breach.turns
                assert 0 <= span.start < span.end <= len(conv.turns[span.turn].text)


def test_conformance_standards_set_pickles_and_still_checks() -> None:
    again = pickle.loads(pickle.dumps(STANDARDS))
    conv = CONVERSATIONS[1]
    assert check(conv, [], again) == check(conv, [], STANDARDS)
