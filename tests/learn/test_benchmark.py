"""The competitor benchmark finds the demo world's planted truth — Voltera better on delivery, worse on
price — from the reviews' texts (text analyzer) and ratings, in every language, with intervals."""

from __future__ import annotations

import pandas as pd
import pytest

from empathica.errors import InputError, NotEnoughDataError
from empathica.learn.benchmark import ALL_OWN, company_rows, competitor_benchmark, load_areas, review_mentions, tag_areas
from empathica.store import Store
from empathica.understand.text import TextAnalyzer
from tests.learn.conftest import world_store


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    db, truths = world_store(tmp_path_factory.mktemp("bench_world"), seed=11, customers=1500, tables=("reviews",))
    with Store.open(db, read_only=True) as store:
        reviews = store.table("reviews").to_pandas()
    scores = TextAnalyzer(embed_budget=0).analyze(reviews["text"].fillna("").tolist())
    mentions = review_mentions(reviews.join(scores[["lang", "sentiment_score", "aspects"]]))
    return competitor_benchmark(mentions), truths, mentions


def test_the_planted_competitor_is_better_on_delivery_and_worse_on_price(tables):
    result, truths, _ = tables
    rival = truths["competitor_better_on_delivery"]
    c = company_rows(result["comparison"]).set_index(["lang", "area", "metric", "competitor"])  # the own brands together
    assert c.index.is_unique
    # the truth is planted in ratings (demo/market.py): significant there; the text's sentiment agrees in sign
    delivery, price = c.loc[("all", "delivery", "rating", rival)], c.loc[("all", "price", "rating", rival)]
    assert delivery["verdict"] == "we are worse" and delivery["ci_high"] < 0, delivery.to_dict()
    assert price["verdict"] == "we are better" and price["ci_low"] > 0, price.to_dict()
    assert c.loc[("all", "delivery", "positive_share", rival), "difference"] < 0
    assert c.loc[("all", "price", "positive_share", rival), "difference"] > 0
    for lang in ("en", "de", "zh"):  # the same direction in each language's reviews
        assert c.loc[(lang, "delivery", "rating", rival), "difference"] < 0
        assert c.loc[(lang, "price", "rating", rival), "difference"] > 0
    # the comparison index against the competitors' average, with its interval
    index = c.loc[("all", "delivery", "rating", "competitors' average")]
    assert index["index_ci_low"] < index["index"] < index["index_ci_high"] < 100


def test_every_own_brand_is_compared_and_the_planted_weaker_brand_is_found(tables):
    """The demo's reviews name two own brands: each is compared with every competitor per area (and both together);
    the second brand, planted worse on delivery and refunds, stands below the main one there."""
    result, truths, _ = tables
    comp = result["comparison"]
    second = truths["second_brand_reviews"]["brand"]
    assert set(comp["own_brand"]) == {"Lumen", second, ALL_OWN}
    rating = comp[(comp["lang"] == "all") & (comp["metric"] == "rating") & (comp["competitor"] == "competitors' average")]
    index = rating.set_index(["area", "own_brand"])["index"]
    for area in ("delivery", "returns"):
        assert index[(area, second)] < index[(area, ALL_OWN)] < index[(area, "Lumen")], area
    assert (rating.groupby("area")["own_brand"].nunique() == 3).all()  # every area that compares one compares each
    # Holm adjusts within one brand's areas: a brand's p-values do not depend on the other brand's
    _, _, mentions = tables
    alone = competitor_benchmark(mentions[~mentions["is_own"] | (mentions["brand"] == "Lumen")])["comparison"]
    mine = comp[comp["own_brand"] == "Lumen"].drop(columns="own_brand").reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, alone.drop(columns="own_brand").reset_index(drop=True), check_dtype=False)


def test_brands_have_intervals_and_the_benchmark_runs_per_quarter(tables):
    result, _, _ = tables
    brands = result["brands"]
    assert {"Lumen", "Voltera", "Nordhaus"} <= set(brands["brand"])
    assert (brands["rating_ci_low"] <= brands["rating"]).all() and (brands["rating"] <= brands["rating_ci_high"]).all()
    assert (brands["positive_basis"] == "text sentiment").all()
    quarters = result["over_time"]["quarter"].unique()
    assert len(quarters) >= 6 and result["over_time_comparison"]["quarter"].nunique() >= 4


def test_areas_come_from_the_text_analyzers_aspects_and_the_area_patterns():
    areas = load_areas()
    assert tag_areas(["Die Lieferung kam blitzschnell", "退款到现在还没到", "x"], ["de", "zh", "en"],
                     [[], ["refund"], ["price"]], areas=areas) == [["delivery"], ["returns"], ["price"]]


def test_reviews_without_both_sides_or_fields_fail_clearly():
    own_only = pd.DataFrame({"review_id": ["1", "2"], "brand": ["Lumen"] * 2, "is_own": [True, True], "rating": [5.0, 1.0],
                             "text": ["fast delivery", "late delivery"], "timestamp": ["2024-01-01", "2024-02-01"], "lang": ["en"] * 2})
    with pytest.raises(NotEnoughDataError, match="only one side"):
        competitor_benchmark(review_mentions(own_only))
    with pytest.raises(InputError, match="missing column.*rating"):
        review_mentions(own_only.drop(columns="rating"))
