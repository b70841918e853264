"""The standards file: the shipped default, edits that change outcomes, precise errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from standards_helpers import sample, scores_for

from analyzer.errors import ConfigError
from analyzer.standards import DEFAULT_PATH, check, load_standards, validate

STANDARDS_MD = Path(__file__).resolve().parents[2] / ".." / "shared" / "STANDARDS.md"
DEFAULT_TEXT = DEFAULT_PATH.read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str, name: str = "my.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def _edit(standard: str, old: str, new: str) -> str:
    """The default file with ``old`` replaced by ``new`` inside one standard's block."""
    start = DEFAULT_TEXT.index(f"- id: {standard}\n")
    end = DEFAULT_TEXT.find("\n  - id:", start + 1)
    end = len(DEFAULT_TEXT) if end < 0 else end
    block = DEFAULT_TEXT[start:end]
    assert old in block, (standard, old)
    return DEFAULT_TEXT[:start] + block.replace(old, new, 1) + DEFAULT_TEXT[end:]


def test_config_default_is_valid_and_covers_every_standard() -> None:
    assert validate(DEFAULT_PATH) == []
    standards = load_standards()
    expected = ["greeting", "first-response", "response-time", "politeness", "empathy", "ownership",
                "positive-tone", "customer-outcome", "closing", "personal", "security", "no-postpone"]
    if STANDARDS_MD.exists():  # the ids of the table in shared/STANDARDS.md
        rows = re.findall(r"^\| ([a-z-]+) \| ", STANDARDS_MD.read_text(encoding="utf-8"), flags=re.M)
        expected = [r for r in rows if r.strip("-") and r not in ("id", "seed")]
    assert list(standards.ids) == expected
    assert all(s.enabled and s.description for s in standards)
    assert standards.get("security").severity == "critical"
    assert standards.get("first-response").params_for("chat")["threshold"] == 60
    assert standards.get("first-response").params_for("email")["threshold"] == 4 * 3600
    assert standards.get("response-time").params_for("email")["threshold"] == 24 * 3600


def test_config_threshold_edits_change_the_outcome(tmp_path: Path) -> None:
    slow = sample("en-no-greeting-slow")
    assert "first-response" in check(slow, [], load_standards()).broken
    relaxed = load_standards(_write(tmp_path, _edit("first-response", "threshold: 60s", "threshold: 10m")))
    assert "first-response" not in check(slow, [], relaxed).broken

    curt = sample("pl-exemplary")  # no rude phrase: only the score (P(impolite) 0.85 on turn 1) can flag it
    curt_scores = scores_for(curt, {1: {"rude"}})
    assert "politeness" in check(curt, curt_scores, load_standards()).broken
    lenient = load_standards(_write(tmp_path, _edit("politeness", "threshold: 0.75", "threshold: 0.9"), "b.yaml"))
    assert "politeness" not in check(curt, curt_scores, lenient).broken

    exemplary = sample("el-exemplary")  # its agent scores P(negative) = 0.05 and uses no negative language
    strict = _edit("positive-tone", "threshold: 0.6", "threshold: 0.01")
    assert "positive-tone" not in check(exemplary, scores_for(exemplary), load_standards(_write(tmp_path, strict, "c.yaml"))).broken
    score_alone = strict.replace("corroborate: [negative_language]", "corroborate: []")
    assert "positive-tone" in check(exemplary, scores_for(exemplary), load_standards(_write(tmp_path, score_alone, "d.yaml"))).broken


def test_config_disabled_standard_is_not_run(tmp_path: Path) -> None:
    conv = sample("hy-canned-security")
    off = load_standards(_write(tmp_path, _edit("security", "rule: secrets", "rule: secrets\n    enabled: false")))
    result = check(conv, [], off)
    assert "security" not in result.evaluated and "security" not in result.broken
    assert result.passed


def test_config_channel_override_applies_only_to_its_channel(tmp_path: Path) -> None:
    text = _edit("first-response", "email: {threshold: 4h}", "email: {threshold: 4h}\n      chat: {threshold: 7m}")
    standards = load_standards(_write(tmp_path, text))
    assert "first-response" not in check(sample("en-no-greeting-slow"), [], standards).broken
    assert standards.get("first-response").params_for("call")["threshold"] == 30


BROKEN = """\
version: 1
standards:
  - id: greeting
    rule: opens_with
    severity: minor
    colour: blue
  - id: politeness
    rule: score_above
    severity: urgent
    params: {dimension: politeness, key: impolite, threshold: 0.5}
  - id: ownership
    rule: score_below
    params:
      dimension: ownership
      threshold: 1.5
  - id: custom
    rule: score_bellow
    params: {dimension: empathy, threshold: 0.2}
  - id: first-response
    rule: first_response
    params: {treshold: 60s}
    channels:
      email: {threshold: four hours}
"""


def test_config_validate_reports_every_problem_with_line_and_key(tmp_path: Path) -> None:
    path = _write(tmp_path, BROKEN)
    problems = validate(path)
    assert len(problems) == 6, problems  # the five below and the channel override (next test)
    expected = {
        "standards -> 0 -> colour": ("colour: blue", "unknown key 'colour'"),
        "standards -> 1 -> severity": ("severity: urgent", "'info', 'minor', 'major' or 'critical'"),
        "standards -> 2 -> params -> threshold": ("threshold: 1.5", "must be ≤ 1"),
        "standards -> 3 -> rule": ("rule: score_bellow", "E040 unknown rule 'score_bellow'. Did you mean 'score_below'?"),
        "standards -> 4 -> params -> treshold": ("treshold: 60s", "Did you mean 'threshold'?"),
    }
    for key, (line_text, message) in expected.items():
        hit = [p for p in problems if f": {key}: " in p]
        assert len(hit) == 1, (key, problems)
        assert hit[0].startswith(f"{path}:{_line_of(BROKEN, line_text)}: {key}: "), hit[0]
        assert message in hit[0], hit[0]


def test_config_channel_override_errors_name_the_channel(tmp_path: Path) -> None:
    text = BROKEN.replace("{treshold: 60s}", "{threshold: 60s}")
    problems = validate(_write(tmp_path, text))
    hit = [p for p in problems if "channels -> email -> threshold" in p]
    assert len(hit) == 1 and hit[0].startswith(f"{tmp_path / 'my.yaml'}:{_line_of(text, 'four hours')}:")
    assert "duration" in hit[0]


def test_config_load_raises_config_error_listing_all_problems(tmp_path: Path) -> None:
    path = _write(tmp_path, BROKEN)
    with pytest.raises(ConfigError) as info:
        load_standards(path)
    assert info.value.code == "E050"
    assert all(problem in str(info.value) for problem in validate(path))


@pytest.mark.parametrize("text,needle,line", [
    ("standards:\n  - id: a\n    rule: opens_with\n    params: [unclosed\n", "not valid YAML", 5),
    ("standards:\n  - {id: a, rule: opens_with}\n  - {id: a, rule: closes_with}\n", "duplicate id 'a'", 3),
    ("standards:\n  - id: a\n    rule: opens_with\n    weight: -1\n", "must be ≥ 0", 4),
    ("standards:\n  - id: Bad Id\n    rule: opens_with\n", "standards -> 0 -> id", 2),
    ("version: 2\nstandards: []\n", "version", 1),
    ("standards:\n  - id: a\n    rule: opens_with\n    rule: closes_with\n", "duplicate key", 4),
    ("standards:\n  - id: a\n    rule: opens_with\n    params:\n      markers: [greting_open]\n", "Did you mean 'greeting_open'?", 5),
])
def test_config_other_errors_are_located(tmp_path: Path, text: str, needle: str, line: int) -> None:
    problems = validate(_write(tmp_path, text))
    hit = [p for p in problems if needle in p]
    assert hit, problems
    assert hit[0].startswith(f"{tmp_path / 'my.yaml'}:{line}:"), hit[0]


def test_config_missing_file_is_an_error(tmp_path: Path) -> None:
    assert "E024" in validate(tmp_path / "nope.yaml")[0]
    with pytest.raises(ConfigError):
        load_standards(tmp_path / "nope.yaml")
