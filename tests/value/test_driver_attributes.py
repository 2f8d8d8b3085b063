"""Customer attributes (tenure, segment, region, language) as candidate drivers of NPS."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from empathica.flywheel import run_flywheel
from empathica.flywheel.steps.drivers import ATTRIBUTE_SOURCE, customer_attributes
from empathica.understand.drivers import redundant_drivers
from tests.value.world import fill_store


@pytest.fixture(scope="module")
def world_store(tmp_path_factory):
    """The value test world, with a rare region (3 % of customers), a segment given only in the
    attributes JSON for some customers, and a language that follows region exactly."""
    from empathica.settings import Settings
    from empathica.store import Store

    folder = tmp_path_factory.mktemp("attrs")
    settings = Settings.load(config_file=folder / "none.toml", progress=False)
    with Store.open(folder / "a.duckdb", settings=settings) as store:
        fill_store(store, n=400, seed=2)
        customers = store.to_pandas("customers")
        rng = np.random.default_rng(5)
        customers.loc[rng.random(len(customers)) < 0.03, "region"] = "islands"
        customers["language"] = customers["region"].map({"north": "en", "south": "de", "islands": "fo"})
        json_only = customers.index[:40]
        customers.loc[json_only, "attributes"] = [f'{{"segment": "{s}"}}' for s in customers.loc[json_only, "segment"]]
        customers.loc[json_only, "segment"] = None
        store.raw_sql("DELETE FROM customers")
        store.insert("customers", customers)
        sections = {s.key: s for s in run_flywheel(store, only=["drivers"])}
        yield store, sections, customers


def test_attribute_columns_reach_the_customer_table_and_the_importance_table(world_store):
    store, sections, customers = world_store
    assert not sections["drivers"].skipped, sections["drivers"].skipped
    table = store.read_result("drivers_customer")
    attrs = [c for c in table.columns if c.startswith("attr_")]
    # segment: loyal/new/business, about a third each; the most common is the reference
    segment_counts = customers["segment"].fillna(
        customers["attributes"].str.extract(r'"segment": "(\w+)"')[0]).value_counts()
    reference = sorted(segment_counts[segment_counts == segment_counts.max()].index)[0]
    expected_segments = {f"attr_segment={s}" for s in segment_counts.index if s != reference}
    assert expected_segments <= set(attrs) and f"attr_segment={reference}" not in attrs
    # region: north/south plus 3 % islands pooled into "other"; language: en is the reference
    assert "attr_region=other" in attrs and not any("islands" in a for a in attrs)
    assert {"attr_tenure_months", "attr_language=de", "attr_language=other"} <= set(attrs)
    # tenure: numeric, non-negative, and matches first_seen → latest feedback answer
    tenure = table.set_index("customer_id")["attr_tenure_months"]
    assert pd.api.types.is_float_dtype(tenure) and tenure.notna().all() and (tenure >= 0).all()
    snapshot = store.to_pandas("feedback")["timestamp"].max()
    first = customers.set_index("customer_id")["first_seen"].reindex(tenure.index)
    expected = ((snapshot - first).dt.total_seconds() / 86_400 / 30.4375).clip(lower=0)
    np.testing.assert_allclose(tenure.to_numpy(), expected.to_numpy(), atol=1e-6)
    # indicators are 0/1 and agree with the customers table, JSON segment included
    seg = table.set_index("customer_id")
    truth = segment_counts.index[0] if segment_counts.index[0] != reference else segment_counts.index[1]
    level = customers.set_index("customer_id")["segment"].fillna(
        customers.set_index("customer_id")["attributes"].str.extract(r'"segment": "(\w+)"')[0]).reindex(seg.index)
    assert ((seg[f"attr_segment={truth}"] == 1) == (level == truth)).all()
    assert set(np.unique(seg[[a for a in attrs if a != "attr_tenure_months"]].to_numpy())) <= {0.0, 1.0}

    importance = store.read_result("drivers_importance").set_index("driver")
    used = [a for a in attrs if a in importance.index]
    assert "attr_tenure_months" in used and "attr_region=south" in used
    assert (importance.loc[used, "source"] == ATTRIBUTE_SOURCE).all()
    assert (importance.loc[importance.index.str.startswith("csat_"), "source"] != ATTRIBUTE_SOURCE).all()
    # language follows region exactly here: its levels are named as redundant, not fitted
    dropped = sections["drivers"].data["analysis"].dropped_
    assert "attr_language=de" in dropped and "attr_region=south" in dropped["attr_language=de"]
    assert "attr_language=de" not in importance.index
    # the planted touchpoint still leads; attributes are not "where to act" levers
    assert importance.index[0] == "csat_delivery"
    matrix = store.read_result("drivers_matrix")
    assert not matrix["driver"].str.startswith("attr_").any()
    assert matrix["act_order"].tolist() == list(range(1, len(matrix) + 1))
    # the report lists each attribute level used, with its source, and says how levels are coded
    from empathica.report.html import render_report

    html = render_report([sections["drivers"]], title="drivers")
    assert all(level in html for level in used) and ATTRIBUTE_SOURCE in html
    text = re.sub(r"<[^>]+>", "", html)  # names from the data are marked translate="no" inside the sentence
    assert "pooled" in text, text[-3000:]
    assert re.search(r"Not used: [^.]*\bde\b[^.]*\(other drivers already say what it says\)\.", text), text[-3000:]


def test_a_planted_segment_effect_is_found_among_the_attributes(tmp_path):
    """When one segment really is less satisfied, its indicator carries a clear share of NPS variance."""
    from empathica.settings import Settings
    from empathica.store import Store

    settings = Settings.load(config_file=tmp_path / "none.toml", progress=False)
    with Store.open(tmp_path / "s.duckdb", settings=settings) as store:
        fill_store(store, n=400, seed=3)
        fb = store.to_pandas("feedback")
        seg = store.to_pandas("customers").set_index("customer_id")["segment"]
        business = fb["customer_id"].map(seg).eq("business") & fb["nps"].notna()
        fb.loc[business, "nps"] = (fb.loc[business, "nps"] - 3).clip(lower=0)
        store.raw_sql("DELETE FROM feedback")
        store.insert("feedback", fb)
        run_flywheel(store, only=["drivers"])
        importance = store.read_result("drivers_importance").set_index("driver")
    # seed 3: "new" is the most common segment (the reference), so business is a coded level
    attr = importance[importance["source"] == ATTRIBUTE_SOURCE]
    assert attr.index[0] == "attr_segment=business"
    assert importance.loc["attr_segment=business", "correlation"] < -0.3
    assert importance.loc["attr_segment=business", "share"] > 0.15
    assert importance.index[0] == "csat_delivery"  # the planted touchpoint still leads
    # tenure and region carry no planted effect: they take next to nothing
    assert importance.loc[["attr_tenure_months", "attr_region=south"], "share"].max() < 0.05


def test_attributes_of_a_store_without_customers_or_with_one_level(store):
    import ibis

    assert customer_attributes(store, ibis.memtable({"customer_id": ["a"]})) is None
    frame = pd.DataFrame({"a": [1.0, 0, 1, 0], "b": [0.0, 1, 0, 1], "c": [1.0, 1, 0, 0]})
    dropped = redundant_drivers(frame, ["a", "b", "c"])
    assert list(dropped) == ["b"] and "a" in dropped["b"]
