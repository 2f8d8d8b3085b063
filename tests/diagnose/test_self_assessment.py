"""The maturity self-assessment: answered in a file, on the CLI prompt or through the API, checked, stored, and
used by the diagnose step; its stage moves with the answers and a self-assessment far above the data is a blind spot."""

from __future__ import annotations

import json

import pytest

from empathica.diagnose.maturity import assess, check_answers, load_questionnaire, read_answers, self_scores
from empathica.errors import InputError


@pytest.fixture
def questionnaire():
    return load_questionnaire()


def test_every_question_has_three_languages_and_a_known_input(questionnaire):
    assert {q["input"] for q in questionnaire.questions} == set(questionnaire.inputs)
    for q in questionnaire.questions:
        assert q["en"] and q["de"] and q["zh"] and q["de"] != q["en"]


def test_answer_files_are_read_from_toml_and_json_and_bad_ones_named(tmp_path, questionnaire):
    ids = [q["id"] for q in questionnaire.questions]
    (tmp_path / "a.toml").write_text("\n".join(f"{i} = 3" for i in ids), encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps({"answers": {i: 4 for i in ids}}), encoding="utf-8")
    assert set(read_answers(tmp_path / "a.toml", questionnaire).values()) == {3}
    assert set(read_answers(tmp_path / "a.json", questionnaire).values()) == {4}
    with pytest.raises(InputError, match=r"a.toml.*'value_empathy' has answer 7"):
        (tmp_path / "a.toml").write_text("\n".join(f"{i} = {7 if i == 'value_empathy' else 3}" for i in ids), encoding="utf-8")
        read_answers(tmp_path / "a.toml", questionnaire)
    with pytest.raises(InputError, match="no answer to"):
        check_answers({ids[0]: 3}, questionnaire, where="x")
    with pytest.raises(InputError, match="'nonsense' is unknown"):
        check_answers({"nonsense": 3}, questionnaire, where="x")


def test_the_stage_follows_evidence_and_answers_and_blind_spots_are_named(questionnaire):
    evidence = {"empathy_level": 0.2, "ex_cx_link": 0.0, "measured_effect_share": 0.1, "closed_loop_rate": 0.1}
    low = {q["id"]: 1 for q in questionnaire.questions}
    high = {q["id"]: 5 for q in questionnaire.questions}
    stage_low, _ = assess(evidence, low, questionnaire)
    stage_high, inputs = assess(evidence, high, questionnaire)
    assert stage_low["stage"] == "transactional" and stage_high["stage_number"] > stage_low["stage_number"]
    assert stage_high["maturity_index"] == pytest.approx(0.6 * 0.1 + 0.4 * 1.0)
    assert inputs.set_index("input").loc["culture", "blind_spot"]  # says 100 %, the data show 0 %
    assert not inputs.set_index("input").loc["blind_spots", "blind_spot"]  # no data evidence: never a blind spot
    assert self_scores(high, questionnaire)["culture"] == 1.0


def test_the_cli_stores_a_file_and_a_prompted_assessment_and_the_api_one_more(tmp_path, questionnaire):
    from click.testing import CliRunner

    from empathica.cli import main
    from empathica.flywheel.steps.diagnose import latest_answers
    from empathica.schema.results import DIAGNOSE_SELF_ASSESSMENT
    from empathica.settings import Settings
    from empathica.store import Store

    db = tmp_path / "s.duckdb"
    settings = Settings.load(config_file=tmp_path / "none.toml", progress=False)
    with Store.open(db, settings=settings):
        pass
    ids = [q["id"] for q in questionnaire.questions]
    (tmp_path / "a.toml").write_text("\n".join(f"{i} = 2" for i in ids), encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(main, ["diagnose", "--db", str(db), "--self-assessment", str(tmp_path / "a.toml"), "--no-run",
                               "--no-pdf", "--out", str(tmp_path / "r")])
    assert "self-assessment sa_" in out.output  # stored; the report then says no diagnosis is stored yet
    prompted = runner.invoke(main, ["diagnose", "--db", str(db), "--assess", "--lang", "de", "--no-run", "--no-pdf",
                                    "--out", str(tmp_path / "r")], input="\n".join(["5"] * len(ids)) + "\n")
    assert "Wir wissen, was unsere Kundinnen" in prompted.output
    with Store.open(db, settings=settings, read_only=True) as store:
        rows = store.read_result(DIAGNOSE_SELF_ASSESSMENT)
        answers, _ = latest_answers(store)
    assert sorted(rows["source"].unique()) == ["cli", "file"] and len(rows) == 2 * len(ids)
    assert set(answers.values()) == {5}  # the latest one counts
