"""The timeline's KPI mapping is a data file checked against the result declarations: a bad entry stops with
one line naming the file, the KPI and the fix."""

from __future__ import annotations

import pytest

from empathica.errors import SchemaError
from empathica.learn.timeline import DIMENSIONS, load_kpis
from empathica.schema.results import result


def test_the_packaged_mapping_covers_every_stage_and_cx_dimension_with_declared_columns():
    specs = load_kpis()
    assert {s.dimension for s in specs} == set(DIMENSIONS)
    assert {"listen", "understand", "decide", "act", "learn"} <= {s.stage for s in specs}
    for spec in specs:
        assert set(spec.needed) <= set(result(spec.result).column_names)


@pytest.mark.parametrize("entry, message", [
    ('result = "nope"', "no result 'nope' is declared"),
    ('result = "journey_touchpoints"\ncolumn = "nope"', "column nope is not a column of result journey_touchpoints"),
    ('result = "journey_touchpoints"\ncolumn = "events"\naggregate = "median"', "aggregate 'median' is not one of"),
    ('result = "journey_touchpoints"\ncolumn = "events"\ndimension = "mood"', "dimension 'mood' is not one of"),
])
def test_a_bad_entry_names_the_file_the_kpi_and_the_fix(tmp_path, entry, message):
    fields = {"stage": '"listen"', "dimension": '"all"', "kpi": '"visits"', "aggregate": '"sum"'}
    for line in entry.splitlines():
        fields[line.split(" = ")[0]] = line.split(" = ", 1)[1]
    path = tmp_path / "kpis.toml"
    path.write_text("[[kpi]]\n" + "\n".join(f"{k} = {v}" for k, v in fields.items()) + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=message) as error:
        load_kpis(path)
    assert str(error.value).startswith(f"{path}: kpi 1 (visits): ")
