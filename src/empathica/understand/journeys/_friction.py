"""Pathway friction: each piece of evidence against a counterfactual the same log gives, with intervals.

For every pathway ``source → target`` five components are measured, each as an **effect size** of
the pathway against what the data says would happen otherwise (positive = worse than that):

==================  ===============================================  ==========================================
component           the pathway                                      against (the counterfactual)
==================  ===============================================  ==========================================
``dropoff``         share of its traversals in journeys that never   the other transitions out of the same
                    reach the goal                                   source touchpoint
``delay``           its waits                                        the usual wait into the same target and
                                                                     the usual wait out of the same source
``repeat``          share whose target was already visited           all other transitions (the base rate)
``channel_switch``  share that change channel                        all other transitions (the base rate)
``sentiment_drop``  the customers' sentiment about the target        their own sentiment about the source
                                                                     (paired, per traversal)
==================  ===============================================  ==========================================

Every component is a **difference of probabilities**, in −1…1, so they add up without weights read
off one data set: for rates the difference of the two rates (``p − q``: of 100 traversals, how many
more drop off, repeat or switch than the counterfactual says), for waits the dominance
``P(wait > usual) − P(wait < usual)`` (Cliff's delta, from the log waits' means and spreads as if
log-normal), for sentiment the mean paired change over its range (sentiment runs −1…1, a change
−2…2). Each has a normal-approximation ``confidence`` interval (``<c>_low``, ``<c>_high``); the
score counts only what the data shows beyond doubt:

    friction_score = Σ_c w_c · max(0, low_c) / Σ_c w_c

over the components measured at all (a log without channels or feedback drops those; weights 1
unless given). A component with no counterfactual (the only way out of a touchpoint, the only way
into it) is unknown and adds 0. So a slow but normal step (as slow as other arrivals at its target,
as often followed by the goal as its siblings) scores about 0, and a failing one (its journeys drop
where the source's other paths do not, customers change channel and feel worse) scores high.
:func:`friction_ablation` shows how the ranking moves when each component is left out.
"""

from __future__ import annotations

from statistics import NormalDist

import math

import numpy as np
import pandas as pd

#: Raw evidence column of each friction component (the pathway's own value), in the order shown.
COMPONENTS: dict[str, str] = {
    "dropoff": "dropoff_rate",
    "delay": "log_seconds_mean",
    "repeat": "repeat_rate",
    "channel_switch": "channel_switch_rate",
    "sentiment_drop": "sentiment_change",
}

DEFAULT_WEIGHTS: dict[str, float] = {name: 1.0 for name in COMPONENTS}


def pathway_friction(
    dfg: pd.DataFrame,
    *,
    min_transitions: int = 10,
    weights: dict[str, float] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Score and rank the pathways of a directly-follows graph carrying friction evidence.

    ``dfg`` has the columns of :func:`directly_follows` (``log_seconds_mean, log_seconds_sd`` for
    the delay) and optionally ``sentiment_pairs, sentiment_change, sentiment_change_sd,
    sentiment_before, sentiment_after, revenue``. The counterfactuals are taken over every pathway;
    pathways with fewer than ``min_transitions`` traversals are not ranked (their evidence is too
    thin) unless fewer than two reach that, then all are. Returns one row per ranked pathway,
    highest friction first: ``rank``, ``friction_score``, per component ``<c>_effect``, ``<c>_low``,
    ``<c>_high``, the evidence on both sides of each comparison and ``evidence`` in words.
    """
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    unknown = set(weights) - set(COMPONENTS)
    if unknown:
        raise ValueError(f"unknown friction component(s) {sorted(unknown)}; the components are {list(COMPONENTS)}")
    frame = dfg.reset_index(drop=True).copy()
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    effects = {
        "dropoff": _dropoff(frame),
        "delay": _delay(frame),
        "repeat": _repeat(frame),
        "channel_switch": _rate_vs_base(frame, "channel_switch_rate"),
        "sentiment_drop": _sentiment_drop(frame),
    }
    for name, (effect, se) in effects.items():
        frame[f"{name}_effect"] = np.round(effect, 6)
        frame[f"{name}_low"] = np.round(effect - z * se, 6)
        frame[f"{name}_high"] = np.round(effect + z * se, 6)
    eligible = frame["transitions"] >= min_transitions
    if eligible.sum() < 2:
        eligible = frame["transitions"] > 0
    frame = frame[eligible].reset_index(drop=True)
    frame["friction_score"] = np.round(friction_scores(frame, weights), 6)
    frame = frame.sort_values(["friction_score", "transitions", "source", "target"], ascending=[False, False, True, True])
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    frame["evidence"] = [_evidence(row) for row in frame.itertuples(index=False)]
    first = ["rank", "source", "target", "friction_score", "transitions", "customers"]
    if "revenue" in frame:
        first.append("revenue")
    rest = [c for c in frame.columns if c not in first]
    return frame[first + rest].reset_index(drop=True)


def friction_scores(frame: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """``Σ w_c · max(0, <c>_low) / Σ w_c`` over the components with a known value on some pathway."""
    score = np.zeros(len(frame))
    used = 0.0
    for name in COMPONENTS:
        low = frame[f"{name}_low"].astype(float)
        if weights.get(name, 0.0) > 0 and low.notna().any():
            score += weights[name] * low.clip(lower=0).fillna(0.0).to_numpy()
            used += weights[name]
    return score / used if used else score


def friction_ablation(friction: pd.DataFrame, *, weights: dict[str, float] | None = None, top: int = 5) -> pd.DataFrame:
    """How the ranking changes when each component is left out (the others keep their weights).

    One row for the full score (``dropped = "none"``) and one per component measured: the pathway
    then ranked first, the rank the full ranking's first pathway gets, how many of the full top
    ``top`` stay in the top ``top``, and the Spearman correlation of the two rankings.
    """
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    columns = ["dropped", "top_source", "top_target", "rank_of_full_top", f"top{top}_kept", "spearman"]
    if friction.empty:
        return pd.DataFrame(columns=columns)
    # the full ranking is the one published (its rounded scores break ties the same way)
    full = friction["friction_score"].to_numpy(float)
    full_order = _order(friction, full)
    leader = full_order[0]
    rows = []
    measured = [c for c in COMPONENTS if weights[c] > 0 and friction[f"{c}_low"].notna().any()]
    for dropped in ["none", *measured]:
        scores = full if dropped == "none" else np.round(friction_scores(friction, {**weights, dropped: 0.0}), 6)
        order = _order(friction, scores)
        ranks = np.empty(len(order), dtype=int)
        ranks[order] = np.arange(1, len(order) + 1)
        full_ranks = np.empty(len(full_order), dtype=int)
        full_ranks[full_order] = np.arange(1, len(full_order) + 1)
        rho = float(np.corrcoef(ranks, full_ranks)[0, 1]) if len(order) > 1 else 1.0
        rows.append({"dropped": dropped, "top_source": friction["source"].iloc[order[0]],
                     "top_target": friction["target"].iloc[order[0]], "rank_of_full_top": int(ranks[leader]),
                     f"top{top}_kept": len(set(order[:top]) & set(full_order[:top])), "spearman": round(rho, 4)})
    return pd.DataFrame(rows, columns=columns)


def _order(frame: pd.DataFrame, scores: np.ndarray) -> np.ndarray:
    """Row positions from highest to lowest score (ties: more traversals, then names)."""
    keyed = pd.DataFrame({"s": scores, "n": frame["transitions"].to_numpy(), "a": frame["source"].to_numpy(),
                          "b": frame["target"].to_numpy()})
    return keyed.sort_values(["s", "n", "a", "b"], ascending=[False, False, True, True], kind="mergesort").index.to_numpy()


def _rate_difference(p: pd.Series, n: pd.Series, q: pd.Series, m: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Rate ``p`` (of ``n`` traversals) against rate ``q`` (of ``m``): the difference and its standard error."""
    p, q = p.clip(0, 1), q.clip(0, 1)
    se = np.sqrt(p * (1 - p) / n + q * (1 - q) / m)
    known = (m > 0) & p.notna() & q.notna()
    return (p - q).where(known), se.where(known)


def _dropoff(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Drop-off against the other transitions out of the same source touchpoint."""
    n = frame["transitions"].astype(float)
    dropped = n * frame["dropoff_rate"].astype(float)
    by_source = frame.assign(_n=n, _d=dropped).groupby("source")[["_n", "_d"]].transform("sum")
    others_n = by_source["_n"] - n
    frame["dropoff_rate_others"] = ((by_source["_d"] - dropped) / others_n.where(others_n > 0)).round(6)
    return _rate_difference(frame["dropoff_rate"].astype(float), n, frame["dropoff_rate_others"], others_n)


def _rate_vs_base(frame: pd.DataFrame, column: str, among: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """A rate against the same rate over all other transitions (where it is known; only the pathways
    ``among`` marks count towards the base)."""
    rate = frame[column].astype(float)
    n = frame["transitions"].astype(float).where(rate.notna() & (True if among is None else among), 0.0)
    hits = (n * rate).fillna(0.0)
    others_n = n.sum() - n
    frame[f"{column}_base"] = ((hits.sum() - hits) / others_n.where(others_n > 0)).round(6)
    return _rate_difference(rate, frame["transitions"].astype(float), frame[f"{column}_base"], others_n)


def _repeat(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Repeats against the base rate; a self-loop repeats its touchpoint by definition, so its repeat
    says nothing beyond the loop itself (unknown: its friction shows in drop-off, delay and sentiment)."""
    loop = frame["source"] == frame["target"]
    effect, se = _rate_vs_base(frame, "repeat_rate", among=~loop)
    return effect.where(~loop), se.where(~loop)


def _delay(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Waits against both counterfactuals, the other ways out of the same source and the other arrivals
    at the same target; the smaller effect counts (a wait the source's or the target's pace explains is
    not friction).

    Each side is the dominance ``2A − 1``, ``A = Φ((m − m₀) / √(s² + s₀²))`` the probability that a
    wait of this pathway (log mean m, sd s) is longer than one of the counterfactual (m₀, s₀), with the
    standard error ``2·√(A(1 − A)·(1/n + 1/m))`` (a normal approximation).
    """
    frame["typical_exit_seconds"] = frame["typical_arrival_seconds"] = frame["delay_vs_typical"] = np.nan
    if not {"log_seconds_mean", "log_seconds_sd"} <= set(frame.columns):
        nothing = pd.Series(np.nan, index=frame.index)
        return nothing, nothing
    sides = {key: _wait_effect(frame, key) for key in ("source", "target")}
    (h_out, se_out, mean_out), (h_in, se_in, mean_in) = sides["source"], sides["target"]
    use_in = (h_in - se_in).fillna(np.inf) < (h_out - se_out).fillna(np.inf)
    effect, se = h_in.where(use_in, h_out), se_in.where(use_in, se_out)
    known = h_in.notna() & h_out.notna()
    frame["typical_exit_seconds"] = (np.exp(mean_out) - 1).round(3)
    frame["typical_arrival_seconds"] = (np.exp(mean_in) - 1).round(3)
    # how many times the typical wait the pathway takes, against the counterfactual that counted
    frame["delay_vs_typical"] = np.exp(frame["log_seconds_mean"] - mean_in.where(use_in, mean_out)).round(6)
    return effect.where(known), se.where(known)


def _wait_effect(frame: pd.DataFrame, key: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The pathway's log waits against the pooled log waits of all pathways sharing its ``key`` (source
    or target; unknown when it is the only one): the rate-scale effect, its standard error and the
    counterfactual's mean."""
    n = frame["transitions"].astype(float)
    mean = frame["log_seconds_mean"].astype(float)
    var = frame["log_seconds_sd"].astype(float).fillna(0.0) ** 2
    sums = frame.assign(_n=n, _s=n * mean, _q=(n - 1).clip(lower=0) * var + n * mean**2)
    by_key = sums.groupby(key)[["_n", "_s", "_q"]].transform("sum")
    # the usual wait there is over all its pathways, this one included: the main way into a touchpoint
    # sets its usual pace, it is not slow against the rare faster ones
    m = by_key["_n"].where(by_key["_n"] > n)
    other_mean = by_key["_s"] / m
    other_var = ((by_key["_q"] - m * other_mean**2) / (m - 1).where(m > 1)).fillna(0.0).clip(lower=0)
    spread = np.sqrt(var + other_var)
    gap = mean - other_mean
    z = (gap / spread.where(spread > 1e-9)).where(spread > 1e-9, np.sign(gap) * np.inf)
    superiority = pd.Series(_normal_cdf(z.to_numpy(float)), index=frame.index).where(gap.notna())
    dominance = 2 * superiority - 1
    return dominance, 2 * np.sqrt(superiority * (1 - superiority) * (1.0 / n + 1.0 / m)), other_mean


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """Φ(x) for a handful of values (one per pathway), ±inf included."""
    return np.array([0.5 * math.erfc(-v / math.sqrt(2)) if not np.isnan(v) else np.nan for v in x], dtype=float)


def _sentiment_drop(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Sentiment about the target against the same customers' sentiment about the source: the mean
    paired drop over its range (a change runs −2…2), with its standard error; needs two pairs."""
    for column in ("sentiment_pairs", "sentiment_change", "sentiment_change_sd", "sentiment_before", "sentiment_after"):
        if column not in frame:
            frame[column] = np.nan
    n = frame["sentiment_pairs"].astype(float).where(lambda v: v >= 2)
    drop = -frame["sentiment_change"].astype(float) / 2
    se = frame["sentiment_change_sd"].astype(float).fillna(0.0) / (2 * np.sqrt(n))
    return drop.where(n.notna()), se.where(n.notna())


def _evidence(row) -> str:
    """Each component beside its counterfactual, as a sentence a reader can check."""
    parts = [f"{row.dropoff_rate:.0%} of journeys never reach the goal"
             + (f" (other ways out of {row.source}: {row.dropoff_rate_others:.0%})" if pd.notna(row.dropoff_rate_others) else "")]
    if pd.notna(row.delay_vs_typical):
        parts.append(f"median wait {_duration(row.median_seconds)} (typical: {_duration(row.typical_exit_seconds)} out of "
                     f"{row.source}, {_duration(row.typical_arrival_seconds)} into {row.target})")
    if row.source != row.target:
        parts.append(f"{row.repeat_rate:.0%} repeat a touchpoint (all transitions: {row.repeat_rate_base:.0%})")
    if pd.notna(row.channel_switch_rate):
        parts.append(f"{row.channel_switch_rate:.0%} switch channel (all transitions: {row.channel_switch_rate_base:.0%})")
    if pd.notna(row.sentiment_change):
        parts.append(f"sentiment after {row.sentiment_after:+.2f}, {row.sentiment_change:+.2f} against the same customers' "
                     f"sentiment about {row.source}")
    elif pd.notna(row.sentiment_after):
        parts.append(f"sentiment after {row.sentiment_after:+.2f}")
    return "; ".join(parts)


def _duration(seconds: float) -> str:
    if pd.isna(seconds):
        return "n/a"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
