import pandas as pd

from empathica.understand.distinct import score_distinct


def test_each_distinct_key_is_scored_once_and_rows_come_back_in_order():
    calls = []

    def score(positions):
        calls.append(list(positions))
        return pd.DataFrame({"pos": positions}, index=[100 + p for p in positions])

    keys = ["a", "b", "a", None, "c", "b", None]
    out = score_distinct(keys, score)
    assert calls == [[0, 1, 3, 4]]
    assert out["pos"].tolist() == [0, 1, 0, 3, 4, 1, 3]
    assert out.index.tolist() == list(range(7))


def test_all_distinct_and_empty_inputs():
    out = score_distinct(["x", "y"], lambda p: pd.DataFrame({"pos": p}))
    assert out["pos"].tolist() == [0, 1]
    assert len(score_distinct([], lambda p: pd.DataFrame({"pos": p}))) == 0


def test_text_analyzer_gives_duplicates_the_same_result_as_a_single_text():
    from empathica.understand.text import TextAnalyzer

    analyzer = TextAnalyzer.default()
    texts = ["The parcel is two weeks late!", "快递太慢了", "The parcel is two weeks late!", None, ""]
    many = analyzer.analyze(texts)
    one = analyzer.analyze(["The parcel is two weeks late!"])
    assert len(many) == 5
    assert many.loc[0].drop("aspects").equals(many.loc[2].drop("aspects"))
    assert many.loc[0, "sentiment"] == one.loc[0, "sentiment"] == "negative"
    assert many.loc[1, "lang"] == "zh" and many.loc[3, "lang"] == "und"


def test_empathy_model_scores_duplicates_like_single_replies():
    from empathica.understand.empathy.model import EmpathyModel

    model = EmpathyModel.load()
    replies = ["I'm so sorry, that sounds stressful. How are you holding up?", "Pls send RMA no.",
               "I'm so sorry, that sounds stressful. How are you holding up?"]
    many = model.score(replies)
    single = model.score(replies[:1])
    assert many.loc[0, "empathy"] == many.loc[2, "empathy"] == single.loc[0, "empathy"]
    assert many.loc[1, "empathy"] < many.loc[0, "empathy"]
