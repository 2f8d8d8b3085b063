"""`empathica journeys`: map journeys and pathway friction from an event log file."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress

from empathica.errors import InputError


@click.group()
def journeys() -> None:
    """Journeys: touchpoints, pathways and the friction between them."""


@journeys.command()
@click.argument("events", type=click.Path(dir_okay=False))
@click.option("--case", required=True, help="Column that identifies a journey (case, ticket, session ...).")
@click.option("--activity", required=True, help="Column naming the touchpoint (activity) of each event.")
@click.option("--time", "time_column", required=True, help="Column with the event's time (ISO 8601).")
@click.option("--cohort", default=None, help="Column labelling each journey's cohort; writes compare.csv.")
@click.option("--cohorts", "cohort_pair", default=None, metavar="A,B",
              help="The two cohort values to compare (default: the two most frequent).")
@click.option("--goal", default=None, help="Touchpoint that completes a journey (default: the most frequent end).")
@click.option("--customer", default=None, help="Column with the customer id (default: the case).")
@click.option("--channel", default=None, help="Column with the event's channel (web, phone ...), for channel switches.")
@click.option("--min-transitions", default=10, show_default=True, type=click.IntRange(min=1),
              help="Pathways with fewer traversals are not scored for friction.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder for the CSV files.")
def discover(events: str, case: str, activity: str, time_column: str, cohort: str | None, cohort_pair: str | None,
             goal: str | None, customer: str | None, channel: str | None, min_transitions: int, out: str) -> None:
    """Map the journeys in EVENTS (CSV, Parquet or XES) and rank pathway friction.

    Writes dfg.csv (source, target, transitions, customers, median_seconds, p90_seconds),
    touchpoints.csv, variants.csv, friction.csv, funnel.csv, channels.csv, quarantine.csv and,
    with --cohort, compare.csv into OUT.
    """
    from empathica.store import Store
    from empathica.understand.journeys import DFG_COLUMNS, JourneyAnalyzer, compare_cohorts, read_event_file

    console = Console(stderr=True)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stages = 4 if cohort else 3
    with Store.open(":memory:") as store, Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("reading events", total=stages)
        loaded = read_event_file(store, events, case=case, activity=activity, time=time_column, cohort=cohort,
                                 customer=customer, channel=channel)
        loaded.quarantine.to_csv(out_dir / "quarantine.csv", index=False)
        for note in loaded.notes:
            console.print(f"[yellow]note:[/yellow] {note}")
        bar.update(task, advance=1, description="discovering journeys")
        analyzer = JourneyAnalyzer(goal=goal, min_transitions=min_transitions).fit(loaded.events)
        bar.update(task, advance=1, description="writing results")
        analyzer.dfg_[DFG_COLUMNS].to_csv(out_dir / "dfg.csv", index=False)
        analyzer.touchpoints_.to_csv(out_dir / "touchpoints.csv", index=False)
        analyzer.variants_.to_csv(out_dir / "variants.csv", index=False)
        analyzer.friction_.to_csv(out_dir / "friction.csv", index=False)
        analyzer.funnel_.to_csv(out_dir / "funnel.csv", index=False)
        analyzer.channel_switches_.to_csv(out_dir / "channels.csv", index=False)
        bar.update(task, advance=1)
        written = ["dfg.csv", "touchpoints.csv", "variants.csv", "friction.csv", "funnel.csv", "channels.csv", "quarantine.csv"]
        if cohort:
            bar.update(task, description="comparing cohorts")
            a, b = _cohort_pair(loaded.cohorts, cohort, cohort_pair, events)
            compare = compare_cohorts(analyzer.steps_, loaded.cohorts, cohort_a=a, cohort_b=b)
            compare.to_csv(out_dir / "compare.csv", index=False)
            written.append("compare.csv")
            bar.update(task, advance=1)
    s = analyzer.summary_
    click.echo(
        f"{loaded.rows_used:,} of {loaded.rows_read:,} events used; {s['journeys']:,} journeys, {s['touchpoints']} touchpoints, "
        f"{s['pathways']} pathways, {s['variants']:,} variants; goal {s['goal']!r} reached by {s['goal_rate']:.0%}."
    )
    if len(analyzer.friction_):
        top = analyzer.friction_.iloc[0]
        click.echo(f"Highest friction: {top['source']} → {top['target']} (score {top['friction_score']:.2f}): {top['evidence']}")
    if cohort:
        significant = int((compare["significant_share"] | compare["significant_duration"]).sum())
        click.echo(f"Cohorts {a!r} vs {b!r}: {significant} pathway(s) differ significantly (BH q < 0.05).")
    click.echo(f"Wrote {', '.join(written)} to {out_dir}/")


def _cohort_pair(cohorts, column: str, pair: str | None, path: str) -> tuple[str, str]:
    sizes = cohorts.group_by("cohort").aggregate(n=cohorts.count()).to_pandas().sort_values(["n", "cohort"], ascending=[False, True])
    values = [str(v) for v in sizes["cohort"]]
    if pair:
        chosen = [v.strip() for v in pair.split(",")]
        if len(chosen) != 2:
            raise InputError(f"--cohorts takes two values separated by a comma, e.g. --cohorts promoter,detractor (got {pair!r}).")
        missing = [v for v in chosen if v not in values]
        if missing:
            raise InputError(f"{path}: cohort value(s) {missing} do not occur in column {column!r}; its values are {', '.join(values[:20])}.")
        return chosen[0], chosen[1]
    if len(values) < 2:
        raise InputError(f"{path}: column {column!r} has {len(values)} distinct cohort value(s); comparing needs two.")
    return values[0], values[1]


COMMANDS = [journeys]
