"""`empathica diagnose`: the diagnosis (five CX dimensions, maturity stage, EX ↔ CX, values segments) as a
consultant report in HTML and PDF."""

from __future__ import annotations

from pathlib import Path

import click

from empathica.cli.options import db_option
from empathica.settings import Settings
from empathica.store import Store


@click.command()
@db_option
@click.option("--out", "out", default="diagnosis", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the consultant report (diagnosis_<lang>.html and .pdf).")
@click.option("--lang", type=click.Choice(["en", "de", "zh"]), default=None,
              help="Language of the report and the questionnaire (default: the setting report_language).")
@click.option("--self-assessment", "answers_file", default=None, type=click.Path(dir_okay=False),
              help="TOML or JSON file of answers to the maturity questionnaire (question_id = 1..5).")
@click.option("--assess", is_flag=True, help="Answer the maturity questionnaire here, one question at a time.")
@click.option("--by", "answered_by", default="", help="Who answered the self-assessment (stored with it).")
@click.option("--no-run", is_flag=True, help="Render the stored diagnosis without running the diagnose step.")
@click.option("--no-pdf", is_flag=True, help="Write the HTML report only.")
def diagnose(db: str, out: str, lang: str | None, answers_file: str | None, assess: bool, answered_by: str,
             no_run: bool, no_pdf: bool) -> None:
    """Diagnose DB: store a self-assessment (file or prompt), run the diagnose step, write the consultant report."""
    from empathica.diagnose.maturity import check_answers, load_questionnaire, read_answers, record_assessment
    from empathica.flywheel import run_flywheel
    from empathica.report.consultant import write_consultant_report

    settings = Settings.load(db_path=db, report_language=lang)
    if not Path(db).exists():
        raise click.ClickException(f"{db} does not exist; run `empathica demo` or `empathica run --db {db}` first.")
    questionnaire = load_questionnaire(settings.diagnose_maturity or None)
    with Store.open(db, settings=settings) as store:
        if answers_file:
            answers = read_answers(answers_file, questionnaire)
            click.echo(f"self-assessment {record_assessment(store, answers, questionnaire, source='file', answered_by=answered_by)} stored")
        if assess:
            answers = check_answers(_prompt(questionnaire, settings.report_language), questionnaire, where="the prompt")
            click.echo(f"self-assessment {record_assessment(store, answers, questionnaire, source='cli', answered_by=answered_by)} stored")
        if not no_run:
            run_flywheel(store, settings=settings, only=["diagnose"])
        html, pdf = write_consultant_report(store, out, title=settings.report_title, lang=settings.report_language,
                                            currency=settings.currency, pdf=not no_pdf)
    click.echo(f"Report: {html}" + (f"\nPDF: {pdf}" if pdf else ""))


def _prompt(questionnaire, lang: str) -> dict[str, int]:
    """Ask every question of the questionnaire in ``lang`` on the terminal."""
    scale = click.IntRange(questionnaire.low, questionnaire.high)
    click.echo(f"Answer each statement from {questionnaire.low} (not at all) to {questionnaire.high} (fully).")
    return {q["id"]: click.prompt(f"[{q['input']}] {questionnaire.text(q['id'], lang)}", type=scale)
            for q in questionnaire.questions}


COMMANDS = [diagnose]
