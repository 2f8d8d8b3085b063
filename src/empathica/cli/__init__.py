"""The ``empathica`` command: thin wrappers that parse arguments, call the library and print.

Each module in this package contributes the commands in its ``COMMANDS`` list; they are found at
start-up, so a new command group never means editing this file.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from empathica.errors import EmpathicaError


class _EmpathicaGroup(click.Group):
    """Prints Empathica's own errors as one clear line (exit 2) instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except EmpathicaError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_EmpathicaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="empathica")
def main() -> None:
    """Empathica: self-hosted, empathy-driven customer experience analytics.

    Listen (ingest every signal), Understand & Predict (text, empathy, journeys, drivers, value),
    Act and Learn. Start with `empathica demo`.
    """


def _register_commands() -> None:
    package = sys.modules[__name__]
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for command in getattr(module, "COMMANDS", ()):
            main.add_command(command)


_register_commands()
