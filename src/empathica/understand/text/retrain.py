"""Domain adaptation: retrain a head on a user's labelled texts and evaluate it on a held-out part."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from empathica.errors import InputError, NotEnoughDataError
from empathica.understand.text.corpora import TEST_SHARE
from empathica.understand.text.heads import NgramHead
from empathica.understand.text.language import LANGUAGES, detect_language
from empathica.understand.text.normalize import clean
from empathica.understand.text.training import evaluate, save_head

_SENTIMENT_ALIASES = {
    "negative": "negative", "neg": "negative", "-1": "negative", "0": "negative", "bad": "negative",
    "neutral": "neutral", "neu": "neutral",
    "positive": "positive", "pos": "positive", "1": "positive", "good": "positive",
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


def retrain(texts: Sequence[object], labels: Sequence[object], *, task: str = "sentiment", lang: str | None = None,
            out: Path, source: str = "input", label_column: str = "label", seed: int = 7) -> list[dict]:
    """Train one ``task`` head per language with enough rows, save it in ``out``; return held-out scores."""
    plain = [clean(t).text for t in texts]
    raw = ["" if v is None else str(v).strip() for v in labels]
    if task == "sentiment":
        mapped = []
        for row, value in enumerate(raw, start=2):
            key = value.lower().removesuffix(".0")
            if key not in _SENTIMENT_ALIASES:
                raise InputError(
                    f"{source}: row {row}, column {label_column}: sentiment label {value!r} is not one of negative, "
                    "neutral, positive (or neg/neu/pos, -1/0/1 with 0 as negative for two classes); fix or drop the row."
                )
            mapped.append(_SENTIMENT_ALIASES[key])
        raw = mapped
    langs = [lang] * len(plain) if lang else detect_language(plain)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    y_all = np.asarray(raw, dtype=object)
    for code in LANGUAGES:
        idx = np.flatnonzero([(l == code and bool(t) and bool(y)) for l, t, y in zip(langs, plain, raw)])
        if len(idx) < MIN_ROWS:
            continue
        y = y_all[idx].astype(str)
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
    (out / f"{task}_metrics.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(
        f"# Retrained {task} heads\n\nTrained by `empathica text train` on {source} (column {label_column}); "
        f"{int(TEST_SHARE * 100)} % of each language's rows held out (seed {seed}).\n\n| lang | train rows | held-out rows | accuracy | macro-F1 | ECE |\n|---|---|---|---|---|---|\n"
        + "".join(f"| {r['lang']} | {r['train_rows']} | {r['test_rows']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | {r['ece']:.3f} |\n" for r in results),
        encoding="utf-8",
    )
    return results
