"""PII redaction: what it finds, and the ordinary numbers it must leave alone."""

from __future__ import annotations

import pyarrow as pa
import pytest

from empathica.listen.redaction import redact, redact_array, redact_many


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe+cx@example.co.uk now", "mail [EMAIL] now"),
        ("Call +49 171 2345678", "Call [PHONE]"),
        ("Tel. 030 12345678", "Tel. [PHONE]"),
        ("Ruf an: 0171-2345678!", "Ruf an: [PHONE]!"),
        ("(555) 123-4567", "[PHONE]"),
        ("+86 138 1234 5678", "[PHONE]"),
        ("我的手机号是13812345678，谢谢", "我的手机号是[PHONE]，谢谢"),
        ("身份证11010519491231002X", "身份证[ID]"),
        ("Karte 4111 1111 1111 1111 bitte", "Karte [CARD] bitte"),
        ("card 5500-0000-0000-0004", "card [CARD]"),
        ("IBAN DE89 3704 0044 0532 0130 00 danke", "IBAN [IBAN] danke"),
        ("GB82WEST12345698765432", "[IBAN]"),
        ("de89  3704 0044 0532 0130 00 (two spaces)", "[IBAN] (two spaces)"),
        ("DE89-3704-0044-0532-0130-00", "[IBAN]"),
        ("PLEASE HELP 917 703 1472", "PLEASE HELP [PHONE]"),  # a real airline tweet's phone number (topic quotes)
        ("call (917) 703 1472 now", "call [PHONE] now"),
    ],
)
def test_finds_personal_data(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Order 4711 cost 1,299.00 EUR",
        "total 1.299,00 € on 20.03.2024",
        "on 2024-03-15 at 14:30, amount 12345.67",
        "Bestellnummer 123456789",
        "order 1234567890123 ok",          # 13 digits, Luhn-invalid
        "4111 1111 1111 1112",             # card-shaped, fails Luhn
        "价格 399 元, 订单号 20240315001",
        "PLZ 10115 Berlin",
        "IBAN DE89370400440532013001 wrong",  # fails mod 97
        "110105194912310021",              # ID-shaped, wrong check digit
        "timestamp 1700000000",
        "version 1.2.3.4567890",
        "ratio 3/4, 10-12 days, 2023-2024",
        "booking 123 456 7890 ref",        # three-three-four, but no area code starts with 1
        "",
    ],
)
def test_leaves_ordinary_numbers_alone(text):
    assert redact(text) == text


def test_none_and_vectorised_variants_agree():
    texts = ["call 0171 2345678", None, "nothing here", "x@y.com"]
    assert redact(None) is None
    assert redact_many(texts) == [redact(t) for t in texts]
    out = redact_array(pa.array(texts))
    assert out.to_pylist() == ["call [PHONE]", None, "nothing here", "[EMAIL]"]
    clean = pa.array(["a", "b"])
    assert redact_array(clean).to_pylist() == ["a", "b"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Mail info@bäckerei-schmidt.de bitte", "Mail [EMAIL] bitte"),
    ("anna-lena.schröder@gmx.de", "[EMAIL]"),
    ("max [at] firma [dot] de", "[EMAIL]"),
    ("联系我abc@example.com谢谢", "联系我[EMAIL]谢谢"),
    ("电话+8613912345678", "电话[PHONE]"),
    ("call 1-800-555-0199", "call [PHONE]"),
    ("0049 30 12345678", "[PHONE]"),
    ("030 - 123 456 78", "[PHONE]"),
    ("电话：１３９１２３４５６７８", "电话：[PHONE]"),
    ("身份证 110105491231002", "身份证 [ID]"),
    # look-alike numbers stay
    ("Rechnungsnummer 0012345678", "Rechnungsnummer 0012345678"),
    ("Kundennummer 0301234567", "Kundennummer 0301234567"),
    ("Bestellnummer 4111111111111111", "Bestellnummer 4111111111111111"),
    ("EAN 4006381333931", "EAN 4006381333931"),
    ("订单号 0012345678901", "订单号 0012345678901"),
    # German phone numbers with a spaced slash or dash and the subscriber number in pairs
    ("Rufen Sie unter 0511 / 76 54 32 10 an", "Rufen Sie unter [PHONE] an"),
    ("Tel. 0341 / 7 65 43 21, Fax folgt", "Tel. [PHONE], Fax folgt"),  # one digit before the pairs
    ("Die Steuer-Identifikationsnummer ist 86095742719.", "Die Steuer-Identifikationsnummer ist [ID]."),  # a long word before the number
    ("Tel. 089 / 12 34 56 78", "Tel. [PHONE]"),
    ("Festnetz 04131/40 22 17, mobil 0160 - 98 76 54 32", "Festnetz [PHONE], mobil [PHONE]"),
    ("Bestellung 301-4478812-0098213 ist da", "Bestellung 301-4478812-0098213 ist da"),  # 00 inside a number
    ("Gleis 07 12 Uhr, am 05 12 2024", "Gleis 07 12 Uhr, am 05 12 2024"),
], ids=lambda v: v[:18])
def test_issue_15_pii_forms_and_decoys(text, expected):
    assert redact(text) == expected


NUMBERS = ("EMAIL", "PHONE", "IBAN", "CARD", "ID")


def _assert_targets(result: dict) -> None:
    """Issue 15's targets per language: recall ≥ 0.99 for e-mail, phone, IBAN, card and national ids, ≥ 0.8 for
    person names and street addresses; ≥ 0.95 of the look-alike numbers kept, and ≥ 0.95 of the number
    placeholders written standing for a labelled span (precision on look-alikes)."""
    for (lang, kind), n in result["spans"].items():
        found = result["found"][lang, kind]
        assert found >= (0.99 if kind in NUMBERS else 0.8) * n, (lang, kind, found, n, result["missed"].get(kind))
        if kind in NUMBERS:
            assert min(found, n) >= 0.95 * result["written"][lang, kind], (lang, kind, "precision")
    for (lang, kind), written in result["written"].items():  # placeholders where nothing of that type is
        assert kind not in NUMBERS or result["spans"][lang, kind] or not written, (lang, kind)
    for lang, n in result["decoys"].items():
        assert result["kept"][lang] >= 0.95 * n, lang


def test_labelled_heldout_set_meets_the_targets():
    """The targets on the held-out part of bench/data's labelled set (zh/de/en), seen while tuning."""
    from bench.pii_eval import load, score

    _assert_targets(score(load("heldout"), redact))


@pytest.mark.parametrize("part", ["fresh", "fresh2", "fresh3"])
def test_fresh_hand_written_set_meets_the_targets(part):
    """The targets on bench/data/pii_fresh*.txt (90 hand-written texts each; each unseen until its one
    measurement, tuned against since): per language and type, with texts holding no personal data at all."""
    from bench.pii_eval import load, score

    result = score(load(part), redact)
    assert {lang for lang, _ in result["spans"]} == {"de", "en", "zh"}
    assert sum(result["decoys"].values()) >= 25
    _assert_targets(result)


@pytest.mark.parametrize("seed", [15, 16, 17])
def test_planted_real_texts_of_the_test_domains_meet_the_targets(seed):
    """Issue 15's targets per language on real texts of the domains never used to tune the patterns
    (bench/pii_plant.py's TEST: tweets, electronics, movie, political and product reviews, Weibo posts) with
    personal data planted: recall ≥ 0.99 for e-mail, phone, IBAN, card and national ids (Chinese resident
    id, US SSN, German tax id), ≥ 0.8 for names and addresses; ≥ 0.95 of the look-alike numbers kept and
    ≥ 0.95 of the number placeholders standing for planted numbers."""
    from bench.pii_eval import parse, score
    from bench.pii_plant import SHARED, build

    if not SHARED.exists():
        pytest.skip("../shared/data is not there")
    rows = build("test", per_domain=60, seed=seed)
    result = score(parse([line for _, line, _ in rows]), redact)
    host = {}
    for _, line, text in rows:  # placeholders the real texts get with nothing planted do not count
        lang, out = line.split("\t", 1)[0], redact(text)
        for kind in ("PHONE", "IBAN", "CARD", "ID"):
            host[lang, kind] = host.get((lang, kind), 0) + out.count(f"[{kind}]")
    for (lang, kind), n in result["spans"].items():
        found = result["found"][lang, kind]
        assert found >= (0.99 if kind not in ("NAME", "ADDRESS") else 0.8) * n, (lang, kind, found, n)
        if kind in host:
            assert found >= 0.95 * (result["written"][lang, kind] - host[lang, kind]), (lang, kind)
    for lang, n in result["decoys"].items():
        assert result["kept"][lang] >= 0.95 * n, lang


@pytest.mark.parametrize(("text", "expected"), [
    # German: hyphenated street names (after a hyphen the street word is capitalised), titled namesakes
    ("Neue Adresse: Friedrich-Ebert-Straße 112, 45127 Essen.", "Neue Adresse: [ADDRESS]."),
    ("Wir wohnen Hans-Böckler-Ring 41, 22851 Norderstedt", "Wir wohnen [ADDRESS]"),
    ("Konrad-Adenauer-Allee 17a bitte", "[ADDRESS] bitte"),
    ("Lieferung an Dr.-Wilhelm-Külz-Straße 4, 01277 Dresden", "Lieferung an [ADDRESS]"),
    ("Geschwister-Scholl-Platz 1, 80539 München", "[ADDRESS]"),
    ("Die S-Bahn-Linie 3 fiel aus", "Die S-Bahn-Linie 3 fiel aus"),
    ("Die Anti-Stress-Strategie 12 Wochen lang", "Die Anti-Stress-Strategie 12 Wochen lang"),
    # English
    ("ship to 48 Willow Crescent, Reading RG1 7QT today", "ship to [ADDRESS] today"),
    ("it went to 12 Evergreen Gardens, Best, Marisol", "it went to [ADDRESS], Best, [NAME]"),
    # Chinese: road, lane (弄), compound (号院), building, unit and room
    ("寄到广州市天河区天河北街12号501房", "寄到[ADDRESS]"),
    ("上海市静安区愚园路1088弄7号", "[ADDRESS]"),
    ("北京市朝阳区建国路88号院3号楼2单元1502室", "[ADDRESS]"),
    ("离地铁2号线很近，住在3号楼", "离地铁2号线很近，住在3号楼"),
], ids=lambda v: v[:20])
def test_street_addresses_in_three_languages(text, expected):
    assert redact(text) == expected
