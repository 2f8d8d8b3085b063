"""`empathica empathy score` and `empathica empathy conversations`: empathy outside the store."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from empathica.errors import InputError


@click.group()
def empathy() -> None:
    """Score the empathy of replies and conversations (EPITOME mechanisms, jargon, gaps)."""


def _text_analyzer():
    """The text analyzer the settings in force describe (sentiment of the customer turns), loaded on first use."""
    from empathica.settings import Settings
    from empathica.understand.text import TextAnalyzer

    return TextAnalyzer.from_settings(Settings.load())


def _read_table(path: Path) -> pd.DataFrame:
    """A table (encoding, delimiter and format detected); a CSV record with extra fields is an error naming its line."""
    from empathica.understand.empathy.files import LINE, MALFORMED, read_rows

    frame = read_rows(path)
    if MALFORMED in frame and frame[MALFORMED].notna().any():
        line = int(frame.loc[frame[MALFORMED].notna(), LINE].iloc[0])
        raise InputError(f"{path}: line {line} has more fields than the header; quote fields that contain the "
                         "delimiter (\"like, this\") or remove the extra field.")
    return frame.drop(columns=[c for c in (LINE, MALFORMED) if c in frame])


@empathy.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--response-column", required=True, help="Column holding the reply to score.")
@click.option("--context-column", default=None, help="Column holding the turn the reply answers (optional).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output file: .csv, .jsonl or .parquet (its folder is created).")
def score(input_path: Path, response_column: str, context_column: str | None, out: Path) -> None:
    """Score each reply in INPUT: emotional_reactions, interpretations, explorations (0–2, each with
    _confidence and _evidence), jargon, an overall empathy score (0–1), resolution (level, score, kinds,
    evidence) and service quality."""
    from empathica.understand.empathy import MECHANISMS, score_responses
    from empathica.understand.empathy.files import write_rows
    from empathica.understand.text.files import file_format

    file_format(out)  # an unknown output suffix is an error before any scoring
    frame = _read_table(input_path)
    for col in filter(None, (response_column, context_column)):
        if col not in frame.columns:
            raise InputError(f"{input_path}: no column {col!r}; the columns are {', '.join(map(str, frame.columns))}.")
    texts = frame[response_column]
    bad = ~texts.map(lambda v: isinstance(v, str) and bool(v.strip()))
    if bad.all():
        raise InputError(f"{input_path}: column {response_column!r} holds no text in any row.")
    contexts = frame[context_column].tolist() if context_column else None
    scored = score_responses(texts.where(~bad, "").tolist(), contexts, text_analyzer=_text_analyzer())
    rows = bad.to_numpy()
    for col in scored.columns:
        if col in MECHANISMS or col == "resolution_level":  # levels stay whole numbers; a row without text has none (nullable Int64)
            scored[col] = scored[col].astype("Int64").mask(rows)
        elif col != "language":
            scored[col] = scored[col].astype(object).mask(rows, None)
    result = pd.concat([frame.reset_index(drop=True), scored], axis=1)
    result["note"] = ["no text in " + response_column if b else "" for b in bad]
    from empathica.settings import Settings

    if Settings.load().redact_pii:  # replies and evidence quote customers: no PII in the output file
        from empathica.listen.redaction import redact_frame

        result = redact_frame(result)
    write_rows(result, out)
    click.echo(f"{len(result):,} rows scored → {out}" + (f" ({int(bad.sum())} without text, left empty and noted)" if bad.any() else ""))


@empathy.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--agents", "agents_file", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Optional list of known agents (a CSV with agent_id or employee_id); other agent ids are quarantined.")
def conversations(input_path: Path, out: Path, agents_file: Path | None) -> None:
    """Score a transcript file (conversation id, turn order, speaker role, agent id, text): writes
    turns.csv, conversations.csv, agents.csv, gaps.csv and quarantine.csv into OUT."""
    from empathica.understand.empathy import analyze_conversations, read_transcript, validate_transcript
    from empathica.understand.empathy.files import write_rows

    known = None
    if agents_file is not None:
        roster = _read_table(agents_file)
        col = next((c for c in ("agent_id", "employee_id") if c in roster.columns), None)
        if col is None:
            raise InputError(f"{agents_file}: needs an agent_id or employee_id column.")
        known = set(roster[col].astype(str).str.strip())
    frame = read_transcript(input_path)
    clean, quarantine = validate_transcript(frame, source=str(input_path), known_agents=known)
    result = analyze_conversations(clean, quarantine=quarantine, text_analyzer=_text_analyzer())
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot create the output folder ({exc.strerror or exc}); choose a writable --out.") from None
    for name, table in (("turns", result.turns), ("conversations", result.conversations), ("agents", result.agents),
                        ("gaps", result.gaps), ("quarantine", result.quarantine)):
        write_rows(table, out / f"{name}.csv")
    click.echo(f"{len(result.conversations):,} conversations, {len(result.turns):,} agent replies scored, "
               f"{len(result.gaps):,} empathy gaps → {out}/")
    if len(quarantine):
        reasons = quarantine["reason"].value_counts()
        click.echo(f"{len(quarantine):,} rows quarantined ({out / 'quarantine.csv'}):")
        for reason, n in reasons.items():
            click.echo(f"  {n:>6,}  {reason}")


COMMANDS = [empathy]
