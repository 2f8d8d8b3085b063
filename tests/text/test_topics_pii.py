"""`text topics` redacts personal data before clustering, as `text score` does: no output file (topics.csv
quotes and keywords, assignments.csv) carries a phone number, e-mail address, IBAN, card or Chinese ID."""

import pandas as pd
from click.testing import CliRunner

from empathica.cli import main

PII = ["+49 170 1234567", "bob@example.com", "DE89 3704 0044 0532 0130 00", "4111 1111 1111 1111", "11010519491231002X"]


def test_topics_outputs_carry_no_personal_data(tmp_path):
    rows = ([f"Call me on +49 170 1234567 or bob@example.com, the parcel is {d} days late" for d in range(2, 14)]
            + [f"Refund {d} euros to DE89 3704 0044 0532 0130 00, card 4111 1111 1111 1111 was charged twice" for d in range(2, 14)]
            + [f"The app crashes at login, my ID 11010519491231002X is rejected ({d})" for d in range(2, 14)])
    src = tmp_path / "in.csv"
    pd.DataFrame({"comment": rows}).to_csv(src, index=False)
    result = CliRunner().invoke(main, ["text", "topics", str(src), "--text-column", "comment", "--out", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "t" / "topics.csv").read_text(encoding="utf-8") + (tmp_path / "t" / "assignments.csv").read_text(encoding="utf-8")
    for value in PII:
        assert value.replace(" ", "") not in written.replace(" ", ""), value
    keywords = " ".join(pd.read_csv(tmp_path / "t" / "topics.csv")["keywords"])
    for leaked in ("bob", "example", "com"):  # nor the words of the e-mail address
        assert leaked not in keywords.split(), keywords
    assert "[PHONE]" in written and "[EMAIL]" in written and "parcel" in written  # the rest of the text stays
    assert "bob" not in result.output and "1234567" not in result.output
