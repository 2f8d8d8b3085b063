"""`empathica empathy score` and `empathica empathy conversations`: empathy outside the store."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from empathica.errors import InputError


@click.group()
def empathy() -> None:
    """Score the empathy of replies and conversations (EPITOME mechanisms, jargon, gaps)."""


def _read_table(path: Path) -> pd.DataFrame:
    try:
        if path.suffix in (".jsonl", ".ndjson"):
            return pd.read_json(path, lines=True, dtype=False)
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{path}: cannot be read ({exc}); give a CSV, JSON Lines or Parquet file.") from None


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, list)).any():
            out[col] = out[col].map(lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v)
    return out


@empathy.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--response-column", required=True, help="Column holding the reply to score.")
@click.option("--context-column", default=None, help="Column holding the turn the reply answers (optional).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output CSV.")
def score(input_path: Path, response_column: str, context_column: str | None, out: Path) -> None:
    """Score each reply in INPUT: emotional_reactions, interpretations, explorations (0–2, each with
    _confidence and _evidence), jargon and an overall empathy score (0–1)."""
    from empathica.understand.empathy import score_responses

    frame = _read_table(input_path)
    for col in filter(None, (response_column, context_column)):
        if col not in frame.columns:
            raise InputError(f"{input_path}: no column {col!r}; the columns are {', '.join(map(str, frame.columns))}.")
    texts = frame[response_column]
    bad = ~texts.map(lambda v: isinstance(v, str) and bool(v.strip()))
    if bad.all():
        raise InputError(f"{input_path}: column {response_column!r} holds no text in any row.")
    contexts = frame[context_column].tolist() if context_column else None
    scored = score_responses(texts.where(~bad, "").tolist(), contexts)
    scored.loc[bad.to_numpy(), [c for c in scored.columns if c != "language"]] = None
    result = pd.concat([frame.reset_index(drop=True), _flat(scored)], axis=1)
    result["note"] = ["no text in " + response_column if b else "" for b in bad]
    result.to_csv(out, index=False)
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

    known = None
    if agents_file is not None:
        roster = _read_table(agents_file)
        col = next((c for c in ("agent_id", "employee_id") if c in roster.columns), None)
        if col is None:
            raise InputError(f"{agents_file}: needs an agent_id or employee_id column.")
        known = set(roster[col].astype(str).str.strip())
    frame = read_transcript(input_path)
    clean, quarantine = validate_transcript(frame, source=str(input_path), known_agents=known)
    result = analyze_conversations(clean, quarantine=quarantine)
    out.mkdir(parents=True, exist_ok=True)
    for name, table in (("turns", result.turns), ("conversations", result.conversations), ("agents", result.agents),
                        ("gaps", result.gaps), ("quarantine", result.quarantine)):
        _flat(table).to_csv(out / f"{name}.csv", index=False)
    click.echo(f"{len(result.conversations):,} conversations, {len(result.turns):,} agent replies scored, "
               f"{len(result.gaps):,} empathy gaps → {out}/")
    if len(quarantine):
        reasons = quarantine["reason"].value_counts()
        click.echo(f"{len(quarantine):,} rows quarantined ({out / 'quarantine.csv'}):")
        for reason, n in reasons.items():
            click.echo(f"  {n:>6,}  {reason}")


COMMANDS = [empathy]
