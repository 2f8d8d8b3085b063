"""Kind detection from columns, --kind with aliases, and the error asking for --kind."""

from __future__ import annotations

import pytest

from empathica.errors import InputError, SchemaError
from empathica.listen import detect_kind, ingest_files


@pytest.mark.parametrize(
    ("columns", "kind"),
    [
        (["customer_id", "language", "region"], "customers"),
        (["CustomerID", "Activity", "Timestamp", "Case ID"], "events"),
        (["response_id", "customer_id", "timestamp", "nps", "comment"], "feedback"),
        (["response_id", "team_id", "timestamp", "enps"], "employee_surveys"),
        (["conversation_id", "turn_index", "speaker", "text"], "turns"),
        (["order_id", "customer", "date", "total"], "transactions"),
        (["review_id", "brand", "timestamp", "rating", "text"], "reviews"),
    ],
)
def test_detects_kind_from_columns(columns, kind):
    assert detect_kind(columns) == kind


def test_unknown_columns_ask_for_kind():
    with pytest.raises(InputError, match="--kind"):
        detect_kind(["foo", "bar"], path="x.csv")


def test_tie_is_broken_by_file_name_or_reported():
    cols = ["response_id", "timestamp"]  # fits feedback; employee_surveys lacks team_id
    assert detect_kind(cols) == "feedback"
    tie = ["answer_id", "question", "answer", "review_id", "brand", "rating", "timestamp"]
    with pytest.raises(InputError, match="equally well.*--kind"):
        detect_kind(tie, path="data.csv")
    assert detect_kind(tie, path="reviews.csv") == "reviews"


def test_kind_accepts_aliases(store, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("response_id,timestamp,nps\nr1,2024-01-01,9\n", encoding="utf-8")
    [r] = ingest_files(store, [path], kind="surveys")
    assert (r.table, r.rows_stored) == ("feedback", 1)
    with pytest.raises(SchemaError, match="unknown table"):
        ingest_files(store, [path], kind="nonsense")
