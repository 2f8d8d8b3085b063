"""The demo world's files: formats, canonical columns, determinism, small worlds, ground truth, ingestion."""

from __future__ import annotations

import hashlib
import json
import re

import pyarrow.parquet as pq
import pytest

from empathica.demo import TRUTHS, DemoWorld, generate_world
from empathica.schema import TABLES

ORDER = [
    "teams", "employees", "customers", "touchpoints", "events", "feedback", "conversations", "turns",
    "reviews", "transactions", "employee_surveys", "values_answers", "actions", "experiments",
]
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _digest(world: DemoWorld) -> dict[str, str]:
    paths = [p for p, _ in world.files] + [world.truths_path, world.truths_path.parent / world.truths["text_labels_file"]]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_files_in_ingestion_order_with_mixed_formats(world):
    assert [kind for _, kind in world.files] == ORDER
    formats = {kind: path.suffix for path, kind in world.files}
    assert formats["events"] == formats["transactions"] == ".parquet"
    assert formats["conversations"] == formats["turns"] == formats["values_answers"] == ".jsonl"
    assert formats["customers"] == formats["feedback"] == ".csv"
    assert all(path.exists() and path.stat().st_size > 0 for path, _ in world.files)
    assert world.truths_path.name == "ground_truth.json" and world.truths_path.parent == world.files[0][0].parent


def test_every_file_has_exactly_the_canonical_columns(world):
    for path, kind in world.files:
        if path.suffix == ".parquet":
            columns = pq.read_schema(path).names
        elif path.suffix == ".jsonl":
            columns = list(json.loads(path.open(encoding="utf-8").readline()))
        else:
            columns = path.open(encoding="utf-8").readline().strip().replace('"', "").split(",")
        assert columns == TABLES[kind].column_names, path.name


def test_timestamps_are_iso_8601_utc(world, tables):
    raw = {kind: path for path, kind in world.files}
    header = raw["feedback"].open(encoding="utf-8").readlines()[1:200]
    stamps = [line.split(",")[4].strip('"') for line in header]
    assert stamps and all(ISO_UTC.match(s) for s in stamps)
    turn = json.loads(raw["turns"].open(encoding="utf-8").readline())
    assert ISO_UTC.match(turn["timestamp"])
    schema = pq.read_schema(raw["events"])
    assert str(schema.field("timestamp").type) == "timestamp[us, tz=UTC]"
    events = tables["events"]
    assert events["timestamp"].min().year >= 2022 and events["timestamp"].max().year <= 2024


def test_ids_are_unique_and_references_resolve(tables):
    for kind, frame in tables.items():
        assert frame[TABLES[kind].key].is_unique, kind
    customers = set(tables["customers"]["customer_id"])
    touchpoints = set(tables["touchpoints"]["touchpoint_id"])
    employees = set(tables["employees"]["employee_id"])
    for kind in ("events", "feedback", "transactions", "conversations", "values_answers"):
        assert set(tables[kind]["customer_id"].dropna()) <= customers, kind
    for kind in ("events", "feedback", "transactions", "conversations"):
        assert set(tables[kind]["touchpoint_id"].dropna()) <= touchpoints, kind
    assert set(tables["turns"]["agent_id"].dropna()) <= employees
    assert set(tables["turns"]["conversation_id"]) <= set(tables["conversations"]["conversation_id"])
    assert set(tables["employees"]["team_id"]) <= set(tables["teams"]["team_id"])


def test_scores_are_in_range(tables):
    fb = tables["feedback"]
    assert fb["nps"].dropna().between(0, 10).all()
    assert fb["csat"].dropna().between(1, 5).all()
    assert fb["ces"].dropna().between(1, 7).all()
    assert tables["reviews"]["rating"].between(1, 5).all()
    assert tables["employee_surveys"]["engagement"].between(1, 5).all()


def test_same_seed_gives_identical_files_and_another_seed_different(tmp_path):
    a = generate_world(tmp_path / "a", customers=300, seed=11)
    b = generate_world(tmp_path / "b", customers=300, seed=11)
    c = generate_world(tmp_path / "c", customers=300, seed=12)
    assert _digest(a) == _digest(b)
    da, dc = _digest(a), _digest(c)
    changed = [name for name in da if da[name] != dc[name]]
    assert {"customers.csv", "events.parquet", "feedback.csv", "turns.jsonl", "transactions.parquet"} <= set(changed)


def test_a_small_world_works(tmp_path):
    world = generate_world(tmp_path, customers=50, seed=3)
    truths = json.loads(world.truths_path.read_text(encoding="utf-8"))
    assert truths["realised"]["rows"]["customers"] == 50
    assert truths["realised"]["rows"]["events"] > 50
    assert truths["planted_bad_rows"]["count"] == 6
    assert all(path.exists() for path, _ in world.files)


def test_ground_truth_declares_truths_and_realised_figures(world):
    truths = json.loads(world.truths_path.read_text(encoding="utf-8"))
    for key, value in TRUTHS.to_dict().items():
        assert truths[key] == json.loads(json.dumps(value, ensure_ascii=False)), key  # tuples, nested too, are JSON lists
    assert truths["planted_bad_rows"]["count"] == len(truths["planted_bad_rows"]["rows"]) == 6
    empathy = truths["agent_empathy"]
    assert len(empathy) == 16
    assert min(empathy[a] for a in TRUTHS.empathic_agents) > max(v for a, v in empathy.items() if a not in TRUTHS.empathic_agents)
    assert max(empathy[a] for a in TRUTHS.unempathic_agents) < min(v for a, v in empathy.items() if a not in TRUTHS.unempathic_agents)
    churn = truths["realised"]["churn_by_agents_served"]
    assert churn["empathic_only"]["churn_rate"] < churn["unempathic_only"]["churn_rate"]
    assert truths["realised"]["friction_pathway"]["from"] == "web_checkout"


def test_the_files_ingest_with_exactly_the_planted_quarantined_rows(world, store):
    listen = pytest.importorskip("empathica.listen")
    if not hasattr(listen, "ingest_files"):
        pytest.skip("the Listen layer has no ingest_files yet")
    results = listen.ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
    planted = world.truths["planted_bad_rows"]
    assert sum(r.rows_quarantined for r in results) == planted["count"]
    by_table = {}
    for row in planted["rows"]:
        by_table[row["table"]] = by_table.get(row["table"], 0) + 1
    for r in results:
        assert r.rows_quarantined == by_table.get(r.table, 0), r.table
        assert r.rows_read == r.rows_stored + r.rows_already_stored + r.rows_quarantined
    assert store.count("customers") == 2000
    assert store.count("events") == world.truths["realised"]["rows"]["events"] - by_table["events"]
