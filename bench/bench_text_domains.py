"""Text sentiment across domains: a leave-one-domain-out matrix per language, beside baselines.

Run ``python -m bench.bench_text_domains [--langs en de zh] [--e5-rows N]``. For every language and
every labelled domain of it (``corpora.sentiment_domains``): train the shipped recipe
(``training.head_for``) on the training parts of all the *other* domains and score the left-out
domain's held-out part; beside it the in-domain figure (trained on every domain's training part, the
shipped head's recipe), a majority baseline and a frozen e5 + logistic regression baseline. The e5
baseline embeds a seeded subsample (``--e5-rows`` training rows per domain, as many test rows) once and
caches it under ``$EMPATHICA_CACHE_DIR``; the stack is scored on that same subsample beside it.

Binary domains (and the English/Chinese targets) are scored as a positive/negative check: the head's
two polar probabilities renormalised, neutral rows of the test set left out. German 3-class domains are
scored on three classes. Section "text: leave-one-domain-out" of bench/results.md; a JSON copy of the
rows goes to /tmp/text_domains.json.
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

from bench.results_file import write_section  # noqa: E402
from empathica.understand.text import corpora  # noqa: E402
from empathica.understand.text.calibration import expected_calibration_error  # noqa: E402
from empathica.understand.text.training import head_for  # noqa: E402

TARGETS = {"en": ("binary", 0.90), "zh": ("binary", 0.85), "de": ("3-class", 0.75)}


def task_of(lang: str, corpus: corpora.Corpus) -> str:
    """binary for en/zh and for a German corpus without neutral labels, else 3-class."""
    return "3-class" if lang == "de" and "neutral" in set(corpus.labels) else "binary"


def score(proba: np.ndarray, classes, truth, task: str) -> dict:
    """accuracy, macro-F1, ECE of probabilities ``proba`` (columns ``classes``) on labels ``truth``."""
    classes, truth = list(classes), np.asarray(truth)
    if task == "binary":
        keep = np.isin(truth, ["negative", "positive"])
        cols = [classes.index("negative"), classes.index("positive")]
        proba, truth, classes = proba[keep][:, cols], truth[keep], ["negative", "positive"]
        proba = proba / proba.sum(axis=1, keepdims=True)
    predicted = np.asarray(classes)[proba.argmax(axis=1)]
    return {"rows": int(len(truth)), "accuracy": float(np.mean(predicted == truth)),
            "macro_f1": float(f1_score(truth, predicted, average="macro")),
            "ece": float(expected_calibration_error(proba.max(axis=1), predicted == truth))}


def majority(train_labels, truth, task: str) -> dict:
    """The training parts' most common label (of the polar two for a binary check), for every row."""
    labels = pd.Series(train_labels)
    if task == "binary":
        labels = labels[labels.isin(["negative", "positive"])]
    top = labels.value_counts().idxmax()
    classes = ["negative", "positive"] if task == "binary" else ["negative", "neutral", "positive"]
    proba = np.tile(np.where(np.asarray(classes) == top, 0.98, 0.02 / (len(classes) - 1)), (len(truth), 1))
    return score(proba, classes, truth, task)


def subsample(corpus: corpora.Corpus, part: str, n: int, seed: int = 5) -> tuple[list[str], list[str]]:
    """A seeded subsample of ``n`` rows of a corpus's ``part`` (train or test)."""
    texts, labels = corpus.part(part)
    idx = np.sort(np.random.default_rng(seed).permutation(len(texts))[:n])
    return [texts[i] for i in idx], [labels[i] for i in idx]


def e5_rows(corpus: corpora.Corpus, part: str, n: int) -> tuple[np.ndarray, list[str], list[str]]:
    from empathica.understand.text.embeddings import corpus_embeddings

    texts, labels = subsample(corpus, part, n)
    return corpus_embeddings(f"{corpus.name}_{part}_{n}", texts), texts, labels


def language_matrix(lang: str, e5_n: int) -> list[dict]:
    """One row per left-out domain of ``lang`` (and per domain in-domain)."""
    domains = corpora.sentiment_domains(lang)
    rows = []
    everything = [d.part("train") for d in domains]
    full = head_for(lang).fit(sum((t for t, _ in everything), []), sum((y for _, y in everything), []))
    for k, left_out in enumerate(domains):
        task = task_of(lang, left_out)
        others = [d for j, d in enumerate(domains) if j != k]
        texts = sum((d.part("train")[0] for d in others), [])
        labels = sum((d.part("train")[1] for d in others), [])
        head = head_for(lang).fit(texts, labels)
        test_texts, truth = left_out.part("test")
        row = {"lang": lang, "left_out": left_out.name, "domain": left_out.domain, "task": task,
               "train_rows": len(texts), "stack": score(head.predict_proba(test_texts), head.classes_, truth, task),
               "in_domain": score(full.predict_proba(test_texts), full.classes_, truth, task),
               "majority": majority(labels, truth, task)}
        if e5_n:
            parts = [e5_rows(d, "train", e5_n) for d in others]
            E = np.vstack([p[0] for p in parts])
            y = sum((p[2] for p in parts), [])
            E_test, sub_texts, sub_truth = e5_rows(left_out, "test", e5_n)
            lr = LogisticRegression(C=4.0, max_iter=3000).fit(E, y)
            row["e5_lr"] = score(lr.predict_proba(E_test), lr.classes_, sub_truth, task)
            row["stack_on_e5_rows"] = score(head.predict_proba(sub_texts), head.classes_, sub_truth, task)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| lang | left-out domain | task | test rows | stack acc | macro-F1 | ECE | in-domain acc | majority acc "
             "| e5+LR acc (subsample) | stack acc, same subsample | target |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s, e5, same = r["stack"], r.get("e5_lr"), r.get("stack_on_e5_rows")
        kind, goal = TARGETS[r["lang"]]
        target = f"≥ {goal:.2f}" if kind == r["task"] else "–"
        lines.append(f"| {r['lang']} | {r['left_out']} ({r['domain']}) | {r['task']} | {s['rows']:,} | {s['accuracy']:.3f} | "
                     f"{s['macro_f1']:.3f} | {s['ece']:.3f} | {r['in_domain']['accuracy']:.3f} | {r['majority']['accuracy']:.3f} | "
                     + (f"{e5['accuracy']:.3f} ({e5['rows']}) | {same['accuracy']:.3f} | " if e5 else "– | – | ") + f"{target} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--langs", nargs="*", default=["en", "de", "zh"])
    parser.add_argument("--e5-rows", type=int, default=300, help="e5 baseline: rows per domain and part (0: none)")
    args = parser.parse_args(argv)
    rows = []
    for lang in args.langs:
        rows += language_matrix(lang, args.e5_rows)
    with open("/tmp/text_domains.json", "w", encoding="utf-8") as fh:
        json.dump(rows, fh, indent=1)
    note = (f"Train on every other domain's training part, test on the left-out domain's held-out part (25 %, fixed split). "
            f"'in-domain': the shipped recipe trained on every domain's training part, same test rows. Binary: "
            f"positive/negative check (neutral rows left out, the two polar probabilities renormalised). e5+LR: frozen "
            f"multilingual-e5-small + logistic regression (C 4) on a seeded subsample of {args.e5_rows} training rows per "
            f"other domain, tested on {args.e5_rows} held-out rows of the left-out one; the stack is scored on the same rows.")
    write_section("text: leave-one-domain-out", note + "\n\n" + table(rows))


if __name__ == "__main__":
    main()
