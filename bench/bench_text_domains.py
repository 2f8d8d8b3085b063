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
import re

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


def verdicts(proba: np.ndarray, classes, truth, task: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(predicted, truth, confidence) of probabilities ``proba`` (columns ``classes``); a binary task keeps the
    polar rows and renormalises the two polar probabilities."""
    classes, truth = list(classes), np.asarray(truth)
    if task == "binary":
        keep = np.isin(truth, ["negative", "positive"])
        cols = [classes.index("negative"), classes.index("positive")]
        proba, truth, classes = proba[keep][:, cols], truth[keep], ["negative", "positive"]
        proba = proba / proba.sum(axis=1, keepdims=True)
    return np.asarray(classes)[proba.argmax(axis=1)], truth, proba.max(axis=1)


def score(proba: np.ndarray, classes, truth, task: str) -> dict:
    """accuracy, macro-F1, ECE of probabilities ``proba`` (columns ``classes``) on labels ``truth``."""
    predicted, truth, confidence = verdicts(proba, classes, truth, task)
    return {"rows": int(len(truth)), "accuracy": float(np.mean(predicted == truth)),
            "macro_f1": float(f1_score(truth, predicted, average="macro")),
            "ece": float(expected_calibration_error(confidence, predicted == truth))}


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


def e5_baseline(others: list[corpora.Corpus], left_out: corpora.Corpus, n: int, task: str, heads: dict) -> dict:
    """Frozen e5 + LR trained on ``n`` rows of each other domain, tested on ``n`` held-out rows of the left-out
    one; each of ``heads`` (name → fitted head) scored on the same rows."""
    parts = [e5_rows(d, "train", n) for d in others]
    lr = LogisticRegression(C=4.0, max_iter=3000).fit(np.vstack([p[0] for p in parts]), sum((p[2] for p in parts), []))
    E_test, sub_texts, sub_truth = e5_rows(left_out, "test", n)
    out = {"e5_lr": score(lr.predict_proba(E_test), lr.classes_, sub_truth, task)}
    for name, head in heads.items():
        out[name] = score(head.predict_proba(sub_texts), head.classes_, sub_truth, task)
    return out


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
            row.update(e5_baseline(others, left_out, e5_n, task, {"stack_on_e5_rows": head}))
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def train_part(corpus: corpora.Corpus, max_rows: int) -> tuple[list[str], list[str]]:
    """A corpus's training part, or a seeded subsample of ``max_rows`` of it (0: all)."""
    return subsample(corpus, "train", max_rows, seed=9) if max_rows else corpus.part("train")


def _static_head(lang: str, domains: list[corpora.Corpus], max_rows: int):
    from empathica.understand.text.static_heads import StaticStackHead

    parts = [train_part(d, max_rows) for d in domains]
    names = sum(([d.name] * len(p[0]) for d, p in zip(domains, parts)), [])
    head = StaticStackHead(lang=lang).fit(sum((p[0] for p in parts), []), sum((p[1] for p in parts), []), domains=names)
    return head, parts


def static_matrix(lang: str, e5_n: int, recipe: bool, max_rows: int = 0, in_domain: bool = True) -> tuple[list[dict], dict]:
    """The static-e5 stack per left-out domain of ``lang`` (with its experts, the previous recipe and the e5
    baseline beside it), and the language's pooled ECE over every left-out row. ``max_rows``: training rows
    per domain (a seeded subsample; 0 for all)."""
    from empathica.understand.text.calibration import softmax

    domains = corpora.sentiment_domains(lang)
    full = _static_head(lang, domains, max_rows)[0] if in_domain else None
    rows, confidence, correct = [], [], []
    for k, left_out in enumerate(domains):
        task, others = task_of(lang, left_out), [d for j, d in enumerate(domains) if j != k]
        head, parts = _static_head(lang, others, max_rows)
        test_texts, truth = left_out.part("test")
        proba = head.predict_proba(test_texts)
        ngram_lp, static_lp = head.expert_log_proba(test_texts)
        row = {"lang": lang, "left_out": left_out.name, "domain": left_out.domain, "task": task,
               "train_rows": sum(len(p[0]) for p in parts), "static_stack": score(proba, head.classes_, truth, task),
               "ngram_alone": score(softmax(ngram_lp), head.classes_, truth, task),
               "static_alone": score(softmax(static_lp), head.classes_, truth, task),
               "experts_mean": score(head.predict_proba_mean(test_texts), head.classes_, truth, task),
               **({"in_domain": score(full.predict_proba(test_texts), full.classes_, truth, task)} if full else {})}
        predicted, kept, conf = verdicts(proba, head.classes_, truth, task)
        confidence.append(conf)
        correct.append(predicted == kept)
        if recipe:
            old = head_for(lang).fit(sum((p[0] for p in parts), []), sum((p[1] for p in parts), []))
            row["stack"] = score(old.predict_proba(test_texts), old.classes_, truth, task)
        if e5_n:
            row.update(e5_baseline(others, left_out, e5_n, task, {"static_on_e5_rows": head}))
        rows.append(row)
        print(json.dumps(row), flush=True)
    pooled = {"lang": lang, "rows": int(sum(len(c) for c in correct)),
              "ece": expected_calibration_error(np.concatenate(confidence), np.concatenate(correct))}
    return rows, pooled


def static_runs() -> tuple[list[dict], list[dict]]:
    """Rows and pooled ECEs of the latest ``--static`` run of each language (their JSON copies in /tmp)."""
    import glob

    latest: dict[str, tuple[float, list, list]] = {}
    for path in glob.glob("/tmp/text_domains_static_*.json"):
        run = json.loads(open(path, encoding="utf-8").read())
        for p in run["pooled"]:
            if p["lang"] not in latest or os.path.getmtime(path) > latest[p["lang"]][0]:
                latest[p["lang"]] = (os.path.getmtime(path), [r for r in run["rows"] if r["lang"] == p["lang"]], [p])
    order = [lang for lang in ("en", "de", "zh") if lang in latest]
    return sum((latest[lang][1] for lang in order), []), sum((latest[lang][2] for lang in order), [])


def static_table(rows: list[dict], pooled: list[dict]) -> str:
    lines = ["| lang | left-out domain | task | test rows | **static stack** acc | macro-F1 | ECE | n-gram expert alone | "
             "static-e5 expert alone | experts averaged (calibrated) | previous stack | in-domain (static stack) | e5+LR (subsample) | static stack, same subsample | target |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s, e5 = r["static_stack"], r.get("e5_lr")
        kind, goal = TARGETS[r["lang"]]
        old = f"{r['stack']['accuracy']:.3f}" if "stack" in r else "–"
        inside = f"{r['in_domain']['accuracy']:.3f}" if "in_domain" in r else "–"
        lines.append(f"| {r['lang']} | {r['left_out']} ({r['domain']}) | {r['task']} | {s['rows']:,} | **{s['accuracy']:.3f}** | "
                     f"{s['macro_f1']:.3f} | {s['ece']:.3f} | {r['ngram_alone']['accuracy']:.3f} | {r['static_alone']['accuracy']:.3f} | "
                     f"{r['experts_mean']['accuracy']:.3f} (ECE {r['experts_mean']['ece']:.3f}) | {old} | {inside} | "
                     + (f"{e5['accuracy']:.3f} ({e5['rows']}) | {r['static_on_e5_rows']['accuracy']:.3f} | " if e5 else "– | – | ")
                     + (f"≥ {goal:.2f} |" if kind == r["task"] else "– |"))
    lines += ["", "| lang | left-out rows pooled | ECE of the static stack (target ≤ 0.05) |", "|---|---|---|"]
    lines += [f"| {p['lang']} | {p['rows']:,} | {p['ece']:.3f} |" for p in pooled]
    return "\n".join(lines)


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


#: Openers of a Chinese request for information ("请问…", "想问一下…"): the zh corpora carry no neutral label.
ZH_REQUEST = re.compile(r"^\s*(请问|请教|想问|问一下|问下|我想问)")


def question_rows(lang: str) -> pd.DataFrame:
    """Real questions from the held-out parts of ``lang``'s labelled corpora (text, gold, non_opinion).

    en/de: every held-out text with a question mark, with its gold label; the non-opinion ones are those
    the annotators labelled neutral. zh (binary corpora, no neutral label): held-out texts that open as a
    request for information (``ZH_REQUEST``) are the non-opinion ones; the other held-out questions keep
    their polar label."""
    rows = []
    for corpus in corpora.sentiment_domains(lang):
        for text, label in zip(*corpus.part("test")):
            request = lang == "zh" and bool(ZH_REQUEST.search(text))
            if request or "?" in text or "？" in text:
                rows.append({"corpus": corpus.name, "text": text, "gold": "neutral" if request else label})
    frame = pd.DataFrame(rows)
    frame["non_opinion"] = frame["gold"] == "neutral"
    return frame


def customer_care_questions() -> list[str]:
    """Customers' own question turns of the customer-care dialogues (en; unlabelled: a descriptive figure)."""
    data = json.loads((corpora.shared_data_dir() / "en" / "customer_care_dialogues_dev.json").read_text(encoding="utf-8"))
    return [t["message"] for d in data for t in d["dialogContent"] if "client" in t and "?" in t["message"]]


def neutral_table() -> str:
    """Precision and recall of "neutral" on real questions, per language, with the shipped analyzer."""
    from empathica.understand.text import TextAnalyzer

    analyzer = TextAnalyzer().load()
    lines = ["| lang | questions (held-out) | non-opinion among them | called neutral | precision of neutral | "
             "non-opinion called neutral (recall) | opinion questions called neutral |", "|---|---|---|---|---|---|---|"]
    for lang in ("en", "de", "zh"):
        rows = question_rows(lang)
        called = analyzer.analyze(rows["text"].tolist())["sentiment"].to_numpy() == "neutral"
        non = rows["non_opinion"].to_numpy()
        precision = float(np.mean(non[called])) if called.any() else float("nan")
        lines.append(f"| {lang} | {len(rows):,} | {int(non.sum()):,} | {int(called.sum()):,} | {precision:.3f} | "
                     f"{float(np.mean(called[non])):.3f} | {float(np.mean(called[~non])):.3f} |")
    care = customer_care_questions()
    shares = analyzer.analyze(care)["sentiment"].value_counts(normalize=True)
    note = ("Real questions only, never written for the test: en/de every held-out row with a question mark (non-opinion = "
            "labelled neutral by the corpus's annotators); zh every held-out row opening as a request for information "
            "(请问, 请教, 想问, 问一下: non-opinion) or carrying a question mark (polar label kept). The analyzer as shipped "
            "(training class balance, German cue override on). Customer-care dialogues (en, unlabelled): "
            f"{len(care)} customer turns with a question mark scored " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()) + ".")
    return note + "\n\n" + "\n".join(lines)


def speed_pool() -> list[tuple[str, str]]:
    """(language, text) of en/de/zh held-out texts of at least 100 characters, cut to 100, shuffled (the throughput pool)."""
    rng = np.random.default_rng(1)
    pool = []
    for corpus in (corpora.airline(), corpora.germeval(), corpora.chnsenticorp()):
        texts, _ = corpus.part("test")
        pool += [(corpus.lang, x[:100]) for x in texts if len(x) >= 100][:1000]
    return [pool[i] for i in rng.permutation(len(pool))]


def static_speed() -> str:
    """Texts/s of ``static_embed`` alone on the throughput pool (each language's texts in one call), CPU time."""
    import time

    from empathica.understand.text.static import shared_static_embedder, static_embed

    pool = speed_pool()
    by_lang = {lang: [t for code, t in pool if code == lang] for lang in ("en", "de", "zh")}
    static_embed(["warm up 预热"], "zh")
    runs = []
    for _ in range(3):
        shared_static_embedder()._pieces.cache_clear()
        start = time.process_time()
        for lang, texts in by_lang.items():
            static_embed(texts, lang)
        runs.append(len(pool) / (time.process_time() - start))
    return (f"`static_embed` alone (tokenise, look up, SIF-weighted mean; cold token cache), {len(pool):,} texts cut to 100 "
            f"characters (en/de/zh held-out rows): **{max(runs):,.0f} texts per second of CPU time** (best of three; "
            + " / ".join(f"{r:,.0f}" for r in runs) + f"). Load average {os.getloadavg()[0]:.1f} on the shared 2-core machine.")


def throughput() -> str:
    """Texts/s of the shipped analyzer (language, sentiment, emotion, aspects) on 100-character texts of every
    language, best of three runs (the 2 cores are shared); the same pool as bench_text's throughput."""
    import time

    from empathica.understand.text import TextAnalyzer
    from empathica.understand.text.embeddings import shared_embedder

    pool = [text for _, text in speed_pool()]
    analyzer = TextAnalyzer().load()
    analyzer.analyze(pool[:50])  # warm-up: jieba dictionary, lingua models, e5
    runs, cpu = [], []
    for _ in range(3):
        shared_embedder()._cache.clear()  # every unsure German text embedded anew in each run
        start, start_cpu = time.perf_counter(), time.process_time()
        analyzer.analyze(pool)
        runs.append(len(pool) / (time.perf_counter() - start))
        cpu.append(len(pool) / (time.process_time() - start_cpu))
    load = os.getloadavg()[0]
    return (f"Shipped analyzer (German cascade: e5 for the texts its n-grams are unsure of), {len(pool):,} texts cut to 100 characters "
            f"(en/de/zh held-out rows), lang + sentiment + emotion + aspects: **{max(runs):.0f} texts/s** (best of three; "
            "runs " + " / ".join(f"{r:.0f}" for r in runs) + f"; target ≥ 300); per second of this process's CPU time "
            f"{max(cpu):.0f} texts/s. The machine's 2 cores were shared with other jobs (load average {load:.1f} during the "
            "run): the CPU-time figure is what one free core gives.")


STATIC_NOTE = ("The static-e5 stack (`static_heads.StaticStackHead`: n-gram LR + LR on the static e5 sentence embedding "
               "(`static.static_embed`) [+ VADER for en], meta LR and temperature fitted on domain-out-of-fold scores of the "
               "training domains only), trained on every other domain's training part and tested on the left-out domain's "
               "held-out part. 'n-gram / static-e5 expert alone': that head's experts, uncalibrated. 'previous stack': the "
               "recipe of the table above (`training.head_for`) retrained on the same rows ('–': not run, `--no-recipe`; see the table above "
               "for its full-data figures). 'in-domain': the static stack trained "
               "on every domain ('–': not run, `--no-in-domain`). Training rows per domain: {rows} (a seeded subsample where a number, to fit the shared machine). e5+LR: frozen e5 + LR on {n} training rows per other domain, tested on {n} held-out rows of "
               "the left-out one, the static stack scored on the same rows. Pooled ECE: every left-out row of the language. "
               "Measured on the shared, loaded 2-core machine (load average {load:.1f} at the end); accuracy does not depend on load.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--langs", nargs="*", default=["en", "de", "zh"])
    parser.add_argument("--throughput", action="store_true", help="only the throughput of the shipped analyzer")
    parser.add_argument("--neutral", action="store_true", help="only the neutral-precision table on real questions")
    parser.add_argument("--static-speed", action="store_true", help="only the speed of static_embed")
    parser.add_argument("--static", action="store_true", help="the static-e5 stack (static_heads.py) per left-out domain")
    parser.add_argument("--max-train", type=int, default=0, help="with --static: training rows per domain (0: all)")
    parser.add_argument("--render-static", action="store_true", help="re-render the --static section from the runs' JSON")
    parser.add_argument("--no-in-domain", action="store_true", help="with --static: skip the head trained on every domain")
    parser.add_argument("--no-recipe", action="store_true", help="with --static: skip retraining the previous recipe")
    parser.add_argument("--e5-rows", type=int, default=300, help="e5 baseline: rows per domain and part (0: none)")
    args = parser.parse_args(argv)
    if args.static_speed:
        line = static_speed()
        print(line)
        write_section("text: static e5 embedding speed", line)
        return
    if args.throughput:
        line = throughput()
        print(line)
        write_section("text: throughput at 100 characters", line)
        return
    if args.neutral:
        table_md = neutral_table()
        print(table_md)
        write_section("text: neutral on real questions", table_md)
        return
    if args.render_static:
        rows, pooled = static_runs()
        note = STATIC_NOTE.format(n=args.e5_rows, load=os.getloadavg()[0], rows=args.max_train or "all")
        write_section("text: leave-one-domain-out, static e5 stack", note + "\n\n" + static_table(rows, pooled))
        print(static_table(rows, pooled))
        return
    if args.static:
        rows, pooled = [], []
        for lang in args.langs:
            lang_rows, lang_pooled = static_matrix(lang, args.e5_rows, not args.no_recipe, args.max_train, not args.no_in_domain)
            rows, pooled = rows + lang_rows, pooled + [lang_pooled]
        with open(f"/tmp/text_domains_static_{'-'.join(args.langs)}.json", "w", encoding="utf-8") as fh:
            json.dump({"rows": rows, "pooled": pooled}, fh, indent=1)
        rows, pooled = static_runs()  # every language's latest run (languages may be run one at a time)
        note = STATIC_NOTE.format(n=args.e5_rows, load=os.getloadavg()[0], rows=args.max_train or "all")
        write_section("text: leave-one-domain-out, static e5 stack", note + "\n\n" + static_table(rows, pooled))
        return
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
