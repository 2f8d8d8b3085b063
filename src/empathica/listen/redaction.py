"""Redaction of personal data in free text: e-mail addresses, phone numbers, card numbers, IBANs, Chinese ID
numbers, and (``names.py``) person names and street addresses.

Each match is replaced by a placeholder naming what was there (``[EMAIL]``, ``[PHONE]``, ``[CARD]``,
``[IBAN]``, ``[ID]``), so text analytics still see that, say, a customer left a phone number. Numbers
that carry checksums (cards: Luhn; IBAN, in any letter case: ISO 7064 mod 97; Chinese resident ID: ISO 7064 MOD 11-2 plus
a plausible birth date) are only redacted when the checksum holds, and phone numbers must look like
phone numbers (a leading ``+`` or ``0``, a Chinese mobile prefix, or the North-American grouping), so
order amounts, dates, postcodes and order numbers stay intact.

>>> redact("Call me on +49 171 2345678 or mail jane.doe@example.com, order 4711 cost 1,299.00 EUR")
'Call me on [PHONE] or mail [EMAIL], order 4711 cost 1,299.00 EUR'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date

from empathica.listen.emails import maybe_email, redact_emails
from empathica.listen.names import redact_names_and_addresses

import pyarrow as pa

__all__ = ["column_key", "redact", "redact_array", "redact_frame", "redact_json", "redact_json_array", "redact_many"]

# Digits may not touch other letters or digits (Chinese characters count as word characters for \b,
# so look-arounds on ASCII letters and digits are used instead).
_NOT_BEFORE = r"(?<![0-9A-Za-z@._+-])"
_NOT_AFTER = r"(?![0-9A-Za-z])"

#: Words right before a number that make it an order, invoice, customer or article number, not a phone or card.
#: Besides the listed words, any German compound on -nummer/-nr. (Mitgliedsnummer) without a phone, id, card or
#: account word in it (Telefonnummer, Rückrufnummer, Steuer-Identifikationsnummer, Kartennummer stay what they are).
_REFERENCE_WORDS = re.compile(
    r"(?i)(?:order|invoice|customer|account|ticket|ref|reference|ean|gtin|sku|article|item|tracking|no\.?|nr\.?|#|"
    r"case|booking|confirmation|membership|member|receipt|voucher|contract|policy|claim|serial|barcode|loyalty|"
    r"bestell\w*|rechnung\w*|kunden\w*|auftrag\w*|artikel\w*|sendung\w*|vorgang\w*|beleg\w*|vertrag\w*|"
    r"mitglied\w*|quittung\w*|barcode|police|"
    r"(?<![\w-])(?![a-zäöüß-]*(?:telefon|handy|ruf|mobil|fax|kontakt|service|hotline|durchwahl|notfall|"
    r"steuer|identifikation|ausweis|pass|sozialversicherung|renten|versicherten|karte|konto))[a-zäöüß-]+(?:nummer|nr\.?)|"
    r"订单号?|单号|发票号?|客户号|会员号|编号|条码|快递单号|小票号?|流水号|单据号|合同号|保单号|工单号?)"
    # ... optionally followed by a word such as "ID", "number", "ist", "lautet", "是" ("Customer ID 0045…")
    r"(?:\s*(?:id|number|nummer|no\.?|nr\.?|ist|is|lautet|was|是|为))?\s*[:：#]?\s*$"
)
#: Full-width digits (０１２…) are matched as ASCII digits.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋－（）＠", "0123456789+-()@")
# Any case: people type IBANs in lower case too ("de89 3704 ..."); the checksum is taken on the upper-cased value.
#: Groups of four, written together or apart by one or two spaces or a dash ("DE89 3704 …", "DE89-3704-…").
_IBAN = re.compile(_NOT_BEFORE + r"([A-Za-z]{2}\d{2}(?:(?: {1,2}|-)?[A-Za-z0-9]{4}){2,7}(?:(?: {1,2}|-)?[A-Za-z0-9]{1,3})?)" + _NOT_AFTER)
_CN_ID = re.compile(_NOT_BEFORE + r"(\d{17}[\dXx]|\d{15})" + _NOT_AFTER)
#: US social security number (area 001–899 but 666, group and serial not zero): only in its dashed form.
_SSN = re.compile(_NOT_BEFORE + r"(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}" + _NOT_AFTER)
#: German tax id (Steuer-Identifikationsnummer): 11 digits, checked by :func:`_steuer_id_ok`.
_DE_TAX_ID = re.compile(_NOT_BEFORE + r"([1-9]\d{10}|[1-9]\d (?:\d{3} ){2}\d{3})" + _NOT_AFTER)
#: A card word right before "no"/"#" makes the number a card's, not an order's ("card no 4111 …").
_CARD_WORDS = re.compile(r"(?i)(?:card|karte|kreditkarte|卡)\s*(?:no\.?|nr\.?|number|nummer|#|号)?\s*[:：]?\s*$")
_CARD = re.compile(_NOT_BEFORE + r"(\d(?:[ -]?\d){12,18})" + _NOT_AFTER)
_PHONE = re.compile(
    "|".join([
        # international: +CC then 6–14 more digits, optionally grouped, with an optional (0)
        # (not after a dash or slash: "Bestellung 301-4478812-0098213" is one number)
        r"(?<![0-9A-Za-z+/-])(?:\+|00)[1-9]\d{0,2}(?:[ .\-/]?\(0\))?(?:[ .\-/]?\(?\d{1,5}\)?){2,6}" + _NOT_AFTER,
        # national with a trunk 0: 030 1234567, 0171-2345678, (030) 123 45 67
        # (an area code never starts 00: that is the international prefix, or an invoice number);
        # the subscriber number may be written in pairs after a spaced slash or dash: 0511 / 76 54 32 10, 040 / 3 22 11 98
        _NOT_BEFORE + r"\(?0[1-9]\d{1,4}\)?(?: ?[/\-] ?| )?(?:\d{3,4}|\d{1,2}(?= ?-? ?\d{2}))(?: ?-? ?\d{2,5}){0,3}" + _NOT_AFTER,
        # Chinese mobile numbers
        _NOT_BEFORE + r"1[3-9]\d(?:[ -]?\d{4}){2}" + _NOT_AFTER,
        # North America: (555) 123-4567, (555) 123 4567, 555-123-4567, 555.123.4567
        _NOT_BEFORE + r"(?:1[-. ])?(?:\(\d{3}\) ?|\d{3}[-.])\d{3}[-. ]\d{4}" + _NOT_AFTER,
        # ... and 917 703 1472 (spaces only): area code and exchange start with 2–9, as every NANP number's do,
        # so most three-three-four order numbers ("123 456 7890") stay
        _NOT_BEFORE + r"[2-9]\d{2} [2-9]\d{2} \d{4}" + _NOT_AFTER,
    ])
)
# Cheap pre-filter: text without 7 digits in a row (ignoring separators) holds no number to redact.
_MAYBE = re.compile(r"\d(?:[ ()./\-]{0,3}\d){6}")

_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    s = text.replace(" ", "").replace("-", "").upper()
    # Every country's account number (the part after the check digits) holds at least 6 digits; words
    # that happen to fit the shape ("ab12 this that more") do not, whatever their checksum.
    if not 15 <= len(s) <= 34 or sum(ch.isdigit() for ch in s[4:]) < 6:
        return False
    moved = s[4:] + s[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def _cn_id_ok(text: str) -> bool:
    if len(text) == 15:  # the first-generation ID: area, YYMMDD (19YY), sequence; no check digit
        try:
            born = date(1900 + int(text[6:8]), int(text[8:10]), int(text[10:12]))
        except ValueError:
            return False
        return "11" <= text[:2] <= "65" and born.year >= 1900
    body, check = text[:17], text[17].upper()
    if _CN_CHECK[sum(int(d) * w for d, w in zip(body, _CN_WEIGHTS)) % 11] != check:
        return False
    try:
        born = date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= date.today().year


def _steuer_id_ok(text: str) -> bool:
    """A German tax id: one digit of the first ten twice or three times, the rest at most once, and the
    ISO 7064 MOD 11,10 check digit."""
    digits = [int(ch) for ch in text if ch.isdigit()]
    counts = sorted((digits[:10].count(d) for d in set(digits[:10])), reverse=True)
    if counts[0] not in (2, 3) or counts[1:2] == [counts[0]] or (counts[1:] and counts[1] > 1):
        return False
    product = 10
    for d in digits[:10]:
        total = (d + product) % 10 or 10
        product = total * 2 % 11
    return (11 - product) % 10 == digits[10]


def _is_reference(m: re.Match) -> bool:
    """Whether the words just before the match name it an order, invoice, customer or article number."""
    start = max(0, m.start() - 24)
    while start and (m.string[start - 1].isalnum() or m.string[start - 1] == "-"):
        start -= 1  # a word the window would cut ("…ifikationsnummer") is read whole ("Steuer-Identifikationsnummer")
    before = m.string[start:m.start()]
    return bool(_REFERENCE_WORDS.search(before)) and not _CARD_WORDS.search(before)


def _sub_card(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group(1))
    # Issuer prefixes 2–6 cover Mastercard, Amex, Visa, Discover, UnionPay, JCB, Maestro; 15–19 digits
    # (13 digits is an EAN barcode far more often than a card).
    if 15 <= len(digits) <= 19 and digits[0] in "23456" and _luhn(digits) and not _is_reference(m):
        return "[CARD]"
    return m.group(0)


def _sub_phone(m: re.Match) -> str:
    digits = sum(ch.isdigit() for ch in m.group(0))
    return "[PHONE]" if 7 <= digits <= 15 and not _is_reference(m) else m.group(0)


def redact(text: str | None) -> str | None:
    """``text`` with e-mail addresses, phone, card, IBAN and Chinese ID numbers, person names and street
    addresses replaced by placeholders."""
    if not text:
        return text
    text = text.translate(_FULL_WIDTH)
    if maybe_email(text):
        text = redact_emails(text)
    if _MAYBE.search(text):
        text = _IBAN.sub(lambda m: "[IBAN]" if _iban_ok(m.group(1)) else m.group(0), text)
        text = _CN_ID.sub(lambda m: "[ID]" if _cn_id_ok(m.group(1)) else m.group(0), text)
        text = _DE_TAX_ID.sub(lambda m: "[ID]" if _steuer_id_ok(m.group(1)) and not _is_reference(m) else m.group(0), text)
        text = _SSN.sub(lambda m: m.group(0) if _is_reference(m) else "[ID]", text)
        text = _CARD.sub(_sub_card, text)
        text = _PHONE.sub(_sub_phone, text)
    return redact_names_and_addresses(text)


def redact_many(texts: Iterable[str | None]) -> list[str | None]:
    """:func:`redact` over many texts (texts with nothing that could be personal data are passed through)."""
    return [redact(t) for t in texts]


def redact_array(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The vectorised variant for Arrow string arrays (used inside DuckDB as a scalar function)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    done: dict[str, str | None] = {}  # exports repeat values (a resource, a status): each is redacted once
    return pa.array([done[v] if v in done else done.setdefault(v, redact(v)) if v is not None else None
                     for v in texts.to_pylist()], type=texts.type)


def redact_json(text: str | None) -> str | None:
    """:func:`redact` applied to every string value (and every whole number) inside a JSON text, which
    stays valid JSON; text that is not JSON is redacted as plain text.

    Used for what Listen keeps of a quarantined source row (``quarantine.raw``): a whole number that
    redacts (a phone number written as a number) becomes its placeholder as a JSON string. Keys are kept.
    The text is returned unchanged when nothing in it is personal data.
    """
    if not text:
        return text
    try:
        data = json.loads(text)
    except ValueError:
        return redact(text)
    changed = False

    def walk(value):
        nonlocal changed
        if isinstance(value, str):
            out = redact(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            out = redact(str(value))
            out = value if out == str(value) else out
        elif isinstance(value, list):
            return [walk(v) for v in value]
        elif isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        else:
            return value
        changed = changed or out != value
        return out

    data = walk(data)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) if changed else text


def redact_json_array(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """:func:`redact_json` over an Arrow string array (a DuckDB scalar function, like :func:`redact_array`)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    done: dict[str, str | None] = {}
    return pa.array([done[v] if v in done else done.setdefault(v, redact_json(v)) if v is not None else None
                     for v in texts.to_pylist()], type=texts.type)


def redact_frame(frame):
    """A copy of a pandas DataFrame with every text cell (and every text inside a list cell, such as
    evidence) redacted: for outputs written from users' files (``empathy score``)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith("string"):
            out[col] = out[col].map(_redact_cell).astype(out[col].dtype)
    return out


def _redact_cell(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_cell(v) for v in value)
    return value


def column_key(name: str) -> str:
    """A column name as the setting ``pii_columns`` compares it: lower case, runs of characters other
    than letters (of any script) and digits as ``_``."""
    return re.sub(r"[\W_]+", "_", name.strip().lower()).strip("_")

