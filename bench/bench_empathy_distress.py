"""Distress recall per language on labelled real customer messages (``corpora.distress_check_set``).

    python -m bench.bench_empathy_distress [--dev]

For each language: 200 distressed and 200 calm messages (labels from the data sets' annotators, one rule
per language, docs/empathy.md). A message is flagged when its distress ≥ 0.5, measured twice: from the
customer's words alone (cue kinds, no sentiment), and as the product runs it (cues combined with the
shipped text analyzer's sentiment). The sentiment scores are cached under /tmp.

``--dev`` measures the Chinese cue file on the rows its choices may look at instead (never the held-out
hotel reviews): ChnSentiCorp's *training* split from the words alone and with an out-of-fold sentiment (an
n-gram head fitted on the other half: the shipped head was trained on these rows, so its own scores there
are no guide), and 1,000 + 1,000 NLPCC reviews outside its check set with the shipped sentiment.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from bench.results_file import write_section
from empathica.understand.empathy.training import _markdown

CACHE = Path("/tmp/empathica-bench-distress-sentiment.pkl")
NOTES = {"en": "airline tweets (the English sentiment head was trained on this corpus's training part)",
         "de": "GermEval 2017 messages to Deutsche Bahn",
         "zh": "NLPCC 2014 product reviews (labels noisy; the zh phrases mined from the other 9,505 reviews, this set looked at while choosing them)",
         "zh-hotels": "ChnSentiCorp hotel reviews, held-out split (untouched: no phrase chosen on it, no sentiment head trained on it)"}
#: (row name, language, source) of every set measured.
SETS = (("en", "en", None), ("de", "de", None), ("zh", "zh", None), ("zh-hotels", "zh", "chnsenticorp_heldout"))


def _sentiment(sets: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    cached = pickle.loads(CACHE.read_bytes()) if CACHE.exists() else {}
    if all(lang in cached and len(cached[lang]) == len(s) for lang, s in sets.items()):
        return cached
    from empathica.understand.text import TextAnalyzer

    analyzer = TextAnalyzer.default()
    out = {lang: pd.DataFrame(analyzer.analyze(s["text"].tolist()))["sentiment_score"].to_numpy(float) for lang, s in sets.items()}
    CACHE.write_bytes(pickle.dumps(out))
    return out


def measure() -> pd.DataFrame:
    from empathica.understand.empathy.corpora import distress_check_set
    from empathica.understand.empathy.distress import DISTRESS_THRESHOLD, customer_distress

    sets = {name: distress_check_set(lang, source=source) for name, lang, source in SETS}
    sentiment = _sentiment(sets)
    rows = []
    for name, lang, _ in SETS:
        s = sets[name]
        y = s["distressed"].to_numpy()
        row = {"language": lang, "set": NOTES[name], "distressed": int(y.sum()), "calm": int((~y).sum())}
        for kind, sent in (("cues", None), ("cues + sentiment", sentiment[name])):
            d = customer_distress(s["text"].tolist(), [lang] * len(s), sentiment=sent, use_text_analyzer=False)
            flag = (d["distress"] >= DISTRESS_THRESHOLD).to_numpy()
            row[f"recall ({kind})"] = round(float(flag[y].mean()), 3)
            row[f"false alarms ({kind})"] = round(float(flag[~y].mean()), 3)
        rows.append(row)
    return pd.DataFrame(rows)


def _flags(texts, sentiment) -> np.ndarray:
    from empathica.understand.empathy.distress import DISTRESS_THRESHOLD, customer_distress

    d = customer_distress(list(texts), ["zh"] * len(texts), sentiment=sentiment, use_text_analyzer=False)
    return (d["distress"] >= DISTRESS_THRESHOLD).to_numpy()


def dev_table() -> pd.DataFrame:
    """Chinese recall and false alarms on the rows the cue file may be tuned on (``--dev``)."""
    from empathica.understand.empathy.corpora import data_dir, distress_check_set
    from empathica.understand.text import TextAnalyzer
    from empathica.understand.text.corpora import chnsenticorp
    from empathica.understand.text.heads import NgramHead

    texts, labels = chnsenticorp().part("train")
    chn = pd.DataFrame({"text": texts, "neg": np.array(labels) == "negative"}).drop_duplicates("text").reset_index(drop=True)
    fold = np.random.default_rng(3).integers(0, 2, len(chn))
    oof = np.zeros(len(chn))
    for k in (0, 1):
        head = NgramHead(lang="zh", C=4.0, seed=7).fit(chn["text"][fold != k].tolist(),
                                                       np.where(chn["neg"][fold != k], "negative", "positive").tolist())
        p, cls = head.predict_proba(chn["text"][fold == k].tolist()), list(head.classes_)
        oof[fold == k] = p[:, cls.index("positive")] - p[:, cls.index("negative")]
    raw = pd.read_csv(data_dir().parent / "zh" / "nlpcc2014_product_reviews.csv").dropna(subset=["text"])
    nl = pd.DataFrame({"text": raw["text"], "neg": raw["label"].eq("negative")}).drop_duplicates("text")
    nl = nl[~nl["text"].isin(set(distress_check_set("zh")["text"])) & nl["text"].str.strip().ne("")]
    nl = pd.concat([g.sample(1000, random_state=5) for _, g in nl.groupby("neg")])
    nl_sentiment = pd.DataFrame(TextAnalyzer.default().analyze(nl["text"].tolist()))["sentiment_score"].to_numpy(float)
    rows = []
    for name, frame, sentiment in (("ChnSentiCorp training split, words only", chn, None),
                                   ("ChnSentiCorp training split, words + out-of-fold sentiment", chn, oof),
                                   ("NLPCC outside its check set, words + shipped sentiment", nl, nl_sentiment)):
        y, flag = frame["neg"].to_numpy(), _flags(frame["text"], sentiment)
        rows.append({"set": name, "distressed": int(y.sum()), "calm": int((~y).sum()),
                     "recall": round(float(flag[y].mean()), 3), "false alarms": round(float(flag[~y].mean()), 3)})
    return pd.DataFrame(rows)


def main() -> None:
    import sys

    if "--dev" in sys.argv[1:]:
        table = dev_table()
        print(table.to_string(index=False))
        write_section("empathy: distress, Chinese dev rows", "Chinese distress on the rows the cue file's choices may look at "
                      "(`python -m bench.bench_empathy_distress --dev`; never the held-out hotel reviews).\n\n" + _markdown(table))
        return
    table = measure()
    print(table.to_string(index=False))
    write_section("empathy: distress recall", "Distress moments (distress ≥ 0.5) on labelled real customer messages, "
                  "`python -m bench.bench_empathy_distress`; recall over the distressed, false alarms over the calm.\n\n"
                  + _markdown(table))


if __name__ == "__main__":
    main()
