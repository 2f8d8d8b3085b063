"""Distress from the customer's own words in zh/de/en (anger, waiting, repeated contact, loss, fear,
grief), so a cold reply to it is an empathy gap in every language, and recall on real customer messages."""

from __future__ import annotations

import pandas as pd
import pytest

from empathica.understand.empathy import analyze_conversations, customer_distress
from empathica.understand.empathy.corpora import distress_check_set
from empathica.understand.empathy.distress import DISTRESS_THRESHOLD, distress_kinds

EXCHANGES = [
    ("de", "Ich warte seit drei Wochen auf meine Rückerstattung!!", "Bitte Kundennummer angeben."),
    ("zh", "退款到现在还没到账，太过分了！", "请提供订单号。"),
    ("en", "I've been waiting three weeks for my refund!!", "Please provide your order number."),
]


def test_the_issues_examples_are_empathy_gaps_in_every_language():
    rows = []
    for i, (_, said, reply) in enumerate(EXCHANGES):
        rows += [{"conversation_id": f"c{i}", "turn_index": 0, "speaker": "customer", "agent_id": None, "text": said},
                 {"conversation_id": f"c{i}", "turn_index": 1, "speaker": "agent", "agent_id": "a1", "text": reply}]
    # without any sentiment score: the words alone must carry the distress
    turns = analyze_conversations(pd.DataFrame(rows), use_text_analyzer=False).turns.set_index("conversation_id")
    assert turns["context_distress"].min() >= DISTRESS_THRESHOLD, turns["context_distress"]
    assert turns["empathy_gap"].all(), turns[["language", "text", "empathy_gap"]]
    assert list(turns["language"]) == ["de", "zh", "en"]


@pytest.mark.parametrize(("language", "text", "kinds"), [
    ("en", "My husband passed away and I'm so scared the account will be closed", {"grief", "fear"}),
    ("de", "Ich habe schon dreimal angerufen und niemand hilft, ich bin verzweifelt", {"repeated_contact", "waiting", "fear"}),
    ("zh", "手机丢了，我很害怕，已经打了好几次电话", {"loss", "fear", "repeated_contact"}),
])
def test_each_kind_of_distress_is_found_without_stress_words(language, text, kinds):
    assert kinds <= set(distress_kinds(text, language))
    assert customer_distress([text], [language], use_text_analyzer=False)["distress"].item() >= DISTRESS_THRESHOLD


@pytest.mark.parametrize(("language", "text"), [
    ("en", "Thanks, the parcel arrived today and it's lovely."), ("en", "Does the lamp come with a UK plug?"),
    ("de", "Danke, alles angekommen, super Service."), ("zh", "谢谢，收到了，很满意。"),
])
def test_calm_messages_are_not_distress_moments(language, text):
    assert customer_distress([text], [language], use_text_analyzer=False)["distress"].item() < DISTRESS_THRESHOLD


@pytest.fixture(scope="module")
def analyzer():
    from empathica.understand.text import TextAnalyzer

    return TextAnalyzer.default()


@pytest.mark.parametrize(("language", "source"), [
    ("en", None), ("de", None),
    # Chinese on data no phrase was chosen on (ChnSentiCorp's held-out hotel reviews); on NLPCC, which the
    # Chinese phrases were mined from and checked against, recall is 0.79 (bench/results.md, docs/empathy.md)
    ("zh", "chnsenticorp_heldout"),
])
def test_distress_recall_on_real_customer_messages(language, source, analyzer):
    s = distress_check_set(language, source=source)
    assert s["distressed"].sum() >= 150 and (~s["distressed"]).sum() >= 150
    d = customer_distress(s["text"].tolist(), [language] * len(s), text_analyzer=analyzer)
    flagged = d["distress"].to_numpy() >= DISTRESS_THRESHOLD
    assert flagged[s["distressed"].to_numpy()].mean() >= 0.8
    if source == "chnsenticorp_heldout":  # praise counts against (issue 24): false alarms were 0.48, recall 0.935
        assert flagged[s["distressed"].to_numpy()].mean() >= 0.9
        assert flagged[~s["distressed"].to_numpy()].mean() <= 0.35


def test_praise_counts_against_one_complaint_word_but_not_against_real_distress():
    mixed = "位置不错，服务很热情，就是早餐一般，有点差。"  # praise twice, one mild complaint
    assert distress_kinds(mixed, "zh") == ["dissatisfaction"]
    assert customer_distress([mixed], ["zh"], use_text_analyzer=False)["distress"].item() < DISTRESS_THRESHOLD
    assert customer_distress(["早餐有点差。"], ["zh"], use_text_analyzer=False)["distress"].item() >= DISTRESS_THRESHOLD
    angry = "房间不错，服务也很热情，可是退款到现在还没到账，太过分了！"
    assert customer_distress([angry], ["zh"], use_text_analyzer=False)["distress"].item() >= DISTRESS_THRESHOLD


def test_a_cue_weight_that_is_not_a_number_names_the_file_and_kind(tmp_path):
    from empathica.errors import InputError
    from empathica.understand.empathy.cue_files import load_cue_file

    bad = tmp_path / "cues.toml"
    bad.write_text('[praise]\nweight = "half"\nzh = ["不错"]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"cues\.toml: \[praise\] weight"):
        load_cue_file(bad)


def test_an_unknown_check_set_names_the_choices():
    from empathica.errors import InputError

    with pytest.raises(InputError, match="chnsenticorp_heldout"):
        distress_check_set("zh", source="weibo")
