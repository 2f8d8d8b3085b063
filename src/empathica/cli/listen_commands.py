"""`empathica listen`: ingest users' files into the store."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from empathica.cli.options import db_option
from empathica.settings import Settings
from empathica.store import Store


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@db_option
@click.option("--kind", default=None, help="Table the files hold (e.g. events, feedback, turns, or an alias); detected from the columns when left out.")
@click.option("--mapping", "mapping", default=None, type=click.Path(dir_okay=False), help="TOML file mapping your column names and value codes onto the schema (see docs/listen.md).")
@click.option("--force", is_flag=True, help="Read files again even when the same content was already ingested with the same mapping "
              "(e.g. after loading missing customers); rows already stored are not stored twice.")
def listen(paths: tuple[str, ...], db: str, kind: str | None, mapping: str | None, force: bool) -> None:
    """Read CSV, JSON Lines, Parquet and XES files into DB, quarantining rows that fail validation.

    Prints a line per file (rows read / stored / already stored / quarantined) and a total; exits
    non-zero only when nothing at all could be read. A file already ingested with the same content
    and mapping is skipped (its earlier counts are shown) unless --force is given.
    """
    from empathica.listen import ingest_files, load_mapping

    parsed = load_mapping(mapping) if mapping else None  # a bad mapping fails before the store is opened
    console = Console(stderr=True)
    settings = Settings.load(db_path=db)
    with Store.open(db, settings=settings) as store:
        results = ingest_files(store, list(paths), kind=kind, mapping=parsed, console=console, force=force)
        if any(r.rows_stored for r in results):
            _evaluate_rules(store, settings, paths)
    totals = [0, 0, 0, 0]
    for r in results:
        name = Path(r.source_file).name
        if r.error:
            click.echo(f"  {name:<28} not read: {r.error}")
            continue
        note = " (identical file already ingested)" if r.skipped_identical else ""
        click.echo(
            f"  {name:<28} → {r.table:<16} read {r.rows_read:>10,}  stored {r.rows_stored:>10,}  "
            f"already stored {r.rows_already_stored:>9,}  quarantined {r.rows_quarantined:>8,}{note}"
        )
        for i, n in enumerate((r.rows_read, r.rows_stored, r.rows_already_stored, r.rows_quarantined)):
            totals[i] += n
    click.echo(
        f"  {'total':<28}   {'':<16} read {totals[0]:>10,}  stored {totals[1]:>10,}  "
        f"already stored {totals[2]:>9,}  quarantined {totals[3]:>8,}"
    )
    if totals[3]:
        click.echo(f"Quarantined rows are in the quarantine table; see `empathica status --db {db}`.")


def _evaluate_rules(store: Store, settings: Settings, paths: tuple[str, ...]) -> None:
    """Act's rules run on every ingest (when the store has rules): new signals open their cases now."""
    from empathica.act.service import after_ingest
    from empathica.report.i18n import OpportunityText

    report = after_ingest(store, settings, detail=", ".join(Path(p).name for p in paths),
                          echo=lambda line: click.echo(line, err=True), say=OpportunityText())
    if report is not None and report.cases_opened:
        click.echo(f"Act: {report.cases_opened:,} cases opened; `empathica cases list --db {store.location}` shows them.")


COMMANDS = [listen]
