"""Write a model folder (model.joblib, meta.json, MODEL_CARD.md) and render the card from the metrics.

Nothing in a card is typed by hand: every figure comes from ``meta`` (what training measured).
The ``meta`` layout (spaCy's ``ModelMetaSchema``, extended):

``{name, version, tier, languages, labels, analyzer_version, sklearn_version, seed,
data: [{name, path, licence, rows, use, non_commercial, machine_translated}],
splits: {...}, metrics: {"evaluations": [{name, task, domain, language, n, accuracy, macro_f1,
f1?, ece, per_class, anchor?: {metric, value, source}, translated?}], ...},
speed: {...}, notes: [str], sections: {title: markdown}, sha256}``

Example:
    >>> "# Model card: demo" in render_card({"name": "demo", "version": "0.1.0"})
    True
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, Mapping

logger = logging.getLogger(__name__)

TRANSLATION_NOTE = ("el/pl/hy texts are machine translations made by language models for this project, "
                    "not checked by native speakers")


def save_model_dir(out_dir: str | Path, model: Any, meta: Mapping[str, Any]) -> dict[str, Any]:
    """Save ``model`` with joblib, record its sha256 in ``meta.json``, write ``MODEL_CARD.md``.

    Args:
        out_dir: the model folder (created).
        model: the object to pickle (for the fast tier: ``{"featurizer": ..., "heads": {...}}``).
        meta: everything else; ``sha256``, ``sklearn_version`` and ``analyzer_version`` are filled in.

    Returns:
        The meta dict as written.
    """
    import joblib
    import sklearn

    import analyzer

    from ..scorers.base import sha256_file

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model_file = out / "model.joblib"
    tmp = out / "model.joblib.tmp"
    joblib.dump(model, tmp, compress=3)
    tmp.replace(model_file)
    meta = dict(meta)
    meta.setdefault("analyzer_version", analyzer.__version__)
    meta.setdefault("sklearn_version", sklearn.__version__)
    meta["sha256"] = sha256_file(model_file)
    meta["size_bytes"] = model_file.stat().st_size
    (out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(render_card(meta), encoding="utf-8")
    logger.info("wrote %s (%d bytes)", model_file, meta["size_bytes"])
    return meta


def _fmt(x: Any, pct: bool = False) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x * 100:.1f}" if pct else f"{x:.3f}"
    return str(x)


def _evaluation_table(evals: list[Mapping[str, Any]]) -> list[str]:
    lines = ["| evaluation | task | lang | n | accuracy | macro-F1 | F1 (pos.) | ECE | anchor (same task) |",
             "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for e in evals:
        a = e.get("anchor")
        anchor = f"{a['metric']} {_fmt(a['value'])} ({a['source']})" if a else "—"
        flag = " †" if e.get("translated") else ""
        lines.append(f"| {e['name']}{flag} | {e.get('task', '')} | {e.get('language', '')} | {e.get('n', '')} | "
                     f"{_fmt(e.get('accuracy'))} | {_fmt(e.get('macro_f1'))} | {_fmt(e.get('f1'))} | "
                     f"{_fmt(e.get('ece'))} | {anchor} |")
    return lines


def _per_class_tables(evals: list[Mapping[str, Any]]) -> list[str]:
    lines: list[str] = []
    for e in evals:
        pc = e.get("per_class") or {}
        if not pc:
            continue
        flag = " († machine-translated)" if e.get("translated") else ""
        lines += ["", f"**{e['name']}**{flag}", "", "| class | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
        for c, m in pc.items():
            lines.append(f"| {c} | {_fmt(m['precision'])} | {_fmt(m['recall'])} | {_fmt(m['f1'])} | {m['support']} |")
    return lines


_LANG_TAG = re.compile(r"\s*\[(en|el|pl|hy)\]")


def language_rows(evals: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Parallel evaluations (names carrying ``[en]``, ``[el]``...) grouped: one row per item set with
    macro-F1 and n per language and the largest gap to English on the same items."""
    groups: dict[str, dict[str, Mapping[str, Any]]] = {}
    for e in evals:
        m = _LANG_TAG.search(e["name"])
        if m:
            groups.setdefault(_LANG_TAG.sub("", e["name"]), {})[m.group(1)] = e
    rows = []
    for name, by_lang in groups.items():
        if len(by_lang) < 2:  # not a parallel set (e.g. one language of a multilingual corpus)
            continue
        en = by_lang.get("en", {}).get("macro_f1")
        gaps = [en - by_lang[lg]["macro_f1"] for lg in ("el", "pl", "hy")
                if lg in by_lang and en is not None and by_lang[lg].get("macro_f1") is not None]
        rows.append({"items": name, **{lg: by_lang.get(lg) for lg in ("en", "el", "pl", "hy")},
                     "largest_gap": max(gaps) if gaps else None})
    return rows


def _language_table(evals: list[Mapping[str, Any]]) -> list[str]:
    rows = language_rows(evals)
    if not rows:
        return []
    lines = ["", "## Per language (the same items in each language)", "",
             "Macro-F1 (n test items) per language on parallel items; gap = English minus the worst of el/pl/hy "
             "(positive: below English). With a few dozen items per language a gap of 5 points is within noise.", "",
             "| items | en | el † | pl † | hy † | largest gap to en |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        cells = [f"{_fmt(r[lg].get('macro_f1'))} ({r[lg].get('n')})" if r[lg] else "—" for lg in ("en", "el", "pl", "hy")]
        gap = r["largest_gap"]
        lines.append(f"| {r['items']} | " + " | ".join(cells) + f" | {'—' if gap is None else f'{gap * 100:+.1f} pts'} |")
    return lines


def _tier_comparison(evals: list[Mapping[str, Any]], fast: list[Mapping[str, Any]]) -> list[str]:
    if not fast:
        return []
    by_name = {e["name"]: e for e in fast}
    lines = ["", "## Compared with the fast tier on the same test rows", "",
             "| evaluation | n | fast accuracy | accurate accuracy | fast macro-F1 | accurate macro-F1 |",
             "|---|---:|---:|---:|---:|---:|"]
    for e in evals:
        f = by_name.get(e["name"])
        if f:
            lines.append(f"| {e['name']}{' †' if e.get('translated') else ''} | {e.get('n')} | {_fmt(f.get('accuracy'))} | "
                         f"{_fmt(e.get('accuracy'))} | {_fmt(f.get('macro_f1'))} | {_fmt(e.get('macro_f1'))} |")
    return lines


def render_card(meta: Mapping[str, Any]) -> str:
    """The Markdown model card for ``meta`` (see the module docstring for the layout)."""
    name = meta.get("name", "model")
    lines = [f"# Model card: {name}", ""]
    lines.append(f"- **Version:** {meta.get('version', '')}  **Tier:** {meta.get('tier', 'fast')}  "
                 f"**Seed:** {meta.get('seed', '')}")
    lines.append(f"- **Labels:** {', '.join(map(str, meta.get('labels', [])))}")
    lines.append(f"- **Languages:** {', '.join(meta.get('languages', []))}")
    lines.append(f"- **Library versions:** analyzer {meta.get('analyzer_version', '')}, "
                 f"scikit-learn {meta.get('sklearn_version', '')}")
    if meta.get("sha256"):
        lines.append(f"- **model.joblib:** {meta.get('size_bytes', 0) / 1e6:.1f} MB, sha256 `{meta['sha256'][:16]}…`")
    for title, body in (meta.get("sections") or {}).items():
        lines += ["", f"## {title}", "", body.strip()]
    data = meta.get("data") or []
    if data:
        lines += ["", "## Training data and licences", "",
                  "| data set | rows used | use | licence | non-commercial | machine-translated |",
                  "|---|---:|---|---|---|---|"]
        for d in data:
            lines.append(f"| {d.get('name')} (`{d.get('path', '')}`) | {d.get('rows', '')} | {d.get('use', '')} | "
                         f"{d.get('licence', '')} | {'**yes**' if d.get('non_commercial') else 'no'} | "
                         f"{'**yes** †' if d.get('machine_translated') else 'no'} |")
        if any(d.get("non_commercial") for d in data):
            lines += ["", "**Non-commercial:** sets marked above allow non-commercial (research) use only; "
                          "a model trained on them inherits that restriction."]
    splits = meta.get("splits") or {}
    if splits:
        lines += ["", "## Splits", "", splits.get("method", ""), "",
                  "| split | rows |", "|---|---:|"]
        for s in ("train", "dev", "test"):
            if s in splits:
                lines.append(f"| {s} | {splits[s]} |")
        for title, table in (splits.get("detail") or {}).items():
            lines += ["", f"*{title}*", "", "| value | train | dev | test |", "|---|---:|---:|---:|"]
            keys = sorted({k for s in table.values() for k in s})
            for k in keys:
                lines.append(f"| {k} | " + " | ".join(str(table.get(s, {}).get(k, 0)) for s in ("train", "dev", "test")) + " |")
    metrics = meta.get("metrics") or {}
    evals = metrics.get("evaluations") or []
    if evals:
        lines += ["", "## Held-out test results", "",
                  "Measured on the test split, which neither training nor tuning (C, calibration) saw. "
                  f"† = rests on machine translation ({TRANSLATION_NOTE}).", ""]
        lines += _evaluation_table(evals)
        lines += _tier_comparison(evals, metrics.get("fast_tier_evaluations") or [])
        lines += _language_table(evals)
        lines += ["", "### Per class"]
        lines += _per_class_tables(evals)
    for key, value in metrics.items():
        if key not in ("evaluations", "fast_tier_evaluations"):
            lines += ["", f"### {key}", "", "```", json.dumps(value, indent=1, ensure_ascii=False, default=str), "```"]
    speed = meta.get("speed") or {}
    if speed:
        lines += ["", "## Speed", ""]
        lines += [f"- {k}: {_fmt(v) if isinstance(v, float) else v}" for k, v in speed.items()]
    notes = meta.get("notes") or []
    if notes:
        lines += ["", "## Notes and limitations", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def update_meta(model_dir: str | Path, **fields: Any) -> dict[str, Any]:
    """Add or replace top-level ``meta.json`` fields (e.g. ``speed``) and re-render the card.

    The model file is not touched; its checksum is re-verified first.

    Example: ``update_meta("models/sentiment", speed={"turns_per_s (all dimensions)": 21000})``
    """
    from ..scorers.base import sha256_file

    out = Path(model_dir)
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    got = sha256_file(out / "model.joblib")
    if got != meta.get("sha256"):
        from ..errors import Errors, ModelError

        raise ModelError(Errors.E031.format(path=out / "model.joblib", expected=meta.get("sha256"), got=got))
    meta.update(fields)
    (out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(render_card(meta), encoding="utf-8")
    return meta
