"""Candidate Chinese distress phrases mined from the TRAINING part of NLPCC 2014 (never the check set).

    python -m bench.bench_empathy_distress_phrases [--top 80]

The check set (``corpora.distress_check_set("zh")``: 200 negative + 200 positive reviews, seed 24) is
held out: every review whose text is in it is removed first. On the rest (≈ 9,500 reviews), character
2–4-grams that appear in at least ``--min-count`` negative reviews, whose smoothed share of negative
reviews is at least ``--min-share``, and that the shipped cue file does not already match, are listed by
how many negative reviews they alone would add. The phrases added to ``distress_cues.toml`` were chosen by
hand from this list (general complaint words kept; product names, topic words and fragments dropped;
docs/empathy.md, "Distress and gaps"); the recall is then measured on the held-out check set by
``python -m bench.bench_empathy_distress``.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

import pandas as pd

from empathica.understand.empathy.corpora import data_dir, distress_check_set
from empathica.understand.empathy.distress import distress_kinds, load_distress_cues

_HAN = re.compile(r"[\u3400-\u9fff]+")


def training_part() -> pd.DataFrame:
    """NLPCC reviews minus every text of the held-out check set."""
    raw = pd.read_csv(data_dir().parent / "zh" / "nlpcc2014_product_reviews.csv").dropna(subset=["text"])
    held = set(distress_check_set("zh")["text"])
    raw = raw[~raw["text"].isin(held)].drop_duplicates("text")
    return raw.assign(negative=raw["label"].eq("negative"))


def _grams(text: str) -> set[str]:
    out = set()
    for run in _HAN.findall(text):
        for n in (2, 3, 4):
            out.update(run[i:i + n] for i in range(len(run) - n + 1))
    return out


def candidates(frame: pd.DataFrame, *, min_count: int = 12, min_share: float = 0.8) -> pd.DataFrame:
    """Character n-grams of the training part that mark negative reviews the cues miss."""
    cues = load_distress_cues()
    missed = [not distress_kinds(t, "zh", cues=cues) for t in frame["text"]]
    neg, pos, new = Counter(), Counter(), Counter()
    for text, negative, miss in zip(frame["text"], frame["negative"], missed):
        grams = _grams(text)
        (neg if negative else pos).update(grams)
        if negative and miss:
            new.update(grams)
    rows = [{"phrase": g, "negative": c, "positive": pos[g], "share": (c + 1) / (c + pos[g] + 2), "adds": new[g]}
            for g, c in neg.items() if c >= min_count]
    table = pd.DataFrame(rows)
    table = table[(table["share"] >= min_share) & (table["adds"] > 0)]
    return table.sort_values("adds", ascending=False).reset_index(drop=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=80)
    parser.add_argument("--min-count", type=int, default=12)
    parser.add_argument("--min-share", type=float, default=0.8)
    args = parser.parse_args(argv)
    frame = training_part()
    print(f"training part: {len(frame)} reviews ({int(frame['negative'].sum())} negative)")
    table = candidates(frame, min_count=args.min_count, min_share=args.min_share)
    print(table.head(args.top).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
