"""The journey map of the journeys page: stages × touchpoints, each touchpoint in its stage (the touchpoint
catalogue's ``journey_stage``), coloured by the friction of the pathways leaving it, labelled with its drop-off
rate and dwell time (median minutes to the next step). Read from the stored ``journey_touchpoints`` and
``journey_friction`` (a scoped user's: recomputed on their customers) and the catalogue; unlike the Sankey it shows every touchpoint, loops included.
"""

from __future__ import annotations

import pandas as pd

from empathica.errors import StoreError
from empathica.schema.results import JOURNEY_FRICTION, JOURNEY_TOUCHPOINTS
from empathica.serve.query import Filters
from empathica.serve.web.formats import Words
from empathica.serve.web.panels import PanelRows
from empathica.serve.web.scoped import journeys_in_scope
from empathica.store import Store
from empathica.store.operational import User

#: The catalogue's stages in journey order; a touchpoint without one is put under "unknown", last.
STAGES = ("awareness", "consideration", "purchase", "delivery", "service", "loyalty", "unknown")
COLUMNS = ("stage", "touchpoint", "events", "customers", "dwell_minutes", "dropoff_rate", "friction_score")
#: Filters that cannot apply: the touchpoint results are aggregates over every customer, without a date.
NOT_APPLIED = ("date", "language", "channel", "team", "segment")


def read_journey_map(store: Store, words: Words, filters: Filters, touchpoint: str | None, user: User) -> PanelRows:
    """One row per touchpoint: its stage (in the reader's language), volume, dwell, drop-off and the highest
    friction score of the pathways that leave it; in stage order, then by volume. A team or region user's map is
    of their customers' journeys (scoped.py: the journeys step's fit on their events)."""
    ignored = [f for f in NOT_APPLIED if _set(filters, f)]
    scoped = bool(user.team_id or user.region)
    try:
        if scoped and store.has_result(JOURNEY_TOUCHPOINTS):
            mine = journeys_in_scope(store, user)
            points, friction = mine[JOURNEY_TOUCHPOINTS.name], mine[JOURNEY_FRICTION.name]
        else:
            points = store.result(JOURNEY_TOUCHPOINTS).to_pandas()
            friction = store.result(JOURNEY_FRICTION).to_pandas()
    except StoreError:
        return PanelRows(pd.DataFrame(columns=list(COLUMNS)), ignored, missing=True)
    catalogue = store.table("touchpoints").select("touchpoint_id", "journey_stage").to_pandas()
    stage = dict(zip(catalogue["touchpoint_id"].astype(str), catalogue["journey_stage"]))
    worst = friction.groupby("source")["friction_score"].max() if len(friction) else pd.Series(dtype=float)
    frame = pd.DataFrame({
        "stage_key": [s if s in STAGES else "unknown" for s in points["touchpoint"].astype(str).map(stage)],
        "touchpoint": points["touchpoint"].astype(str),
        "events": points["events"], "customers": points["customers"],
        "dwell_minutes": points["median_seconds_to_next"] / 60.0,
        "dropoff_rate": points["dropoff_rate"],
        "friction_score": points["touchpoint"].map(worst),
    })
    if touchpoint:
        frame = frame[frame["touchpoint"] == touchpoint]
    frame["order"] = frame["stage_key"].map(STAGES.index)
    frame = frame.sort_values(["order", "events"], ascending=[True, False]).drop(columns="order").reset_index(drop=True)
    frame.insert(0, "stage", [words.label("stage", s) for s in frame["stage_key"]])
    return PanelRows(frame, ignored, recomputed=scoped)


def _set(filters: Filters, name: str) -> bool:
    if name == "date":
        return bool(filters.date_from or filters.date_to)
    return bool(getattr(filters, name))
