"""Options shared by several commands."""

from __future__ import annotations

import click

db_option = click.option(
    "--db",
    "db",
    default="empathica.duckdb",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The store: an embedded DuckDB file (created when missing).",
)
out_option = click.option(
    "--out",
    "out",
    default="report",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the HTML report (index.html) and its tables.",
)

lang_option = click.option(
    "--lang", type=click.Choice(["en", "de", "zh"]), default=None,
    help="Language of the report and the printed findings (default: the setting report_language).",
)
