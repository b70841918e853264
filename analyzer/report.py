"""One self-contained HTML report over the results of ``analyzer score``.

Sections: overview, standards, agents, teams (scorecards and trend), customer sentiment,
the worst conversations turn by turn (embedded as anchors), and the run's provenance.
Large result sets are summarised (top-N tables, aggregated plots), never dumped. Plots use
plotly, whose JavaScript is embedded once, so the file opens without a network.

Example:
    >>> from pathlib import Path
    >>> build_report(Path("/tmp/run/scores.parquet"), Path("/tmp/run/report.html"))  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

from .display import STYLE, render_view
from .report_data import load_results, provenance, view_from_rows

log = logging.getLogger(__name__)

SECTIONS = ("overview", "standards", "agents", "teams", "sentiment", "worst", "provenance")
SEVERITIES = ("info", "minor", "major", "critical")
TOP_N = 20
PALETTE = {"info": "#6b6b6b", "minor": "#b8860b", "major": "#c45400", "critical": "#8b0000", "bar": "#1f5fa8"}

PAGE_CSS = """
body{margin:0;background:#fff;color:#111}
.rep{font-family:system-ui,"Noto Sans","DejaVu Sans",Arial,sans-serif;max-width:72rem;margin:0 auto;padding:1rem 1.5rem}
.rep nav a{margin-right:.8rem;color:#0b4f9c}
.rep a{color:#0b4f9c}
.rep h2{border-bottom:2px solid #595959;padding-bottom:.2rem;margin-top:2rem}
.rep table{border-collapse:collapse;margin:.5rem 0;font-size:.88rem}
.rep th,.rep td{border:1px solid #8a8a8a;padding:.2rem .5rem;text-align:left;vertical-align:top}
.rep th{background:#ececec}
.rep td.num{text-align:right;font-variant-numeric:tabular-nums}
.rep .kpis{display:flex;flex-wrap:wrap;gap:.8rem}
.rep .kpi{border:1px solid #8a8a8a;border-radius:4px;padding:.4rem .8rem;min-width:9rem}
.rep .kpi b{display:block;font-size:1.4rem}
.rep .note{color:#3d3d3d;font-size:.88rem}
.rep .chart{min-height:320px}
.rep details{margin:.6rem 0}
"""


def _fmt(value: Any, digits: int = 1, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if pct:
        return f"{100 * float(value):.{digits}f}%"
    return f"{float(value):.{digits}f}" if isinstance(value, float) else str(value)


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int] = frozenset()) -> str:
    """An HTML table; cells are escaped unless given as ``("html", text)``."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            text = cell[1] if isinstance(cell, tuple) and cell[0] == "html" else escape(str(cell))
            cells.append(f'<td class="num">{text}</td>' if i in numeric else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _kpis(items: list[tuple[str, Any]]) -> str:
    """Headline figures as boxes: a label and a big number."""
    return '<div class="kpis">' + "".join(f'<div class="kpi">{escape(k)}<b>{escape(str(v))}</b></div>'
                                          for k, v in items) + "</div>"


def _chart(fig, label: str) -> str:
    """A plotly figure as a ``<div>`` (the library itself is embedded once in the page head)."""
    fig.update_layout(template="simple_white", height=340, margin=dict(l=60, r=20, t=40, b=50),
                      font=dict(family="DejaVu Sans, Arial, sans-serif", size=13, color="#111"))
    html = fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False,
                       config={"displaylogo": False, "responsive": True})
    return f'<div class="chart" role="img" aria-label="{escape(label)}">{html}</div>'


def _anchor(cid: str) -> str:
    import re

    return "conv-" + re.sub(r"[^A-Za-z0-9_-]", "_", str(cid))


def _conv_link(cid: str, embedded: set[str]) -> tuple[str, str]:
    text = escape(str(cid))
    return ("html", f'<a href="#{_anchor(cid)}">{text}</a>' if cid in embedded else text)


def _overview(conv, errors, go) -> str:
    n = len(conv)
    qa = conv["qa_score"].dropna() if "qa_score" in conv else conv.iloc[0:0]
    passed = conv["passed"].dropna() if "passed" in conv else conv.iloc[0:0]
    kpis = [("conversations", f"{n:,}"), ("turns", f"{int(conv['n_turns'].sum()):,}" if "n_turns" in conv else "-"),
            ("records failed", f"{0 if errors is None else len(errors):,}"),
            ("mean QA score", _fmt(qa.mean()) if len(qa) else "-"),
            ("pass rate", _fmt(passed.astype(bool).mean(), pct=True) if len(passed) else "-")]
    out = [_kpis(kpis)]
    for col in ("language", "channel"):
        if col in conv:
            counts = conv[col].fillna("(unknown)").value_counts().head(TOP_N)
            out.append(f"<h3>{col.title()}s</h3>" + _table([col, "conversations", "share"],
                       [[k, int(v), _fmt(v / n, pct=True)] for k, v in counts.items()], {1, 2}))
    if len(qa):
        fig = go.Figure(go.Histogram(x=qa, xbins=dict(start=0, end=100.01, size=5), marker_color=PALETTE["bar"],
                                     marker_line=dict(color="#111", width=1)))
        fig.update_layout(title="QA score distribution", xaxis_title="QA score (0-100)", yaxis_title="conversations")
        out.append(_chart(fig, "Histogram of QA scores"))
    return "".join(out)


def _standards(conv, flags, go) -> str:
    if flags is None or not len(flags):
        return '<p class="note">No standard was broken.</p>'
    n = len(conv)
    per = flags.groupby("standard")["conversation_id"].nunique().sort_values(ascending=False)
    sev = flags.groupby(["standard", "severity"]).size().unstack(fill_value=0)
    rows = [[s, int(c), _fmt(c / n, pct=True), *(int(sev.loc[s].get(v, 0)) for v in SEVERITIES)]
            for s, c in per.items()]
    fig = go.Figure()
    for level in SEVERITIES:
        if level in sev:
            fig.add_bar(name=level, x=list(per.index), y=[int(sev.loc[s].get(level, 0)) for s in per.index],
                        marker_color=PALETTE[level], marker_line=dict(color="#111", width=1))
    fig.update_layout(barmode="stack", title="Flags per standard, by severity", yaxis_title="flags")
    return (_table(["standard", "conversations flagged", "flag rate", *SEVERITIES], rows, {1, 2, 3, 4, 5, 6})
            + _chart(fig, "Stacked bar chart: flags per standard by severity"))


def _group_section(conv, by: str, embedded: set[str], dates, go) -> str:
    from .standards.scorecard import scorecard

    if by not in conv or conv[by].isna().all():
        return f'<p class="note">The sources give no {by}.</p>'
    flags = conv["flags"] if "flags" in conv else conv["conversation_id"].map(lambda _: "")
    rows = conv.assign(flags=flags.fillna("").map(lambda s: [x for x in str(s).split(";") if x]))
    rows = rows.astype(object).where(rows.notna(), None)
    cards = scorecard(rows.to_dict(orient="records"), by=by, worst=3)
    cards.sort(key=lambda c: (c["mean_qa_score"] is None, c["mean_qa_score"] or 0, -c["conversations"]))
    shown = cards[:TOP_N]
    table_rows = []
    for c in shown:
        top = sorted(c["flag_rate"].items(), key=lambda kv: -kv[1])[:3]
        worst = ("html", ", ".join(_conv_link(w, embedded)[1] for w in c["worst"]))
        table_rows.append([c[by], c["conversations"], _fmt(c["mean_qa_score"]), _fmt(c["pass_rate"], pct=True),
                           "; ".join(f"{s} {_fmt(r, pct=True)}" for s, r in top) or "-", worst])
    note = (f'<p class="note">The {len(shown)} lowest-scoring of {len(cards)} {by}s.</p>'
            if len(cards) > len(shown) else "")
    html = note + _table([by, "conversations", "mean QA score", "pass rate", "top flag rates", "worst"], table_rows,
                         {1, 2, 3})
    if dates is not None:
        frame = conv.assign(date=conv["conversation_id"].map(dates)).dropna(subset=["date", "qa_score"])
        frame = frame.assign(week=frame["date"].dt.tz_convert(None).dt.to_period("W").dt.start_time,
                             group=frame[by].fillna("(unknown)"))
        if frame["week"].nunique() > 1:
            top = frame["group"].value_counts().head(8).index
            fig = go.Figure()
            for name in top:
                trend = frame[frame["group"] == name].groupby("week")["qa_score"].mean()
                fig.add_scatter(x=list(trend.index), y=list(trend.values), mode="lines+markers", name=str(name))
            fig.update_layout(title=f"Mean QA score per week ({by}s with most conversations)",
                              yaxis_title="mean QA score", yaxis_range=[0, 100])
            html += _chart(fig, f"Line chart: weekly mean QA score per {by}")
    return html


def _sentiment(conv, go) -> str:
    cols = ("customer_sentiment_start", "customer_sentiment_end")
    if not all(c in conv for c in cols) or conv[list(cols)].dropna().empty:
        return ('<p class="note">No customer sentiment in these results (the sentiment model was not run, '
                'or no conversation had customer turns).</p>')
    both = conv[list(cols)].dropna()
    change = both[cols[1]] - both[cols[0]]
    kpis = [("conversations", len(both)), ("mean P(positive) at start", _fmt(both[cols[0]].mean(), 2)),
            ("mean P(positive) at end", _fmt(both[cols[1]].mean(), 2)),
            ("improved (+0.1 or more)", _fmt((change >= 0.1).mean(), pct=True)),
            ("worsened (-0.1 or more)", _fmt((change <= -0.1).mean(), pct=True))]
    fig = go.Figure(go.Histogram2d(x=both[cols[0]], y=both[cols[1]], nbinsx=10, nbinsy=10, colorscale="Blues",
                                   colorbar=dict(title="conversations")))
    fig.update_layout(title="Customer sentiment: first vs last customer turn", xaxis_title="P(positive) at start",
                      yaxis_title="P(positive) at end")
    return _kpis(kpis) + _chart(fig, "Heat map of customer sentiment at start versus end")


def _worst(conv, tables, worst_n: int) -> tuple[str, set[str]]:
    scored = conv.dropna(subset=["qa_score"]) if "qa_score" in conv else conv.iloc[0:0]
    keys = ["qa_score", "n_flags"] if "n_flags" in scored else ["qa_score"]
    worst = scored.sort_values(keys, ascending=[True, False][: len(keys)]).head(worst_n)
    turns, flags = tables["turns"], tables["flags"]
    if not len(worst):
        return '<p class="note">No QA scores (the run used --no-standards).</p>', set()
    embedded = set(worst["conversation_id"]) if turns is not None else set()
    rows = [[_conv_link(r["conversation_id"], embedded), *(_fmt(r.get(k)) for k in ("agent", "team")),
             _fmt(r["qa_score"]), _fmt(r.get("flags"))] for r in worst.to_dict(orient="records")]
    html = _table(["conversation", "agent", "team", "QA score", "flags"], rows, {3})
    if turns is None:
        return html + '<p class="note">Run <code>analyzer score --turns</code> to see these turn by turn.</p>', embedded
    by_turn = turns[turns["conversation_id"].isin(embedded)].groupby("conversation_id")
    by_flag = flags[flags["conversation_id"].isin(embedded)].groupby("conversation_id") if flags is not None else None
    for row in worst.to_dict(orient="records"):
        cid = row["conversation_id"]
        t = by_turn.get_group(cid) if cid in by_turn.groups else None
        f = by_flag.get_group(cid) if by_flag is not None and cid in by_flag.groups else None
        view = view_from_rows(row, t, f)
        html += (f"<details open><summary>{escape(str(cid))} · QA {_fmt(row['qa_score'])}</summary>"
                 f"{render_view(view, anchor=_anchor(cid), style=False)}</details>")
    return html, embedded


def _provenance(prov: dict[str, Any], results: Path, tables: dict[str, Any]) -> str:
    models = [[m.get("name"), m.get("version"), m.get("tier"), ("html", f"<code>{escape(str(m.get('sha256')))}</code>"),
               m.get("analyzer_version"), "quick" if m.get("quick") else "full"] for m in prov["models"]]
    files = [[kind, "-" if frame is None else len(frame)] for kind, frame in tables.items()]
    versions = {str(v) for v in tables["conversations"].get("schema_version", [])}
    dims = [c[len("agent_"):-len("_mean")] for c in tables["conversations"].columns
            if c.startswith("agent_") and c.endswith("_mean")]
    facts = [["analyzer version", prov["analyzer_version"]], ["results", str(results)],
             ["schema version", ", ".join(sorted(versions)) or "-"], ["dimensions scored", ", ".join(dims) or "-"],
             ["standards file", prov["standards_file"]],
             ["standards sha256", ("html", f"<code>{escape(str(prov['standards_sha256']))}</code>")],
             ["report generated", datetime.now(timezone.utc).isoformat(timespec="seconds")]]
    return (_table(["", ""], facts) + "<h3>Models</h3>"
            + (_table(["model", "version", "tier", "sha256", "trained with analyzer", "training"], models)
               if models else '<p class="note">No model metadata found.</p>')
            + "<h3>Rows read</h3>" + _table(["table", "rows"], files, {1}))


def _dates(turns):
    """Each conversation's first timestamp (UTC), or ``None`` when the turn rows have none."""
    import pandas as pd

    if turns is None or "timestamp" not in turns or turns["timestamp"].isna().all():
        return None
    stamps = pd.to_datetime(turns["timestamp"], utc=True, errors="coerce", format="ISO8601")
    stamps = stamps.where(stamps.dt.year > 1970)  # times without a date (plain transcripts) tell no trend
    first = stamps.groupby(turns["conversation_id"]).min().dropna()
    return first.to_dict() if len(first) else None


def build_report(results: Path, out: Path, title: str | None = None, *, worst: int = 10,
                 models_dir: Path | None = None, standards: Path | None = None) -> Path:
    """Write one self-contained HTML report over the results of ``analyzer score``.

    Args:
        results: the ``--out`` of ``analyzer score`` (``.parquet``, ``.jsonl``, ``.csv`` or a partitioned folder);
            ``OUT.flags.*``, ``OUT.turns.*`` and ``errors.jsonl`` beside it are read when present.
        out: the HTML file to write.
        title: the page title (default: "QA report: <results name>").
        worst: how many of the lowest-scoring conversations to embed turn by turn (needs ``--turns``).
        models_dir, standards: where the models and the standards file used were (for provenance).

    Returns:
        ``out``.
    """
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    results, out = Path(results), Path(out)
    tables = load_results(results)
    conv = tables["conversations"]
    title = title or f"QA report: {results.name}"
    worst_html, embedded = _worst(conv, tables, worst)
    dates = _dates(tables["turns"])
    bodies = {
        "overview": ("Overview", _overview(conv, tables["errors"], go)),
        "standards": ("Standards", _standards(conv, tables["flags"], go)),
        "agents": ("Agents", _group_section(conv, "agent", embedded, dates, go)),
        "teams": ("Teams", _group_section(conv, "team", embedded, dates, go)),
        "sentiment": ("Customer sentiment, start → end", _sentiment(conv, go)),
        "worst": (f"Worst {min(worst, len(conv))} conversations, turn by turn", worst_html),
        "provenance": ("Provenance", _provenance(provenance(models_dir, standards), results, tables)),
    }
    nav = "".join(f'<a href="#{key}">{escape(name)}</a>' for key, (name, _) in bodies.items())
    sections = "".join(f'<section id="{key}"><h2>{escape(name)}</h2>{body}</section>'
                       for key, (name, body) in bodies.items())
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
            f'<style>{PAGE_CSS}{STYLE}</style><script>{get_plotlyjs()}</script></head>'
            f'<body><main class="rep"><h1>{escape(title)}</h1><nav aria-label="sections">{nav}</nav>'
            f"{sections}</main></body></html>")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    log.info("report: %d conversations -> %s (%d bytes)", len(conv), out, len(page))
    return out
