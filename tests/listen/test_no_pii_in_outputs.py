"""Personal data planted in a demo world's files appears nowhere the product shows or serves text: not in any
stored table (results included), not in the HTML report in any language, not in any API response (results,
quarantine, cases, customer cards), nor in what rows ingested through the API leave in the store."""

from __future__ import annotations

import json
import re
from functools import cache, partial
from pathlib import Path

import pandas as pd
import pytest

from empathica.settings import Settings

#: Per language, a sentence with personal data (``{i}`` makes each row's values unique) and the pieces that
#: must not be found anywhere afterwards.
PLANTS = {
    "de": ("Rufen Sie mich an: +49 171 7{i:06d}, Mail kunde.leak{i}@beispiel-mail.de, IBAN DE89 3704 0044 0532 0130 00. "
           "Frau Cornelia Vogelsang wohnt Lindenstraße 23, 50674 Köln.",
           ["kunde.leak{i}", "171 7{i:06d}", "0532 0130", "Vogelsang", "Lindenstraße 23"]),
    "en": ("my name is Priya Raman, call (415) 555-{j:04d} or mail support at leakyshop{i} dot co dot uk, "
           "card 4111 1111 1111 1111, I live at 221 Baker Street.",
           ["Raman", "(415) 555-{j:04d}", "leakyshop{i}", "4111 1111", "221 Baker"]),
    "zh": ("我叫王秀英，电话139{i:08d}，邮箱wangxy{i}艾特163点com，身份证11010519491231002X，寄到上海市浦东新区世纪大道88号。",
           ["秀英", "139{i:08d}", "wangxy{i}", "11010519491231002X", "世纪大道88号"]),
}


def _plant(text: str | None, lang: str, i: int) -> tuple[str, list[str]]:
    sentence, needles = PLANTS.get(lang if lang in PLANTS else "en")
    return f"{text or ''} {sentence.format(i=i, j=i % 10_000)}".strip(), [n.format(i=i, j=i % 10_000) for n in needles]


def _plant_files(world) -> list[str]:
    """Personal data in every 4th feedback comment, customer turn and review, and an ``email`` column in the
    customers file; returns the pieces to look for."""
    needles: list[str] = []
    files = {kind: path for path, kind in world.files}
    for k, (kind, column) in enumerate((("feedback", "comment"), ("turns", "text"), ("reviews", "text"))):
        path = files[kind]
        frame = pd.read_json(path, lines=True, dtype=False) if path.suffix == ".jsonl" else pd.read_csv(path, dtype=str)
        rows = frame.index[::4] if kind != "turns" else frame.index[frame["speaker"] == "customer"][::4]
        for n, row in enumerate(rows, start=100_000 * k):  # unique values per row
            lang = frame.at[row, "language"] if "language" in frame else ("zh" if any("\u4e00" <= c <= "\u9fff" for c in str(frame.at[row, column])) else "de")
            frame.at[row, column], found = _plant(frame.at[row, column] if pd.notna(frame.at[row, column]) else None, lang, n)
            needles += found
        if path.suffix == ".jsonl":
            path.write_text(frame.to_json(orient="records", lines=True, force_ascii=False), encoding="utf-8")
        else:
            frame.to_csv(path, index=False)
    customers = pd.read_csv(files["customers"], dtype=str)
    customers["email"] = [f"crm.export{i}@leak-test.de" for i in range(len(customers))]
    customers.to_csv(files["customers"], index=False)
    return sorted(set(needles)) + ["@leak-test.de", "crm.export"]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A 200-customer demo world with personal data planted, ingested and analysed by every step (the demo's
    Act rules installed, so that the act step opens cases and writes their cards)."""
    from empathica.act.service import install_demo_rules, open_cases_store
    from empathica.demo import generate_world
    from empathica.flywheel import run_flywheel
    from empathica.listen import ingest_files
    from empathica.store import Store

    folder = tmp_path_factory.mktemp("pii-world")
    world = generate_world(folder / "data", customers=200, seed=11)
    needles = _plant_files(world)
    db = folder / "demo.duckdb"
    # The German sentiment cascade's e5 embeddings only change sentiment verdicts (numbers), never which text is
    # stored or shown; off, the text step costs a third less CPU (bench/results.md, "the PII leak test").
    settings = Settings.load(config_file=folder / "none.toml", progress=False, db_path=str(db), text_embed_budget=0)
    with Store.open(db, settings=settings) as store, pytest.MonkeyPatch.context() as patch:
        ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
        ops = open_cases_store(store, settings)
        try:
            install_demo_rules(ops.cases)
        finally:
            ops.close()
        # The value step's main cost is refitting the CLV models on 30 bootstrap resamples for the totals'
        # intervals: numbers only, no text. Two refits write the same tables; what this test checks is unchanged.
        patch.setattr("empathica.flywheel.steps.value.CLV_BOOTSTRAP", 2)
        # Likewise the values segments' bootstrap intervals (200 resamples of three models per outcome): numbers only.
        from empathica.diagnose.segments import compare
        patch.setattr("empathica.flywheel.steps.diagnose.compare", partial(compare, n_bootstrap=10))
        sections = run_flywheel(store, settings=settings)
    assert not [s.key for s in sections if s.skipped]  # every step ran, so every result path is checked
    return db, settings, needles, folder


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
        for cust in [f"cust_{i:07d}" for i in range(0, 200, 4)]:
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
    sentence, needles = _plant(None, "de", 990_001)
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
