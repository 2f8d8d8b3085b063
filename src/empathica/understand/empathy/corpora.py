"""The evaluation corpora for empathy (EPITOME, EmpatheticPersonas) and EPITOME's fixed held-out split.

The files live in ``../shared/data/empathy`` beside the repository; they are read, never shipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from empathica.errors import InputError

EPITOME_FILES = {
    "emotional_reactions": "emotional-reactions-reddit.csv",
    "interpretations": "interpretations-reddit.csv",
    "explorations": "explorations-reddit.csv",
}
#: Seed of the held-out split; changing it changes every published figure.
SPLIT_SEED = 20200
TEST_SHARE = 0.2


def data_dir() -> Path:
    """``../shared/data/empathy`` relative to the repository root."""
    return Path(__file__).resolve().parents[4] / ".." / "shared" / "data" / "empathy"


def _require(path: Path) -> Path:
    if not path.exists():
        raise InputError(f"{path} is missing; the empathy corpora are expected in {path.parent}.")
    return path


def load_epitome(root: Path | None = None) -> pd.DataFrame:
    """One row per (seeker post, response) pair with level and rationales of every mechanism, and ``is_test``."""
    root = root or data_dir()
    frames = {m: pd.read_csv(_require(root / f)) for m, f in EPITOME_FILES.items()}
    base = frames["emotional_reactions"][["sp_id", "rp_id", "seeker_post", "response_post"]].copy()
    for mech, frame in frames.items():
        if not (frame["sp_id"].values == base["sp_id"].values).all() or not (frame["rp_id"].values == base["rp_id"].values).all():
            raise InputError(f"{EPITOME_FILES[mech]} is not row-aligned with {EPITOME_FILES['emotional_reactions']}.")
        base[mech] = frame["level"].astype(int).values
        base[f"{mech}_rationales"] = frame["rationales"].values
    base["pair_id"] = base["sp_id"] + "_" + base["rp_id"]
    base["is_test"] = epitome_test_mask(base)
    return base


def epitome_test_mask(frame: pd.DataFrame) -> np.ndarray:
    """The fixed held-out 20 %: split by pair id (a pair never spans train and test), stratified on the
    joint (ER, IP, EX) label with combinations rarer than 10 pooled, seeded."""
    joint = (frame["emotional_reactions"].astype(str) + frame["interpretations"].astype(str)
             + frame["explorations"].astype(str))
    pairs = pd.DataFrame({"pair_id": frame["pair_id"], "joint": joint}).drop_duplicates("pair_id")
    counts = pairs["joint"].value_counts()
    strata = pairs["joint"].where(pairs["joint"].map(counts) >= 10, "rare")
    _, test = train_test_split(pairs["pair_id"], test_size=TEST_SHARE, random_state=SPLIT_SEED, stratify=strata)
    return frame["pair_id"].isin(set(test)).to_numpy()


def load_personas(root: Path | None = None) -> pd.DataFrame:
    """EmpatheticPersonas: the same responses in English and Chinese with the 0/1/2 empathy score."""
    root = root or data_dir()
    en = pd.read_csv(_require(root / "empathetic_personas_en.csv"))
    zh = pd.read_csv(_require(root / "empathetic_personas_zh.csv"))
    if len(en) != len(zh) or not (en["empathy_score"].values == zh["empathy_score"].values).all():
        raise InputError("empathetic_personas_en.csv and _zh.csv are not row-aligned.")
    return pd.DataFrame({"en": en["response"].astype(str), "zh": zh["response"].astype(str),
                         "score": en["empathy_score"].astype(int)})


_TOKEN = re.compile(r"\S+")


def evidence_token_f1(text: str, predicted: list[str], rationales: object) -> tuple[int, int, int]:
    """(true positive, predicted, gold) whitespace-token counts of predicted evidence vs the rationale spans."""
    from empathica.understand.empathy.model import rationale_mask

    gold = rationale_mask(text, rationales)
    pred = np.zeros(len(text), dtype=bool)
    for span in predicted:
        at = text.find(span)
        if at >= 0:
            pred[at:at + len(span)] = True
    tp = n_pred = n_gold = 0
    for m in _TOKEN.finditer(text):
        g, p = gold[m.start():m.end()].any(), pred[m.start():m.end()].any()
        tp += int(g and p)
        n_pred += int(p)
        n_gold += int(g)
    return tp, n_pred, n_gold


#: Complaint reasons of the airline tweets whose negative tweets count as distressed (all but "Can't Tell").
_AIRLINE_COMPLAINTS = {"Customer Service Issue", "Late Flight", "Cancelled Flight", "Lost Luggage", "Bad Flight",
                       "Flight Booking Problems", "Flight Attendant Complaints", "longlines", "Damaged Luggage"}


#: Check sets per language: the default one first. ``zh-hotels`` was never used to choose a distress phrase.
DISTRESS_SETS = {"en": ("airline_tweets",), "de": ("germeval2017",), "zh": ("nlpcc2014", "chnsenticorp_heldout")}


def distress_check_set(language: str, *, per_class: int = 200, seed: int = 24, source: str | None = None) -> pd.DataFrame:
    """A labelled set of real customer messages: ``text``, ``distressed`` (bool), ``source``.

    The labels come from the public data sets' own annotators, by one rule per language (docs/empathy.md):

    * ``en`` — airline tweets (to the airline's account): distressed = annotated negative with a complaint
      reason (late or cancelled flight, lost luggage, customer service …); calm = annotated positive.
    * ``de`` — GermEval 2017 messages about Deutsche Bahn written to it (addressed ``@DB_…`` or Facebook
      comments, relevant): distressed = annotated negative; calm = annotated neutral or positive.
    * ``zh`` — NLPCC 2014 e-commerce product reviews: distressed = annotated negative; calm = positive.
      The Chinese phrases of the cue file were mined from the rest of NLPCC and this set was looked at while
      choosing them, so ``source="chnsenticorp_heldout"`` is the Chinese figure on untouched data: ChnSentiCorp
      hotel reviews of the text corpora's held-out split (never trained on by the sentiment heads, never read
      while writing distress phrases), distressed = annotated negative, calm = positive.

    ``per_class`` messages of each class are drawn (seeded; fewer when fewer exist).
    """
    if source is not None and source not in DISTRESS_SETS.get(language, ()):
        raise InputError(f"no distress check set {source!r} for language {language!r}; "
                         f"choose one of {', '.join(DISTRESS_SETS.get(language, ())) or 'none'}.")
    root = data_dir().parent
    if language == "en":
        raw = pd.read_csv(_require(root / "en" / "airline_tweets.csv"))
        frame = pd.DataFrame({"text": raw["text"], "source": "airline_tweets",
                              "distressed": raw["airline_sentiment"].eq("negative") & raw["negativereason"].isin(_AIRLINE_COMPLAINTS)})
        frame = frame[frame["distressed"] | raw["airline_sentiment"].eq("positive")]
    elif language == "de":
        raw = pd.read_csv(_require(root / "de" / "germeval2017_dev.tsv"), sep="\t", header=None, quoting=3,
                          usecols=[0, 1, 2, 3], names=["url", "text", "relevant", "sentiment"], dtype=str)
        to_db = raw["text"].str.contains("@DB_", na=False) & ~raw["text"].str.startswith("RT @DB_", na=False)
        written = (to_db | raw["url"].str.contains("facebook.com", na=False)) & raw["relevant"].eq("true")
        frame = pd.DataFrame({"text": raw["text"], "source": "germeval2017", "distressed": raw["sentiment"].eq("negative")})[written]
    elif language == "zh" and source == "chnsenticorp_heldout":
        from empathica.understand.text.corpora import chnsenticorp

        texts, labels = chnsenticorp(root).part("test")
        frame = pd.DataFrame({"text": texts, "source": "chnsenticorp_heldout", "distressed": np.array(labels) == "negative"})
    elif language == "zh":
        raw = pd.read_csv(_require(root / "zh" / "nlpcc2014_product_reviews.csv"))
        frame = pd.DataFrame({"text": raw["text"], "source": "nlpcc2014", "distressed": raw["label"].eq("negative")})
    else:
        raise InputError(f"no distress check set for language {language!r}; use en, de or zh.")
    frame = frame[frame["text"].fillna("").str.strip().str.len() > 0].drop_duplicates("text")
    parts = [g.sample(min(per_class, len(g)), random_state=seed) for _, g in frame.groupby("distressed")]
    return pd.concat(parts).sort_index().reset_index(drop=True)
