import re

import pytest

from empathica.errors import SchemaError
from empathica.schema import TABLES, table
from empathica.schema.tables import TYPES, Column
from tests.conftest import REPO


def test_every_reference_points_at_a_real_table_and_column_declared_earlier():
    order = list(TABLES)
    for t in TABLES.values():
        for c in t.columns:
            if c.references:
                ref_table, ref_col = c.references.split(".")
                assert ref_table in TABLES, (t.name, c.name)
                assert ref_col == TABLES[ref_table].key
                # ingestion order satisfies references (self references excepted)
                assert order.index(ref_table) <= order.index(t.name), (t.name, c.name)


def test_every_table_has_its_key_as_a_required_column_and_a_known_time_column():
    for t in TABLES.values():
        assert t.column(t.key).required
        if t.time_column:
            assert t.column(t.time_column).type == "timestamp"


def test_the_required_tables_of_the_data_model_exist():
    for name in ["customers", "employees", "teams", "touchpoints", "events", "feedback", "conversations",
                 "turns", "reviews", "transactions", "employee_surveys", "values_answers"]:
        assert name in TABLES
    assert TABLES["feedback"].column("nps").maximum == 10
    assert TABLES["feedback"].column("csat").minimum == 1
    assert TABLES["feedback"].column("ces").maximum == 7


def test_aliases_resolve_and_unknown_names_fail_clearly():
    assert table("orders").name == "transactions"
    assert table("event_log").name == "events"
    with pytest.raises(SchemaError, match="unknown table 'nope'.*customers"):
        table("nope")
    with pytest.raises(SchemaError, match="has no column 'nope'"):
        TABLES["events"].column("nope")
    with pytest.raises(SchemaError, match="unknown type"):
        Column("x", "decimal", "doc")


def test_docs_describe_every_table_and_column_with_its_type():
    doc = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    for t in TABLES.values():
        assert f"## `{t.name}`" in doc
        section = doc.split(f"## `{t.name}`", 1)[1].split("\n## ", 1)[0]
        for c in t.columns:
            assert re.search(rf"\| `{c.name}` \| {c.type} \|", section), f"docs/schema.md lacks {t.name}.{c.name}"


def test_ibis_schema_uses_declared_types():
    schema = TABLES["feedback"].ibis_schema()
    assert str(schema["nps"]) == "int64"
    assert schema["timestamp"].is_timestamp() and schema["timestamp"].timezone == "UTC"
    assert set(TYPES) >= {c.type for t in TABLES.values() for c in t.columns}


def test_every_declared_result_is_documented_and_written_by_a_registered_step():
    from pathlib import Path

    from empathica.flywheel import registered_steps
    from empathica.schema import TABLES
    from empathica.schema.results import REPORT_SECTIONS, RESULTS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "results.md").read_text(encoding="utf-8")
    steps = {s.name: s for s in registered_steps()}
    for r in RESULTS.values():
        assert f"| `{r.name}` |" in doc, f"docs/results.md lacks result {r.name}"
        if r is REPORT_SECTIONS:  # the runner stores every step's section, not a step of its own
            continue
        assert r.step in steps and r.name in steps[r.step].writes
    for s in steps.values():  # what a step reads is a canonical table or a declared result
        assert all(name in TABLES or name in RESULTS for name in s.reads), s.name
