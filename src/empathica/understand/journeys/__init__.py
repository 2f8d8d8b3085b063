"""Journeys: touchpoints, the pathways between them and the friction on each pathway.

Everything is an Ibis expression over an event table with the columns of :func:`journey_events`
(``case, activity, timestamp, event_id, customer, channel``), so the same analysis runs on the
store's DuckDB, on a file read into a temporary DuckDB, or on Spark.

- :class:`JourneyAnalyzer` — directly-follows graph, touchpoints, variants, channel switches,
  pathway friction, goal funnel, per-customer friction exposure.
- :func:`compare_cohorts` — pathways whose frequency or duration differs between two cohorts.
- :func:`before_after_cohorts` — journeys that start before / after a change, as cohorts.
- :func:`pathway_day_counts`, :func:`compare_shares` — journeys per pathway, segment and start day, and two
  cohorts of them (any two segments, before / after any date) compared from those counts alone.
- :func:`pathway_day_durations`, :func:`duration_quantiles` — the waits on each pathway in duration bins per
  segment and start day, and any cohort's median and p90 read from their sums.
- :func:`journey_cohorts` — each journey's cohort label and how many labels it has (conflicts).
- :func:`read_event_file` — a CSV, Parquet or XES file as a journey event table, with quarantine;
  :meth:`EventFile.fit` runs an analyzer on it with the file's checks read off the analyzer's sort.
"""

from empathica.understand.journeys._analyzer import DFG_COLUMNS, JourneyAnalyzer
from empathica.understand.journeys._compare import (before_after_cohorts, benjamini_hochberg, compare_cohorts, compare_shares,
                                                    duration_quantiles, journey_cohorts, pathway_day_counts,
                                                    pathway_day_durations)
from empathica.understand.journeys._discovery import (
    PATH_SEPARATOR,
    channel_switches,
    directly_follows,
    first_arrivals,
    first_visits,
    journey_paths,
    journey_steps,
    journey_table,
    ordered_steps,
    pathway_graph,
    source_timing,
    touchpoint_summary,
    variant_summary,
    with_target_repeat,
)
from empathica.understand.journeys._events import journey_events
from empathica.understand.journeys._files import EventFile, read_event_file
from empathica.understand.journeys._friction import COMPONENTS, friction_ablation, pathway_friction
from empathica.understand.journeys._funnel import goal_funnel, typical_path_to_goal
from empathica.understand.journeys._map import journey_map_figure

__all__ = [
    "COMPONENTS",
    "DFG_COLUMNS",
    "EventFile",
    "PATH_SEPARATOR",
    "JourneyAnalyzer",
    "before_after_cohorts",
    "benjamini_hochberg",
    "channel_switches",
    "compare_cohorts",
    "compare_shares",
    "duration_quantiles",
    "directly_follows",
    "first_arrivals",
    "first_visits",
    "friction_ablation",
    "goal_funnel",
    "journey_cohorts",
    "journey_events",
    "journey_map_figure",
    "journey_paths",
    "journey_steps",
    "journey_table",
    "ordered_steps",
    "pathway_day_counts",
    "pathway_day_durations",
    "pathway_friction",
    "pathway_graph",
    "read_event_file",
    "source_timing",
    "touchpoint_summary",
    "typical_path_to_goal",
    "variant_summary",
    "with_target_repeat",
]
