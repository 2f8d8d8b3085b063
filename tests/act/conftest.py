"""A small world written as files and ingested through Listen, with one empathy result stored by a run: enough to
know, row by row, which signals each rule must match."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from empathica.settings import Settings

TEAMS = pd.DataFrame({"team_id": ["team_care", "team_web", "team_leads"], "name": ["Care", "Web", "Leads"]})
TOUCHPOINTS = pd.DataFrame({"touchpoint_id": ["web_checkout", "call_centre", "chat"], "channel": ["web", "phone", "chat"],
                            "owner_team_id": ["team_web", "team_care", "team_care"]})
CUSTOMERS = pd.DataFrame({"customer_id": [f"c{i}" for i in range(1, 8)],
                          "language": ["en", "de", "en", "zh", "en", "de", "en"],
                          "segment": ["loyal", "new", "loyal", "new", "business", "loyal", "new"]})
CONVERSATIONS = pd.DataFrame({
    "conversation_id": ["k1", "k2", "k3", "k4", "k5", "k6"],
    "customer_id": ["c1", "c2", "c3", "c3", "c4", "c7"],
    "channel": ["phone", "chat", "chat", "phone", "chat", "phone"],
    "touchpoint_id": ["call_centre", "chat", "chat", "call_centre", "chat", "call_centre"],
    "started_at": ["2024-05-01T10:00:00Z", "2024-05-02T10:00:00Z", "2024-05-03T10:00:00Z", "2024-05-20T10:00:00Z",
                   "2024-01-04T10:00:00Z", "2024-05-25T10:00:00Z"],
})
#: The empathy step's verdict per conversation (the input rules read): distress and transactional replies.
EMPATHY = pd.DataFrame({"conversation_id": ["k1", "k2", "k3", "k4", "k5", "k6"],
                        "max_distress": [0.8, 0.9, 0.2, 0.7, 0.95, 0.65],
                        "empathy_gaps": [1, 0, 1, 2, 1, 1],
                        "agent_empathy": [0.1, 0.9, 0.3, 0.2, 0.1, 0.15]})
FEEDBACK = pd.DataFrame({
    "response_id": ["f1", "f2", "f3", "f4", "f5"],
    "customer_id": ["c1", "c2", "c5", "c6", "c3"],
    "touchpoint_id": ["call_centre", "chat", "web_checkout", "web_checkout", "chat"],
    "timestamp": ["2024-05-02T09:00:00Z", "2024-05-03T09:00:00Z", "2023-01-01T09:00:00Z", "2024-05-28T09:00:00Z",
                  "2024-05-21T09:00:00Z"],
    "nps": [2, 9, 0, 3, 6],
})


def build_world(folder: Path) -> Path:
    """Write the world's files, ingest them into ``folder/world.duckdb`` and store the empathy result; its path."""
    from empathica.listen import ingest_files
    from empathica.schema.results import EMPATHY_CONVERSATIONS
    from empathica.store import Store

    folder.mkdir(parents=True, exist_ok=True)
    files, kinds = [], []
    for name, frame in (("teams", TEAMS), ("touchpoints", TOUCHPOINTS), ("customers", CUSTOMERS),
                        ("conversations", CONVERSATIONS), ("feedback", FEEDBACK)):
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        files.append(path)
        kinds.append(name)
    db = folder / "world.duckdb"
    settings = Settings.load(config_file=folder / "none.toml", progress=False, db_path=str(db))
    with Store.open(db, settings=settings) as store:
        ingest_files(store, files, kinds=kinds)
        store.runs.begin(steps=["empathy"])
        store.write_result(EMPATHY_CONVERSATIONS, empathy_result(), step="empathy")
        store.runs.publish()
    return db


def empathy_result() -> pd.DataFrame:
    rows = EMPATHY.assign(turns=4, language="en", customer_sentiment_first=-0.5, customer_sentiment_last=-0.2,
                          customer_sentiment_path="-0.5 -0.2", distress_moments=1, agent_id="a1", agent_turns=2,
                          jargon_terms=0, customer_sentiment_change=0.3)
    return rows


def settings_for(db: Path, **overrides) -> Settings:
    return Settings.load(config_file=db.parent / "none.toml", progress=False, db_path=str(db), **overrides)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    """The small world's store (one per test module)."""
    return build_world(tmp_path_factory.mktemp("act-world"))


RULES = """
[teams.team_care]
language = "de"

[teams.team_leads]
language = "en"

[[rule]]
id = "distress_without_empathy"
name = "Distressed customer answered without empathy"
on = "conversation"
actions = ["case", "tag"]
tag = "call back"
priority = "high"
first_response = "4h"
resolution = "2d"
escalate_to = "team_leads"
  [[rule.condition]]
  field = "distress"
  op = ">="
  value = 0.6
  [[rule.condition]]
  field = "empathy_gap"
  op = "=="
  value = true

[[rule]]
id = "detractor"
name = "Detractor"
on = "feedback"
window = "60d"
team = "team_care"
  [[rule.condition]]
  field = "nps"
  op = "<="
  value = 3
"""

#: Rules on text-derived fields: scored on ingest, before any run.
TEXT_RULES = """
[[rule]]
id = "angry_comment"
name = "Angry comment"
on = "feedback"
  [[rule.condition]]
  field = "sentiment"
  op = "<="
  value = -0.3

[[rule]]
id = "angry_conversation"
name = "Angry customer in a conversation"
on = "conversation"
  [[rule.condition]]
  field = "emotion"
  op = "=="
  value = "anger"

[[rule]]
id = "refund_conversation"
name = "Refund trouble in a conversation"
on = "conversation"
  [[rule.condition]]
  field = "pain_points"
  op = "contains"
  value = "refund"
"""


@pytest.fixture(scope="session")
def text_analyzer(tmp_path_factory):
    """The text analyzer a run uses, loaded once for every test (its heads per language take seconds to load)."""
    loaded = []

    def load():
        from empathica.understand.text import TextAnalyzer

        if not loaded:
            folder = tmp_path_factory.mktemp("act-analyzer")
            loaded.append(TextAnalyzer.from_settings(settings_for(folder / "none.duckdb")))
        return loaded[0]

    return load


@pytest.fixture(scope="module")
def started(world, tmp_path_factory) -> Path:
    """The small world's operational store with the rules, evaluated once at start (no watermark yet: every signal,
    so every table gets its watermark); built once per module, copied by each test that needs it."""
    from empathica.act.engine import evaluate_pending, install_rules
    from empathica.act.rules import parse_rules
    from empathica.act.signals import signal_fields
    from empathica.store import Store
    from empathica.store.operational import OperationalStore

    folder = tmp_path_factory.mktemp("act-started")
    db = folder / "world.duckdb"
    shutil.copy(world, db)
    ops = OperationalStore(f"sqlite:///{folder / 'ops.sqlite'}")
    install_rules(ops.cases, parse_rules(RULES + TEXT_RULES, known_fields=signal_fields), source="test")
    with Store.open(db, settings=settings_for(db)) as store:
        first = evaluate_pending(store, ops.cases, reason="start", analyzer=lambda: pytest.fail("no text to score"))
    assert first.fresh is None and ops.cases.marks()  # no watermark yet: every signal, once
    ops.close()
    return folder / "ops.sqlite"


@pytest.fixture
def live(world, started, tmp_path, text_analyzer):
    """The small world with the rules, evaluated once (so every table has a watermark)."""
    from empathica.store import Store
    from empathica.store.operational import OperationalStore

    db = tmp_path / "world.duckdb"
    shutil.copy(world, db)
    shutil.copy(started, tmp_path / "ops.sqlite")
    ops = OperationalStore(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    settings = settings_for(db)
    store = Store.open(db, settings=settings)
    loaded = []

    def analyzer():  # loaded once, as the server does; ``loaded`` says whether an evaluation asked for it
        if not loaded:
            loaded.append(text_analyzer())
        return loaded[0]

    yield store, ops, settings, analyzer, loaded, tmp_path
    store.close()
    ops.close()


def ingest_frame(store, folder: Path, name: str, frame: pd.DataFrame, kind: str) -> None:
    """Write ``frame`` as a CSV file in ``folder`` and ingest it through Listen as ``kind``."""
    from empathica.listen import ingest_files

    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    ingest_files(store, [path], kind=kind)
