"""The empathy score is not reply length: a long transactional reply scores below a short empathic one
in every language, and the score correlates with human ratings with length held fixed."""

from __future__ import annotations

import numpy as np
import pytest

from empathica.understand.empathy import score_responses
from empathica.understand.empathy.corpora import load_epitome, load_personas
from empathica.understand.empathy.cues import word_length
from empathica.understand.empathy.training import partial_rank_correlation

LONG_TRANSACTIONAL = {
    "en": "Thank you for contacting us regarding your order. Your order number 12345 has been dispatched from our warehouse "
          "and is currently in transit with our courier partner. Delivery is expected within three to five business days "
          "according to the shipping policy. Tracking information is available in your account under the orders section.",
    "de": "Vielen Dank für Ihre Nachricht bezüglich Ihrer Bestellung. Ihre Bestellung mit der Nummer 12345 wurde aus unserem "
          "Lager versendet und befindet sich derzeit beim Versanddienstleister. Die Lieferung erfolgt gemäß den "
          "Versandbedingungen innerhalb von drei bis fünf Werktagen. Die Sendungsverfolgung finden Sie in Ihrem Kundenkonto.",
    "zh": "感谢您联系我们。您的订单12345已经从仓库发出，目前由快递公司配送中。根据配送规则，预计三到五个工作日内送达。"
          "物流信息可以在您的账户订单页面查看，如有其他问题请联系客服。",
}
SHORT_EMPATHIC = {"en": "I'm so sorry, that sounds awful.", "de": "Das tut mir so leid, das klingt furchtbar.",
                  "zh": "真的很抱歉，听起来太糟糕了。"}


@pytest.mark.parametrize("language", ["en", "de", "zh"])
def test_a_long_transactional_reply_scores_below_a_short_empathic_one(language):
    scored = score_responses([LONG_TRANSACTIONAL[language], SHORT_EMPATHIC[language]])
    assert list(scored["language"]) == [language, language]
    assert word_length(LONG_TRANSACTIONAL[language], language) > 4 * word_length(SHORT_EMPATHIC[language], language)
    long_, short = scored["empathy"]
    assert long_ < 0.5 < short and short - long_ > 0.25, scored["empathy"]


def test_epitome_held_out_score_adds_to_length():
    ep = load_epitome()
    test = ep[ep["is_test"]]
    texts = test["response_post"].fillna("").tolist()
    score = score_responses(texts)["empathy"].to_numpy()
    rating = test[["emotional_reactions", "interpretations", "explorations"]].sum(axis=1).to_numpy()
    length = np.array([word_length(t, "en") for t in texts])
    assert partial_rank_correlation(score, rating, length) >= 0.20
    # a score that is length in disguise has a partial correlation near 0
    assert abs(partial_rank_correlation(length + 0.01 * np.arange(len(length)) / len(length), rating, length)) < 0.1


def test_chinese_personas_score_adds_to_length():
    p = load_personas()
    score = score_responses(p["zh"].tolist())["empathy"].to_numpy()
    length = np.array([word_length(t, "zh") for t in p["zh"]])
    assert partial_rank_correlation(score, p["score"].to_numpy(), length) >= 0.20
