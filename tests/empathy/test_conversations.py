"""Transcripts: validation and quarantine, conversation and agent tables, and the CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from empathica.cli import main
from empathica.errors import InputError, NothingReadError
from empathica.understand.empathy import analyze_conversations, read_transcript, validate_transcript

TRANSCRIPT = """conversation_id,turn_index,speaker,agent_id,text
c1,0,customer,,My parcel is late AGAIN and I'm furious! I needed it for my daughter's birthday!!
c1,1,agent,a1,Pls provide OID. ETA 3-5 BD per SLA.
c1,2,customer,,This is ridiculous.
c2,0,customer,,My refund still hasn't arrived and I'm really worried and stressed.
c2,1,agent,a2,"I'm so sorry, that must be really stressful. How are you holding up?"
c3,0,customer,,hello
c4,0,agent,a1,Hi there
c4,1,agent,a1,Anything else?
c5,0,kunde,,Ich bin total verärgert, schon wieder keine Lieferung!
c6,0,客户,,我的退款还是没到，我很着急！
c6,1,客服,a3,很抱歉给您带来不便，我理解您一定很着急。您现在还好吗？
c6,2,robot,,x
c7,x,customer,,hi
c7,1,agent,,hello
c8,0,customer,,12345
c8,1,agent,a2,OK
c9,0,customer,,Where is my order?
c9,1,agent,a9,Let me check that for you.
"""


@pytest.fixture
def transcript(tmp_path):
    path = tmp_path / "chats.csv"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    return path


def test_validation_quarantines_every_bad_row_with_a_reason(transcript):
    frame = read_transcript(transcript)
    clean, quarantine = validate_transcript(frame, source=str(transcript), known_agents={"a1", "a2", "a3"})
    assert set(clean["conversation_id"]) == {"c1", "c2", "c6"}
    reasons = quarantine.groupby("reason")["conversation_id"].apply(set).to_dict()
    # conversation checks run on the rows left after the row checks (c8 and c9 lose a turn first)
    assert reasons["single-turn conversation"] == {"c3", "c8", "c9"}
    assert reasons["conversation has only agent turns (no customer turn)"] == {"c4"}
    assert reasons["malformed row (wrong number of fields)"] == {"c5"}
    assert reasons["unknown speaker role (use customer, agent, bot or system)"] == {"c6"}
    assert reasons["turn order is not a whole number ≥ 0"] == {"c7"}
    assert reasons["agent turn without agent_id"] == {"c7"}
    assert reasons["non-text content (empty, a number or binary data)"] == {"c8"}
    assert reasons["unknown agent (not in employees)"] == {"c9"}
    # nothing dropped silently: every input row is either kept or quarantined
    assert len(clean) + len(quarantine) == TRANSCRIPT.count("\n") - 1


def test_each_quarantine_reason_is_a_finding_the_api_says_in_the_readers_language(transcript):
    """The stored English reason line stays; /results/empathy_quarantine adds ``reason_shown`` in the language asked."""
    import re

    from empathica.schema.results import EMPATHY_QUARANTINE
    from empathica.serve.reasons import result_reasons
    from empathica.understand.empathy.conversations import QUARANTINE_REASONS, quarantine_reason_findings

    _, quarantine = validate_transcript(read_transcript(transcript), source=str(transcript), known_agents={"a1", "a2"})
    assert len(set(quarantine["reason"])) >= 8
    for line in set(quarantine["reason"]):  # every reason the validator writes has its message id
        assert quarantine_reason_findings(line)[0]["id"] == QUARANTINE_REASONS[line]
    shown = {lang: result_reasons(quarantine, EMPATHY_QUARANTINE, lang) for lang in ("en", "de", "zh")}
    for i, line in enumerate(quarantine["reason"]):
        assert shown["en"]["reason"].iloc[i] == line  # stored as it was
        german, chinese = shown["de"]["reason_shown"].iloc[i], shown["zh"]["reason_shown"].iloc[i]
        assert len(german) == 1 and german != shown["en"]["reason_shown"].iloc[i], line
        assert re.search(r"[\u4e00-\u9fff]", chinese[0]), line
    assert quarantine_reason_findings("a line of another release")[0]["id"] == "quarantine.reason.unreadable"


def test_missing_column_and_nothing_usable_give_clear_errors(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("conversation_id,speaker,text\nc1,customer,hi\n", encoding="utf-8")
    with pytest.raises(InputError, match="no turn_index column"):
        read_transcript(path)
    frame = pd.DataFrame({"conversation_id": ["c1"], "turn_index": [0], "speaker": ["agent"], "agent_id": ["a"], "text": ["hi"]})
    with pytest.raises(NothingReadError, match="single-turn conversation"):
        validate_transcript(frame)


def test_analysis_finds_the_gap_and_builds_tables(transcript):
    clean, quarantine = validate_transcript(read_transcript(transcript))
    result = analyze_conversations(clean, quarantine=quarantine, use_text_analyzer=False)
    gaps = result.gaps
    assert gaps["conversation_id"].tolist() == ["c1"] and gaps["agent_id"].tolist() == ["a1"]
    conv = result.conversations.set_index("conversation_id")
    assert conv.loc["c1", "distress_moments"] >= 1 and conv.loc["c1", "empathy_gaps"] == 1
    path = conv.loc["c1", "customer_sentiment_path"]  # without the text analyzer: −distress of each customer turn
    assert len(path) == 2 and all(v < 0 for v in path) and path[0] == pytest.approx(conv.loc["c1", "customer_sentiment_first"], abs=1e-3)
    agents = result.agents.set_index("agent_id")
    assert agents.loc["a1", "empathy"] < agents.loc["a2", "empathy"]
    assert agents.loc["a1", "rank"] == len(agents)


def test_cli_conversations_writes_tables_and_quarantine(transcript, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["empathy", "conversations", str(transcript), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("turns", "conversations", "agents", "gaps", "quarantine"):
        assert (out / f"{name}.csv").exists()
    assert "quarantined" in result.output
    quarantine = pd.read_csv(out / "quarantine.csv")
    assert "single-turn conversation" in set(quarantine["reason"])


def test_cli_score(tmp_path):
    path = tmp_path / "replies.csv"
    pd.DataFrame({"q": ["My order is late again!!", "Where is it?", "hello"],
                  "a": ["I'm so sorry! How are you holding up?", "Pls provide OID.", ""]}).to_csv(path, index=False)
    out = tmp_path / "scored.csv"
    runner = CliRunner()
    result = runner.invoke(main, ["empathy", "score", str(path), "--context-column", "q", "--response-column", "a", "--out", str(out)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out)
    for col in ("emotional_reactions", "interpretations", "explorations"):
        assert {col, f"{col}_confidence", f"{col}_evidence"} <= set(scored.columns)
    assert json.loads(scored.loc[1, "jargon"]) == ["Pls", "OID"]
    assert scored.loc[0, "empathy"] > scored.loc[1, "empathy"]
    assert scored.loc[2, "note"] == "no text in a"
    bad = runner.invoke(main, ["empathy", "score", str(path), "--response-column", "nope", "--out", str(out)])
    assert bad.exit_code == 2 and "no column 'nope'" in bad.output


def test_cli_score_reads_customer_sentiment_with_the_settings_in_force(tmp_path, monkeypatch):
    """The distress of a German context turn uses the text analyzer the settings describe: with the German
    cue override off (text_cue_override = "") the rail-trained head's neutral verdict stands."""
    path = tmp_path / "replies.csv"
    pd.DataFrame({"q": ["Ich bin wirklich wütend, das Paket ist schon wieder nicht angekommen",
                        "Ich bin total enttäuscht vom Kundendienst"],
                  "a": ["Das tut mir sehr leid.", "Das verstehe ich, ich kümmere mich sofort darum."]}).to_csv(path, index=False)
    distress = {}
    for setting in ("de", ""):
        monkeypatch.setenv("EMPATHICA_TEXT_CUE_OVERRIDE", setting)
        out = tmp_path / f"scored{setting}.csv"
        result = CliRunner().invoke(main, ["empathy", "score", str(path), "--context-column", "q", "--response-column", "a",
                                           "--out", str(out)])
        assert result.exit_code == 0, result.output
        distress[setting] = pd.read_csv(out)["context_distress"].to_numpy()
    # the cues of the words alone already make both distressed; the override's negative sentiment adds to it
    assert (distress["de"] > distress[""]).all() and (distress[""] >= 0.5).all(), distress
