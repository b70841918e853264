"""A scored conversation as HTML, in the spirit of spaCy's displaCy.

The transcript is shown turn by turn with its roles, a score bar per dimension and the
evidence spans highlighted inline; the flags follow with their severity. Colour is never
the only cue: every highlight carries a text tag and a title, every bar its number and label.
All text is HTML-escaped (transcripts are untrusted input).

:func:`render_html` draws an :class:`~analyzer.types.Analysis`; :func:`render_view` draws the
same plain-dict *view* built from result rows (used by :mod:`analyzer.report`).
"""

from __future__ import annotations

import re
from html import escape
from typing import Any, Iterable, Mapping

from .types import Analysis

BAR_DIMENSIONS = ("politeness", "empathy", "ownership", "sentiment", "complaint")
NEGATIVE_POLITENESS = frozenset({"bare_command", "swearing", "insult", "informal_address", "impolite"})
DEFLECTION = frozenset({"redirect", "redirects", "blame", "blames", "vague_postpone", "deflects",
                        "tag:redirects", "tag:blames", "tag:vague_postpone"})
# kind -> (legend text, background, border colour, border style); text is #111 on every background (AA ≥ 12:1)
KINDS: dict[str, tuple[str, str, str, str]] = {
    "flag": ("flag: a broken standard", "#fff3a3", "#6b5900", "solid"),
    "deflection": ("ownership: deflection", "#ffe0b8", "#8a4b00", "dashed"),
    "impolite": ("politeness: impolite strategy", "#ffd6d6", "#a30000", "double"),
    "ownership": ("ownership: owns / commits", "#d3e8ff", "#0b4f9c", "solid"),
    "empathy": ("empathy mechanism", "#e6dcff", "#5a2ca0", "dotted"),
    "polite": ("politeness: polite strategy", "#d6f5d6", "#1b6e1b", "solid"),
    "other": ("other evidence (sentiment, complaint)", "#ececec", "#444444", "dotted"),
}
SEVERITY_STYLE = {"info": ("#ececec", "#111"), "minor": ("#fff3a3", "#111"),
                  "major": ("#ffd0a0", "#111"), "critical": ("#8b0000", "#fff")}
FONTS = ('system-ui, "Noto Sans", "Noto Sans Armenian", "Noto Sans Greek", "DejaVu Sans", '
         '"Segoe UI", Arial, sans-serif')

CSS = """
.anz{font-family:%(fonts)s;color:#111;background:#fff;line-height:1.7;max-width:60rem}
.anz *{box-sizing:border-box}
.anz .head{margin:.2rem 0 .6rem}.anz .head b{font-size:1.05rem}
.anz .meta{color:#3d3d3d;font-size:.85rem}
.anz .turn{border:1px solid #8a8a8a;border-left-width:6px;border-radius:4px;margin:.45rem 0;padding:.35rem .6rem}
.anz .role-agent{border-left-color:#0b4f9c;background:#f7fbff}
.anz .role-customer{border-left-color:#595959;background:#fff}
.anz .who{font-size:.8rem;color:#3d3d3d}
.anz .role{font-weight:700;text-transform:uppercase;letter-spacing:.03em;color:#111}
.anz .text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.15rem 0;unicode-bidi:plaintext}
.anz mark.ev{color:#111;padding:0 .1em;border-bottom-width:3px;border-radius:2px}
.anz mark.multi{outline:1px solid #111}
.anz .tag{font-size:.68rem;font-weight:700;vertical-align:super;margin:0 .15em;padding:0 .25em;border-radius:3px;
 color:#111;border:1px solid}
.anz .bars{display:flex;flex-wrap:wrap;gap:.2rem 1rem;font-size:.78rem;color:#111}
.anz .bar{display:inline-flex;align-items:center;gap:.3rem}
.anz .track{display:inline-block;width:5rem;height:.65rem;background:#e6e6e6;border:1px solid #595959;border-radius:2px}
.anz .fill{display:block;height:100%%;background:#1f5fa8}
.anz .sev{display:inline-block;padding:0 .4em;border-radius:3px;font-weight:700;font-size:.78rem;border:1px solid #111}
.anz .flags li{margin:.15rem 0}
.anz .legend{display:flex;flex-wrap:wrap;gap:.3rem .8rem;font-size:.78rem;margin:.4rem 0}
.anz .pass{font-weight:700}
""" % {"fonts": FONTS}


def _kind_css() -> str:
    rules = []
    for kind, (_, bg, border, style) in KINDS.items():
        rules.append(f".anz mark.k-{kind}{{background:{bg};border-bottom:3px {style} {border}}}"
                     f".anz .tag.k-{kind}{{background:{bg};border-color:{border}}}")
    for sev, (bg, fg) in SEVERITY_STYLE.items():
        rules.append(f".anz .sev-{sev}{{background:{bg};color:{fg}}}")
    return "\n".join(rules)


STYLE = CSS + _kind_css()


def span_kind(dimension: str, label: str) -> str:
    """The highlight kind of an evidence span: ``flag``, ``deflection``, ``impolite``, ``ownership``, ...

    Example:
        >>> span_kind("politeness", "bare_command"), span_kind("ownership", "redirect")
        ('impolite', 'deflection')
    """
    if dimension == "flag":
        return "flag"
    if dimension == "politeness":
        return "impolite" if label in NEGATIVE_POLITENESS else "polite"
    if dimension == "ownership":
        return "deflection" if label in DEFLECTION else "ownership"
    if dimension == "empathy":
        return "empathy"
    return "other"


_PRIORITY = {kind: i for i, kind in enumerate(KINDS)}


def view_from_analysis(analysis: Analysis) -> dict[str, Any]:
    """The plain-dict view of an analysis that :func:`render_view` draws."""
    conv = analysis.conversation
    turns = []
    for turn in conv.turns:
        scores, spans = {}, []
        for s in analysis.scores:
            if s.turn != turn.index:
                continue
            scores[s.dimension] = {"value": s.value, "label": s.label}
            spans += [{"start": e.start, "end": e.end, "dimension": s.dimension, "label": e.label} for e in s.evidence]
        turns.append({"index": turn.index, "role": turn.role, "speaker": turn.speaker, "language": turn.language,
                      "timestamp": turn.timestamp.isoformat() if turn.timestamp else None, "text": turn.text,
                      "scores": scores, "spans": spans})
    flags = []
    for flag in analysis.flags:
        flags.append({"standard": flag.standard, "severity": flag.severity, "turns": list(flag.turns),
                      "message": flag.message, "observed": flag.observed, "threshold": flag.threshold})
        for e in flag.evidence:
            if 0 <= e.turn < len(turns):
                turns[e.turn]["spans"].append({"start": e.start, "end": e.end, "dimension": "flag",
                                               "label": flag.standard, "severity": flag.severity})
    meta = conv.meta or {}
    return {"id": conv.id, "channel": conv.channel, "language": conv.language, "qa_score": analysis.qa_score,
            "passed": analysis.passed, "agent": meta.get("agent"), "team": meta.get("team"),
            "turns": turns, "flags": flags}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def highlight(text: str, spans: Iterable[Mapping[str, Any]]) -> str:
    """``text`` HTML-escaped, with ``<mark>`` around each span and a text tag after it.

    Overlapping spans are cut into segments; a segment takes the colour of its most
    important kind (flag first) and its title lists every span covering it.

    Example:
        >>> highlight("Please <b>", [{"start": 0, "end": 6, "dimension": "politeness", "label": "please"}])[:48]
        '<mark class="ev k-polite" data-kind="polite" dat'
    """
    n = len(text)
    clean = []
    for s in spans:
        start, end = _int(s.get("start")), _int(s.get("end"))
        if start is None or end is None:
            continue
        start, end = max(0, min(start, n)), max(0, min(end, n))
        if end <= start:
            continue
        dim, label = str(s.get("dimension") or ""), str(s.get("label") or "")
        kind = span_kind(dim, label)
        title = f"{dim}: {label}" + (f" ({s['severity']})" if s.get("severity") else "")
        clean.append((start, end, kind, label or dim, title))
    if not clean:
        return escape(text)
    cuts = sorted({0, n, *(c[0] for c in clean), *(c[1] for c in clean)})
    out: list[str] = []
    for a, b in zip(cuts, cuts[1:]):
        active = [c for c in clean if c[0] <= a and c[1] >= b]
        piece = escape(text[a:b])
        if active:
            active.sort(key=lambda c: _PRIORITY[c[2]])
            kinds = sorted({c[2] for c in active}, key=_PRIORITY.get)
            title = escape("; ".join(dict.fromkeys(c[4] for c in active)))
            labels = escape(" ".join(dict.fromkeys(c[3] for c in active)))
            multi = " multi" if len(kinds) > 1 else ""
            piece = (f'<mark class="ev k-{kinds[0]}{multi}" data-kind="{" ".join(kinds)}" data-label="{labels}" '
                     f'title="{title}">{piece}</mark>')
        out.append(piece)
        for c in clean:
            if c[1] == b:
                out.append(f'<span class="tag k-{c[2]}" title="{escape(c[4])}">{escape(c[3])}</span>')
    return "".join(out)


def _bar(dimension: str, score: Mapping[str, Any]) -> str:
    value = float(score.get("value") or 0.0)
    value = min(max(value, 0.0), 1.0)
    label = escape(str(score.get("label") or ""))
    pole = "P(complaint)" if dimension == "complaint" else "P(good)"
    text = f"{dimension} {value:.2f} {label}"
    return (f'<span class="bar" role="meter" aria-valuemin="0" aria-valuemax="1" aria-valuenow="{value:.2f}" '
            f'aria-label="{escape(text)}" title="{escape(dimension)}: {pole} = {value:.2f}, label {label}">'
            f'{escape(dimension)} <span class="track"><span class="fill" style="width:{value * 100:.0f}%">'
            f'</span></span> {value:.2f} <i>{label}</i></span>')


def _turn(turn: Mapping[str, Any], anchor: str) -> str:
    role = str(turn.get("role") or "unknown")
    role_class = re.sub(r"[^a-z]", "", role.lower()) or "unknown"
    lang = escape(str(turn.get("language") or ""))
    who = " · ".join(escape(str(x)) for x in (turn.get("speaker"), turn.get("language"), turn.get("timestamp")) if x)
    scores = turn.get("scores") or {}
    bars = "".join(_bar(d, scores[d]) for d in BAR_DIMENSIONS if d in scores)
    index = _int(turn.get("index"))
    return (f'<div class="turn role-{role_class}" id="{escape(anchor)}-t{index}">'
            f'<div class="who"><span class="role">{escape(role)}</span> #{index}{" · " + who if who else ""}</div>'
            f'<div class="text" dir="auto"{f" lang={chr(34)}{lang}{chr(34)}" if lang else ""}>'
            f'{highlight(str(turn.get("text") or ""), turn.get("spans") or ())}</div>'
            f'{f"<div class={chr(34)}bars{chr(34)}>{bars}</div>" if bars else ""}</div>')


def legend_html() -> str:
    """The legend: one sample per highlight kind and per severity."""
    kinds = "".join(f'<span><mark class="ev k-{k}">{escape(text)}</mark></span>' for k, (text, *_r) in KINDS.items())
    sevs = "".join(f'<span class="sev sev-{s}">{s.upper()}</span>' for s in SEVERITY_STYLE)
    return (f'<div class="legend" aria-label="legend"><b>Legend:</b>{kinds}</div>'
            f'<div class="legend"><b>Severity:</b>{sevs}'
            f'<span>Bars: P(good pole) 0–1; complaint: P(complaint)</span></div>')


def render_view(view: Mapping[str, Any], standalone: bool = False, anchor: str | None = None,
                style: bool = True) -> str:
    """Draw a conversation view (see :func:`view_from_analysis`) as HTML.

    Args:
        view: ``{id, channel, language, qa_score, passed, agent, team, turns: [...], flags: [...]}``.
        standalone: a whole HTML document instead of a fragment.
        anchor: the id of the outer element (default: ``conv-<id>``).
        style: include the ``<style>`` block (leave it out when the page already has :data:`STYLE`).
    """
    cid = str(view.get("id") or "conversation")
    anchor = anchor or "conv-" + re.sub(r"[^A-Za-z0-9_-]", "_", cid)
    qa = view.get("qa_score")
    passed = view.get("passed")
    status = "" if passed is None else (" · <span class=\"pass\">PASSED</span>" if passed
                                        else " · <span class=\"pass sev sev-critical\">FAILED</span>")
    facts = [f"channel {view.get('channel') or '-'}", f"language {view.get('language') or '-'}"]
    facts += [f"{k} {view[k]}" for k in ("agent", "team") if view.get(k)]
    head = (f'<div class="head"><b>{escape(cid)}</b> <span class="meta">{escape(" · ".join(facts))}</span>'
            f'<div>QA score <b>{"-" if qa is None else f"{float(qa):.1f}"}</b>{status}</div></div>')
    turns = "".join(_turn(t, anchor) for t in view.get("turns") or ())
    items = []
    for f in view.get("flags") or ():
        sev = str(f.get("severity") or "info")
        sev_class = sev if sev in SEVERITY_STYLE else "info"
        where = ", ".join(str(t) for t in f.get("turns") or ())
        items.append(f'<li><span class="sev sev-{sev_class}">{escape(sev.upper())}</span> '
                     f'<b>{escape(str(f.get("standard")))}</b> (turns {escape(where) or "-"}): '
                     f'{escape(str(f.get("message") or ""))}</li>')
    flags = (f'<div class="flags"><b>Flags ({len(items)})</b><ul>{"".join(items)}</ul></div>' if items
             else '<div class="flags"><b>Flags (0)</b>: none</div>')
    body = f'<div class="anz" id="{escape(anchor)}">{head}{legend_html()}{turns}{flags}</div>'
    css = f"<style>{STYLE}</style>" if style or standalone else ""
    if not standalone:
        return css + body
    lang = escape(str(view.get("language") or "en"))
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(cid)} · analyzer</title>{css}</head><body>{body}</body></html>')


def render_html(analysis: Analysis, standalone: bool = False) -> str:
    """A scored conversation as HTML: transcript, score bars, highlighted evidence, flags, legend.

    Args:
        analysis: what :meth:`analyzer.Analyzer.analyze` returned.
        standalone: a whole HTML page (for a file or a browser) instead of a notebook fragment.

    Returns:
        HTML text; every piece of the transcript is escaped.

    Example:
        >>> import analyzer
        >>> a = analyzer.load(dimensions=(), standards=False).analyze([("customer", "<b>hi</b>")])
        >>> "&lt;b&gt;hi&lt;/b&gt;" in render_html(a)
        True
    """
    return render_view(view_from_analysis(analysis), standalone=standalone)
