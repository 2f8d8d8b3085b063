"""Why a row was quarantined is stored as a reason code with values and said in the reader's language: the API's
``/quarantine`` and the report's data overview (issue 19: no English sentence built inside Listen's checks)."""

from __future__ import annotations

import json
import re

import pytest

from empathica.listen.reasons import reason_finding
from empathica.report.i18n import Finding, render
from tests.serve.conftest import token

#: English words of the reason lines: one in a German or Chinese reason is English left over.
ENGLISH = re.compile(r"\b(missing|unknown|duplicate|in file|out of range|not one of|not|whole number|number|malformed|row)\b")

BAD_FEEDBACK = [
    {"response_id": "q1", "timestamp": "2024-03-01T10:00:00Z", "nps": 14},                 # out of range
    {"response_id": "q2", "timestamp": "2024-03-01T10:00:00Z", "nps": "many"},             # not a whole number
    {"response_id": "q3"},                                                                  # missing timestamp
    {"response_id": "q4", "timestamp": "2024-03-01T10:00:00Z", "customer_id": "nobody"},   # unknown customer
    {"response_id": "q5", "timestamp": "2024-03-01T10:00:00Z", "csat": 3},
    {"response_id": "q5", "timestamp": "2024-03-02T10:00:00Z", "csat": 4},                 # duplicate key
]
CODES = {"q1": "range", "q2": "type", "q3": "missing", "q4": "unknown", "q5": "duplicate"}


@pytest.fixture(scope="module")
def refused(served):
    client, _ = served
    headers = token(client, "ana")
    response = client.post("/ingest/feedback/rows", json={"rows": BAD_FEEDBACK}, headers=headers)
    assert response.status_code == 200, response.text
    pages = {lang: client.get("/quarantine", params={"table": "feedback", "lang": lang, "page_size": 1000}, headers=headers).json()
             for lang in ("en", "de", "zh")}
    return {lang: {r["raw"] and json.loads(r["raw"]).get("response_id"): r for r in page["rows"]} for lang, page in pages.items()}


def test_each_refused_row_keeps_its_reason_and_a_stored_reason_code_with_values(refused, served):
    _, server = served
    rows = refused["en"]
    for response_id, code in CODES.items():
        row = rows[response_id]
        assert row["reason_id"] == f"quarantine.reason.{code}", row
        assert row["reason_values"]["field"] == row["field"]  # the field as the schema names it, for whoever fixes the file
    assert rows["q1"]["reason"] == "nps out of range 0–10" and rows["q1"]["reason_values"]["range"] == "0–10"
    assert rows["q2"]["reason_values"]["type"] == {"id": "quarantine.type.int"}
    with server.reading() as store:  # stored as code + values, not only computed on the way out
        table = store.table("quarantine")
        stored = table.filter(table.table_name == "feedback").to_pandas()
    assert set(stored["reason_id"]) >= {f"quarantine.reason.{c}" for c in CODES.values()}
    for row in stored.itertuples():
        assert {"id": row.reason_id, "values": json.loads(row.reason_values)} == reason_finding(row.reason)


@pytest.mark.parametrize("lang", ["de", "zh"])
def test_the_reasons_are_said_in_german_and_chinese(refused, lang):
    for response_id in CODES:
        row = refused[lang][response_id]
        said = row["reason_shown"]
        assert said == render(Finding(row["reason_id"], row["reason_values"]), lang=lang)
        assert row["field"] in said and not ENGLISH.search(said.replace(row["field"], "")), said
    assert {"de": "keine ganze Zahl", "zh": "整数"}[lang] in refused[lang]["q2"]["reason_shown"]


def test_a_reason_no_code_covers_is_quoted_and_a_bad_language_is_refused(served):
    client, _ = served
    assert reason_finding("some reader message") == {"id": "quarantine.reason.unreadable", "values": {"detail": "some reader message"}}
    assert render(Finding(**{"message_id": "quarantine.reason.unreadable", "values": {"detail": "x"}}), lang="de").endswith(": x")
    refused = client.get("/quarantine", params={"lang": "fr"}, headers=token(client, "ana"))
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "lang"
