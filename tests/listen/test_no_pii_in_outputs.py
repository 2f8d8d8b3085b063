"""Personal data planted in a demo world's files appears nowhere the product shows or serves text: not in any
stored table (results included), not in the HTML report in any language, not in any API response (results,
quarantine, cases, customer cards), nor in what rows ingested through the API leave in the store."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

from tests.planted_world import CUSTOMERS, plant

@pytest.fixture(scope="module")
def planted(planted_store, tmp_path_factory):
    """The shared 300-customer demo world with personal data planted (tests/planted_world.py), analysed by every step;
    a copy of its store, as the API test below ingests into it."""
    source, settings, needles = planted_store
    folder = tmp_path_factory.mktemp("pii-world")
    db = folder / "demo.duckdb"
    shutil.copy(source, db)
    shutil.copytree(source.parent / "data", folder / "data")
    return db, replace(settings, db_path=str(db)), needles, folder


def _leaks(text: str, needles: list[str]) -> list[str]:
    """The needles found in ``text`` (empty exactly when none occurs: a scan that finds nothing has tried every
    needle at every position). One pass of a regular expression shaped as a trie of the needles, instead of a
    substring search per needle: the dumps are megabytes and the needles hundreds."""
    return sorted({m.group(0) for m in _trie_pattern(tuple(sorted(set(needles)))).finditer(text)})


@cache
def _trie_pattern(needles: tuple[str, ...]) -> re.Pattern:
    trie: dict = {}
    for needle in needles:
        node = trie
        for ch in needle:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        if "" in node:
            return "(?:" + "|".join(alts) + ")?"
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return re.compile(build(trie))


def test_planted_pieces_exist_in_the_files(planted):
    """The check below can fail: the planted pieces are in the input files."""
    db, settings, needles, folder = planted
    raw = "".join(p.read_text(encoding="utf-8", errors="replace") for p in (folder / "data").glob("*.*") if p.suffix != ".parquet")
    assert len(needles) > 100 and not [n for n in needles if n not in raw]


def test_no_stored_table_holds_personal_data(planted):
    from empathica.store import Store

    db, settings, needles, _ = planted
    with Store.open(db, settings=settings, read_only=True) as store:
        names = store.query("SELECT table_name FROM information_schema.tables")["table_name"].tolist()
        dump = "\n".join(store.to_pandas(name).to_csv(index=False) for name in names)
    assert "[EMAIL]" in dump and "[PHONE]" in dump and "[NAME]" in dump  # text went through, redacted
    assert _leaks(dump, needles) == []


def test_the_report_shows_no_personal_data(planted):
    from empathica.report.html import report_from_store
    from empathica.store import Store

    db, settings, needles, folder = planted
    with Store.open(db, settings=settings, read_only=True) as store:
        for lang in ("en", "de", "zh"):
            out = report_from_store(store, folder / f"report-{lang}", title="PII", lang=lang, currency="EUR")
            html = "\n".join(p.read_text(encoding="utf-8") for p in Path(out).parent.rglob("*.html"))
            assert "[EMAIL]" in html or "[PHONE]" in html or "[NAME]" in html, lang  # quotes are shown, redacted
            assert _leaks(html, needles) == [], lang


def test_no_api_response_holds_personal_data(planted):
    from fastapi.testclient import TestClient

    from empathica.serve import create_app, open_server

    db, settings, needles, _ = planted
    server = open_server(str(db), settings=settings)
    server.ops.add_user("root", "admin-password-1", role="admin")
    bodies = []
    with TestClient(create_app(server)) as client:
        login = client.post("/auth/login", json={"username": "root", "password": "admin-password-1"})
        auth = {"Authorization": f"Bearer {login.json()['token']}"}
        for declared in client.get("/results", headers=auth).json()["results"]:
            if declared["rows"]:
                bodies.append(client.get(f"/results/{declared['name']}?format=csv", headers=auth).text)
        bodies.append(client.get("/quarantine", headers=auth).text)
        cases = client.get("/cases", headers=auth).json()
        bodies.append(json.dumps(cases, ensure_ascii=False))
        for cust in [f"cust_{i:07d}" for i in range(0, CUSTOMERS, 4)]:
            bodies.append(client.get(f"/customers/{cust}/card", headers=auth).text)
        api_needles = _ingest_rows_through_the_api(client, auth, bodies)
        with server.reading() as store:  # what the API ingested is stored (and quarantined) redacted
            bodies.append(store.to_pandas("feedback").to_csv(index=False) + store.to_pandas("quarantine").to_csv(index=False))
    server.store.close()
    server.ops.close()
    text = "\n".join(bodies)
    assert "[EMAIL]" in text or "[PHONE]" in text
    assert "api-pii-1" in text and "api-pii-2" in text  # the API's rows were stored and quarantined
    assert _leaks(text, needles + api_needles) == []


def _ingest_rows_through_the_api(client, auth, bodies: list[str]) -> list[str]:
    """POST /ingest/feedback/rows with personal data in a good row and in a row the quarantine keeps."""
    sentence, needles = plant(None, "de", 990_001)
    rows = [{"response_id": "api-pii-1", "customer_id": "cust_0000000", "timestamp": "2024-05-01T08:00:00Z",
             "nps": 3, "comment": sentence},
            {"response_id": "api-pii-2", "customer_id": "nobody", "timestamp": "2024-05-01T08:00:00Z", "nps": 42,
             "comment": sentence}]
    response = client.post("/ingest/feedback/rows", json={"rows": rows}, headers=auth)
    assert response.status_code == 200, response.text
    assert [(r["rows_stored"], r["rows_quarantined"]) for r in response.json()["ingested"]] == [(1, 1)]
    bodies.append(response.text)
    bodies.append(client.get("/quarantine", headers=auth).text)
    return needles


def test_the_leak_scan_finds_what_a_search_per_needle_finds():
    """The one-pass scan reports leaks exactly when a substring search per needle would (needles that are
    prefixes of one another, digits inside longer numbers, Chinese text included)."""
    import random

    needles = [f"kunde.leak{i}" for i in range(50)] + [f"171 7{i:06d}" for i in range(50)] + ["秀英", "@leak-test.de"]
    rng = random.Random(15)
    for _ in range(200):
        text = "".join(rng.choice("0123456789 17kunde.leak秀,@") for _ in range(300))
        if rng.random() < 0.5:
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice(needles) + text[at:]
        found = _leaks(text, needles)
        assert bool(found) == any(n in text for n in needles) and all(n in text for n in found)
