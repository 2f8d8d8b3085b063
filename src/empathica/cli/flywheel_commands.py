"""`empathica demo`, `empathica run` and `empathica status`: the main job and what the store holds."""

from __future__ import annotations

import json
import dataclasses
from pathlib import Path

import click
from rich.console import Console

from empathica.cli.options import db_option, lang_option, out_option
from empathica.errors import StoreError, StoreLockedError
from empathica.settings import Settings
from empathica.store import Store
from empathica.store.status import running_activity, store_status


@click.command()
@db_option
@out_option
@click.option("--customers", default=2000, show_default=True, type=click.IntRange(min=10), help="Number of simulated customers.")
@click.option("--seed", default=7, show_default=True, type=int, help="Seed of the simulation; the same seed gives the same world.")
@click.option("--data", "data_dir", default="demo-data", show_default=True, type=click.Path(file_okay=False), help="Folder for the generated files.")
@click.option("--replace", is_flag=True, help="Delete DB (and its .wal) first, when it already holds data.")
def demo(db: str, out: str, customers: int, seed: int, data_dir: str, replace: bool) -> None:
    """Generate the demo world, ingest it, run every analysis and write the report.

    DB must be new or empty (a second world would mix with the first); --replace starts it afresh.
    """
    from empathica.demo import generate_world
    from empathica.listen import ingest_files

    console = Console(stderr=True)
    if db != ":memory:":  # the demo sets everything up, its database's folder too (before the world is generated)
        _fresh_demo_database(Path(db).expanduser(), replace=replace)
        Path(db).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    settings = Settings.load(db_path=db)
    console.print(f"Generating the demo world: {customers:,} customers, seed {seed} → {data_dir}/", markup=False)
    world = generate_world(data_dir, customers=customers, seed=seed, console=console)
    with Store.open(db, settings=settings) as store:
        results = ingest_files(store, [path for path, _ in world.files], kinds=[kind for _, kind in world.files], console=console)
        _print_ingestion(results)
        _install_demo_rules(store, settings)
        _run_and_report(store, settings, out, console)
    click.echo(f"Planted truths: {world.truths_path}")


def _install_demo_rules(store: Store, settings: Settings) -> None:
    """The demo ships a rule file (empathica/act/data/demo_rules.toml): its run opens cases from it."""
    from empathica.act.service import install_demo_rules, open_cases_store

    ops = open_cases_store(store, settings)
    try:
        count = install_demo_rules(ops.cases)
    finally:
        ops.close()
    click.echo(f"Act: {count} demo rules loaded (empathica/act/data/demo_rules.toml).")


def _fresh_demo_database(path: Path, *, replace: bool) -> None:
    """Delete ``path`` and its write-ahead log (``replace``), or refuse it when it already holds rows."""
    wal = path.with_name(path.name + ".wal")
    if replace:
        path.unlink(missing_ok=True)
        wal.unlink(missing_ok=True)
        return
    if not path.exists():
        return
    from empathica.errors import StoreError
    from empathica.schema import TABLES
    from empathica.store import QUARANTINE

    with Store.open(path, read_only=True) as store:
        held = sum(store.count(name) for name in [*TABLES, QUARANTINE] if store.has_table(name))
    if held:
        raise StoreError(f"{path} already holds {held:,} rows (the demo would mix its world into them); "
                         "use another --db, or --replace to start it afresh.")


@click.command()
@db_option
@out_option
@lang_option
@click.option("--scenario", "scenarios", multiple=True, metavar="KIND:TARGET:CHANGE",
              help="An ROI scenario of your own, e.g. touchpoint:delivery:+0.5 or agents:agent_05,agent_10:median "
                   "(repeatable; added to the setting `scenarios`; docs/decide.md).")
@click.option("--only", multiple=True, metavar="STEP", help="Run only this analysis step (repeatable).")
def run(db: str, out: str, lang: str | None, scenarios: tuple[str, ...], only: tuple[str, ...]) -> None:
    """Run every analysis on data already ingested into DB and write the report.

    With --only, the report keeps the other steps' last stored sections."""
    from empathica.decide.scenarios import parse_scenarios
    from empathica.store.operational import kept_scenarios_for

    console = Console(stderr=True)
    settings = Settings.load(db_path=db, report_language=lang)
    if scenarios:
        for spec in scenarios:
            parse_scenarios(spec, origin="--scenario")  # a bad one stops here, before any work
        settings = dataclasses.replace(settings, scenarios="; ".join(filter(None, [settings.scenarios, *scenarios])))
    if not Path(db).exists():
        raise click.ClickException(f"{db} does not exist; ingest files first with `empathica listen FILE --db {db}`.")
    settings = kept_scenarios_for(settings, db)  # the scenarios users kept on the dashboard are valued too
    with Store.open(db, settings=settings) as store:
        _run_and_report(store, settings, out, console, only=list(only) or None)


@click.command()
@db_option
@out_option
@lang_option
def report(db: str, out: str, lang: str | None) -> None:
    """Write the report of DB's last run (in any language) without running an analysis."""
    from empathica.report.html import report_from_store

    settings = Settings.load(db_path=db, report_language=lang)
    if not Path(db).exists():
        raise click.ClickException(f"{db} does not exist; run `empathica demo` or `empathica run --db {db}` first.")
    with Store.open(db, settings=settings, read_only=True) as store:
        path = report_from_store(store, out, title=settings.report_title, lang=settings.report_language, currency=settings.currency)
    click.echo(f"Report: {path}")


@click.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def status(db: str, as_json: bool) -> None:
    """Row counts per table, quarantined rows by reason, date ranges, the files read and whether
    personal data is redacted; while `listen` writes to DB, what it is reading."""
    if not Path(db).exists():
        raise StoreError(f"database {db} does not exist; create it with `empathica listen` or `empathica demo`.")
    try:  # opened for writing so that a file a killed `listen` left half-read is undone, never shown
        with Store.open(db) as store:
            info = store_status(store)
    except StoreLockedError:
        running = running_activity(db)
        if running is None:
            raise
        info = {"location": db, "running": running}
        if as_json:
            click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        else:
            click.echo(f"Store: {db}\n`listen` (pid {running['pid']}) is ingesting {running['file']} → {running['table']} "
                       f"since {running['since']} ({len(running['files'])} file(s) in all, started {running['started']}); "
                       "the store can be read when it has finished.")
        return
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    click.echo(f"Store: {info['location']}")
    for row in info["tables"]:
        span = f"  {row['from']} – {row['to']}" if row["from"] else ""
        click.echo(f"  {row['table']:<18} {row['rows']:>12,}{span}")
    if info["quarantine"]:
        click.echo("Quarantined:")
        for row in info["quarantine"]:
            click.echo(f"  {row['table']:<18} {row['rows']:>8,}  {row['reason']}")
    else:
        click.echo("Quarantined: none")
    if info["ingestions"]:
        click.echo("Files read (latest first):")
        for row in info["ingestions"]:
            click.echo(f"  {Path(row['file']).name:<28} → {row['table']:<14} read {row['read']:>9,}  stored {row['stored']:>9,}  "
                       f"already {row['already_stored']:>7,}  quarantined {row['quarantined']:>6,}  {row['at']}")
    if not info["redact_pii"]:
        click.echo("Personal data: NOT redacted (the setting redact_pii is off)")
    for file in info["unredacted_files"]:
        click.echo(f"  read without redaction: {file}")


def _print_ingestion(results) -> None:
    for r in results:
        note = " (identical file already ingested)" if r.skipped_identical else ""
        click.echo(
            f"  {Path(r.source_file).name:<28} → {r.table:<16} read {r.rows_read:>9,}  stored {r.rows_stored:>9,}  "
            f"already {r.rows_already_stored:>7,}  quarantined {r.rows_quarantined:>6,}{note}"
        )


def _run_and_report(store: Store, settings: Settings, out: str, console: Console, *, only: list[str] | None = None) -> None:
    from empathica.flywheel import run_flywheel
    from empathica.report.html import Speaker, report_from_store

    sections = run_flywheel(store, settings=settings, console=console, only=only)  # stores the report's sections
    path = report_from_store(store, out, title=settings.report_title, lang=settings.report_language, currency=settings.currency)
    speaker = Speaker(settings.report_language, settings.currency)  # the printed findings in the report's language
    click.echo("")
    for section in sections:
        if section.skipped:  # why a step could not run is the analysis' own (English) message
            quoted = "" if not isinstance(section.skipped, str) else f" {section.skipped}"
            click.echo(f"{speaker.title(section)}: {speaker.say(speaker.not_run_finding(section.skipped))}{quoted}")
            continue
        click.echo(f"{speaker.title(section)}:")
        for line in section.summary:
            click.echo(f"  • {speaker.say(line)}")
    click.echo(f"\nReport: {path}")


COMMANDS = [demo, run, report, status]
