import json

from click.testing import CliRunner

from empathica.cli import main


def test_help_lists_the_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "run", "status"):
        assert command in result.output


def test_status_on_an_empty_store_prints_json(tmp_path):
    from empathica.store import Store

    db = tmp_path / "s.duckdb"
    Store.open(db).close()
    result = CliRunner().invoke(main, ["status", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert {row["table"]: row["rows"] for row in info["tables"]}["events"] == 0
    assert info["quarantine"] == []


def test_errors_are_one_clear_line_not_a_traceback(tmp_path):
    result = CliRunner().invoke(main, ["status", "--db", str(tmp_path / "missing.duckdb")])
    assert result.exit_code == 2
    assert "error: database" in result.output and "does not exist" in result.output
    assert "Traceback" not in result.output


def test_run_on_an_empty_store_writes_a_report(tmp_path):
    from empathica.store import Store

    db = tmp_path / "s.duckdb"
    Store.open(db).close()
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["run", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Data overview" in html


def test_demo_at_the_smallest_size_into_a_new_folder(tmp_path):
    """`empathica demo` sets everything up: its database folder too, and a world of 10 customers (too small
    for some analyses, which then say why) still gives a report; it once crashed on a result column with no
    value at all."""
    base = tmp_path / "new" / "place"
    result = CliRunner().invoke(main, ["demo", "--customers", "10", "--db", str(base / "demo.duckdb"),
                                       "--out", str(base / "report"), "--data", str(base / "data")])
    assert result.exit_code == 0, result.output
    assert (base / "report" / "index.html").is_file()
    assert "Traceback" not in result.output


def test_demo_refuses_a_database_that_already_holds_rows_and_replace_starts_afresh(tmp_path):
    """A second world must not be mixed into a database with rows (issue 2, item 5); --replace deletes the
    database and its .wal first."""
    from pathlib import Path

    import duckdb

    listen_dir = Path(__file__).resolve().parents[1] / "fixtures" / "listen"
    db = tmp_path / "used.duckdb"
    assert CliRunner().invoke(main, ["listen", str(listen_dir / "customers.csv"), "--db", str(db)]).exit_code == 0
    args = ["demo", "--customers", "10", "--db", str(db), "--out", str(tmp_path / "report"), "--data", str(tmp_path / "data")]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())
    assert "already holds 3 rows" in said and "use another --db, or --replace to start it afresh" in said
    assert "Traceback" not in refused.output and not (tmp_path / "data").exists()  # refused before generating

    wal = tmp_path / "used.duckdb.wal"
    wal.write_bytes(b"stale")
    replaced = CliRunner().invoke(main, [*args, "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert not wal.exists() or wal.read_bytes() != b"stale"
    with duckdb.connect(str(db), read_only=True) as con:
        ids = [r[0] for r in con.execute("SELECT customer_id FROM customers").fetchall()]
    assert len(ids) == 10 and not {"c1", "c2", "c3"} & set(ids)  # only the demo world's customers
