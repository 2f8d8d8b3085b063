"""The demo world the dashboard's tests and the personal-data leak test share: 300 customers (seed 7), personal data
planted in its files, ingested and analysed by every step once per test session (the fixture ``planted_store`` of
tests/conftest.py). One world instead of two saves the suite a whole flywheel run; each user of it copies the
store before changing it.

The dashboard's tests compare what pages show with the stored rows, whatever the texts say, so the planted
sentences (redacted on ingest) change nothing they check; the leak test needs every step to run on text with
personal data in it, which this world's purchase history allows (seed 7: the value and decide steps fit).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd
import pytest

from empathica.settings import Settings

#: 300 customers, seed 7: small, and its purchase history lets the value and decide steps fit (seed 11 does not).
CUSTOMERS, SEED = 300, 7

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


def plant(text: str | None, lang: str, i: int) -> tuple[str, list[str]]:
    sentence, needles = PLANTS.get(lang if lang in PLANTS else "en")
    return f"{text or ''} {sentence.format(i=i, j=i % 10_000)}".strip(), [n.format(i=i, j=i % 10_000) for n in needles]


def plant_files(world) -> list[str]:
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
            frame.at[row, column], found = plant(frame.at[row, column] if pd.notna(frame.at[row, column]) else None, lang, n)
            needles += found
        if path.suffix == ".jsonl":
            path.write_text(frame.to_json(orient="records", lines=True, force_ascii=False), encoding="utf-8")
        else:
            frame.to_csv(path, index=False)
    customers = pd.read_csv(files["customers"], dtype=str)
    customers["email"] = [f"crm.export{i}@leak-test.de" for i in range(len(customers))]
    customers.to_csv(files["customers"], index=False)
    return sorted(set(needles)) + ["@leak-test.de", "crm.export"]



def settings_of(folder: Path) -> Settings:
    """The settings the world is analysed with (its store: ``folder/demo.duckdb``)."""
    # The German sentiment cascade's e5 embeddings only change sentiment verdicts (numbers), never which text is
    # stored or shown; off, the text step costs a third less CPU (bench/results.md, "the PII leak test").
    return Settings.load(config_file=folder / "none.toml", progress=False, db_path=str(folder / "demo.duckdb"),
                         text_embed_budget=0)


def built(folder: Path, scratch: Path) -> tuple[Path, Settings, list[str]]:
    """What :func:`build` returned for ``folder`` (built before, for local iteration): the pieces planted again in a
    world generated in ``scratch`` (the same seed plants the same pieces)."""
    from empathica.demo import generate_world

    return folder / "demo.duckdb", settings_of(folder), plant_files(generate_world(scratch, customers=CUSTOMERS, seed=SEED))


def build(folder: Path) -> tuple[Path, Settings, list[str]]:
    """The world generated in ``folder``, personal data planted, ingested and analysed by every step (the demo's Act
    rules installed, so that the act step opens cases and writes their cards): (store file, settings, the planted
    pieces no output may hold)."""
    from empathica.act.service import install_demo_rules, open_cases_store
    from empathica.demo import generate_world
    from empathica.flywheel import run_flywheel
    from empathica.listen import ingest_files
    from empathica.store import Store

    world = generate_world(folder / "data", customers=CUSTOMERS, seed=SEED)
    needles = plant_files(world)
    db, settings = folder / "demo.duckdb", settings_of(folder)
    with Store.open(db, settings=settings) as store, pytest.MonkeyPatch.context() as patch:
        ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
        ops = open_cases_store(store, settings)
        try:
            install_demo_rules(ops.cases)
        finally:
            ops.close()
        # The value step's main cost is refitting the CLV models on 30 bootstrap resamples for the intervals of its
        # totals, which no page shows and no leak could hide in (numbers only); two refits write the same tables.
        patch.setattr("empathica.flywheel.steps.value.CLV_BOOTSTRAP", 2)
        # Likewise the values segments' bootstrap intervals (200 resamples of three models per outcome): numbers only.
        from empathica.diagnose.segments import compare
        patch.setattr("empathica.flywheel.steps.diagnose.compare", partial(compare, n_bootstrap=10))
        sections = run_flywheel(store, settings=settings)
    skipped = [s.key for s in sections if s.skipped]
    assert not skipped, f"steps skipped on the shared demo world: {skipped}"  # every result path is checked
    return db, settings, needles
