"""Competitor gaps as opportunities: where reviews say a competitor does clearly better than us.

Read from learn's competitor benchmark (result ``learn_benchmark_comparison``, all languages together, the own
brands together when there are several):
an area (delivery, price, …) where a competitor's reviews are positive clearly more often than ours
(Holm-adjusted p < 0.05, verdict "we are worse"); per area the competitor with the largest gap. The
change valued: our complaints about the area's aspects (the ``pain_<aspect>`` levers the area names in
learn/benchmark_areas.toml) fall to the competitor's level, i.e. are scaled by
(1 − their positive share) ÷ (1 − ours), for the customers who made them. It is valued by the same churn
model as every other opportunity; the interval is the model's (the gap's own uncertainty is not added).
An area none of whose aspects is a pain-point lever of the store gives no opportunity. The owner is the
team that owns the touchpoint named after the area (``delivery``), when there is one.

A gap scales down the very complaints that a touchpoint opportunity (``touchpoint:delivery`` resolves
complaints about delivery delays) or a pain-point opportunity (``pain:refund``) resolves, for the same
customers: its money is contained in theirs. It is kept as an opportunity (the benchmark says how far
the competitor got), marked ``part_of`` that opportunity and ranked after the independent ones, so the
ranking never counts the same complaints twice.
"""

from __future__ import annotations

import pandas as pd

from empathica.decide.opportunities import Lever, pain_touchpoint, resolve_complaints
from empathica.learn.benchmark import ALL, company_rows, load_areas
from empathica.schema.results import LEARN_BENCHMARK_COMPARISON
from empathica.store.names import Names

#: Competitors' average is a summary, not a competitor to name.
AVERAGE = "competitors' average"


def competitor_gaps(store) -> pd.DataFrame:
    """Per area, the competitor with the largest clear lead on positive reviews (empty when none)."""
    if not store.has_result(LEARN_BENCHMARK_COMPARISON):
        return pd.DataFrame()
    return gaps_in(store.read_result(LEARN_BENCHMARK_COMPARISON))


def gaps_in(comparison: pd.DataFrame) -> pd.DataFrame:
    """``competitor_gaps`` of a benchmark comparison (the rows of ``learn_benchmark_comparison``); the complaints
    valued are the whole store's, so the gap is the company's (the own brands together)."""
    comparison = company_rows(comparison)
    worse = comparison[(comparison["lang"] == ALL) & (comparison["metric"] == "positive_share")
                       & (comparison["competitor"] != AVERAGE) & (comparison["verdict"] == "we are worse")]
    return worse.sort_values("difference").drop_duplicates("area").reset_index(drop=True)


def competitor_levers(store, table: pd.DataFrame, names: Names) -> list[Lever]:
    """One opportunity per area where a competitor leads, as described above."""
    gaps = competitor_gaps(store)
    if gaps.empty:
        return []
    _, aspects = load_areas()
    levers = []
    for gap in gaps.itertuples():
        columns = [f"pain_{a}" for a in aspects.get(gap.area, ()) if f"pain_{a}" in table]
        if not columns or not 0 < gap.own < 1:
            continue
        factor = (1.0 - float(gap.theirs)) / (1.0 - float(gap.own))
        affected = (table[columns].fillna(0) > 0).any(axis=1).to_numpy()

        levers.append(Lever(key=f"competitor:{gap.area}:{gap.competitor}", kind="competitor",
                            message_id="decide.opportunity.competitor", part_of=_container(columns, table, names),
                            values={"competitor": str(gap.competitor), "area": names.touchpoint(gap.area),
                                    "theirs": float(gap.theirs), "own": float(gap.own)},
                            affected=affected, change=resolve_complaints(table, columns, share=1.0 - factor),
                            owner_team_id=names.owners.get(str(gap.area)),
                            evidence=LEARN_BENCHMARK_COMPARISON.name, evidence_section="learn",
                            evidence_key=f"{gap.area} / {gap.competitor}", extra={"complaints": columns}))
    return levers


def _container(columns: list[str], table: pd.DataFrame, names: Names) -> str | None:
    """The one opportunity that resolves all the complaints of ``columns`` (keyed as in the ranking), or None when
    they belong to several (then the gap is no part of any one of them)."""
    keys = set()
    for column in columns:
        touchpoint = pain_touchpoint(column[5:], names)
        keys.add(f"touchpoint:{touchpoint}" if f"csat_{touchpoint}" in table else f"pain:{column[5:]}")
    return keys.pop() if len(keys) == 1 else None


__all__ = ["competitor_gaps", "competitor_levers", "gaps_in"]
