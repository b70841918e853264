"""Loaders: one function per shared data set, each returning a :class:`TextSet` built via HF ``datasets``.

Every loader reads from ``data_dir`` (default ``../shared/data`` beside the repo) and never writes.
Group ids come from :func:`group_key` of the English text, so a translated item and its original
(and the same text in two corpora) always share a split. ``DATASETS`` documents each set's
licence for the model cards.

Example:
    >>> from pathlib import Path
    >>> default_data_dir().name
    'data'
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .dataset import TextSet, group_key

# Stanford quartile cut-offs of the full corpus (SOURCE.md): bottom quartile impolite, top polite.
STANFORD_QUARTILES = {"wikipedia": (-0.443, 0.514), "stackexchange": (-0.344, 0.421)}

DATASETS: dict[str, dict[str, Any]] = {
    "stanford-politeness": {"licence": "repo Apache-2.0; data terms unstated", "non_commercial": False},
    "tydip": {"licence": "CC BY 4.0", "non_commercial": False},
    "davidson-hate-offensive": {"licence": "MIT", "non_commercial": False},
    "convabuse": {"licence": "CC BY 4.0", "non_commercial": False},
    "epitome-empathy": {"licence": "Althoff academic licence (non-commercial research only)", "non_commercial": True},
    "twitter-us-airline-sentiment": {"licence": "CC BY-NC-SA 4.0", "non_commercial": True},
    "umsab-multilingual-sentiment": {"licence": "Apache-2.0 repo; source-dataset and Twitter terms", "non_commercial": False},
    "tweeteval": {"licence": "SemEval source terms + Twitter terms (no licence file)", "non_commercial": False},
    "complaints-twitter": {"licence": "unstated (Twitter content)", "non_commercial": False},
    "inhouse-ownership": {"licence": "CC BY-NC-SA 4.0 (Kaggle Customer Support on Twitter); labels made for this "
                                     "project by language-model annotators (model-assisted, not native speakers)",
                          "non_commercial": True, "model_labelled": True},
    "translated-el-pl-hy": {"licence": "as the English sources (Stanford unstated, EPITOME non-commercial, airline "
                                       "CC BY-NC-SA 4.0); translations made for this project",
                            "non_commercial": True, "machine_translated": True},
    "native-el-pl-hy/pl_mozetic_twitter_sentiment": {"licence": "unstated; Twitter terms", "non_commercial": False},
    "native-el-pl-hy/el_skroutz_reviews": {"licence": "unstated", "non_commercial": False},
    "native-el-pl-hy/pl_klej_allegro_reviews": {"licence": "CC BY-SA 4.0", "non_commercial": False},
    "native-el-pl-hy/hy_armeniannlp": {"licence": "CC BY-NC 4.0 (machine-translated tweets)", "non_commercial": True,
                                       "machine_translated": True},
}


def default_data_dir() -> Path:
    """``../shared/data`` relative to the repo root (the folder holding ``analyzer/``)."""
    import analyzer

    return Path(analyzer.__file__).resolve().parents[1].parent / "shared" / "data"


def _from_records(records: list[dict[str, Any]]) -> TextSet:
    """Records with text/label/language/domain/group (+extras) -> HF Dataset -> TextSet."""
    from datasets import Dataset

    if not records:
        return TextSet([], [], [], [], [])
    ds = Dataset.from_list(records)
    return TextSet.from_hf(ds)


def _rec(text: str, label: Any, language: str, domain: str, group_text: str | None = None, **extra: Any) -> dict:
    return {"text": text, "label": label, "language": language, "domain": domain,
            "group": group_key(group_text if group_text is not None else text), **extra}


# --------------------------------------------------------------------------------------------- politeness
def stanford(data_dir: Path) -> TextSet:
    """Stanford requests, top vs bottom quartile (binary ``polite``/``impolite``); middle half dropped."""
    import pandas as pd

    recs = []
    for fname, domain in (("wikipedia.annotated.csv", "wikipedia"), ("stack-exchange.annotated.csv", "stackexchange")):
        df = pd.read_csv(Path(data_dir) / "stanford-politeness" / fname)
        lo, hi = STANFORD_QUARTILES[domain]
        for text, score in zip(df["Request"].astype(str), df["Normalized Score"].astype(float)):
            if score <= lo or score >= hi:
                recs.append(_rec(text, "polite" if score >= hi else "impolite", "en", domain, score=score))
    return _from_records(recs)


def tydip(data_dir: Path) -> TextSet:
    """TyDiP English binary train set (a re-split of Stanford Wikipedia: shares its group ids)."""
    import pandas as pd

    df = pd.read_csv(Path(data_dir) / "tydip" / "binary" / "en_train_binary.csv")
    return _from_records([_rec(t, "polite" if s > 0 else "impolite", "en", "tydip", score=float(s))
                          for t, s in zip(df["sentence"].astype(str), df["score"])])


def rudeness(data_dir: Path, limit: int = 1500) -> TextSet:
    """Impolite examples from offensive/abusive sets: Davidson ``offensive`` tweets, ConvAbuse abusive users."""
    import pandas as pd

    recs = []
    df = pd.read_csv(Path(data_dir) / "davidson-hate-offensive" / "labeled_data.csv")
    off = df[(df["class"] == 1) & (df["offensive_language"] >= 3)]["tweet"].astype(str).tolist()
    recs += [_rec(t, "impolite", "en", "davidson") for t in off[:limit]]
    cv = pd.read_csv(Path(data_dir) / "convabuse" / "ConvAbuseEMNLPfull.csv")
    sev = cv[["is_abuse.-1", "is_abuse.-2", "is_abuse.-3"]].sum(axis=1)
    cv = cv.assign(abusive=sev > 0).groupby("example_no").agg(user=("user", "first"), abusive=("abusive", "mean"))
    users = cv[cv["abusive"] >= 0.5]["user"].astype(str).drop_duplicates().tolist()
    recs += [_rec(t, "impolite", "en", "convabuse") for t in users[:limit] if len(t) > 3]
    return _from_records(recs)


AGENT_FILES = ("train.jsonl", "train_single_pass.jsonl")


def agent_replies(data_dir: Path) -> TextSet:
    """Real customer-service agent replies with their 3-class ``politeness`` label.

    English rows (domain ``agent-replies``) come from ``inhouse-ownership`` (both files; extra ``origin`` =
    ``double``/``single``); el/pl/hy rows (domain ``agent-replies-mt``) from the ``ownership`` items of
    ``translated-el-pl-hy`` (``origin`` = ``translated``; their English side is added, as ``agent-replies``,
    only when it is not already an in-house row). Labels stay
    ``impolite``/``neutral``/``polite``; the group is the English text, so an item and its
    translations share a split.
    """
    recs, seen = [], set()
    base = Path(data_dir)
    for fname, origin in zip(AGENT_FILES, ("double", "single")):
        path = base / "inhouse-ownership" / fname
        if not path.is_file():
            continue
        with open(path, encoding="utf-8") as fh:
            for r in (json.loads(line) for line in fh if line.strip()):
                rec = _rec(r["agent_text"], r["politeness"], "en", "agent-replies", item_id=r["id"], origin=origin)
                if rec["group"] not in seen:
                    seen.add(rec["group"])
                    recs.append(rec)
    path = base / "translated-el-pl-hy" / "train.jsonl"
    if path.is_file():
        with open(path, encoding="utf-8") as fh:
            for it in (json.loads(line) for line in fh if line.strip()):
                if it.get("task") != "ownership" or it.get("politeness") is None:
                    continue
                for lang in ("en", "el", "pl", "hy"):
                    domain = "agent-replies" if lang == "en" else "agent-replies-mt"
                    rec = _rec(it[lang], it["politeness"], lang, domain, group_text=it["en"],
                               item_id=it["id"], origin="translated")
                    if lang != "en" or rec["group"] not in seen:
                        seen.add(rec["group"])
                        recs.append(rec)
    return _from_records(recs)


# --------------------------------------------------------------------------------------------- translated
def translated(data_dir: Path, task: str) -> TextSet:
    """``translated-el-pl-hy`` items of ``task`` in en, el, pl, hy (domain ``translated``; group = English text).

    ``task`` is ``politeness``, ``sentiment``, ``empathy-er``/``-ip``/``-ex`` or ``empathy`` (all three).
    """
    recs = []
    with open(Path(data_dir) / "translated-el-pl-hy" / "train.jsonl", encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            if not (item["task"] == task or (task == "empathy" and item["task"].startswith("empathy-"))):
                continue
            for lang in ("en", "el", "pl", "hy"):
                recs.append(_rec(item[lang], item["label"], lang, "translated", group_text=item["en"],
                                 item_id=item["id"], source_task=item["task"]))
    return _from_records(recs)


# --------------------------------------------------------------------------------------------- empathy
def epitome(data_dir: Path) -> TextSet:
    """EPITOME Reddit responses with all three mechanism levels (labels ``(er, ip, ex)`` as extras).

    ``labels`` holds the overall level (max of the three); extras ``er``, ``ip``, ``ex``, ``seeker``.
    """
    import pandas as pd

    base = Path(data_dir) / "epitome-empathy"
    frames = {}
    for key, fname in (("er", "emotional-reactions-reddit.csv"), ("ip", "interpretations-reddit.csv"),
                       ("ex", "explorations-reddit.csv")):
        df = pd.read_csv(base / fname).drop_duplicates(["sp_id", "rp_id"])
        frames[key] = df.set_index(["sp_id", "rp_id"])
    keys = frames["er"].index.intersection(frames["ip"].index).intersection(frames["ex"].index)
    recs = []
    for k in keys:
        text = str(frames["er"].at[k, "response_post"])
        lv = {m: int(frames[m].at[k, "level"]) for m in ("er", "ip", "ex")}
        rat = {f"rationale_{m}": str(frames[m].at[k, "rationales"]) if pd.notna(frames[m].at[k, "rationales"]) else ""
               for m in ("er", "ip", "ex")}
        recs.append(_rec(text, max(lv.values()), "en", "epitome", seeker=str(frames["er"].at[k, "seeker_post"]),
                         **lv, **rat))
    return _from_records(recs)


# --------------------------------------------------------------------------------------------- sentiment
_U_ESC = re.compile(r"\\u([0-9a-fA-F]{4})")
UMSAB_LANGS = {"arabic": "ar", "english": "en", "french": "fr", "german": "de", "hindi": "hi", "italian": "it",
               "portuguese": "pt", "spanish": "es"}
SENTIMENT3 = ("negative", "neutral", "positive")


def airline(data_dir: Path) -> TextSet:
    """Airline tweets: sentiment labels; extra ``reason`` (negative reason or empty)."""
    import pandas as pd

    df = pd.read_csv(Path(data_dir) / "twitter-us-airline-sentiment" / "Tweets.csv")
    return _from_records([_rec(t, s, "en", "airline", reason=r if isinstance(r, str) else "")
                          for t, s, r in zip(df["text"].astype(str), df["airline_sentiment"], df["negativereason"])])


def umsab(data_dir: Path) -> TextSet:
    """UMSAB train + val of all eight languages (the test split is held back); domain ``umsab``."""
    recs = []
    for folder, lang in UMSAB_LANGS.items():
        for split in ("train", "val"):
            base = Path(data_dir) / "umsab-multilingual-sentiment" / folder
            texts = (base / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
            labels = (base / f"{split}_labels.txt").read_text(encoding="utf-8").split("\n")
            for t, y in zip(texts, labels):
                if y.strip():
                    t = _U_ESC.sub(lambda m: chr(int(m.group(1), 16)), t).strip()
                    recs.append(_rec(t, SENTIMENT3[int(y)], lang, "umsab"))
    return _from_records(recs)


def tweeteval_sentiment(data_dir: Path) -> TextSet:
    """TweetEval sentiment val + test (its train text is missing from the snapshot); domain ``tweeteval``."""
    recs = []
    base = Path(data_dir) / "tweeteval" / "sentiment"
    for split in ("val", "test"):
        texts = (base / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
        labels = (base / f"{split}_labels.txt").read_text(encoding="utf-8").split("\n")
        recs += [_rec(t.strip(), SENTIMENT3[int(y)], "en", "tweeteval") for t, y in zip(texts, labels) if y.strip()]
    return _from_records(recs)


def native_sentiment(data_dir: Path) -> TextSet:
    """Native Polish/Greek (and MT Armenian) sentiment: Mozetič pl tweets, Skroutz el reviews, Allegro pl
    reviews (1–2 stars negative, 3 neutral, 4–5 positive), Armenian SemEval-B test (machine-translated)."""
    import pandas as pd

    base = Path(data_dir) / "native-el-pl-hy"
    recs = []
    df = pd.read_csv(base / "pl_mozetic_twitter_sentiment" / "pol_sentiment_clean.tsv", sep="\t")
    recs += [_rec(t.lstrip("\\"), y.lower(), "pl", "pl_mozetic") for t, y in zip(df["text"].astype(str), df["label"])]
    df = pd.read_csv(base / "el_skroutz_reviews" / "skroutz_reviews.tsv.gz", sep="\t")
    recs += [_rec(t, y.lower(), "el", "el_skroutz") for t, y in zip(df["review"].astype(str), df["label"])]
    df = pd.read_csv(base / "pl_klej_allegro_reviews" / "dev.tsv", sep="\t", header=None, names=["text", "stars"])
    star = {1.0: "negative", 2.0: "negative", 3.0: "neutral", 4.0: "positive", 5.0: "positive"}
    recs += [_rec(t, star[float(s)], "pl", "pl_allegro") for t, s in zip(df["text"].astype(str), df["stars"])]
    df = pd.read_csv(base / "hy_armeniannlp" / "SentimentTest_B.csv")
    recs += [_rec(t, y, "hy", "hy_semeval_mt") for t, y in zip(df["Column2"].astype(str), df["Column3"])
             if y in ("positive", "negative")]
    return _from_records(recs)


# --------------------------------------------------------------------------------------------- complaint
def complaints(data_dir: Path) -> TextSet:
    """Preoţiuc-Pietro et al. complaint tweets (header-less): ``complaint``/``no_complaint``; extra ``topic``."""
    import pandas as pd

    df = pd.read_csv(Path(data_dir) / "complaints-twitter" / "complaints-data.csv", header=None,
                     names=["id", "text", "y", "topic"])
    return _from_records([_rec(t, "complaint" if y == 1 else "no_complaint", "en", "complaints", topic=d)
                          for t, y, d in zip(df["text"].astype(str), df["y"], df["topic"])])
