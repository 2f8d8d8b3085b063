"""The planted competitor gap is found on several demo worlds, not only the one the other decide tests use.

Each world (seeds 2–5, two sizes) is generated, only its reviews are ingested (Listen) and benchmarked with
learn's benchmark (no text step: a review is positive when rated 4–5, learn's fallback); the gaps decide
takes from it (``gaps_in``) must then name Voltera on delivery (planted: better than us on delivery) and
never a competitor on price (planted: worse than us there). Valuing the gap needs the whole flywheel: that sweep (seeds 1–5,
2,000 and 1,000 customers) is in bench/bench_decide.py, figures in bench/results.md.
"""

from __future__ import annotations

import pytest

from empathica.decide.competitors import gaps_in
from empathica.demo.truths import TRUTHS
from empathica.learn.benchmark import competitor_benchmark, review_mentions


@pytest.mark.parametrize("seed,customers", [(2, 600), (3, 1200), (4, 600), (5, 1000)])
def test_the_planted_competitor_gap_is_found_on_other_seeds_and_sizes(seed, customers, tmp_path):
    from empathica.demo import generate_world
    from empathica.listen import ingest_files
    from empathica.settings import Settings
    from empathica.store import Store

    world = generate_world(tmp_path / "world", customers=customers, seed=seed)
    settings = Settings.load(config_file=tmp_path / "none.toml", progress=False)
    with Store.open(tmp_path / "reviews.duckdb", settings=settings) as store:
        ingest_files(store, [p for p, k in world.files if k == "reviews"], kinds=["reviews"])
        reviews = store.table("reviews").to_pandas()
    gaps = gaps_in(competitor_benchmark(review_mentions(reviews.assign(lang=reviews["language"])))["comparison"])
    assert f"delivery/{TRUTHS.competitor_better_on_delivery}" in set(gaps["area"] + "/" + gaps["competitor"]), gaps
    assert "price" not in set(gaps["area"])
    planted = gaps[gaps["area"] == "delivery"].iloc[0]
    assert planted["theirs"] > planted["own"] and planted["verdict"] == "we are worse"
