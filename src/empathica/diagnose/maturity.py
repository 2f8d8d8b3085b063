"""The maturity stage: data evidence and a self-assessment placed on the curve
transactional → interaction → engagement → empathy, with the reasons and what would move the company on.

The questionnaire, the weights and the stage thresholds are data (``maturity.toml``). Data evidence per flywheel
input (each 0–1): ``closed_loop_rate`` (share of Act's cases closed), ``measured_effect_share`` (share of recorded
actions whose expected outcome moved with a 95 % interval clear of zero), ``empathy_level`` (mean empathy customers
received), ``ex_cx_link`` (share of EX ↔ CX links whose interval is clear of zero and positive).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from empathica.errors import InputError


@dataclass(frozen=True)
class Questionnaire:
    """The questions (id, input, text per language), the scale, weights, stage thresholds and evidence per input."""

    questions: list[dict]
    low: int
    high: int
    weights: dict
    stages: list[dict]
    inputs: dict[str, str]
    blind_spot_gap: float

    def text(self, question_id: str, lang: str) -> str:
        q = next(q for q in self.questions if q["id"] == question_id)
        return q.get(lang) or q["en"]


def load_questionnaire(path: str | Path | None = None) -> Questionnaire:
    """The questionnaire of ``path`` (the shipped ``maturity.toml`` when empty)."""
    if path:
        text, name = Path(path).read_text(encoding="utf-8"), str(path)
    else:
        text, name = resources.files("empathica.diagnose").joinpath("maturity.toml").read_text(encoding="utf-8"), "maturity.toml"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{name}: not valid TOML ({exc}).") from exc
    for i, q in enumerate(data.get("questions", []), start=1):
        missing = [k for k in ("id", "input", "en", "de", "zh") if k not in q]
        if missing:
            raise InputError(f"{name}: question {i} lacks {', '.join(missing)}; each question needs id, input, en, de, zh.")
    return Questionnaire(questions=data["questions"], low=int(data["scale"]["low"]), high=int(data["scale"]["high"]),
                         weights=data["weights"], stages=data["stages"],
                         inputs={k: v.get("evidence", "") for k, v in data["inputs"].items()},
                         blind_spot_gap=float(data.get("blind_spot_gap", 0.25)))


def read_answers(path: str | Path, questionnaire: Questionnaire) -> dict[str, int]:
    """Answers from a TOML or JSON file (question id = score); one clear error naming the file and question."""
    source = Path(path)
    if not source.is_file():
        raise InputError(f"self-assessment file {source} does not exist; write one 'question_id = 1..5' line per question.")
    text = source.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if source.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{source}: not valid {'JSON' if source.suffix.lower() == '.json' else 'TOML'} ({exc}).") from exc
    data = data.get("answers", data)
    return check_answers(data, questionnaire, where=str(source))


def check_answers(data: dict, questionnaire: Questionnaire, *, where: str) -> dict[str, int]:
    """The answers as question id → int, refusing unknown ids and scores off the scale."""
    known = {q["id"] for q in questionnaire.questions}
    answers = {}
    for key, value in data.items():
        if key not in known:
            raise InputError(f"{where}: question {key!r} is unknown; the questions are {', '.join(sorted(known))}.")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not questionnaire.low <= value <= questionnaire.high:
            raise InputError(f"{where}: question {key!r} has answer {value!r}; give a whole number from "
                             f"{questionnaire.low} to {questionnaire.high}.")
        answers[key] = int(value)
    missing = known - set(answers)
    if missing:
        raise InputError(f"{where}: no answer to {', '.join(sorted(missing))}; answer every question.")
    return answers


def self_scores(answers: dict[str, int], questionnaire: Questionnaire) -> dict[str, float]:
    """Per flywheel input, the mean answer on 0–1."""
    span = questionnaire.high - questionnaire.low
    per: dict[str, list[float]] = {}
    for q in questionnaire.questions:
        if q["id"] in answers:
            per.setdefault(q["input"], []).append((answers[q["id"]] - questionnaire.low) / span)
    return {k: float(np.mean(v)) for k, v in per.items()}


def assess(evidence: dict[str, float], answers: dict[str, int] | None, questionnaire: Questionnaire) -> tuple[dict, pd.DataFrame]:
    """(the stage row, one row per input: data evidence, self-assessment, blind spot) of the company."""
    own = self_scores(answers, questionnaire) if answers else {}
    rows = []
    for name, measure in questionnaire.inputs.items():
        data_value = evidence.get(measure) if measure else None
        said = own.get(name)
        gap = said - data_value if said is not None and data_value is not None else None
        rows.append(dict(input=name, evidence=measure, data_score=data_value, self_score=said, gap=gap,
                         blind_spot=bool(gap is not None and gap > questionnaire.blind_spot_gap)))
    inputs = pd.DataFrame(rows, columns=["input", "evidence", "data_score", "self_score", "gap", "blind_spot"])
    data_index = float(np.nanmean([v for v in evidence.values() if v is not None])) if evidence else float("nan")
    self_index = float(np.mean(list(own.values()))) if own else float("nan")
    parts = [(questionnaire.weights["data"], data_index), (questionnaire.weights["self"], self_index)]
    parts = [(w, v) for w, v in parts if not np.isnan(v)]
    index = sum(w * v for w, v in parts) / sum(w for w, _ in parts) if parts else float("nan")
    return _place(index, data_index, self_index, questionnaire), inputs


def _place(index: float, data_index: float, self_index: float, questionnaire: Questionnaire) -> dict:
    stages = sorted(questionnaire.stages, key=lambda s: s["from"])
    at = max((i for i, s in enumerate(stages) if index >= s["from"]), default=0)
    start = stages[at]["from"]
    end = stages[at + 1]["from"] if at + 1 < len(stages) else 1.0
    upper = index >= (start + end) / 2
    level = ("visionary" if at == len(stages) - 1 else "optimizing") if upper else "immature"
    nxt = stages[at + 1]["stage"] if at + 1 < len(stages) else None
    return dict(stage=stages[at]["stage"], stage_number=at + 1, level=level, maturity_index=index, data_index=data_index,
                self_index=self_index, next_stage=nxt, gap_to_next=(end - index) if nxt else 0.0)


def next_steps(inputs: pd.DataFrame, stage: dict, *, top: int = 3) -> pd.DataFrame:
    """What would move the company to the next stage: the weakest inputs, weakest first, with the gain each needs."""
    scored = inputs.assign(level=inputs[["data_score", "self_score"]].min(axis=1, skipna=True)).dropna(subset=["level"])
    scored = scored.sort_values("level").head(top)
    return pd.DataFrame({"rank": range(1, len(scored) + 1), "input": scored["input"].to_numpy(),
                         "evidence": scored["evidence"].to_numpy(), "level": scored["level"].to_numpy(),
                         "needed": [max(0.0, stage["gap_to_next"]) for _ in range(len(scored))],
                         "next_stage": stage["next_stage"]})


def record_assessment(store, answers: dict[str, int], questionnaire: Questionnaire, *, source: str,
                      answered_by: str = "") -> str:
    """Store one self-assessment (every answer, with its input) as its own small published run; its id."""
    from datetime import UTC, datetime

    from empathica.schema.results import DIAGNOSE_SELF_ASSESSMENT

    at = datetime.now(UTC)
    assessment_id = f"sa_{at.strftime('%Y%m%dT%H%M%S%fZ')}"
    inputs = {q["id"]: q["input"] for q in questionnaire.questions}
    rows = pd.DataFrame({"assessment_id": assessment_id, "question_id": list(answers), "input": [inputs[q] for q in answers],
                         "answer": [int(v) for v in answers.values()], "source": source, "answered_by": answered_by or "",
                         "answered_at": pd.Timestamp(at)})
    store.runs.begin(steps=["diagnose"])
    try:
        store.append_result(DIAGNOSE_SELF_ASSESSMENT, rows, step="diagnose", description="Self-assessment answers.")
    except BaseException as exc:
        store.runs.fail(f"{type(exc).__name__}: {exc}")
        raise
    store.runs.publish()
    return assessment_id
