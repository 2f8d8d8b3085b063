"""Emotion cues respect negation: a negated joy cue ("nicht zufrieden", "not happy") is evidence of the
opposite polarity, never of joy; a negated negative cue ("not worried") is evidence of nothing."""

import pytest

from empathica.understand.text.analyzer import emotion_cues, is_negated


@pytest.mark.parametrize("text", ["Ich bin nicht zufrieden.", "Überhaupt nicht zufrieden, viel zu teuer",
                                  "Nicht besonders zufrieden mit dem Service", "Ich war gar nicht zufrieden mit der Beratung"])
def test_negated_german_joy_cue_does_not_flip_to_positive(analyzer, text):
    row = analyzer.analyze([text]).iloc[0]
    assert row["lang"] == "de"
    assert row["sentiment"] != "positive" and row["emotion"] not in ("joy", "gratitude"), row.to_dict()


def test_the_german_override_now_reads_a_negated_cue_as_negative(analyzer):
    rows = analyzer.analyze(["Ich bin nicht zufrieden.", "Überhaupt nicht zufrieden, viel zu teuer"])
    assert rows["sentiment"].tolist() == ["negative", "negative"]


def test_unnegated_and_contrasted_cues_keep_their_polarity(analyzer):
    rows = analyzer.analyze(["Ich bin sehr zufrieden.", "Nicht billig, aber super", "Kein Stress, alles super"])
    assert rows["sentiment"].tolist() == ["positive"] * 3
    assert set(rows["emotion"]) == {"joy"}


@pytest.mark.parametrize("text", ["I am not happy with this", "I wasn't happy at all", "I don’t love it, not pleased"])
def test_negated_english_joy_cue_is_not_joy(analyzer, text):
    assert analyzer.analyze([text]).loc[0, "emotion"] not in ("joy", "gratitude")


def test_cue_counts_with_negation(analyzer):
    lexicon = analyzer.emotion_lexicon_
    assert emotion_cues(lexicon, "Ich bin nicht zufrieden", "de") == {"frustration": 1}
    assert emotion_cues(lexicon, "Ich bin zufrieden", "de") == {"joy": 1}
    assert emotion_cues(lexicon, "not worried at all", "en") == {}
    assert emotion_cues(lexicon, "worried", "en") == {"anxiety": 1}
    assert emotion_cues(lexicon, "不满意", "zh") == {"frustration": 1}
    assert emotion_cues(lexicon, "特别满意", "zh") == {"joy": 1}  # 特别 is not a negator
    assert emotion_cues(lexicon, "nie wieder", "de") == {"anger": 1}  # the negator inside a cue is the cue


def test_negation_window_and_clause():
    text = "nicht gut und auch sonst nie so richtig zufrieden"
    assert is_negated(text, text.index("zufrieden"), "de")  # "nie" three words before
    text = "nicht schnell geliefert, die Ware ist super"
    assert not is_negated(text, text.index("super"), "de")  # a comma ends the negation's reach
    text = "Not once in all those long years was it great"
    assert not is_negated(text, text.index("great"), "en")  # further back than the window


@pytest.mark.parametrize("text, lang", [("Ich war noch nie so zufrieden", "de"), ("Noch nie so zufrieden gewesen!", "de"),
                                        ("Ich war noch nie so zufrieden mit einem Kundenservice", "de"),
                                        ("Nichts als zufrieden", "de"), ("I have never been so happy with a service", "en")])
def test_never_so_happy_is_praise_not_negation(analyzer, text, lang):
    """"Never … so <cue>" compares upwards (reviewer's finding: these were read as negated joy, so frustration)."""
    assert emotion_cues(analyzer.emotion_lexicon_, text, lang) == {"joy": 1}
    if lang == "de":  # the German override decides from the cues; the English sentence is the head's to judge
        row = analyzer.analyze([text]).iloc[0]
        assert row["sentiment"] == "positive" and row["emotion"] == "joy", row.to_dict()


def test_not_so_and_never_really_stay_negations(analyzer):
    lexicon = analyzer.emotion_lexicon_
    assert emotion_cues(lexicon, "Ich bin nicht so zufrieden", "de") == {"frustration": 1}
    assert emotion_cues(lexicon, "nie so richtig zufrieden", "de") == {"frustration": 1}
    assert emotion_cues(lexicon, "I am not so happy", "en") == {"frustration": 1}
