"""Is the empathy score more than reply length? Raw, length-only and length-held-fixed correlations.

    python -m bench.bench_empathy_length [--demo-seed 7]

For every public rated set — the EPITOME held-out split (rating = the sum of the three mechanism levels),
EmpatheticPersonas in English and in Chinese (the overall rating 0/1/2; the overall head is refitted on
four folds of the English replies and scores the fifth, so no reply is scored by a head that saw it) —
and the demo world (rating = the planted empathy of the agent who wrote the reply): Spearman of the
empathy score with the rating, of reply length with the rating (the length-only baseline), and the partial
Spearman of the score with the rating with length held fixed (``training.partial_rank_correlation``).
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from bench.results_file import write_section  # noqa: E402
from empathica.understand.empathy import EmpathyModel  # noqa: E402
from empathica.understand.empathy.corpora import load_epitome, load_personas  # noqa: E402
from empathica.understand.empathy.cues import word_length  # noqa: E402
from empathica.understand.empathy.training import _markdown, partial_rank_correlation  # noqa: E402


def _row(name: str, n: int, score, rating, length) -> dict:
    return {"set": name, "replies": n, "raw Spearman": round(float(spearmanr(score, rating)[0]), 3),
            "length only": round(float(spearmanr(length, rating)[0]), 3),
            "partial (length fixed)": round(partial_rank_correlation(score, rating, length), 3),
            "score vs length": round(float(spearmanr(score, length)[0]), 3)}


def epitome_row(model: EmpathyModel) -> dict:
    ep = load_epitome()
    test = ep[ep["is_test"]]
    texts = test["response_post"].fillna("").tolist()
    score = model.score(texts, languages=["en"] * len(texts))["empathy"].to_numpy()
    rating = test[["emotional_reactions", "interpretations", "explorations"]].sum(axis=1).to_numpy()
    return _row("EPITOME held-out (en)", len(texts), score, rating, [word_length(t, "en") for t in texts])


def personas_rows(model: EmpathyModel) -> list[dict]:
    p = load_personas()
    y = p["score"].to_numpy()
    oof = {"en": np.zeros(len(y)), "zh": np.zeros(len(y))}
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(y)), y):
        fold = copy.copy(model).fit_overall(p["en"].iloc[tr].tolist(), y[tr])
        for lang in oof:
            oof[lang][te] = fold.overall_proba(p[lang].iloc[te].tolist(), [lang] * len(te)) @ np.array([0.0, 0.5, 1.0])
    return [_row(f"EmpatheticPersonas ({lang}, 5-fold)", len(y), oof[lang], y, [word_length(t, lang) for t in p[lang]])
            for lang in ("en", "zh")]


def _planted_components(text: str, language: str) -> int:
    """How many of the demo's empathic components (an emotional reaction, an interpretation, an exploring
    question; ``demo.texts.compose_conversations``) the reply holds: the world's own per-reply rating."""
    return sum(bool(p.search(text)) for p in _component_patterns()[language])


@lru_cache(maxsize=1)
def _component_patterns() -> dict[str, list[re.Pattern]]:
    from empathica.demo.texts import BANKS

    out = {}
    for lang, bank in BANKS.items():
        conv = bank.CONVERSATION
        kinds = [conv["agent_emotion"], [f for fs in conv["agent_interpret"].values() for f in fs], conv["agent_explore"]]
        out[lang] = [re.compile("|".join(re.sub(r"\\\{\w+\\\}", ".+?", re.escape(f[1:])) for f in fs)) for fs in kinds]
    return out


def demo_rows(seed: int, customers: int = 2000) -> list[dict]:
    from empathica.demo import generate_world
    from empathica.demo.catalogue import AGENT_EMPATHY, AGENTS
    from empathica.flywheel import run_flywheel
    from empathica.listen import ingest_files
    from empathica.settings import Settings
    from empathica.store import Store

    scratch = Path(tempfile.mkdtemp(prefix="empathica-empathy-length-"))
    try:
        world = generate_world(scratch / "data", customers=customers, seed=seed)
        settings = Settings.load(config_file=scratch / "none.toml", progress=False)
        with Store.open(scratch / "demo.duckdb", settings=settings) as store:
            ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
            run_flywheel(store, only=["empathy"])
            turns = store.table("result_empathy_turns").select(
                "conversation_id", "turn_index", "agent_id", "language", "text", "empathy").to_pandas()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    planted = dict(zip([a[0] for a in AGENTS], AGENT_EMPATHY))
    turns["length"] = [word_length(t, lang) for t, lang in zip(turns["text"], turns["language"])]
    turns["components"] = [_planted_components(t, lang) for t, lang in zip(turns["text"], turns["language"])]
    key = turns.sort_values(["conversation_id", "turn_index"]).drop_duplicates("conversation_id")
    name = f"demo world (seed {seed}, {customers:,} customers"
    return [_row(f"{name}; rating = agent's planted empathy)", len(turns), turns["empathy"],
                 turns["agent_id"].map(planted).to_numpy(float), turns["length"]),
            _row(f"{name}; rating = the reply's planted components)", len(turns), turns["empathy"],
                 turns["components"], turns["length"]),
            _row(f"{name}; key reply (first) per conversation, its planted components)", len(key), key["empathy"],
                 key["components"], key["length"])]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-seed", type=int, default=7)
    args = parser.parse_args(argv)
    model = EmpathyModel.default()
    table = pd.DataFrame([epitome_row(model), *personas_rows(model), *demo_rows(args.demo_seed)])
    print(table.to_string(index=False))
    write_section("empathy: length controlled", "The overall empathy score against human (or planted) ratings, "
                  "`python -m bench.bench_empathy_length`. The overall head no longer sees reply length "
                  "(log length, short reply) and is fitted with C = 0.03.\n\n" + _markdown(table))


if __name__ == "__main__":
    main()
