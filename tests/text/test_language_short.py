"""Short German texts are German: lingua alone calls "Der Service war super, danke!" English (0.54); below
its confidence of 0.8 function words decide, and a true coin-flip without them is 'und'."""

import pytest

from empathica.understand.text import detect_language
from empathica.understand.text.language import COIN_FLIP, SURE, latin_language, word_evidence


def test_short_german_texts_are_german():
    texts = ["Der Service war super, danke!", "Team war super", "Kein Support", "Das war nix", "Alles gut"]
    assert detect_language(texts) == ["de"] * len(texts)


def test_short_english_texts_stay_english():
    texts = ["Great service", "Where is my refund?", "The app was down again", "Not good", "Thanks, all good"]
    assert detect_language(texts) == ["en"] * len(texts)


def test_mixed_texts_keep_the_documented_rule():
    texts = ["Der Zug war pünktlich, but the refund never came 退款还没到", "快递太慢了，等了十天才到，customer service never answered"]
    assert detect_language(texts) == ["zh", "zh"]


@pytest.mark.parametrize("text,german,expected", [
    ("Status Update", 0.47, "und"),        # a coin-flip for lingua, no function word of either language
    ("Login Problem", 0.63, "de"),         # lingua's lean stands from COIN_FLIP on
    ("Kein Support", 0.50, "de"),          # a German function word settles a coin-flip
    ("the Bahn", 0.55, "en"),              # ... and an English one
    ("Der Service", 0.95, "de"),
    ("Der Service", 0.10, "en"),           # a sure lingua is not second-guessed
])
def test_the_decision_rule(text, german, expected):
    assert COIN_FLIP < SURE
    assert latin_language(text, german) == expected


def test_word_evidence_counts_function_words_and_umlauts():
    assert word_evidence("Der Service war super, danke!") == 3
    assert word_evidence("The service was great, thanks!") == -3  # "was" is German too ("was" = what): neither
    assert word_evidence("Was ist los?") == 1 and detect_language(["Was ist los?"]) == ["de"]
    assert word_evidence("Rückerstattung") == 1
    assert word_evidence("Service super") == 0  # shared words are evidence of neither
