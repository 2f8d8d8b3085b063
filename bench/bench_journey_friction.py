"""Friction ranking across demo worlds: does the planted pathway rank first on every seed and size?

    python -m bench.bench_journey_friction                       # seeds 1–20 × 1,000 / 3,000 / 10,000 customers
    python -m bench.bench_journey_friction --sizes 1000 --seeds 1-5

Each world is generated and ingested once and cached (a DuckDB store per world under --cache, default
/tmp/empathica-journey-worlds); the journeys analyzer then runs on the ingested store exactly as the
flywheel's journeys step runs it (goal, feedback with sentiment, transactions), not the whole flywheel.
The demo generator is not tuned for this: the planted truths are those of src/empathica/demo/truths.py.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

from bench.results_file import write_section

CACHE = Path("/tmp/empathica-journey-worlds")


def world_store(cache: Path, customers: int, seed: int) -> Path:
    """The ingested store of one demo world, generated on first use."""
    from empathica.demo import generate_world
    from empathica.listen import ingest_files
    from empathica.store import Store

    folder = cache / f"w{customers}_{seed}"
    db = folder / "store.duckdb"
    if not db.exists():
        world = generate_world(folder / "world", customers=customers, seed=seed)
        with Store.open(db, settings=_settings(folder)) as store:
            ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
    return db


def _settings(folder: Path):
    from empathica.settings import Settings

    return Settings.load(config_file=folder / "none.toml", progress=False)


def rank_world(db: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The friction ranking and its ablation on one world, as the journeys step computes them."""
    from empathica.flywheel.steps.journeys import _goal, store_events, store_feedback
    from empathica.store import Store
    from empathica.understand.journeys import JourneyAnalyzer

    with Store.open(db, settings=_settings(db.parent), read_only=True) as store:
        revenue = store.table("transactions").select(customer="customer_id", revenue="amount")
        analyzer = JourneyAnalyzer(goal=_goal(store), min_transitions=20).fit(
            store_events(store), feedback=store_feedback(store), revenue=revenue)
        return analyzer.friction_, analyzer.friction_ablation_


def sweep(cache: Path, sizes: list[int], seeds: list[int]) -> pd.DataFrame:
    """One row per world: the planted pathway's rank and score, the best other pathway and the ablation ranks."""
    from empathica.demo import TRUTHS

    rows = []
    for customers in sizes:
        for seed in seeds:
            friction, ablation = rank_world(world_store(cache, customers, seed))
            pairs = list(zip(friction["source"], friction["target"]))
            planted = pairs.index(TRUTHS.friction_pathway) if TRUTHS.friction_pathway in pairs else None
            other = friction.drop(index=planted) if planted is not None else friction
            dropped = ablation.set_index("dropped")
            row = {
                "customers": customers, "seed": seed,
                "planted_rank": None if planted is None else planted + 1,
                "planted_score": None if planted is None else float(friction["friction_score"].iloc[planted]),
                "best_other": f"{other['source'].iloc[0]} → {other['target'].iloc[0]}",
                "best_other_score": float(other["friction_score"].iloc[0]),
            }
            # where the planted pathway ranks when each component is left out (the full leader is the planted one when rank 1)
            for component in dropped.index.drop("none"):
                row[f"rank_without_{component}"] = int(dropped.loc[component, "rank_of_full_top"]) if row["planted_rank"] == 1 else None
            rows.append(row)
            print(row, flush=True)
    return pd.DataFrame(rows)


def report(frame: pd.DataFrame) -> str:
    """The section of bench/results.md: a headline and the per-size table, both from ``frame``."""
    lines = []
    first = int((frame["planted_rank"] == 1).sum())
    lines.append(f"- Planted pathway web_checkout → call_centre ranked **first in {first} of {len(frame)} worlds** "
                 f"(seeds {frame['seed'].min()}–{frame['seed'].max()}, sizes {', '.join(f'{s:,}' for s in sorted(frame['customers'].unique()))} customers).")
    lines.append("")
    ablations = [c for c in frame.columns if c.startswith("rank_without_")]
    head = ["customers", "worlds", "planted first", "planted score (min–max)", "smallest margin", "runners-up (worlds)"]
    head += [f"still first without {c.removeprefix('rank_without_')}" for c in ablations]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for customers, part in frame.groupby("customers"):
        margin = (part["planted_score"] - part["best_other_score"]).min()
        runners = Counter(part["best_other"]).most_common(3)
        cells = [f"{customers:,}", str(len(part)), f"{int((part['planted_rank'] == 1).sum())}",
                 f"{part['planted_score'].min():.3f}–{part['planted_score'].max():.3f}", f"{margin:+.3f}",
                 "; ".join(f"{name} ({n})" for name, n in runners)]
        cells += [f"{int((part[c] == 1).sum())} of {len(part)}" for c in ablations]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Score: mean over the measured components of each component's lower 95 % bound, clipped at 0 "
                 "(docs/journeys.md, \"Pathway friction\"); margin = planted score − the best other pathway's score. "
                 "\"Still first without X\": worlds where the planted pathway stays first when component X is left out "
                 "(`friction_ablation`).")
    return "\n".join(lines)


def _seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_journey_friction", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,3000,10000", help="customers per world, comma-separated")
    parser.add_argument("--seeds", default="1-20", help="seeds: a range 1-20 or a list 1,2,3")
    parser.add_argument("--cache", type=Path, default=CACHE, help="folder for the generated, ingested worlds")
    args = parser.parse_args(argv)
    frame = sweep(args.cache, [int(s) for s in args.sizes.split(",")], _seeds(args.seeds))
    text = report(frame)
    write_section("journeys: friction seed sweep", text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
