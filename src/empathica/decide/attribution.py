"""Sharing the revenue of overlapping fixes: each fix's Shapley value, over orders in which all are done.

Fixes overlap. Resolving delivery complaints also removes the empathy gaps met in those complaint
conversations, which the least empathic agents' opportunity cuts too; a customer who makes the planted
pathway may also complain about a late delivery and be served by a low-engagement team. Valued alone,
each fix claims the churn it shares with the others (the same customers' same churn counted two or three
times down the ranking), and which fix looks bigger depends on which one is valued "first".

The rule: do all the fixes, one after another, in every order; a fix is credited the revenue it adds in
each order (the churn of its customers before it minus after it, by the one churn model, times their
value), averaged over the orders. That is its Shapley value: the amounts add up to what doing all the
fixes together would keep (nothing counted twice), a fix whose customers no other fix touches keeps what
it keeps alone, and two fixes that change the same customers' churn share it symmetrically. The changes
compose (each applies to the state the earlier ones left: a touchpoint's ratings lifted, then its
complaints resolved; the empathy gaps per cell of agent and complaint, ``levers.cut_cells``, so a gap removed by
one fix is not removed again by another).

Orders are sampled (``orders``; an order and its reverse, which lowers the sampling noise); the same
orders are used for every bootstrap refit of the model, and the 95 % interval is the 2.5–97.5 % points of
a fix's Shapley value over the refits.

A fix's Shapley value is a sum over customers (each customer's churn depends on their own levers only), so each
customer's part of it is kept too (``Valuation.by_customer``): a team's or region's share of a fix is the sum over
its customers (``decide.shares``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from empathica.decide.levers import CELL_PREFIX, lever_columns
from empathica.decide.response import ChurnResponse, Valuation

#: Orders sampled (in pairs: an order and its reverse).
ORDERS = 32


def shapley_valuations(model: ChurnResponse, table: pd.DataFrame, levers: list, *, orders: int = ORDERS,
                       random_state: int | None = 0, confidence: float = 0.95) -> dict[str, Valuation]:
    """Per lever key: its Shapley value of the revenue kept by doing all ``levers`` together, with an interval."""
    if not levers:
        return {}
    value = np.clip(np.nan_to_num(table["value"].to_numpy(dtype=float)), 0.0, None)
    start = model.proba_by_fit(table)  # column 0: the model; then each bootstrap refit
    credit = np.zeros((len(levers), start.shape[1]))
    # each affected customer's part of each lever's credit (the fitted model's), in the order of its affected rows
    own = [np.zeros(int(np.count_nonzero(lever.affected))) for lever in levers]
    churn = np.zeros(len(levers))
    rng = np.random.default_rng(random_state)
    order = np.arange(len(levers))
    # the fixes change columns the model may not read (the gaps per cell; empathy received, valued per contact instead)
    columns = [*model.columns_, *[c for c in [*lever_columns(table), *table.columns] if c not in model.columns_
                                   and (c in lever_columns(table) or c.startswith(CELL_PREFIX))]]
    columns = list(dict.fromkeys(columns))
    first = table[columns].to_numpy(dtype=float)
    for k in range(orders):
        order = rng.permutation(len(levers)) if k % 2 == 0 else order[::-1]
        state, p = first.copy(), start.copy()  # the levers as numbers: pandas writes back far slower
        for i in order:
            rows = np.flatnonzero(levers[i].affected)
            if not len(rows):
                continue
            changed = levers[i].change(pd.DataFrame(state[rows], columns=columns, index=table.index[rows]))
            state[rows] = changed[columns].to_numpy(dtype=float)
            after = model.proba_by_fit(changed)
            kept = (p[rows] - after) * value[rows, None]
            credit[i] += kept.sum(axis=0)
            own[i] += kept[:, 0]
            churn[i] += float((after[:, 0] - p[rows, 0]).mean())
            p[rows] = after
    credit /= orders
    alpha = (1 - confidence) / 2
    out = {}
    for i, lever in enumerate(levers):
        low, high = np.quantile(credit[i, 1:], [alpha, 1 - alpha]) if start.shape[1] > 1 else (np.nan, np.nan)
        out[lever.key] = Valuation(revenue=float(credit[i, 0]), low=float(low), high=float(high),
                                   churn_change=churn[i] / orders, by_customer=own[i] / orders)
    return out


__all__ = ["ORDERS", "shapley_valuations"]
