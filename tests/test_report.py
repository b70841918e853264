"""The HTML report over real `analyzer score` results of the sample archive, read as Parquet, JSONL and CSV."""

from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from analyzer.batch.runner import run
from analyzer.report import SECTIONS, build_report
from test_display import browse, chromium, shipped

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"


class _Links(HTMLParser):
    """Every tag's ids and its src/href/... attributes (script bodies are not parsed as markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id":
                self.ids.add(value)
            if name in ("src", "href", "action", "srcset", "poster", "data") and value is not None:
                self.urls.append((tag, name, value))


def _parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """The whole sample archive scored with the shipped models, with turn rows."""
    out = tmp_path_factory.mktemp("archive") / "scores.parquet"
    run([SAMPLES], out, shipped(), turns=True, workers=1)
    return out


@pytest.fixture(scope="module")
def report(archive) -> tuple[Path, str]:
    path = build_report(archive, archive.parent / "report.html", title="Sample <archive>")
    return path, path.read_text(encoding="utf-8")


def test_report_holds_every_section(archive, report):
    _, html = report
    parsed = _parse(html)
    assert set(SECTIONS) <= parsed.ids
    conversations = pd.read_parquet(archive)
    flags = pd.read_parquet(archive.with_name("scores.flags.parquet"))
    overview = html[html.index('id="overview"'):html.index('id="standards"')]
    assert f"<b>{len(conversations)}</b>" in overview and f"<b>{int(conversations.n_turns.sum())}</b>" in overview
    pass_rate = f"{100 * conversations.passed.mean():.1f}%"
    assert pass_rate in overview
    for language in conversations.language.unique():
        assert f"<td>{language}</td>" in overview
    standards = html[html.index('id="standards"'):html.index('id="agents"')]
    for standard, n in flags.groupby("standard").conversation_id.nunique().items():
        assert re.search(rf"<td>{re.escape(standard)}</td><td class=\"num\">{n}</td>", standards), standard
    teams = html[html.index('id="teams"'):html.index('id="sentiment"')]
    for team in conversations.team.dropna().unique():
        assert f"<td>{team}</td>" in teams
    assert "<title>Sample &lt;archive&gt;</title>" in html and "Sample <archive>" not in html


def test_report_embeds_the_worst_conversations_turn_by_turn(archive, report):
    _, html = report
    parsed = _parse(html)
    conversations = pd.read_parquet(archive)
    turns = pd.read_parquet(archive.with_name("scores.turns.parquet"))
    worst = conversations.sort_values(["qa_score", "n_flags"], ascending=[True, False]).head(10)
    for cid in worst.conversation_id:
        anchor = "conv-" + re.sub(r"[^A-Za-z0-9_-]", "_", cid)
        assert anchor in parsed.ids and f'href="#{anchor}"' in html
        for t in turns[turns.conversation_id == cid].turn:
            assert f"{anchor}-t{t}" in parsed.ids
    internal = [v for tag, name, v in parsed.urls if v.startswith("#")]
    assert internal and all(v[1:] in parsed.ids for v in internal)  # every link lands in the page
    best = conversations.sort_values("qa_score").conversation_id.iloc[-1]
    assert f'id="conv-{best}"' not in html  # summarised, not dumped
    assert html.count('<mark class="ev') > 0 and "sev-" in html


def test_report_references_no_network_url(report):
    path, html = report
    parsed = _parse(html)
    external = [(t, n, v) for t, n, v in parsed.urls if re.match(r"\s*(https?:)?//", v, re.I)]
    assert external == []
    assert "link" not in parsed.tags and all(n != "src" for t, n, v in parsed.urls if t == "script")
    assert path.stat().st_size > 1_000_000  # the plotting library is inside the file


def test_report_provenance_names_models_and_standards(report):
    _, html = report
    section = html[html.index('id="provenance"'):]
    for meta_path in sorted((REPO / "models").glob("*/meta.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        assert f"<td>{meta['name']}</td>" in section and meta["sha256"] in section
    import hashlib

    digest = hashlib.sha256((REPO / "analyzer" / "standards" / "default.yaml").read_bytes()).hexdigest()
    assert digest in section


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_report_reads_jsonl_and_csv_results(tmp_path, suffix):
    out = tmp_path / f"scores{suffix}"
    run([SAMPLES / "chats" / "standards_pl.jsonl"], out, shipped(), turns=suffix == ".jsonl", workers=1)
    html = build_report(out, tmp_path / "r.html").read_text(encoding="utf-8")
    parsed = _parse(html)
    assert set(SECTIONS) <= parsed.ids
    assert "pl-rude" in html and "Krzysztof Lis" in html
    if suffix == ".csv":  # no turn rows: the worst conversations are listed, with a hint
        assert "--turns" in html and not any(i.startswith("conv-") for i in parsed.ids)
    else:
        assert any(i.startswith("conv-pl-") for i in parsed.ids)


def test_report_without_standards_says_so(tmp_path):
    import analyzer

    out = tmp_path / "scores.jsonl"
    run([SAMPLES / "chats" / "standards_hy.jsonl"], out, analyzer.Analyzer(shipped().scorers, None), workers=1)
    html = build_report(out, tmp_path / "r.html").read_text(encoding="utf-8")
    assert set(SECTIONS) <= _parse(html).ids
    assert "No QA scores" in html and "No standard was broken" in html
    agents = html[html.index('id="agents"'):html.index('id="teams"')]
    rows = pd.read_json(out, lines=True, dtype=False)
    assert rows.qa_score.isna().all() and all(f"<td>{a}</td>" in agents for a in rows.agent.dropna())


def test_report_refuses_missing_results(tmp_path):
    with pytest.raises(ValueError, match="analyzer score"):
        build_report(tmp_path / "nothing.parquet", tmp_path / "r.html")


def test_report_renders_in_chromium(archive, report, tmp_path):
    chromium()
    path, html = report
    shot = tmp_path / "report.png"
    dom, console = browse(path, screenshot=shot, size="1280,2400")
    assert not [m for m in console if "error" in m.lower() or "uncaught" in m.lower()], console
    assert dom.count('class="main-svg"') >= 3  # plotly drew the charts: its script ran without a network
    marks = "".join(re.findall(r'<mark class="ev[^"]*" data-kind[^>]*>([^<]+)</mark>', dom))
    conversations = pd.read_parquet(archive)
    worst = set(conversations.sort_values(["qa_score", "n_flags"], ascending=[True, False]).conversation_id[:10])
    turns = pd.read_parquet(archive.with_name("scores.turns.parquet"))
    evidence = [e["text"] for col in turns.columns if col.endswith("_evidence")
                for cell in turns.loc[turns.conversation_id.isin(worst), col].dropna() for e in json.loads(cell)]
    assert evidence and all(e.split()[0] in marks for e in evidence if e.strip())  # highlighted in the DOM
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("ANALYZER_UPDATE_SCREENSHOT"):  # refresh the README's picture
        shutil.copy(shot, REPO / "docs" / "report.png")
