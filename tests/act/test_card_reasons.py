"""The card's churn and detractor reasons stay a list whether the value step stores them as text or as codes."""

from empathica.act.card import _value


def _fact(churn_reasons):
    return {"p_churn": 0.4, "churn_reasons": churn_reasons, "clv": None, "p_detractor": None,
            "detractor_reasons": None, "empathy_received": None}


def test_reasons_as_text_or_as_codes_with_values_give_a_list():
    assert _value(_fact("tenure short; 3 complaints"))["churn"]["reasons"] == ["tenure short", "3 complaints"]
    codes = '[{"code": "value.churn.reason.complaints", "values": {"n": 3}}]'
    assert _value(_fact(codes))["churn"]["reasons"] == [{"code": "value.churn.reason.complaints", "values": {"n": 3}}]
    assert _value(_fact(None))["churn"]["reasons"] == []
    assert _value(_fact("[not json; at all"))["churn"]["reasons"] == ["[not json", "at all"]
