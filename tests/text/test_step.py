"""The flywheel step on the demo world: every text scored once, incrementally, planted pain points found."""

import json

import numpy as np
import pytest
from rich.console import Console

from empathica.demo.truths import TRUTHS
from empathica.flywheel import RunContext
from empathica.store import Store
from empathica.report.i18n import render


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from empathica.demo import generate_world
    from empathica.listen import ingest_files

    folder = tmp_path_factory.mktemp("demo")
    world = generate_world(folder / "data", customers=200, seed=7)
    store = Store.open(str(folder / "demo.duckdb"))
    ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
    yield store
    store.close()


def _run(store):
    from empathica.flywheel.steps.text import text

    ctx = RunContext(store=store, settings=store.settings, console=Console(quiet=True))
    return text(ctx)


def test_step_scores_every_text_once_and_finds_planted_pain_points(demo_store):
    section = _run(demo_store)
    scores = demo_store.read_result("text_scores")
    expected = sum(
        int(demo_store.table(t).filter(demo_store.table(t)[c].notnull() & (demo_store.table(t)[c].strip() != "")).count().execute())
        for t, c in [("feedback", "comment"), ("reviews", "text"), ("turns", "text"), ("values_answers", "answer"), ("employee_surveys", "comment")]
    )
    assert len(scores) == expected > 0
    assert not scores.duplicated(["source_table", "source_id"]).any()
    assert all(isinstance(json.loads(a), list) for a in scores["aspects"])
    assert set(scores["lang"]) >= {"en", "de", "zh"}
    # the demo world plants delivery_delay, then refund, as the top pain points: delivery_delay is found
    # first, and refund among the top three (in a 200-customer world it runs neck and neck with price)
    first, second = TRUTHS.top_pain_points
    assert section.data["pain_points"][0] == first
    assert second in section.data["pain_points"][:3]
    pains = demo_store.read_result("text_pain_points")
    assert pains["aspect"].tolist() == section.data["pain_points"]
    assert all(len(q) > 0 for q in pains["quotes"].map(json.loads))
    assert not section.skipped and any(type(b).__name__ == "Figure" for b in section.blocks)
    by = demo_store.read_result("text_sentiment_by")
    assert set(by["dimension"]) == {"touchpoint", "channel", "lang", "month"}
    emo = demo_store.read_result("text_emotion_by")
    assert set(emo["dimension"]) == {"touchpoint", "channel", "lang", "month"}
    shares = emo.groupby(["dimension", "value"])["share"].sum()
    assert np.allclose(shares, 1.0, atol=1e-3)  # each value's texts split over the emotions
    shown = [b for b in section.blocks if type(b).__name__ == "TableBlock" and b.source == "result_text_emotion_by"]
    assert len(shown) == 1
    table = shown[0].frame
    assert set(table["dimension"]) == {"touchpoint", "channel", "lang", "month"}
    assert set(table["dominant"]) <= {"anger", "frustration", "anxiety", "sadness", "joy", "gratitude", "neutral"}
    # the sentiment table shows every row (it was cut at 25 of 27, hiding en and zh)
    sentiment = [b for b in section.blocks if type(b).__name__ == "TableBlock" and b.source == "result_text_sentiment_by"]
    assert len(sentiment) == 1 and sentiment[0].max_rows >= len(sentiment[0].frame)
    assert set(sentiment[0].frame.loc[sentiment[0].frame["dimension"] == "lang", "value"]) >= {"en", "de", "zh"}
    # store texts are redacted at ingest (setting redact_pii), so the topics of the report carry no e-mail address
    topics = demo_store.read_result("text_topics")
    assert not topics["keywords"].str.contains("@").any() and not topics["quotes"].astype(str).str.contains(r"\w@\w").any()

    # incremental: a second run scores nothing new and keeps the same rows
    again = _run(demo_store)
    assert "(0 new this run)" in render(again.summary[0])
    assert len(demo_store.read_result("text_scores")) == len(scores)


def test_step_without_text_says_what_is_missing(tmp_path):
    from empathica.errors import NotEnoughDataError

    with Store.open(str(tmp_path / "empty.duckdb")) as store:
        with pytest.raises(NotEnoughDataError, match="no free text"):
            _run(store)
