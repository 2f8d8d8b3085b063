import subprocess
import sys

import pandas as pd
import pytest

from empathica.errors import OutdatedResultError, SchemaError, StoreError, StoreLockedError
from empathica.schema import TABLES
from empathica.schema.results import RESULTS, Result
from empathica.settings import Settings
from empathica.store import Store


def test_open_creates_every_canonical_table_empty(store):
    assert store.counts() == {name: 0 for name in TABLES}
    for name in ("quarantine", "ingestions", "results"):
        assert store.count(name) == 0


@pytest.fixture
def declared(monkeypatch):
    """Results declared for these tests only, as a step's module declares its own."""
    for r in (Result("friction", "journeys", "pathway", "friction per pathway", (("pathway", "string"), ("score", "float"), ("tags", "json"))),
              Result("turns", "empathy", "turn", "turns", (("turn_id", "string"), ("evidence", "json")), open_columns=True),
              Result("nothing", "empathy", "turn", "nothing", (("turn_id", "string"), ("evidence", "json")))):
        monkeypatch.setitem(RESULTS, r.name, r)


def test_a_scratch_store_opens_without_the_schema_and_still_works():
    with Store.open(":memory:", schema=False) as scratch:
        assert scratch.con.list_tables() == []
        scratch.con.create_table("rows", pd.DataFrame({"x": [1, 2]}), temp=True)
        assert scratch.con.table("rows").count().to_pandas() == 2


def test_results_round_trip_and_are_catalogued(store, declared):
    frame = pd.DataFrame({"pathway": ["a→b", "b→c"], "score": [0.5, 1.5], "tags": [["x"], ["y", "z"]]})
    store.write_result("friction", frame, step="journeys", description="friction per pathway")
    back = store.read_result("friction")
    assert list(back["score"]) == [0.5, 1.5]
    assert back["tags"].tolist() == ['["x"]', '["y", "z"]']
    store.write_result("friction", frame.head(1), step="journeys")
    catalogue = store.to_pandas("results")
    assert catalogue.loc[catalogue.name == "friction", "rows"].tolist() == [1]
    with pytest.raises(SchemaError, match="no result 'missing' is declared"):
        store.read_result("missing")


def test_results_are_checked_against_their_declaration(store, declared):
    frame = pd.DataFrame({"pathway": ["a→b"], "score": [0.5], "tags": [["x"]]})
    with pytest.raises(SchemaError, match="no result 'unknown' is declared"):
        store.write_result("unknown", frame, step="journeys")
    with pytest.raises(SchemaError, match="written by step 'journeys', not 'text'"):
        store.write_result("friction", frame, step="text")
    with pytest.raises(SchemaError, match="lack declared column.* score"):
        store.write_result("friction", frame.drop(columns="score"), step="journeys")
    with pytest.raises(SchemaError, match="undeclared column.* extra"):
        store.write_result("friction", frame.assign(extra=1), step="journeys")
    with pytest.raises(SchemaError, match="column score holds string values, declared float"):
        store.write_result("friction", frame.assign(score="high"), step="journeys")
    assert not store.has_result("friction")
    store.write_result("friction", frame, step="journeys")
    assert store.read_result("friction")["run_id"].isna().all()  # written outside a run


def test_results_with_columns_that_hold_no_value_are_stored(store, declared):
    """A tiny data set can leave a column of Python objects all null, or give no rows at all (the demo world at
    10 customers did); the result is still stored, the empty column as text, and later rows can be appended."""
    frame = pd.DataFrame({"turn_id": ["t1", "t2"], "evidence": [None, None], "score": [0.1, 0.2]})
    store.write_result("turns", frame, step="empathy")
    assert store.read_result("turns")["evidence"].isna().all()
    store.append_result("turns", pd.DataFrame({"turn_id": ["t3"], "evidence": ['["sorry"]'], "score": [0.3]}), step="empathy")
    assert store.read_result("turns")["evidence"].tolist()[-1] == '["sorry"]'
    empty = pd.DataFrame({"turn_id": pd.Series([], dtype=object), "evidence": pd.Series([], dtype=object)})
    store.write_result("nothing", empty, step="empathy")
    assert len(store.read_result("nothing")) == 0


def test_data_survives_reopening(tmp_path):
    path = tmp_path / "s.duckdb"
    settings = Settings.load(config_file=tmp_path / "none.toml")
    with Store.open(path, settings=settings) as s:
        s.insert("teams", pd.DataFrame({"team_id": ["t1"], "name": ["A"], "function": ["x"], "region": ["eu"]}))
    with Store.open(path, settings=settings, read_only=True) as s:
        assert s.count("teams") == 1


def test_a_second_writer_gets_a_clear_message(tmp_path):
    path = tmp_path / "locked.duckdb"
    settings = Settings.load(config_file=tmp_path / "none.toml")
    with Store.open(path, settings=settings):
        code = (
            "from empathica.store import Store\n"
            "from empathica.errors import StoreLockedError\n"
            "try:\n"
            f"    Store.open({str(path)!r})\n"
            "except StoreLockedError as e:\n"
            "    print('LOCKED:', e)\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "LOCKED:" in out.stdout, out.stderr
    assert "in use by another Empathica process" in out.stdout


def test_missing_folder_and_missing_read_only_file_are_explained(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "no" / "such" / "x.duckdb")
    with pytest.raises(StoreError, match="create it with `empathica listen`"):
        Store.open(tmp_path / "absent.duckdb", read_only=True)


def test_other_backends_need_a_url():
    with pytest.raises(StoreError, match="EMPATHICA_BACKEND_URL"):
        Store.open(settings=Settings.load(backend="postgres"))


def test_duckdb_progress_bar_is_off_so_command_output_stays_clean(tmp_path):
    with Store.open(str(tmp_path / "db.duckdb")) as store:  # DuckDB's bar would print to stdout
        assert store.raw_sql("SELECT current_setting('enable_progress_bar')").fetchone()[0] is False


def test_duckdb_memory_limit_defaults_to_half_the_machine_and_follows_the_setting(tmp_path):
    from empathica.store.database import _physical_memory_mb

    with Store.open(str(tmp_path / "a.duckdb")) as store:
        limit = store.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    gib = float(limit.split()[0]) * (1024 if limit.endswith("TiB") else 1 if limit.endswith("GiB") else 1 / 1024)
    assert abs(gib * 1.073741824 * 1000 - _physical_memory_mb() / 2) < 0.02 * _physical_memory_mb()
    with Store.open(str(tmp_path / "b.duckdb"), settings=Settings(memory_limit="300MB")) as store:
        assert store.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0] == "286.1 MiB"
    with pytest.raises(StoreError, match="memory_limit"):
        Store.open(str(tmp_path / "c.duckdb"), settings=Settings(memory_limit="lots"))


def test_a_result_stored_by_an_older_version_is_named_with_what_it_lacks(store, declared, monkeypatch):
    frame = pd.DataFrame({"pathway": ["a→b"], "score": [0.5], "tags": [["x"]]})
    store.write_result("friction", frame, step="journeys")
    # a later release declares one more column: the stored table is outdated until a run stores it again
    newer = Result("friction", "journeys", "pathway", "friction per pathway",
                   (("pathway", "string"), ("score", "float"), ("tags", "json"), ("owner", "string")))
    monkeypatch.setitem(RESULTS, "friction", newer)
    with pytest.raises(OutdatedResultError, match=r"older version.*lacks column\(s\) owner.*empathica run --db"):
        store.read_result("friction")
    assert isinstance(OutdatedResultError("x"), StoreError)  # callers that show "not computed yet" still catch it
