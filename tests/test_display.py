"""The rich display of one analysis: escaping, span highlighting, accessibility, all four scripts, a real browser."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

import analyzer
from analyzer.display import BAR_DIMENSIONS, KINDS, SEVERITY_STYLE, highlight, render_html
from analyzer.types import Analysis, Conversation, Flag, Span, Turn, TurnScore

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
HOSTILE = 'Hi <script>alert("x")</script> & <img src=x onerror=alert(1)> "quoted" please'

# --- headless Chromium (also used by test_report) -------------------------------------------------------------
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--virtual-time-budget=5000"]
CONSOLE = re.compile(r"CONSOLE[^\]]*\]\s*(.*)")


def chromium() -> str:
    """The Chromium binary; the calling test is skipped where there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no chromium binary found (Debian: apt-get install chromium)")


def browse(page: Path, screenshot: Path | None = None, size: str = "1280,2000") -> tuple[str, list[str]]:
    """Open ``page`` in headless Chromium: its DOM after the scripts ran, and every console message."""
    binary = chromium()
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr",
                               "--v=0", f"--window-size={size}", "--dump-dom", page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    if screenshot is not None:
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
                            f"--screenshot={screenshot}", page.resolve().as_uri()],
                           capture_output=True, text=True, timeout=120, check=True)
    return done.stdout, [m.group(1) for m in CONSOLE.finditer(done.stderr)]


@functools.lru_cache(maxsize=1)
def shipped() -> analyzer.Analyzer:
    """The shipped models and standards, loaded once per test session."""
    return analyzer.load()


# --- helpers ---------------------------------------------------------------------------------------------------
class _Text(HTMLParser):
    """The visible transcript text of a fragment: everything but the ``tag`` labels, style and script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.marks: list[str] = []
        self._in_mark = 0

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if self.skip or tag in ("style", "script") or "tag" in classes.split():
            self.skip += 1
        elif tag == "mark":
            self._in_mark += 1
            self.marks.append("")

    def handle_endtag(self, tag):
        if self.skip:
            self.skip -= 1
        elif tag == "mark":
            self._in_mark -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)
            if self._in_mark:
                self.marks[-1] += data


def _visible(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def _luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = [int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _hostile_analysis() -> Analysis:
    conv = Conversation("x<y>&z", (Turn(0, "customer", HOSTILE, language="en"),
                                   Turn(1, "agent", "Sorry, not our problem. Ask the courier.", language="en")))
    please = HOSTILE.index("please")
    scores = (TurnScore(0, "politeness", 0.4, "neutral", (Span(0, please, please + 6, "please"),
                                                           Span(0, 3, 11, "<b>odd</b>"))),
              TurnScore(1, "ownership", 0.1, "deflects", (Span(1, 7, 22, "blame"),)),
              TurnScore(1, "politeness", 0.2, "impolite", (Span(1, 0, 5, "apology"),)))
    flag = Flag("no-postpone", "critical", (1,), (Span(1, 24, 39, "redirect"),), 1.0, 0.5, "agent <redirects>")
    return Analysis(conv, scores, (flag,), 40.0, False, {})


# --- tests -----------------------------------------------------------------------------------------------------
def test_display_escapes_untrusted_text():
    html = render_html(_hostile_analysis(), standalone=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>odd</b>" not in html
    assert "&lt;script&gt;</mark>" in html and "alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "x&lt;y&gt;&amp;z" in html and "agent &lt;redirects&gt;" in html
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html


def test_display_highlight_keeps_the_text_exact():
    spans = [{"start": 0, "end": 8, "dimension": "politeness", "label": "greeting"},
             {"start": 4, "end": 14, "dimension": "flag", "label": "security", "severity": "critical"},
             {"start": 50, "end": 99, "dimension": "empathy", "label": "out_of_range"},
             {"start": 9, "end": 3, "dimension": "empathy", "label": "reversed"},
             {"start": "bad", "end": None, "dimension": "empathy", "label": "junk"}]
    text = "Ահա <script> τέλος & koniec"
    parsed = _visible(highlight(text, spans))
    assert "".join(parsed.parts) == text  # every character once, in order, whatever the overlaps
    assert parsed.marks == [text[0:4], text[4:8], text[8:14]]  # overlap cut into three segments
    html = highlight(text, spans)
    assert html.count('class="ev k-flag multi"') == 1  # the overlap takes the flag colour and says it is shared
    assert "greeting</span>" in html and "security</span>" in html
    assert "out_of_range" not in html and "reversed" not in html and "junk" not in html


def test_display_spans_and_flags_appear_with_labels():
    html = render_html(_hostile_analysis())
    parsed = _visible(html)
    assert "please" in parsed.marks and "not our problem" in parsed.marks
    assert 'data-kind="deflection"' in html and 'data-kind="polite"' in html and 'data-kind="flag"' in html
    assert re.search(r'class="sev sev-critical">CRITICAL</span> <b>no-postpone</b>', html)
    assert html.count('role="meter"') == 3  # one bar per scored (turn, dimension)
    assert 'aria-valuenow="0.10"' in html and "ownership 0.10 deflects" in html


def test_display_colours_meet_wcag_aa():
    for kind, (_, background, border, _style) in KINDS.items():
        assert _contrast("#111111", background) >= 4.5, kind  # highlighted text
        assert _contrast(border, background) >= 3.0, kind  # the underline that marks the kind
    for severity, (background, text) in SEVERITY_STYLE.items():
        assert _contrast(text, background) >= 4.5, severity
    assert _contrast("#1f5fa8", "#e6e6e6") >= 3.0  # bar fill against its track (non-text contrast)
    assert _contrast("#3d3d3d", "#f7fbff") >= 4.5  # secondary text on the agent background


@pytest.mark.parametrize("language", ["en", "el", "pl", "hy"])
def test_display_real_analysis_in_every_script(language):
    conversation = next(c for c in analyzer.read(SAMPLES / "chats" / f"standards_{language}.jsonl")
                        if c.id.endswith("-rude"))
    result = shipped().analyze(conversation)
    html = render_html(result)
    parsed = _visible(html)
    for turn in result.conversation.turns:  # the whole transcript is there, in its own script
        assert turn.text in "".join(parsed.parts)
    assert html.count('dir="auto"') == len(result.conversation.turns)
    assert f'lang="{language}"' in html
    bars = sum(1 for s in result.scores if s.dimension in BAR_DIMENSIONS)
    assert html.count('role="meter"') == bars
    for flag in result.flags:
        assert f"<b>{flag.standard}</b>" in html
    evidence = [e.text(result.conversation) for s in result.scores for e in s.evidence if e.end > e.start]
    assert all(any(piece in mark or mark in piece for mark in parsed.marks) for piece in evidence)


def test_display_renders_in_chromium(tmp_path):
    chromium()
    results = [shipped().analyze(next(iter(analyzer.read(SAMPLES / "chats" / f"standards_{lang}.jsonl"))))
               for lang in ("en", "hy")]
    probe = ("<script>document.body.dataset.overflow = [...document.querySelectorAll('.anz .text, .anz .turn')]"
             ".filter(e => e.scrollWidth > e.clientWidth + 1).length;"
             "document.body.dataset.marks = document.querySelectorAll('mark.ev').length;</script>")
    page = tmp_path / "display.html"
    body = "".join(render_html(r) for r in results) + render_html(_hostile_analysis())
    page.write_text(f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body style="width:420px">'
                    f"{body}{probe}</body></html>", encoding="utf-8")
    dom, console = browse(page, screenshot=tmp_path / "display.png", size="480,1600")
    assert not [m for m in console if "error" in m.lower() or "uncaught" in m.lower()], console
    assert 'data-overflow="0"' in dom  # long lines wrap in a narrow column: nothing clipped
    marks = int(re.search(r'data-marks="(\d+)"', dom).group(1))
    assert marks == dom.count('<mark class="ev') and marks >= 5
    assert dom.count("<script") == 1 and "<img" not in dom  # the transcript's markup stayed text: only the probe ran
    assert (tmp_path / "display.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
