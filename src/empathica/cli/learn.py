"""`empathica actions …` (record what was changed) and `empathica learn …` (did it work: effects,
experiments, power, competitor benchmark)."""

from __future__ import annotations

import click
import pandas as pd
from rich.console import Console
from rich.table import Table

from empathica.cli.options import db_option
from empathica.errors import InputError


def _print(frame: pd.DataFrame, title: str) -> None:
    table = Table(title=title, show_lines=False)
    for col in frame.columns:
        table.add_column(str(col))
    for row in frame.itertuples(index=False):
        table.add_row(*["" if v is None or (not isinstance(v, str) and pd.isna(v)) else f"{v:.4g}" if isinstance(v, float)
                        else str(v) for v in row])
    Console(width=200).print(table)


# -- actions ---------------------------------------------------------------------------------------
@click.group()
def actions() -> None:
    """Record what was changed (actions), so `empathica learn effect` can tell whether it worked."""


@actions.command("add")
@db_option
@click.option("--title", required=True, help="Short name of the action.")
@click.option("--starts", "starts_at", required=True, help="When it took effect, e.g. 2024-01-08.")
@click.option("--ends", "ends_at", default=None, help="When it was withdrawn (empty while in force).")
@click.option("--id", "action_id", default=None, help="Action id (default: derived from title and start).")
@click.option("--description", default=None, help="What was changed.")
@click.option("--touchpoint", "touchpoint_id", default=None, help="Touchpoint changed (touchpoint_id).")
@click.option("--team", "team_id", default=None, help="Team changed or trained (team_id).")
@click.option("--agents", default=None, help="Employees concerned, comma-separated employee ids.")
@click.option("--segment", default=None, help="Customer segment it applies to.")
@click.option("--region", default=None, help="Region it applies to.")
@click.option("--metric", "expected_metric", default=None, help="Outcome expected to move: nps, csat, sentiment, empathy, friction, churn, revenue.")
@click.option("--direction", "expected_direction", type=click.Choice(["up", "down"]), default=None, help="Which way it should move.")
@click.option("--owner", default=None, help="Who is accountable.")
def actions_add(db: str, **fields) -> None:
    """Record one action in the store."""
    from empathica.learn.actions import record_action
    from empathica.store import Store

    with Store.open(db) as store:
        action_id = record_action(store, source="cli", **fields)
    click.echo(f"recorded action {action_id}")


@actions.command("list")
@db_option
def actions_list(db: str) -> None:
    """List the recorded actions, oldest first."""
    from empathica.store import Store

    with Store.open(db, read_only=True) as store:
        t = store.table("actions")
        frame = t.order_by(["starts_at", "action_id"]).select(
            "action_id", "title", "starts_at", "ends_at", "touchpoint_id", "team_id", "agents", "segment", "region",
            "expected_metric", "source").to_pandas()
    _print(frame, f"{len(frame)} action(s)")


@actions.command("from-cases")
@db_option
@click.argument("cases_file")
def actions_from_cases(db: str, cases_file: str) -> None:
    """Record an action for every closed case of CASES_FILE with a root cause and a resolution
    (columns case_id, status, root_cause, resolution, closed_at; touchpoint_id, team_id optional)."""
    from empathica.cli.value import read_table
    from empathica.learn.actions import actions_from_cases as from_cases
    from empathica.store import Store

    cases = read_table(cases_file)
    with Store.open(db) as store:
        ids = from_cases(store, cases)
    click.echo(f"recorded {len(ids)} action(s) from closed cases" + (f": {', '.join(ids)}" if ids else ""))


# -- learn ------------------------------------------------------------------------------------------
@click.group()
def learn() -> None:
    """Did it work? Effects of actions, A/B tests, power, and the competitor benchmark."""


@learn.command("effect")
@db_option
@click.option("--action", "action_ids", multiple=True, help="Action id (repeatable; default: every recorded action).")
@click.option("--metric", "metrics", multiple=True,
              type=click.Choice(["churn", "revenue", "nps", "csat", "friction", "empathy", "sentiment"]),
              help="Outcome (repeatable; default: the action's expected metric, else churn).")
@click.option("--event-study", is_flag=True, help="Also print the treated − control gap per month around the start.")
def learn_effect(db: str, action_ids: tuple[str, ...], metrics: tuple[str, ...], event_study: bool) -> None:
    """Difference-in-differences effect of recorded actions against matched controls (observational)."""
    from empathica.learn.actions import load_actions
    from empathica.learn.effects import CAVEAT_SHORT, action_effect_table
    from empathica.store import Store

    with Store.open(db, read_only=True) as store:
        every = load_actions(store)
        chosen = load_actions(store, action_ids) if action_ids else every
        if not chosen:
            raise InputError(f"no actions recorded in {db}; add one with `empathica actions add`.")
        rows, studies, skipped = [], [], []
        for action in chosen:
            wanted = list(metrics) or [action.expected_metric or "churn"]
            e, s, k = action_effect_table(store, [action], wanted, others=tuple(every))
            rows.append(e), studies.append(s), skipped.extend(k)
    effects = pd.concat(rows, ignore_index=True)
    _print(effects[["action_id", "metric", "estimate", "ci_low", "ci_high", "p_value", "baseline", "treated_pre",
                    "treated_post", "control_pre", "control_post", "pre_trend_p"]], "Effects (95 % CI, clustered by customer)")
    if event_study:
        _print(pd.concat(studies, ignore_index=True), "Event study (reference: month −1)")
    for line in skipped:
        click.echo(f"not measured: {line}", err=True)
    click.echo(CAVEAT_SHORT)


@learn.command("experiment")
@click.argument("file")
@click.option("--arm", required=True, help="Column naming each unit's variant.")
@click.option("--outcome", required=True, help="Column with the outcome.")
@click.option("--pre", "covariate", default=None, help="Column with the same metric before the test (CUPED).")
@click.option("--control", default=None, help="The control arm (default: 'control', else the first alphabetically).")
@click.option("--split", "treatment_share", default=0.5, show_default=True, type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Planned share of units in the treatment arm (for the sample-ratio check).")
@click.option("--planned", "planned_per_arm", default=None, type=click.IntRange(min=2), help="Planned units per arm (tunes the always-valid interval).")
@click.option("--alpha", default=0.05, show_default=True, type=click.FloatRange(0, 1, min_open=True, max_open=True))
def learn_experiment(file: str, **options) -> None:
    """Analyse an A/B test in FILE (one row per unit): difference with its interval, sample-ratio check,
    CUPED with --pre, and an always-valid interval that stays valid however often you look."""
    from empathica.cli.value import read_table
    from empathica.learn.experiments import analyze_experiment

    result = analyze_experiment(read_table(file), source=file, **options)
    _print(pd.DataFrame([result.to_row()]).T.reset_index().set_axis(["field", "value"], axis=1), f"A/B test: {file}")
    if result.sample_ratio_mismatch:
        click.echo(f"warning: sample-ratio mismatch (p = {result.srm_p:.2g}); the assignment is broken, do not trust the result.", err=True)


@learn.command("experiments")
@db_option
@click.option("--experiment", "experiment_ids", multiple=True, help="Experiment id (repeatable; default: every stored one).")
@click.option("--metric", "metrics", multiple=True, type=click.Choice(["revenue", "churn", "friction", "nps", "csat", "sentiment"]),
              help="Outcome (repeatable; default: revenue, churn, friction, nps, csat).")
def learn_experiments(db: str, experiment_ids: tuple[str, ...], metrics: tuple[str, ...]) -> None:
    """Analyse the experiments stored in table `experiments` (ingest assignments with `empathica listen`): every
    arm against the control on each outcome after assignment, post-stratified, with CUPED, Holm over the arms,
    the detectable effect and the sample-ratio check."""
    from empathica.learn.experiment_outcomes import EXPERIMENT_METRICS, experiment_table
    from empathica.store import Store

    with Store.open(db, read_only=True) as store:
        if store.count("experiments") == 0:
            raise InputError(f"{db}: no experiments are stored; ingest assignments (experiment_id, customer_id, arm, "
                             "assigned_at) with `empathica listen experiments.csv` first.")
        table, skipped = experiment_table(store, metrics or tuple(m for m in EXPERIMENT_METRICS if m != "sentiment"))
    if experiment_ids:
        unknown = sorted(set(experiment_ids) - set(table.get("experiment_id", [])))
        if unknown:
            raise InputError(f"no experiment {', '.join(unknown)} with a measured outcome; see `empathica learn experiments --db {db}`.")
        table = table[table["experiment_id"].isin(experiment_ids)]
    shown = ["experiment_id", "metric", "primary", "arm", "n_control", "n_arm", "difference", "ci_low", "ci_high", "p_holm",
             "variance_reduction", "mde", "srm_p"]
    if len(table):
        _print(table[shown], "Experiments: each arm against the control (95 % intervals; p Holm-adjusted over the arms)")
        for exp_id in table.loc[table["sample_ratio_mismatch"], "experiment_id"].unique():
            click.echo(f"warning: {exp_id}: sample-ratio mismatch; the assignment is broken, do not trust its results.", err=True)
    for line in skipped:
        click.echo(f"not measured: {line}", err=True)


@learn.command("power")
@click.option("--mde", required=True, type=float, help="Smallest difference worth detecting (absolute, in the outcome's unit).")
@click.option("--sd", type=float, default=None, help="Standard deviation of the outcome (for a mean).")
@click.option("--rate", "baseline_rate", type=float, default=None, help="Baseline rate (for a share, e.g. churn 0.2).")
@click.option("--power", default=0.8, show_default=True, type=click.FloatRange(0, 1, min_open=True, max_open=True))
@click.option("--alpha", default=0.05, show_default=True, type=click.FloatRange(0, 1, min_open=True, max_open=True))
@click.option("--cuped-r2", default=0.0, show_default=True, type=click.FloatRange(0, 1, max_open=True),
              help="Share of the outcome's variance a pre-period covariate explains.")
def learn_power(mde: float, sd: float | None, baseline_rate: float | None, power: float, alpha: float, cuped_r2: float) -> None:
    """Units per arm an A/B test needs before launch."""
    from empathica.learn.experiments import required_sample_size

    n = required_sample_size(mde=mde, sd=sd, baseline_rate=baseline_rate, alpha=alpha, power=power, cuped_r2=cuped_r2)
    click.echo(f"{n:,} units per arm ({2 * n:,} in total) detect a difference of {mde:g} with power {power:g} at α = {alpha:g}.")


@learn.command("benchmark")
@click.argument("reviews")
@click.option("--db", default=None, type=click.Path(dir_okay=False), help="Store to read REVIEWS from when it is not a file.")
@click.option("--lang", "lang", default="all", show_default=True, type=click.Choice(["all", "en", "de", "zh"]))
@click.option("--over-time", is_flag=True, help="Print the comparison per quarter too.")
def learn_benchmark(reviews: str, db: str | None, lang: str, over_time: bool) -> None:
    """Each own brand (and all together, when there are several) against competitors per area (delivery, price, …) from REVIEWS (a file or the store's
    reviews table: brand, is_own, rating, text, timestamp), scored by the text analyzer."""
    from empathica.cli.value import read_table
    from empathica.learn.benchmark import company_rows, competitor_benchmark, review_mentions
    from empathica.settings import Settings
    from empathica.understand.text import TextAnalyzer

    frame = read_table(reviews, db=db)
    for col in ("rating",):
        if col in frame:
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    if "is_own" in frame:
        frame["is_own"] = frame["is_own"].astype(str).str.lower().isin(["true", "1", "yes"])
    scores = TextAnalyzer.from_settings(Settings.load()).analyze(frame["text"].fillna("").astype(str).tolist())
    frame = frame.join(scores[["lang", "sentiment_score", "aspects"]])
    tables = competitor_benchmark(review_mentions(frame))
    comp = tables["comparison"]
    _print(comp[comp["lang"] == lang][["own_brand", "area", "metric", "competitor", "own", "theirs", "difference", "ci_low", "ci_high",
                                       "p_holm", "verdict", "index"]], f"Competitor benchmark ({lang})")
    if over_time:
        t = company_rows(tables["over_time_comparison"])
        _print(t[(t["metric"] == "rating") & (t["competitor"] == "competitors' average")][
            ["quarter", "area", "own", "theirs", "difference", "ci_low", "ci_high", "index"]], "Rating index per quarter")


COMMANDS = [actions, learn]
