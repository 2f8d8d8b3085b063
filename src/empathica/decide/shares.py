"""A team's or region's share of the decide step's money: each customer's part, added up over their customers.

The churn model values a change customer by customer (P(churn | now) − P(churn | changed), times the customer's
value), and an opportunity's Shapley share is a sum over customers too (``attribution``). So the decide step keeps
each concerned customer's part (``decide_customer_values``) and a scope's share of an opportunity or scenario is
the sum over the scope's customers: the same model and the same orders, no refit.

The bootstrap refits are not kept per customer (refits × customers × opportunities); a scope's interval is the
company's, around the scope's revenue, its distances to the ends scaled by the scope's share of the money moved
(Σ |part| over the scope's customers ÷ over everyone's). When every part has the same sign that is the company's
interval scaled by the scope's share of the revenue; parts of both signs (a fix that helps some customers and not
others) do not blow it up as a ratio of a revenue near zero would. The refits move every customer's part together
(they share the model's coefficients), so this is close to the scope's own interval; for a small scope it is
narrower than a refit of the scope alone would give.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from empathica.decide.opportunities import confidence, ranked
from empathica.decide.response import MIN_AUC, Valuation

#: Columns of a ranking that describe the company's previous run and period trend: unknown for a scope.
_COMPANY_TREND = ("previous_rank", "previous_revenue", "trend_basis", "trend_message_id", "trend_values")


def customer_values(table: pd.DataFrame, valued, *, result: str) -> pd.DataFrame:
    """Rows of ``decide_customer_values`` for ``valued`` ((lever, Valuation) pairs, the valuation with its
    ``by_customer`` parts in the order of the lever's affected rows of ``table``); a key is kept once."""
    frames, seen = [], set()
    for lever, valuation in valued:
        if lever.key in seen or valuation is None or valuation.by_customer is None:
            continue
        seen.add(lever.key)
        ids = table.loc[np.asarray(lever.affected, dtype=bool), "customer_id"].astype(str).to_numpy()
        frames.append(pd.DataFrame({"result": result, "key": lever.key, "customer_id": ids,
                                    "revenue": np.asarray(valuation.by_customer, dtype=float)}))
    if not frames:
        return pd.DataFrame({"result": pd.Series(dtype=str), "key": pd.Series(dtype=str),
                             "customer_id": pd.Series(dtype=str), "revenue": pd.Series(dtype=float)})
    return pd.concat(frames, ignore_index=True)


def scope_share(rows: pd.DataFrame, parts: pd.DataFrame, moved: pd.Series, *, ranking: bool) -> pd.DataFrame:
    """``rows`` (the stored ``decide_opportunities`` — ``ranking`` — or ``decide_scenarios``) as a scope's share:
    per key, the revenue and customers of ``parts`` (the scope's rows of ``decide_customer_values`` for that result),
    the interval the company's scaled by the scope's share of the money moved (``moved``: per key, Σ |revenue| of
    everyone's parts), money shown and confidence graded as for the company; opportunities re-ranked within the
    scope, without the company's previous rank and trend. A key none of the scope's customers is concerned by is
    left out."""
    parts = parts.assign(moved=parts["revenue"].abs())
    sums = parts.groupby("key").agg(scope_revenue=("revenue", "sum"), scope_moved=("moved", "sum"),
                                    scope_customers=("customer_id", "nunique"))
    mine = rows[rows["key"].isin(sums.index)].copy()
    if mine.empty:
        return rows.iloc[0:0]
    mine = mine.join(sums, on="key")
    everyone = mine["key"].map(moved).astype(float).to_numpy()
    share = np.divide(mine["scope_moved"].to_numpy(), everyone, out=np.zeros(len(mine)), where=everyone > 0)
    company, revenue = mine["revenue"].astype(float).to_numpy(), mine.pop("scope_revenue").to_numpy()
    mine["revenue_low"] = revenue + (mine["revenue_low"].astype(float).to_numpy() - company) * share
    mine["revenue_high"] = revenue + (mine["revenue_high"].astype(float).to_numpy() - company) * share
    mine["revenue"], mine["customers"] = revenue, mine.pop("scope_customers").astype(int)
    mine = mine.drop(columns="scope_moved")
    shown = mine["money_shown"].astype(bool).to_numpy()
    if not ranking:  # a scenario shows money when the company's did (a usable model) and its interval excludes 0
        mine["money_shown"] = [bool(s) and not Valuation(0.0, lo, hi, 0.0).spans_zero
                               for s, lo, hi in zip(shown, mine["revenue_low"], mine["revenue_high"])]
        return mine.reset_index(drop=True)
    mine["confidence"] = [confidence(Valuation(r, lo, hi, 0.0), n, float(auc), float(auc) >= MIN_AUC)
                          for r, lo, hi, n, auc in zip(mine["revenue"], mine["revenue_low"], mine["revenue_high"],
                                                       mine["customers"], mine["model_auc"])]
    mine["money_shown"] = mine["confidence"] != "low"
    mine = mine.assign(**{c: None for c in _COMPANY_TREND if c in mine})
    mine.loc[~mine["part_of"].isin(mine["key"]), "part_of"] = None  # its container concerns none of theirs
    return ranked(mine)


__all__ = ["customer_values", "scope_share"]
