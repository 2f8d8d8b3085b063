"""Learning from the customers' own ratings: labels from NPS/CSAT/stars, heads fitted where they help,
the shipped heads kept where they do not, `empathica text adapt` and the flywheel option on a demo world."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from rich.console import Console

from empathica.cli import main
from empathica.flywheel import RunContext
from empathica.report.html import Speaker
from empathica.report.i18n import Finding, render
from empathica.store import Store
from empathica.understand.text import TextAnalyzer
from empathica.understand.text.ratings import adapt_to_ratings, one_label_per_text, rated_texts


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from empathica.demo import generate_world
    from empathica.listen import ingest_files

    folder = tmp_path_factory.mktemp("ratings")
    made = generate_world(folder / "data", customers=700, seed=3)
    path = folder / "demo.duckdb"
    with Store.open(str(path)) as store:
        ingest_files(store, [p for p, _ in made.files], kinds=[k for _, k in made.files])
    return path


@pytest.fixture(scope="module")
def pairs(world):
    with Store.open(str(world), read_only=True) as store:
        return rated_texts(store)


def test_ratings_label_texts_by_nps_csat_and_stars(world, pairs):
    with Store.open(str(world), read_only=True) as store:
        fb = store.table("feedback").to_pandas()
        rv = store.table("reviews").to_pandas()
    assert set(pairs["label"]) == {"negative", "neutral", "positive"}
    assert set(pairs["source"]) <= {"feedback", "reviews"}
    # every detractor's comment is labelled negative, every promoter's positive (checked against the raw rows)
    detractor = fb[(fb.nps <= 6) & fb.comment.notna() & (fb.comment.str.strip() != "")].comment
    promoter = fb[(fb.nps >= 9) & fb.comment.notna() & (fb.comment.str.strip() != "")].comment
    labelled = pairs.groupby("text")["label"].apply(set)
    assert all("negative" in labelled[t] for t in detractor)
    assert all("positive" in labelled[t] for t in promoter)
    one_star = rv[(rv.rating <= 2) & rv.text.notna()].text
    assert all("negative" in labelled[t] for t in one_star)
    # a text rated several ways keeps its most frequent label
    twice = pd.DataFrame({"text": ["a", "a", "b"], "label": ["negative", "positive", "neutral"], "n": [1, 3, 1]})
    assert one_label_per_text(twice).set_index("text")["label"].to_dict() == {"a": "positive", "b": "neutral"}


def test_adaptation_gains_on_held_out_rated_texts_or_keeps_the_shipped_head(pairs):
    analyzer = TextAnalyzer().load()
    found = adapt_to_ratings(analyzer, pairs, seed=7)
    table = found.table.set_index("lang")
    assert set(table.index) == {"en", "de", "zh"} and (table["test_rows"] > 40).all()
    adapted = table[table["kept"] == "adapted"]
    assert (adapted["accuracy_after"] >= adapted["accuracy_before"] + 0.01).all()
    # the German head learnt neutral from rail feedback; the customers' ratings teach it their complaints
    assert table.loc["de", "kept"] == "adapted" and table.loc["de", "accuracy_after"] > table.loc["de", "accuracy_before"] + 0.15
    assert set(found.heads) == set(adapted.index)
    for lang, head in found.heads.items():
        assert analyzer.sentiment_heads_[lang] is head
    # ratings that say nothing about the texts (shuffled) cannot beat the shipped heads: they stay
    noise = pairs.assign(label=pairs["label"].sample(frac=1.0, random_state=1).to_numpy())
    plain = TextAnalyzer().load()
    shipped = dict(plain.sentiment_heads_)
    kept = adapt_to_ratings(plain, noise, seed=7)
    assert (kept.table["kept"] == "shipped").all() and not kept.heads
    # each row's reason is a finding (message id + values) the report says in its language; `reason` stays English
    for row in pd.concat([found.table, kept.table]).itertuples():
        assert row.reason_message_id == f"text.ratings.reason.{row.kept}"
        values = json.loads(row.reason_values)
        assert values["gain"] == pytest.approx(row.accuracy_after - row.accuracy_before, abs=1e-3)
        german = render(Finding(row.reason_message_id, values), lang="de")
        assert "Genauigkeit" in german and "accuracy" not in german and "accuracy" in row.reason
    assert all(plain.sentiment_heads_[lang] is shipped[lang] for lang in shipped)


def test_text_adapt_cli_reports_before_after_and_saves_the_heads_that_gained(world, tmp_path):
    out = tmp_path / "adapted"
    result = CliRunner().invoke(main, ["text", "adapt", "--db", str(world), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "held-out accuracy" in result.output and "→" in result.output
    saved = sorted(p.name for p in out.glob("sentiment_*.joblib"))
    assert saved and (out / "MODEL_CARD.md").is_file()
    table = pd.read_csv(out / "ratings_adaptation.csv")
    assert sorted(f"sentiment_{lang}.joblib" for lang in table.loc[table.kept == "adapted", "lang"]) == saved
    # the saved heads score a file through --model
    src = tmp_path / "in.csv"
    pd.DataFrame({"comment": ["Die Lieferung kam viel zu spät.", "Great service, thank you!"]}).to_csv(src, index=False)
    scored = CliRunner().invoke(main, ["text", "score", str(src), "--text-column", "comment", "--out",
                                       str(tmp_path / "out.csv"), "--model", str(out)])
    assert scored.exit_code == 0, scored.output
    missing = CliRunner().invoke(main, ["text", "adapt", "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code != 0 and "no such store" in missing.output and "Traceback" not in missing.output


def test_flywheel_option_fits_the_heads_and_compares_languages_with_nps(world, tmp_path):
    """With the option on (the default) the text step fits the heads to the store's ratings (kept only for a
    significant gain) and stores, per comment language, NPS and detractor share beside the negative share of
    the same survey comments, computed from the same rows."""
    import shutil

    from empathica.flywheel.steps.text import text
    from empathica.settings import Settings

    path = tmp_path / "run.duckdb"
    shutil.copy(world, path)
    settings = Settings.load(config_file=tmp_path / "none.toml", progress=False)
    assert settings.text_adapt_ratings
    with Store.open(str(path), settings=settings) as store:
        section = text(RunContext(store=store, settings=settings, console=Console(quiet=True)))
        comparison = store.read_result("text_nps_by_lang").set_index("lang")
        adaptation = store.read_result("text_ratings_adaptation")
        feedback = store.table("feedback").to_pandas()
        scores = store.read_result("text_scores")
    assert set(adaptation["lang"]) == {"en", "de", "zh"} and set(adaptation["kept"]) <= {"adapted", "shipped"}
    adapted = adaptation[adaptation["kept"] == "adapted"]
    assert (adapted["p_value"] <= 0.05).all() and (adapted["accuracy_after"] >= adapted["accuracy_before"] + 0.01).all()
    # one truth: the comparison recomputed from the stored rows
    rows = feedback[feedback["nps"].notna()].astype({"response_id": str}).merge(
        scores[scores["source_table"] == "feedback"], left_on="response_id", right_on="source_id")
    for lang, group in rows.groupby("lang"):
        assert comparison.loc[lang, "comments"] == len(group)
        assert comparison.loc[lang, "detractor_share"] == pytest.approx((group["nps"] <= 6).mean(), abs=1e-3)
        assert comparison.loc[lang, "negative_share"] == pytest.approx((group["sentiment"] == "negative").mean(), abs=1e-3)
    shown = {getattr(b, "source", None) for b in section.blocks}
    assert {"result_text_nps_by_lang", "result_text_ratings_adaptation"} <= shown
    # the report's table says which head was kept and why in the reader's language, from the stored rows
    table = next(b for b in section.blocks if getattr(b, "source", None) == "result_text_ratings_adaptation")
    speaker = Speaker("de", "EUR")
    for _, row in table.frame.iterrows():
        cells = [speaker.cell(row, column, kind) for column, kind in table.columns.items()]
        assert cells[-1] == render(Finding(row["reason_message_id"], json.loads(row["reason_values"])), lang="de")
        assert cells[-2] in ("mitgeliefertes Modell", "angepasstes Modell")
        assert not any("accuracy" in c or c in ("shipped", "adapted") for c in cells), cells
