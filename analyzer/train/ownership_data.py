"""The ownership training data: loading, the train/test split and the annotation-pass agreement.

Data: ``inhouse-ownership`` (English agent replies: 800 double-labelled and adjudicated, 1,155
single-pass) plus ``translated-el-pl-hy`` ownership items (el/pl/hy translations of 500 of them,
labels kept), plus this project's own labels of further real agent replies from
``conversations/`` (:data:`EXTRA_LABELS`: ids, labels and evidence offsets; the texts are read
from the shared data). Split: the generic seeded hash split by group (group = the English text,
so an item and its translations always share a split), 80 % train / 20 % test, no dev: every
choice is made on cross-validation of the train part. The project's own labels are train rows
only: the test split stays the in-house labels, comparable from run to run.

Example:
    >>> per_class_f1(["owns", "neutral", "owns"], ["owns", "owns", "owns"])["owns"]
    0.8
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..scorers.ownership import CLASSES, TAGS
from .dataset import TextSet, group_key
from .splits import assign_splits, unit_hash

LANGS = ("en", "el", "pl", "hy")
EXTRA_LABELS = Path(__file__).resolve().parents[2] / "data" / "ownership-labels" / "labels.jsonl"
"""The project's own ownership labels of real agent replies in ``conversations/`` (see the README beside it)."""
EXTRA_DOMAIN = "conversations"
FRACTIONS = (0.8, 0.0, 0.2)
QUICK_ROWS = 700
"""English train rows kept by a quick (test) run; its test split stays whole."""


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_ownership(data_dir: str | Path, extra: str | Path | None = EXTRA_LABELS) -> TextSet:
    """English labelled replies plus their el/pl/hy translations, one row per (item, language).

    Domains: ``double`` (train.jsonl, adjudicated), ``single`` (train_single_pass.jsonl),
    ``translated`` (el/pl/hy rows) and ``conversations`` (the ``extra`` labels; ``None`` leaves
    them out). Extras: ``item`` (source id), ``evidence`` (English rows only), and one boolean
    column per tag.
    """
    base = Path(data_dir)
    rows: dict[str, list[Any]] = {k: [] for k in ("text", "label", "lang", "domain", "group", "item", "evidence")}
    tags: dict[str, list[bool]] = {t: [] for t in TAGS}

    def add(text: str, label: str, lang: str, domain: str, en_text: str, item: str, evidence: str, tagv: dict) -> None:
        for key, v in zip(rows, (text, label, lang, domain, group_key(en_text), item, evidence)):
            rows[key].append(v)
        for t in TAGS:
            tags[t].append(bool(tagv[t]))

    for fname, domain in (("train.jsonl", "double"), ("train_single_pass.jsonl", "single")):
        for r in _jsonl(base / "inhouse-ownership" / fname):
            add(r["agent_text"], r["ownership"], "en", domain, r["agent_text"], r["id"], r.get("evidence", ""), r)
    path = base / "translated-el-pl-hy" / "train.jsonl"
    for it in (_jsonl(path) if path.is_file() else []):
        if it.get("task") == "ownership":
            for lang in LANGS[1:]:
                add(it[lang], it["label"], lang, "translated", it["en"], it["id"], "", it["tags"])
    for label, text in (extra_labels(base, extra) if extra else []):
        evidence = text[label["evidence_start"]:label["evidence_end"]]
        add(text, label["ownership"], "en", EXTRA_DOMAIN, text, f"{label['conversation']}#{label['turn']}", evidence, label)
    return TextSet(rows["text"], rows["label"], rows["lang"], rows["domain"], rows["group"],
                   {"item": rows["item"], "evidence": rows["evidence"], **tags})


def extra_labels(data_dir: Path, path: str | Path) -> list[tuple[dict[str, Any], str]]:
    """``(label, agent text)`` for each of the project's own labels whose turn is in the shared data.

    A label names its turn by file, conversation id and turn index; labels whose conversation is
    not in ``data_dir/conversations`` (a trimmed copy of the data) are skipped.
    """
    labels = _jsonl(Path(path)) if Path(path).is_file() else []
    wanted: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for label in labels:
        wanted.setdefault(label["source"], {}).setdefault(label["conversation"], []).append(label)
    out = []
    for source, by_conversation in wanted.items():
        file = data_dir / "conversations" / source
        if not file.is_file():
            continue
        with open(file, encoding="utf-8") as fh:
            for line in fh:
                conversation = json.loads(line)
                for label in by_conversation.get(conversation["id"], []):
                    turns = conversation["turns"]
                    if label["turn"] < len(turns) and turns[label["turn"]]["role"] == "agent":
                        out.append((label, turns[label["turn"]]["text"]))
    return out


def ownership_splits(data: TextSet, seed: int = 0) -> list[str]:
    """``train``/``test`` per row (seeded, by group: translations share their item's split); the
    project's own labels (domain ``conversations``) are always train."""
    splits = assign_splits(data.groups, seed=seed, fractions=FRACTIONS)
    return ["train" if domain == EXTRA_DOMAIN else s for s, domain in zip(splits, data.domains)]


def quick_rows(data: TextSet, splits: Sequence[str], seed: int) -> list[int]:
    """Rows a quick run keeps: every test row and a seeded hash subset of English train rows."""
    frac = QUICK_ROWS / len(data)
    return [i for i in range(len(data)) if splits[i] == "test" or (
        data.languages[i] == "en" and unit_hash(data.groups[i], seed, salt="quick") < frac)]


def per_class_f1(a: Sequence[str], b: Sequence[str]) -> dict[str, float]:
    """F1 of each class between two label lists (symmetric: either list may be the reference)."""
    out = {}
    for c in CLASSES:
        both = sum(x == c and y == c for x, y in zip(a, b))
        total = sum(x == c for x in a) + sum(y == c for y in b)
        out[c] = round(2 * both / total, 4) if total else 0.0
    return out


def pass_agreement(data_dir: str | Path) -> dict[str, Any]:
    """Agreement of the two independent annotation passes (the human ceiling), from ``pass_labels``."""
    from sklearn.metrics import cohen_kappa_score, f1_score

    out = {}
    for fname in ("train.jsonl", "train_single_pass.jsonl"):
        pairs = [r["pass_labels"] for r in _jsonl(Path(data_dir) / "inhouse-ownership" / fname)
                 if len(r.get("pass_labels") or []) == 2]
        a, b = [p[0] for p in pairs], [p[1] for p in pairs]
        out[fname] = {"n": len(pairs), "observed": round(float(np.mean([x == y for x, y in pairs])), 4),
                      "kappa": round(float(cohen_kappa_score(a, b)), 4),
                      "macro_f1": round(float(f1_score(a, b, average="macro")), 4),
                      "per_class_f1": per_class_f1(a, b)}
    return out
