"""Pathway friction: one score per transition from five standardized pieces of evidence.

For every pathway ``source → target`` with at least ``min_transitions`` traversals, five components
are measured (each is "more is worse"):

========================  ==========================================================================
component                 raw value
========================  ==========================================================================
``dropoff``               share of traversals in journeys that never reach the goal
``delay``                 ln((1 + median seconds of the pathway) / (1 + median seconds from the
                          source to any next step)): slower than the typical next step from there
``repeat``                share of traversals whose target was already visited in the journey
``channel_switch``        share of traversals that change channel (web → phone ...)
``negative_sentiment``    minus the mean sentiment (−1…1) of the feedback those customers gave on the
                          target; where a response has no sentiment score, (CSAT − 3) / 2 stands in
========================  ==========================================================================

Each raw value ``x`` becomes a z-score across the scored pathways, ``z = (x − mean) / sd``
(0 when the component does not vary or is unknown for the pathway), and

    friction_score = Σ_c w_c · z_c / Σ_c w_c

over the components measured at all (a log without channels or feedback simply drops those).
The score is relative: 0 is a typical pathway of this log, 1 is one standard deviation worse.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Evidence column of each friction component, in the order shown.
COMPONENTS: dict[str, str] = {
    "dropoff": "dropoff_rate",
    "delay": "log_delay_ratio",
    "repeat": "repeat_rate",
    "channel_switch": "channel_switch_rate",
    "negative_sentiment": "negative_sentiment_after",
}

DEFAULT_WEIGHTS: dict[str, float] = {name: 1.0 for name in COMPONENTS}


def pathway_friction(
    dfg: pd.DataFrame,
    *,
    min_transitions: int = 10,
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Score and rank the pathways of a directly-follows graph carrying friction evidence.

    ``dfg`` has the columns of :func:`directly_follows` and optionally ``sentiment_after``,
    ``revenue``. Pathways with fewer than ``min_transitions`` traversals are not scored (their
    evidence is too thin to rank) unless fewer than two pathways reach that, in which case all are.
    Returns one row per scored pathway, highest friction first, with ``rank``, ``friction_score``,
    each component's raw evidence and its ``z_<component>``.
    """
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    unknown = set(weights) - set(COMPONENTS)
    if unknown:
        raise ValueError(f"unknown friction component(s) {sorted(unknown)}; the components are {list(COMPONENTS)}")
    frame = dfg.copy()
    eligible = frame["transitions"] >= min_transitions
    if eligible.sum() < 2:
        eligible = frame["transitions"] > 0
    frame = frame[eligible].reset_index(drop=True)
    median = frame["median_seconds"].astype(float).clip(lower=0)
    if "source_typical_seconds" not in frame:  # no yardstick given: compare with the typical pathway
        frame["source_typical_seconds"] = float(median.median()) if len(frame) else np.nan
    typical = frame["source_typical_seconds"].astype(float).clip(lower=0)
    frame["log_delay_ratio"] = np.log1p(median) - np.log1p(typical)
    frame["delay_vs_typical"] = (1 + median) / (1 + typical)
    if "sentiment_after" not in frame:
        frame["sentiment_after"] = np.nan
    frame["negative_sentiment_after"] = -frame["sentiment_after"].astype(float)
    score = np.zeros(len(frame))
    used = 0.0
    for name, column in COMPONENTS.items():
        values = frame[column].astype(float)
        z = _zscore(values)
        frame[f"z_{name}"] = np.round(z, 6)
        if values.notna().any() and weights[name] > 0:
            score += weights[name] * z
            used += weights[name]
    frame["friction_score"] = np.round(score / used, 6) if used else 0.0
    frame = frame.sort_values(["friction_score", "transitions", "source", "target"], ascending=[False, False, True, True])
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    frame["evidence"] = [_evidence(row) for row in frame.itertuples(index=False)]
    first = ["rank", "source", "target", "friction_score", "transitions", "customers"]
    if "revenue" in frame:
        first.append("revenue")
    rest = [c for c in frame.columns if c not in first]
    return frame[first + rest].reset_index(drop=True)


def _zscore(values: pd.Series) -> np.ndarray:
    known = values.dropna()
    # a constant component does not vary: its mean is off by rounding (0.2 three times averages to
    # 0.20000000000000004), so its sd is ~1e-17 rather than 0 and would turn into z = ±1 for every pathway
    sd, mean = float(known.std(ddof=0)) if len(known) else 0.0, float(known.mean()) if len(known) else 0.0
    if len(known) < 2 or sd <= 1e-12 * max(1.0, abs(mean)):
        return np.zeros(len(values))
    z = (values - mean) / sd
    return z.fillna(0.0).to_numpy()


def _evidence(row) -> str:
    """The components of one pathway as a sentence a reader can check."""
    parts = [f"{row.dropoff_rate:.0%} of journeys never reach the goal"]
    if pd.notna(row.delay_vs_typical):
        parts.append(
            f"median wait {_duration(row.median_seconds)} ({row.delay_vs_typical:.1f}× the typical next step from {row.source})"
        )
    parts.append(f"{row.repeat_rate:.0%} repeat a touchpoint")
    if pd.notna(row.channel_switch_rate):
        parts.append(f"{row.channel_switch_rate:.0%} switch channel")
    if pd.notna(row.sentiment_after):
        parts.append(f"sentiment after {row.sentiment_after:+.2f}")
    return "; ".join(parts)


def _duration(seconds: float) -> str:
    if pd.isna(seconds):
        return "n/a"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
