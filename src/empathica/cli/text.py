"""`empathica text score|topics|train|adapt`: text analytics on any CSV, JSON Lines or Parquet file."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from empathica.cli.options import db_option
from empathica.errors import InputError
from empathica.settings import Settings


@click.group()
def text() -> None:
    """Language, sentiment, emotion, aspects and topics of free text (en, de, zh)."""


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=console, disable=not console.is_terminal)


def _analyzer(model_dir: str | None, cue_override: bool | None = None):
    from empathica.understand.text import TextAnalyzer

    settings = Settings.load()
    overrides = {"embed_budget": None}  # a file is scored whole: the e5 budget is the flywheel's, per run
    if model_dir:
        overrides["model_dir"] = model_dir
    if cue_override is not None:  # the option decides; German is on with --cue-override whatever the setting lists
        languages = settings.cue_override_languages
        overrides["cue_override"] = tuple(dict.fromkeys((*languages, "de"))) if cue_override else ()
    return TextAnalyzer.from_settings(settings, **overrides).load(), settings


def _adaptation_lines(analyzer) -> list[str]:
    """One line per adapted language: the classes' training and estimated corpus shares, and whether
    emotion cues may overrule the head's unsure neutral verdicts in it."""
    lines = []
    for lang, group in analyzer.adaptation_.groupby("lang", sort=False):
        shares = ", ".join(f"{r['class']} {r['training_prior']:.0%} → {r['corpus_prior']:.0%}" for _, r in group.iterrows())
        override = "; cue override on" if group["cue_override"].iloc[0] else ""
        lines.append(f"class balance ({lang}, from {int(group['texts'].iloc[0]):,} texts): {shares}{override}")
    return lines


def _redacted(texts: list, console: Console, settings: Settings | None = None) -> list:
    """``texts`` with personal data replaced by Listen's redaction when the setting ``redact_pii`` is on
    (``score`` and ``topics`` share it, so no output of either carries PII)."""
    from empathica.understand.text.files import redactor

    settings = settings or Settings.load()
    if not settings.redact_pii:
        return list(texts)
    redact = redactor()
    if redact is None:
        console.print("[yellow]note:[/yellow] PII redaction is not available in this installation; texts are written unredacted.")
        return list(texts)
    return [redact(t) if isinstance(t, str) else t for t in texts]


@text.command()
@click.argument("input_file", type=click.Path(dir_okay=False))
@click.option("--text-column", required=True, help="Column holding the text to score.")
@click.option("--id-column", default=None, help="Column identifying each row (kept first in the output).")
@click.option("--out", "output", required=True, type=click.Path(dir_okay=False), help="Output file; same format as the input.")
@click.option("--model", "model_dir", default=None, type=click.Path(file_okay=False), help="Folder of retrained heads (`empathica text train --out`).")
@click.option("--adapt/--no-adapt", "adapt", default=None,
              help="Score the file with its own class balance per language (estimated from its texts; default: setting "
                   "text_adapt_priors, on). --no-adapt scores every text as the heads' training data would.")
@click.option("--cue-override/--no-cue-override", "cue_override", default=None,
              help="Let clear emotion cues overrule the German head's unsure neutral verdicts (default: setting "
                   "text_cue_override, de). --no-cue-override for news-like German text like the head's training data.")
def score(input_file: str, text_column: str, id_column: str | None, output: str, model_dir: str | None,
          adapt: bool | None, cue_override: bool | None) -> None:
    """Score every row's text: lang, sentiment, sentiment_score, confidence, emotion, emotion_confidence, aspects.

    One output row per input row; CSV and JSON Lines are read in their detected encoding (UTF-8, GB18030
    or Latin-1) and written in UTF-8.
    """
    import pandas as pd

    from empathica.understand.text.files import file_format, read_table, write_table

    if file_format(input_file) != file_format(output):
        raise InputError(f"--out {output}: use the input's format ({file_format(input_file)}), e.g. {Path(output).stem}{Path(input_file).suffix}.")
    console = Console(stderr=True)
    frame = read_table(input_file, text_column=text_column, id_column=id_column)
    analyzer, settings = _analyzer(model_dir, cue_override)
    texts = frame[text_column].tolist()
    if settings.text_adapt_priors if adapt is None else adapt:
        analyzer.adapt(texts)
        for line in _adaptation_lines(analyzer):
            console.print(line, markup=False, highlight=False)
    with _progress(console) as progress:
        scores = analyzer.analyze(texts, progress=progress)
    out = frame[[id_column]].copy() if id_column else frame.copy()
    out[text_column] = pd.Series(_redacted(texts, console, settings), index=out.index, dtype=frame[text_column].dtype)
    for col in scores.columns:
        out[col] = scores[col].to_numpy()
    write_table(out, output)
    counts = scores["sentiment"].value_counts().to_dict()
    summary = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) or f"{input_file} has no data rows; the output has the columns only"
    click.echo(f"Scored {len(out):,} rows → {output}  ({summary})")
    encoding = frame.attrs.get("encoding")
    if encoding not in (None, "utf-8"):
        click.echo(f"note: {input_file} was read as {encoding}; {output} is written in UTF-8.")


@text.command()
@click.argument("input_file", type=click.Path(dir_okay=False))
@click.option("--text-column", required=True, help="Column holding the text.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for topics.csv and assignments.csv.")
@click.option("--k", default=None, type=click.IntRange(min=2), help="Number of topics (default: chosen by silhouette, 2–10).")
def topics(input_file: str, text_column: str, out_dir: str, k: int | None) -> None:
    """Find topics (clusters of similar comments), each with its top keywords and example quotes."""
    from empathica.understand.text import discover_topics
    from empathica.understand.text.files import read_table

    frame = read_table(input_file, text_column=text_column)
    texts = _redacted(frame[text_column].tolist(), Console(stderr=True))
    found = discover_topics(texts, k=k)  # redacted first: keywords, quotes and assignments never carry PII
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    table = found.topics.copy()
    table["quotes"] = table["quotes"].map(lambda q: " | ".join(q))
    table.to_csv(folder / "topics.csv", index=False)
    found.assignments.to_csv(folder / "assignments.csv", index=False)
    click.echo(f"{found.k} topics (silhouette {found.silhouette:.3f}) → {folder}/topics.csv, assignments.csv")
    for row in table.itertuples():
        click.echo(f"  {row.topic:>2}  {row.size:>6,}  {row.keywords}")


@text.command()
@click.argument("labelled_file", type=click.Path(dir_okay=False))
@click.option("--text-column", required=True, help="Column holding the text.")
@click.option("--label-column", required=True, help="Column holding the label (sentiment: negative/neutral/positive, -1/0/1 or 0/1; "
              "emotion: anger, frustration, anxiety, sadness, joy, gratitude, neutral).")
@click.option("--task", type=click.Choice(["sentiment", "emotion"]), default="sentiment", show_default=True)
@click.option("--lang", type=click.Choice(["en", "de", "zh"]), default=None, help="Language of every text (default: detected per text).")
@click.option("--out", "out_dir", default="text-model", show_default=True, type=click.Path(file_okay=False), help="Folder for the retrained heads.")
def train(labelled_file: str, text_column: str, label_column: str, task: str, lang: str | None, out_dir: str) -> None:
    """Retrain the sentiment or emotion head on your labelled texts; print its held-out evaluation."""
    from empathica.understand.text.files import read_table
    from empathica.understand.text.retrain import retrain, zero_means

    frame = read_table(labelled_file, text_column=text_column, label_column=label_column)
    results = retrain(frame[text_column].tolist(), frame[label_column].tolist(), task=task, lang=lang,
                      out=Path(out_dir), source=labelled_file, label_column=label_column, rows=frame.attrs.get("rows"))
    for r in results:
        click.echo(f"{task}_{r['lang']}: trained on {r['train_rows']:,} rows, held out {r['test_rows']:,}: "
                   f"accuracy {r['accuracy']:.3f}, macro-F1 {r['macro_f1']:.3f}, ECE {r['ece']:.3f}")
        click.echo("  confusion (rows true, columns predicted; " + ", ".join(r["classes"]) + "):")
        for label, row in zip(r["classes"], r["confusion"]):
            click.echo(f"    {label:<12} " + " ".join(f"{v:>6}" for v in row))
    zero = zero_means(frame[label_column].tolist()) if task == "sentiment" else None
    if zero:
        click.echo(f"note: label 0 read as {zero} (the labels are {'-1/0/1' if zero == 'neutral' else '0/1'}).")
    click.echo(f"Saved → {out_dir}/  (use it with `empathica text score ... --model {out_dir}` or the setting text_model_dir)")


@text.command()
@db_option
@click.option("--out", "out_dir", default="text-model", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the heads that adaptation improved (with their model card).")
def adapt(db: str, out_dir: str) -> None:
    """Fit the sentiment heads to the store's own rated texts (survey comments with NPS or CSAT, reviews with
    stars); print held-out accuracy before and after per language, and save the heads that gained."""
    from empathica.flywheel.steps.text import corpus_sample
    from empathica.store import Store
    from empathica.understand.text.ratings import adapt_to_ratings, rated_texts, save_adapted

    if not Path(db).is_file():
        raise click.ClickException(f"{db}: no such store; ingest data first (`empathica listen ...` or `empathica demo`).")
    with Store.open(db, settings=Settings.load(), read_only=True) as store:
        pairs = rated_texts(store)
        analyzer, settings = _analyzer(None)
        if settings.text_adapt_priors:  # "before" is the analyzer as the flywheel runs it
            analyzer.adapt(corpus_sample(store, seed=settings.seed), seed=settings.seed)
    found = adapt_to_ratings(analyzer, pairs, seed=settings.seed)
    click.echo(f"{len(pairs):,} rated texts in {db}")
    for r in found.table.itertuples():
        scores = "" if r.test_rows == 0 else (f": held-out accuracy {r.accuracy_before:.3f} → {r.accuracy_after:.3f}, macro-F1 "
                                            f"{r.macro_f1_before:.3f} → {r.macro_f1_after:.3f} on {r.test_rows:,} texts")
        click.echo(f"{r.lang}: {r.rated_texts:,} rated texts{scores}; keeps the {r.kept} head ({r.reason})")
    if found.heads:
        save_adapted(found, Path(out_dir), source=db)
        click.echo(f"Saved → {out_dir}/  (use it with `empathica text score ... --model {out_dir}` or the setting text_model_dir)")
    else:
        click.echo("Adaptation did not help in any language: the shipped heads stay; nothing saved.")


COMMANDS = [text]
