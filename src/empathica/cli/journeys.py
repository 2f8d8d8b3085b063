"""`empathica journeys`: map journeys and pathway friction from an event log file."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress
from rich.text import Text

from empathica.errors import InputError


@click.group()
def journeys() -> None:
    """Journeys: touchpoints, pathways and the friction between them."""


@journeys.command()
@click.argument("events", type=click.Path(dir_okay=False))
@click.option("--case", required=True, help="Column that identifies a journey (case, ticket, session ...).")
@click.option("--activity", required=True, help="Column naming the touchpoint (activity) of each event.")
@click.option("--time", "time_column", required=True,
              help="Column with the event's time (ISO 8601; without a UTC offset, UTC is assumed; a date is its midnight UTC).")
@click.option("--cohort", default=None, help="Column labelling each journey's cohort; writes compare.csv.")
@click.option("--cohorts", "cohort_pair", default=None, metavar="A,B",
              help="The two cohort values to compare (default: the two most frequent).")
@click.option("--change-at", "change_at", default=None, metavar="DATE",
              help="Compare journeys that start before this date or time (ISO 8601; UTC unless an offset is given) "
                   "with those that start from it on, e.g. the day a fix went live; writes compare.csv. Not with --cohort.")
@click.option("--goal", default=None, help="Touchpoint that completes a journey (default: the most frequent end).")
@click.option("--customer", default=None, help="Column with the customer id (default: the case).")
@click.option("--channel", default=None, help="Column with the event's channel (web, phone ...), for channel switches.")
@click.option("--revenue", "revenue_column", default=None,
              help="Column with an amount on event rows (summed per customer): revenue touched per pathway.")
@click.option("--score", "score_column", default=None,
              help="Column with a 1–5 satisfaction score on event rows, about that row's touchpoint: satisfaction per "
                   "touchpoint, sentiment after each pathway.")
@click.option("--min-transitions", default=10, show_default=True, type=click.IntRange(min=1),
              help="Pathways with fewer traversals are not scored for friction.")
@click.option("--max-variants", default=1000, show_default=True, type=click.IntRange(min=1),
              help="variants file: the N most frequent variants and one row summarising the rest.")
@click.option("--all-variants", is_flag=True, help="Write every variant (written by the engine, not held in memory).")
@click.option("--format", "out_format", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True,
              help="File format of the outputs.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder for the output files.")
def discover(events: str, case: str, activity: str, time_column: str, cohort: str | None, cohort_pair: str | None,
             change_at: str | None, goal: str | None, customer: str | None, channel: str | None, revenue_column: str | None,
             score_column: str | None, min_transitions: int, max_variants: int, all_variants: bool, out_format: str,
             out: str) -> None:
    """Map the journeys in EVENTS (CSV, Parquet or XES) and rank pathway friction.

    Writes dfg.csv (source, target, transitions, customers, median_seconds, p90_seconds),
    touchpoints.csv, variants.csv (the --max-variants most frequent and a row for the rest, or all with
    --all-variants), friction.csv, friction_ablation.csv, funnel.csv, channels.csv, quarantine.csv and,
    with --cohort or --change-at, compare.csv into OUT (.parquet with --format parquet); the engine
    writes them. Nothing is written when an option is wrong (a goal or cohort value the file does not have).
    """
    from empathica.store import Store
    from empathica.understand.journeys import (
        DFG_COLUMNS,
        JourneyAnalyzer,
        before_after_cohorts,
        compare_cohorts,
        journey_cohorts,
        read_event_file,
    )

    chosen = _parse_pair(cohort_pair, cohort)
    goal = _parse_goal(goal)
    change = _parse_change(change_at, cohort)
    console = Console(stderr=True)
    out_dir = Path(out)
    comparing = bool(cohort) or change is not None
    stages = 4 if comparing else 3
    # a scratch store: the file's rows and the analysis' working tables only, none of the canonical ones
    with Store.open(":memory:", schema=False) as store, Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("reading events", total=stages)
        loaded = read_event_file(store, events, case=case, activity=activity, time=time_column, cohort=cohort,
                                 customer=customer, channel=channel, revenue=revenue_column, score=score_column)
        labels = cohorts = None
        if cohort:  # the cohort values are checked before anything is computed or written
            cohorts = loaded.cohorts
            labels = journey_cohorts(cohorts).to_pandas()
            a, b = _cohort_pair(labels, cohort, chosen, events)
        elif change is not None:
            cohorts = before_after_cohorts(loaded.events, change)
            labels = journey_cohorts(cohorts).to_pandas()
            a, b = "before", "after"
            sizes = labels["cohort"].value_counts()
            if not (sizes.get("before", 0) and sizes.get("after", 0)):
                raise InputError(f"{events}: --change-at {change_at} leaves {int(sizes.get('before', 0)):,} journey(s) starting "
                                 f"before it and {int(sizes.get('after', 0)):,} from it on; comparing needs both. Give a "
                                 "moment inside the log's time range.")
        bar.update(task, advance=1, description="discovering journeys")
        # the file's duplicate and order checks come from the analyzer's own sort of the events
        analyzer = loaded.fit(JourneyAnalyzer(goal=goal, min_transitions=min_transitions,
                                              max_variants=None if all_variants else max_variants))
        for note in loaded.notes:
            _note(console, note)
        bar.update(task, advance=1)
        compare = None
        if comparing:
            bar.update(task, description="comparing cohorts")
            compare = compare_cohorts(analyzer.steps_, cohorts, cohort_a=a, cohort_b=b)
            bar.update(task, advance=1)
        # everything is computed: only now is anything written
        bar.update(task, description="writing results")
        out_dir.mkdir(parents=True, exist_ok=True)
        outputs = {
            "dfg": analyzer.dfg_[DFG_COLUMNS], "touchpoints": analyzer.touchpoints_,
            "variants": analyzer.all_variants() if all_variants else _bounded_variants(analyzer),
            "friction": analyzer.friction_, "friction_ablation": analyzer.friction_ablation_, "funnel": analyzer.funnel_,
            "channels": analyzer.channel_switches_, "quarantine": loaded.quarantine,
        }
        if compare is not None:
            outputs["compare"] = compare
        outputs = {f"{name}.{out_format}": rows for name, rows in outputs.items()}
        for name, rows in outputs.items():
            _write_rows(rows, out_dir / name)
        bar.update(task, advance=1)
    s = analyzer.summary_
    reached, n = s["journeys_reaching_goal"], s["journeys"]
    click.echo(
        f"{loaded.rows_used:,} of {loaded.rows_read:,} events used; {n:,} journeys, {s['touchpoints']} touchpoints, "
        f"{s['pathways']} pathways, {s['variants']:,} variants; goal {s['goal']!r} reached by {reached:,} of {n:,} journeys "
        f"({100 * s['goal_rate']:.1f} %)."
    )
    if len(analyzer.friction_):
        top = analyzer.friction_.iloc[0]
        click.echo(f"Highest friction: {top['source']} → {top['target']} (score {top['friction_score']:.2f}): {top['evidence']}")
    if compare is not None:
        conflicting = int((labels["labels"] > 1).sum())
        unlabelled = n - len(labels)
        if conflicting:
            _note(console, f"{events}: {conflicting:,} journey(s) carry more than one {cohort!r} value; they are left out of "
                           "the comparison (see the column's values per case).")
        if unlabelled and cohort:
            _note(console, f"{events}: {unlabelled:,} journey(s) have no {cohort!r} value; they are left out of the comparison.")
        significant = int((compare["significant_share"] | compare["significant_duration"]).sum())
        sizes = f" ({int(compare['n_journeys_a'].iloc[0]):,} vs {int(compare['n_journeys_b'].iloc[0]):,} journeys)" if len(compare) else ""
        click.echo(f"Cohorts {a!r} vs {b!r}{sizes}: {significant} pathway(s) differ significantly (BH q < 0.05).")
    click.echo(f"Wrote {', '.join(outputs)} to {out_dir}/")


def _write_rows(rows, path: Path) -> None:
    """Write a result (a DataFrame or an expression of the store's engine) to CSV or Parquet, by the
    engine (DuckDB's COPY): a large table is never pulled into Python to be written."""
    import ibis
    import pandas as pd

    table = ibis.memtable(rows) if isinstance(rows, pd.DataFrame) else rows
    if path.suffix == ".parquet":
        table.to_parquet(path)
    else:
        table.to_csv(path)


def _bounded_variants(analyzer):
    """The analyzer's most frequent variants and, when there are more, one last row summarising the rest."""
    import pandas as pd

    rest = analyzer.variants_rest_
    shown = analyzer.variants_
    if not rest["variants"]:
        return shown
    total = analyzer.summary_["journeys"]
    row = pd.DataFrame([{"variant": f"({rest['variants']:,} other variants)", "journeys": rest["journeys"],
                         "share": rest["journeys"] / total if total else 0.0, "events": None}])
    return pd.concat([shown.astype({"reaches_goal": "object"}), row], ignore_index=True)


def _parse_goal(goal: str | None) -> str | None:
    """--goal trimmed like the file's touchpoint values (which lose surrounding spaces when read)."""
    if goal is None:
        return None
    if not goal.strip():
        raise InputError("--goal is blank; give a touchpoint name, e.g. --goal order_confirmed, or leave --goal out "
                         "to use the most frequent end.")
    return goal.strip()


def _parse_change(change_at: str | None, cohort: str | None):
    """--change-at as a timezone-aware moment (UTC when no offset is given), checked before the file is read."""
    if change_at is None:
        return None
    if cohort is not None:
        raise InputError("--change-at and --cohort both choose the cohorts to compare; give one of them.")
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(change_at.strip())
    except ValueError:
        raise InputError(f"--change-at {change_at!r} is not an ISO 8601 date or time; write e.g. --change-at 2024-03-01 "
                         "or --change-at 2024-03-01T12:00+01:00.") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _parse_pair(pair: str | None, cohort: str | None) -> tuple[str, str] | None:
    """The two values of --cohorts, checked before the file is read."""
    if pair is None:
        return None
    if cohort is None:
        raise InputError("--cohorts names two values of the cohort column; give that column with --cohort COL.")
    chosen = [v.strip() for v in pair.split(",")]
    if len(chosen) != 2 or not all(chosen):
        raise InputError(f"--cohorts takes two values separated by a comma, e.g. --cohorts promoter,detractor (got {pair!r}).")
    if chosen[0] == chosen[1]:
        raise InputError(f"--cohorts names {chosen[0]!r} twice; give two different cohort values, e.g. --cohorts promoter,detractor.")
    return chosen[0], chosen[1]


def _note(console: Console, text: str) -> None:
    """A note on the terminal: user-derived text (file names, touchpoints) is printed as is, never as
    Rich markup, and long notes are not wrapped (a path or a list of lines stays copyable)."""
    console.print(Text.assemble(("note:", "yellow"), " ", text), soft_wrap=True)


def _cohort_pair(labels, column: str, chosen: tuple[str, str] | None, path: str) -> tuple[str, str]:
    """The cohorts to compare: ``chosen`` when the file has both, else the two most frequent values
    (counted over journeys with a single label, the ones the comparison uses)."""
    single = labels[labels["labels"] == 1]
    sizes = single.groupby("cohort").size().rename("n").reset_index().sort_values(["n", "cohort"], ascending=[False, True])
    values = [str(v) for v in sizes["cohort"]]
    if chosen:
        missing = [v for v in chosen if v not in values]
        if missing:
            raise InputError(f"{path}: cohort value(s) {missing} do not occur in column {column!r} (on journeys with one label); "
                             f"its values are {', '.join(values[:20])}. Fix --cohorts.")
        return chosen
    if len(values) < 2:
        raise InputError(f"{path}: column {column!r} has {len(values)} distinct cohort value(s) on journeys with one label; "
                         "comparing needs two.")
    return values[0], values[1]


COMMANDS = [journeys]
