from empathica.understand.empathy import find_jargon


def test_flags_abbreviations_and_shorthand():
    assert find_jargon("Pls provide OID. Parcel is in transit, ETA 3-5 BD per SLA.") == ["Pls", "OID", "ETA", "BD", "SLA"]
    assert find_jargon("As per T&Cs we will refund asap") == ["T&Cs", "asap"]


def test_abbreviation_explained_nearby_is_fine():
    assert find_jargon("Our service level agreement (SLA) promises five days.") == []
    assert find_jargon("The SLA (service level agreement) promises five days.") == []
    assert find_jargon("Send it back with the Return Merchandise Authorization RMA number.") == []


def test_everyday_acronyms_and_plain_text_pass():
    assert find_jargon("Your PIN and the PDF are in the email. I'm so sorry about the wait!") == []


def test_german_and_chinese():
    assert find_jargon("Bitte RMA-Nr. und BestNr. angeben, Bearbeitung gem. SLA 5-7 WT.", "de") == ["RMA", "BestNr.", "gem.", "SLA", "WT"]
    assert find_jargon("请提供RMA号和订单号，工单已转二线。", "zh") == ["RMA", "工单", "二线"]
    assert find_jargon("很抱歉让您久等了。", "zh") == []
