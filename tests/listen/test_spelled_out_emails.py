"""E-mail addresses spelled out against harvesters are redacted; ordinary sentences with "at" and "dot" are not."""

from __future__ import annotations

import pytest

from empathica.listen.redaction import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to support at acme dot co dot uk please", "write to [EMAIL] please"),
        ("name [at] domain [dot] com", "[EMAIL]"),
        ("name (at) domain (dot) com", "[EMAIL]"),
        ("name {at} domain {dot} org", "[EMAIL]"),
        ("Mail: name(at)domain.de", "Mail: [EMAIL]"),
        ("E-Mail max(ät)firma.de oder max[ät]firma[punkt]de", "E-Mail [EMAIL] oder [EMAIL]"),
        ("Schreiben Sie an info [at] bäckerei-schmidt [punkt] de", "Schreiben Sie an [EMAIL]"),
        ("max ät firma punkt de", "[EMAIL]"),
        ("Email: JOHN AT GMAIL DOT COM", "Email: [EMAIL]"),
        ("邮箱zhangsan艾特163点com，谢谢", "邮箱[EMAIL]，谢谢"),
        ("邮箱 wang 艾特 qq 点 com", "邮箱 [EMAIL]"),
        ("邮箱abc＠163.com。谢谢", "邮箱[EMAIL]。谢谢"),  # full-width at sign
        ("联系我：lihua#126.com", "联系我：[EMAIL]"),
        ("reach me at jane.doe at example dot org", "reach me at [EMAIL]"),
        ("a@mail.example.com, b@x.de.", "[EMAIL], [EMAIL]."),
    ],
)
def test_spelled_out_addresses_are_redacted(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "He looked at the dot on the map",
        "I was at the dot com party in 2000",
        "I work at amazon dot com and ordered at home",
        "We arrived at 5.30. Com was closed",
        "Meet at Starbucks.Then we flew at last",
        "Polka dot dress arrived at least a week late",
        "Landed at JFK at 9 pm, waited at gate 12 dot dot dot",
        "Can't get thru by phone! #frustrated #aa.com",
        "Game Politics #io9.com",
        "Wir waren um 8 at home, Punkt 9 Uhr los",
        "快递到了，点评一下，五点com",
        "I stayed at the Hilton dot com deal was cheaper",
        "Look at www.example.com for details",
    ],
)
def test_sentences_with_at_and_dot_stay(text):
    assert redact(text) == text
