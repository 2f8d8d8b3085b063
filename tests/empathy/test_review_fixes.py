"""Follow-ups from the review of issue 5: optional transcript columns, real line numbers, the CLI's
handling of encodings, delimiters, output formats and folders, and whole-number levels."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from empathica.cli import main
from empathica.understand.empathy import read_transcript, validate_transcript

# outcome, customer_id and timestamp are optional columns that must be carried through
TRANSCRIPT = """conversation_id,turn_index,speaker,agent_id,text,outcome,customer_id,timestamp
c1,0,customer,,"My parcel is late AGAIN and I'm furious!",resolved,u1,2025-01-02T10:00
c1,1,agent,a1,Pls provide OID.,resolved,u1,2025-01-02T10:05
c2,0,customer,,"My refund hasn't arrived and I'm really worried.
I have written three times.",escalated,u2,2025-01-03T09:00
c2,1,agent,a2,"I'm so sorry, that must be stressful. How are you holding up?",escalated,u2,2025-01-03T09:02

c3,0,customer,,"Где мой заказ? Уже неделя прошла!",resolved,u3,2025-01-04T08:00
c3,1,agent,a1,"Да, конечно, сейчас проверю.",resolved,u3,2025-01-04T08:01
c4,0,customer,,注文がまだ届きません。,resolved,u4,2025-01-05T08:00
c4,1,agent,a2,ご不便をおかけして申し訳ありません。,resolved,u4,2025-01-05T08:01
c5,0,customer,,أين طلبي؟,open,u5,2025-01-06T08:00
c5,1,agent,a1,نحن آسفون جدا,open,u5,2025-01-06T08:01
c6,0,customer,,where?,x,u6,2025-01-07,extra,extra
c6,1,agent,a3,"Hello",x,u6,2025-01-07
c7,0,customer,,12345,open,u7,2025-01-08
"""


@pytest.fixture
def transcript(tmp_path):
    path = tmp_path / "tr.csv"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    return path


def run(*args):
    return CliRunner().invoke(main, ["empathy", *map(str, args)])


def test_outcome_customer_and_timestamp_are_carried_through(transcript, tmp_path):
    out = tmp_path / "out"
    result = run("conversations", transcript, "--out", out)
    assert result.exit_code == 0, result.output
    conv = pd.read_csv(out / "conversations.csv", dtype=str).set_index("conversation_id")
    assert conv.loc["c1", "outcome"] == "resolved" and conv.loc["c2", "outcome"] == "escalated"
    assert conv.loc["c2", "customer_id"] == "u2" and conv.loc["c1", "started_at"] == "2025-01-02T10:00"
    agents = pd.read_csv(out / "agents.csv").set_index("agent_id")
    # a1 answered c1 (resolved), c3 (resolved), c5 (open); a2 answered c2 (escalated) and c4 (resolved)
    assert agents.loc["a1", "resolved_rate"] == pytest.approx(2 / 3, abs=1e-3)
    assert agents.loc["a2", "resolved_rate"] == pytest.approx(0.5)
    turns = pd.read_csv(out / "turns.csv", dtype=str)
    assert turns.loc[turns["conversation_id"] == "c1", "timestamp"].tolist() == ["2025-01-02T10:05"]


def test_quarantine_names_the_physical_line(transcript):
    clean, quarantine = validate_transcript(read_transcript(transcript), source=str(transcript))
    lines = dict(zip(quarantine["reason"], quarantine["line"]))
    # the quoted text of c2 spans lines 4–5 and line 7 is blank, so c6's malformed record is on line 14
    assert lines["malformed row (wrong number of fields)"] == 14
    assert TRANSCRIPT.splitlines()[14 - 1].startswith("c6,0,customer")
    assert lines["non-text content (empty, a number or binary data)"] == 16
    assert -1 not in set(quarantine["line"])
    # Cyrillic, Japanese and Arabic texts are text
    assert {"c3", "c4", "c5"} <= set(clean["conversation_id"])


def test_jsonl_lines_and_a_bad_json_line(tmp_path):
    rows = [{"conversation_id": "c1", "turn_index": 0, "speaker": "customer", "text": "My order is late!!"},
            {"conversation_id": "c1", "turn_index": 1, "speaker": "agent", "agent_id": "a1", "text": "99"},
            {"conversation_id": "c1", "turn_index": 2, "speaker": "agent", "agent_id": "a1", "text": "Sorry!"}]
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(rows[0]) + "\n\n" + json.dumps(rows[1]) + "\n" + json.dumps(rows[2]) + "\n", encoding="utf-8")
    _, quarantine = validate_transcript(read_transcript(path))
    assert quarantine["line"].tolist() == [3]
    path.write_text(path.read_text(encoding="utf-8") + "not json\n", encoding="utf-8")
    result = run("conversations", path, "--out", tmp_path / "o")
    assert result.exit_code != 0 and "line 5 is not valid JSON" in result.output and "Traceback" not in result.output


def test_cli_reads_gbk_and_latin1_and_tab_and_semicolon_files(tmp_path):
    cases = {"gbk.csv": ("q,a\n我的退款还是没到，我很着急！,很抱歉给您带来不便，您现在还好吗？\n", "gbk", "很抱歉"),
             "latin.csv": ("q;a\nMein Paket fehlt;Es tut mir sehr leid, wie geht es Ihnen? Grüße\n", "latin-1", "Grüße"),
             "tab.tsv": ("q\ta\nhi\tSorry! How are you?\n", "utf-8", "How are you?")}
    for name, (text, encoding, expect) in cases.items():
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        out = tmp_path / (name + ".out.csv")
        result = run("score", path, "--response-column", "a", "--out", out)
        assert result.exit_code == 0, (name, result.output)
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
        assert len(rows) == 1 and expect in rows[0]["a"], name
        assert int(rows[0]["emotional_reactions"]) > 0, name


def test_cli_creates_the_output_folder_and_writes_the_format_named(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a\nI'm so sorry. How are you holding up?\n\"\"\nPlease send the order number.\n", encoding="utf-8")
    for name in ("new/deeper/s.csv", "p/s.parquet", "j/s.jsonl"):
        result = run("score", path, "--response-column", "a", "--out", tmp_path / name)
        assert result.exit_code == 0, result.output
    assert (tmp_path / "p/s.parquet").read_bytes()[:4] == b"PAR1"
    parquet = pd.read_parquet(tmp_path / "p/s.parquet")
    assert str(parquet["explorations"].dtype) == "Int64" and parquet["explorations"].isna().tolist() == [False, True, False]
    lines = (tmp_path / "j/s.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert isinstance(first["explorations"], int) and first["explorations"] > 0
    assert json.loads(lines[1])["explorations"] is None
    blocked = tmp_path / "file"
    blocked.write_text("x")
    bad = run("conversations", path, "--out", blocked / "sub")
    assert bad.exit_code != 0 and "Traceback" not in bad.output


def test_score_levels_are_whole_numbers_in_the_csv_text(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a\nI'm so sorry. How are you holding up?\n\"\"\nPls provide OID.\n", encoding="utf-8")
    out = tmp_path / "s.csv"
    assert run("score", path, "--response-column", "a", "--out", out).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    for col in ("emotional_reactions", "interpretations", "explorations"):
        assert rows[0][col] in {"0", "1", "2"} and rows[2][col] in {"0", "1", "2"}, rows[0][col]
        assert rows[1][col] == ""  # no text: no level
    assert rows[0]["emotional_reactions"] == "2" and rows[1]["note"] == "no text in a"


PROCEDURAL = ["What is your order number?", "Did you check your spam folder?", "Have you tried restarting the app?",
              "Could you confirm your email address?", "Purchase or refinance?", "Wie lautet Ihre Bestellnummer?",
              "Können Sie mir Ihre Bestellnummer nennen?", "您的订单号是多少？", "请确认您的邮箱地址是否正确？"]


def test_transactional_questions_are_not_explorations():
    from empathica.understand.empathy import score_responses
    from empathica.understand.empathy.cues import procedural_only

    scored = score_responses(PROCEDURAL + ["How are you holding up after all this?",
                                           "What is your order number? And how are you feeling about all this?"])
    assert scored["explorations"].tolist()[: len(PROCEDURAL)] == [0] * len(PROCEDURAL)
    assert scored["explorations"].iloc[-2] > 0 and scored["explorations"].iloc[-1] > 0
    assert not procedural_only("How are you holding up after all this?", "en")
    assert not procedural_only("Your order number is 123.", "en")  # no question: the rule does not apply


def test_a_furious_customer_asked_for_an_order_number_is_a_gap_in_every_language(tmp_path):
    from empathica.understand.empathy import analyze_conversations

    path = tmp_path / "gap.csv"
    path.write_text("""conversation_id,turn_index,speaker,agent_id,text
e1,0,customer,,"My parcel is late AGAIN and I'm furious!! Third time this month!"
e1,1,agent,a1,What is your order number?
d1,0,customer,,"Mein Paket ist schon wieder nicht angekommen, ich bin total verärgert!!"
d1,1,agent,a1,Wie lautet Ihre Bestellnummer?
z1,0,customer,,我的快递又没到，我非常生气！！
z1,1,agent,a1,您的订单号是多少？
""", encoding="utf-8")
    clean, quarantine = validate_transcript(read_transcript(path))
    result = analyze_conversations(clean, quarantine=quarantine, use_text_analyzer=False)
    gaps = result.turns.set_index("conversation_id")
    assert gaps.loc[["e1", "d1", "z1"], "language"].tolist() == ["en", "de", "zh"]
    assert gaps["empathy_gap"].all(), gaps[["language", "explorations", "context_distress"]]


def test_score_keeps_a_column_named_line_and_names_the_line_of_a_ragged_record(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('line,a\nL1,"Sorry!\nHow are you?"\nL2,Pls provide OID.\n', encoding="utf-8")
    out = tmp_path / "s.csv"
    assert run("score", path, "--response-column", "a", "--out", out).exit_code == 0
    assert [r["line"] for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))] == ["L1", "L2"]
    path.write_text(path.read_text(encoding="utf-8") + "L3,hello,extra\n", encoding="utf-8")
    bad = run("score", path, "--response-column", "a", "--out", out)
    assert bad.exit_code != 0 and "line 5 has more fields" in bad.output
    assert "unknown file type" in run("score", path, "--response-column", "a", "--out", tmp_path / "x.txt").output
