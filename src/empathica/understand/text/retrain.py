"""Domain adaptation: retrain a head on a user's labelled texts and evaluate it on a held-out part."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from empathica.errors import InputError, NotEnoughDataError
from empathica.understand.text.analyzer import EMOTIONS as EMOTION_LABELS
from empathica.understand.text.corpora import TEST_SHARE
from empathica.understand.text.heads import NgramHead
from empathica.understand.text.language import LANGUAGES, detect_language
from empathica.understand.text.normalize import clean
from empathica.understand.text.training import evaluate, save_head

_SENTIMENT_ALIASES = {
    "negative": "negative", "neg": "negative", "-1": "negative", "bad": "negative",
    "neutral": "neutral", "neu": "neutral",
    "positive": "positive", "pos": "positive", "1": "positive", "+1": "positive", "good": "positive",
}
#: The obvious other spellings of the analyzer's emotions (EMOTION_LABELS), the only labels an emotion head may learn.
_EMOTION_ALIASES = {
    **{e: e for e in EMOTION_LABELS},
    "angry": "anger", "rage": "anger", "frustrated": "frustration", "annoyed": "frustration", "annoyance": "frustration",
    "fear": "anxiety", "afraid": "anxiety", "worried": "anxiety", "worry": "anxiety", "anxious": "anxiety",
    "sad": "sadness", "sorrow": "sadness", "happy": "joy", "happiness": "joy", "glad": "joy",
    "thanks": "gratitude", "thankful": "gratitude", "grateful": "gratitude", "none": "neutral",
}
#: Labelled rows a language needs before a head is trained for it.
MIN_ROWS = 40


def _stratified_split(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    train, test = [], []
    for value in np.unique(labels):
        idx = np.flatnonzero(labels == value)
        rng.shuffle(idx)
        n_test = max(1, int(round(len(idx) * TEST_SHARE)))
        test.extend(idx[:n_test])
        train.extend(idx[n_test:])
    return np.sort(train), np.sort(test)


def _label_key(value: str) -> str:
    key = value.strip().lower()
    return key.removesuffix(".0") if key.removesuffix(".0").lstrip("+-").isdigit() else key


def zero_means(labels: Sequence[object]) -> str | None:
    """What a sentiment label ``0`` means in this set of labels: ``neutral`` when ``-1`` occurs too
    (the -1/0/1 scheme), else ``negative`` (the 0/1 scheme); ``None`` when no label is 0."""
    keys = {_label_key(str(v)) for v in labels if v is not None}
    if "0" not in keys:
        return None
    return "neutral" if "-1" in keys else "negative"


def normalise_labels(labels: Sequence[object], *, task: str = "sentiment", source: str = "input",
                     label_column: str = "label", rows: Sequence[int] | None = None) -> list[str]:
    """Each label in the head's vocabulary ("" for a missing label, whose row is skipped).

    Sentiment: negative/neutral/positive, neg/neu/pos, bad/good, or numbers: with -1/0/1 0 is neutral,
    with 0/1 only 0 is negative. Emotion: the analyzer's seven emotions or an obvious alias, any case.
    ``rows``: each label's row number for errors (``read_table``'s ``attrs["rows"]``: a CSV file's header
    is row 1, a Parquet file's first row is row 1, a JSON Lines row is its line); default as for CSV.
    """
    raw = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip() for v in labels]
    if task == "sentiment":
        aliases = dict(_SENTIMENT_ALIASES)
        zero = zero_means(raw)
        aliases["0"] = zero or "negative"
        allowed = ("negative, neutral, positive (or neg/neu/pos, bad/good, or numbers: -1/0/1 with 0 as neutral, "
                   "0/1 with 0 as negative)")
    elif task == "emotion":
        aliases = _EMOTION_ALIASES
        allowed = ", ".join(EMOTION_LABELS) + " (any case; also angry, fear, sad, happy, thanks/grateful)"
    else:
        raise InputError(f"{source}: unknown task {task!r}; use sentiment or emotion.")
    mapped = []
    for row, value in zip(rows if rows is not None else range(2, len(raw) + 2), raw):
        if not value:
            mapped.append("")
            continue
        key = _label_key(value)
        if key not in aliases:
            raise InputError(
                f"{source}: row {row}, column {label_column}: {task} label {value!r} is not one of {allowed}; "
                "fix or drop the row."
            )
        mapped.append(aliases[key])
    return mapped


def retrain(texts: Sequence[object], labels: Sequence[object], *, task: str = "sentiment", lang: str | None = None,
            out: Path, source: str = "input", label_column: str = "label", seed: int = 7,
            rows: Sequence[int] | None = None) -> list[dict]:
    """Train one ``task`` head per language with enough rows, save it in ``out``; return held-out scores.

    ``rows``: the row number of each text for errors (see :func:`normalise_labels`)."""
    plain = [clean(t).text for t in texts]
    raw = normalise_labels(labels, task=task, source=source, label_column=label_column, rows=rows)
    langs = [lang] * len(plain) if lang else detect_language(plain)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    y_all = np.asarray(raw, dtype=object)
    for code in LANGUAGES:
        idx = np.flatnonzero([(l == code and bool(t) and bool(y)) for l, t, y in zip(langs, plain, raw)])
        if len(idx) < MIN_ROWS:
            continue
        y = y_all[idx].astype(str)
        found = sorted(set(y.tolist()))
        if len(found) < 2:
            raise NotEnoughDataError(
                f"{source}: every labelled {code} text in column {label_column} is {found[0]!r}; a {task} head needs "
                "at least two different labels, so add texts with other labels."
            )
        train, test = _stratified_split(y, seed)
        head = NgramHead(lang=code, seed=seed, folds=min(5, int(np.unique(y[train], return_counts=True)[1].min())))
        if head.folds < 2:
            raise NotEnoughDataError(f"{source}: a label of the {code} texts has fewer than 3 rows; label more texts.")
        head.fit([plain[i] for i in idx[train]], y[train].tolist())
        scores = evaluate(head, [plain[i] for i in idx[test]], y[test].tolist())
        save_head(head, out / f"{task}_{code}.joblib")
        results.append({"lang": code, "train_rows": len(train), "test_rows": len(test), **scores})
    if not results:
        raise NotEnoughDataError(f"{source}: no language has {MIN_ROWS} labelled texts or more; label more texts.")
    zero = zero_means(labels) if task == "sentiment" else None
    zero_note = f" Label 0 read as {zero} ({'-1/0/1' if zero == 'neutral' else '0/1'} labels)." if zero else ""
    (out / f"{task}_metrics.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(
        f"# Retrained {task} heads\n\nTrained by `empathica text train` on {source} (column {label_column}); "
        f"{int(TEST_SHARE * 100)} % of each language's rows held out (seed {seed}); rows without a label skipped.{zero_note}\n\n| lang | train rows | held-out rows | accuracy | macro-F1 | ECE |\n|---|---|---|---|---|---|\n"
        + "".join(f"| {r['lang']} | {r['train_rows']} | {r['test_rows']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | {r['ece']:.3f} |\n" for r in results),
        encoding="utf-8",
    )
    return results
