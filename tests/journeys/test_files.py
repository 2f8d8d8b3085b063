"""`read_event_file`: quarantine lines, trimmed values, missing customers, cohort labels."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from empathica.store import Store
from empathica.understand.journeys import JourneyAnalyzer, read_event_file


def _read(path, **roles):
    with Store.open(":memory:", schema=False) as store:
        loaded = read_event_file(store, path, case="ticket", activity="step", time="at", **roles)
        events = loaded.events.to_pandas()
        cohorts = loaded.cohorts.to_pandas() if loaded.cohorts is not None else None
        loaded.notes  # the notes and the quarantine are worked out on first read, while the store is open
        return loaded, events, cohorts


def _bad_lines(loaded) -> dict[int, str]:
    q = loaded.quarantine
    return dict(zip(q["line"].astype(int), q["reason"]))


def test_quarantine_lines_are_physical_lines_after_blank_lines(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("ticket,step,at\n1,web,2024-01-01 10:00\n\n1,call,2024-01-01 11:00\n\n2,web,bad\n2,buy,2024-01-01 12:00\n\n")
    loaded, events, _ = _read(path)
    assert path.read_text().splitlines()[6 - 1] == "2,web,bad"
    assert _bad_lines(loaded) == {6: "unparseable timestamp", 7: "single-event journey"}
    # the file line is also the tie-breaker of events at the same time
    assert sorted(events["event_id"].astype(int)) == [2, 4, 7]


@pytest.mark.parametrize("scan_bytes", [3, 1 << 22])  # tiny pieces: records and quotes cut across pieces
def test_quarantine_lines_count_line_breaks_inside_quoted_fields(tmp_path, monkeypatch, scan_bytes):
    monkeypatch.setattr("empathica.understand.journeys._files._SCAN_BYTES", scan_bytes)
    text = ('ticket,step,at,note\n1,web,2024-01-01 10:00,"multi\nline ""quoted""\nnote"\n'
            '1,call,2024-01-01 11:00,x\n,web,2024-01-01 12:00,"a, b"\n2,buy,,x\n')
    path = tmp_path / "multi.csv"
    path.write_text(text)
    loaded, _, _ = _read(path)
    lines = text.splitlines()
    assert lines[6 - 1].startswith(",web") and lines[7 - 1].startswith("2,buy")
    assert _bad_lines(loaded) == {6: "missing case", 7: "missing time"}


def test_gzipped_csv_lines_are_physical_lines(tmp_path):
    path = tmp_path / "log.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("ticket,step,at\n\n1,web,2024-01-01 10:00\n1,buy,nope\n")
    loaded, _, _ = _read(path)
    assert _bad_lines(loaded) == {4: "unparseable timestamp", 3: "single-event journey"}


def test_spaces_around_values_are_trimmed(tmp_path):
    path = tmp_path / "ws.csv"
    path.write_text("ticket,step,at,cust,chan\n1,web,2024-01-01 10:00,u1,web\n 1 , buy ,2024-01-01 10:05, u1 , web \n"
                    "1,buy,2024-01-01 10:05,u1,web\n2 ,web ,2024-01-01 11:00,u2,web\n2,buy,2024-01-01 11:30 , u2,web\n")
    loaded, events, _ = _read(path, customer="cust", channel="chan")
    assert sorted(events["case"].unique()) == ["1", "2"]
    assert sorted(events["activity"].unique()) == ["buy", "web"]
    assert sorted(events["customer"].unique()) == ["u1", "u2"]
    assert events["channel"].unique().tolist() == ["web"]
    # " 1 , buy " and "1,buy" at the same time are the same event
    assert _bad_lines(loaded) == {4: "duplicate event"}
    assert len(events) == 4


def test_journeys_without_a_customer_count_as_their_own_customer(tmp_path):
    path = tmp_path / "nullcust.csv"
    path.write_text("ticket,step,at,cust\n1,web,2024-01-01 10:00,\n1,buy,2024-01-01 10:05,\n2,web,2024-01-01 10:00,  \n"
                    "2,buy,2024-01-01 10:05,\n3,web,2024-01-01 10:00,u9\n3,buy,2024-01-01 10:05,u9\n")
    loaded, events, _ = _read(path, customer="cust")
    assert dict(zip(events["case"], events["customer"])) == {"1": "1", "2": "2", "3": "u9"}
    assert any("2 journey(s) have events without a 'cust' value" in note for note in loaded.notes)
    from empathica.understand.journeys import JourneyAnalyzer

    with Store.open(":memory:", schema=False) as store:
        loaded = read_event_file(store, path, case="ticket", activity="step", time="at", customer="cust")
        fitted = JourneyAnalyzer(goal="buy", cache=False).fit(loaded.events)
        assert fitted.summary_["customers"] == 3
        assert fitted.dfg_.set_index(["source", "target"]).loc[("web", "buy"), "customers"] == 3


def test_cohort_labels_keep_every_distinct_label_of_a_journey(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text("ticket,step,at,seg\n0,web,2024-01-01 10:00,A\n0,buy,2024-01-01 10:20, B\n1,web,2024-01-02 10:00,\n"
                    "1,buy,2024-01-02 10:20,A \n2,web,2024-01-03 10:00,B\n2,buy,2024-01-03 10:20,B\n")
    _, _, cohorts = _read(path, cohort="seg")
    assert sorted(map(tuple, cohorts[["case", "cohort"]].values.tolist())) == [("0", "A"), ("0", "B"), ("1", "A"), ("2", "B")]


def test_a_row_without_an_activity_is_quarantined(tmp_path):
    path = tmp_path / "noact.csv"
    path.write_text("ticket,step,at\n1,web,2024-01-01 10:00\n1,  ,2024-01-01 10:02\n1,,2024-01-01 10:03\n1,buy,2024-01-01 10:05\n")
    loaded, events, _ = _read(path)
    q = loaded.quarantine
    assert q[["line", "field", "reason", "action"]].values.tolist() == [
        [3, "step", "missing activity", "dropped"], [4, "step", "missing activity", "dropped"],
    ]
    assert sorted(events["activity"]) == ["buy", "web"] and loaded.rows_used == 2 and loaded.rows_read == 4


def test_utf16_export_is_read_with_its_own_line_numbers(tmp_path):
    path = tmp_path / "unicode_text.txt"  # Excel's "Unicode Text": UTF-16 with a byte-order mark, tab-separated
    text = "ticket\tstep\tat\n1\tWebseite\t2024-01-01 10:00\n1\tKundendienst\t2024-01-01 11:00\n2\tFiliale\tkaputt\n2\tKasse\t2024-01-01 12:00\n"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    loaded, events, _ = _read(path)
    assert sorted(events["activity"]) == ["Kasse", "Kundendienst", "Webseite"]  # a lone event is noted, and kept
    assert _bad_lines(loaded) == {4: "unparseable timestamp", 5: "single-event journey"}


@pytest.mark.parametrize("quoted", [False, True])  # one line per record, or the record scan's path
def test_rows_with_too_few_or_too_many_fields_are_quarantined_and_the_rest_is_read(tmp_path, quoted):
    path = tmp_path / "ragged.csv"
    note = '"a\nnote"' if quoted else "note"
    good = [f"{k},web,2024-01-01 10:00,{note}\n{k},buy,2024-01-01 11:00,x" for k in range(1, 30_001)]
    # a short row early (DuckDB's sniffer used to give up on the delimiter) and a long one past its sample
    text = "ticket,step,at,note\n" + "\n".join(good[:2]) + "\n9,web\n" + "\n".join(good[2:]) + "\n9,buy,2024-01-01 12:00,x,extra\n"
    path.write_text(text)
    loaded, events, _ = _read(path)
    physical = text.splitlines()
    bad = {line: reason for line, reason in _bad_lines(loaded).items() if reason != "single-event journey"}
    assert {physical[line - 1] for line in bad} == {"9,web", "9,buy,2024-01-01 12:00,x,extra"}
    assert sorted(bad.values()) == ["fewer fields than the header", "more fields than the header"]
    assert (loaded.rows_read, len(events)) == (60_002, 60_000)
    # the rows after a rejected one keep their own line numbers (the event id is the file line)
    last = events[events["case"] == "30000"].sort_values("event_id")
    assert physical[int(last["event_id"].iloc[0]) - 1].startswith("30000,web")


def test_two_different_complaints_at_the_same_time_are_two_events_and_only_full_copies_are_duplicates(tmp_path):
    path = tmp_path / "complaints.csv"  # dates only, as in the BPI 2016 complaints log
    path.write_text("ticket,step,at,complaint,topic\n"
                    "c1,phone,2016-01-05,194,no respect\n"
                    "c1,phone,2016-01-05,195,long hold\n"  # another complaint the same day: a repeat contact
                    "c1,phone,2016-01-05,195,long hold \n"  # a copy of the line before (spaces aside)
                    "c1,web,2016-01-06,196,website down\n")
    loaded, events, _ = _read(path)
    assert _bad_lines(loaded) == {4: "duplicate event"}
    assert events["activity"].tolist().count("phone") == 2


def test_iso_8601_times_to_the_minute_with_an_offset_and_in_the_basic_format_are_read(tmp_path):
    path = tmp_path / "iso.csv"
    path.write_text("ticket,step,at\n1,web,2024-01-01 12:00+01:00\n1,buy,2024-01-01T11:30Z\n"
                    "2,web,20240101T120000Z\n2,buy,20240101T1300+0100\n3,web,2024-01-01 10:00\n3,buy,01/02/2024\n")
    loaded, events, _ = _read(path)
    assert _bad_lines(loaded) == {7: "unparseable timestamp", 6: "single-event journey"}
    got = dict(zip(events["event_id"].astype(int), events["timestamp"].dt.strftime("%Y-%m-%d %H:%M")))
    assert got == {2: "2024-01-01 11:00", 3: "2024-01-01 11:30", 4: "2024-01-01 12:00", 5: "2024-01-01 12:00",
                   6: "2024-01-01 10:00"}


def test_xes_event_and_trace_attributes_are_columns_for_cohort_and_channel(tmp_path):
    path = tmp_path / "log.xes"
    trace = """<trace><string key="concept:name" value="{case}"/><string key="segment" value="{segment}"/>
      <event><string key="concept:name" value="web"/><string key="org:resource" value="online"/>
        <date key="time:timestamp" value="2024-01-01T10:00:00+00:00"/></event>
      <event><string key="concept:name" value="call"/><string key="org:resource" value="phone"/>
        <date key="time:timestamp" value="2024-01-01T11:00:00+00:00"/></event></trace>"""
    path.write_text('<?xml version="1.0" encoding="UTF-8"?><log xes.version="1.0">'
                    + trace.format(case="a", segment="gold") + trace.format(case="b", segment="basic") + "</log>")
    with Store.open(":memory:", schema=False) as store:
        loaded = read_event_file(store, path, case="case:concept:name", activity="concept:name", time="time:timestamp",
                                 cohort="case:segment", channel="org:resource")  # pm4py's name; Listen's: trace:segment
        events = loaded.events.to_pandas()
        cohorts = loaded.cohorts.to_pandas()
    assert sorted(events["channel"]) == ["online", "online", "phone", "phone"]
    assert dict(zip(cohorts["case"], cohorts["cohort"])) == {"a": "gold", "b": "basic"}


def test_rows_that_differ_only_in_an_option_column_are_two_events(tmp_path):
    """Reviewer's finding: the duplicate check left out the columns given to --channel, --revenue, --cohort …,
    so a contact through another channel at the same moment was dropped as a copy, with its revenue."""
    path = tmp_path / "channels.csv"
    path.write_text("ticket,step,at,channel,amount,segment\n"
                    "1,browse,2024-03-01T10:00:00Z,web,10,A\n"
                    "1,browse,2024-03-01T10:00:00Z,app,20,A\n"    # another channel: another event
                    "1,browse,2024-03-01T10:00:00Z, app ,20,A\n"  # a copy of the line before (spaces aside)
                    "1,buy,2024-03-01T11:00:00Z,web,5,A\n")
    with Store.open(":memory:", schema=False) as store:
        loaded = read_event_file(store, path, case="ticket", activity="step", time="at", channel="channel",
                                 revenue="amount", cohort="segment")
        events, revenue = loaded.events.to_pandas(), loaded.revenue.to_pandas()
        bad = _bad_lines(loaded)
    assert bad == {4: "duplicate event"}
    assert sorted(events["channel"]) == ["app", "web", "web"]
    assert float(revenue["revenue"].sum()) == 35.0


@pytest.mark.parametrize("tail, message", [
    ([f"{2 + i // 4},x{i % 4},2024-03-0{1 + i % 4}T10:00:00Z" for i in range(40)],
     "line 3: a quote (\") opened in this row is never closed, so lines 3–43 would read as one value"),
    ([f"{2 + i // 4},x{i % 4},2024-03-0{1 + i % 4}T10:00:00Z" for i in range(40)] + ['9,5" screen,2024-03-01T10:00:00Z', "9,x,2024-03-02T10:00:00Z"],
     "line 3: a quoted value runs on to line 44, and the row it makes does not fit the header"),
])
def test_an_unbalanced_quote_is_a_clear_error_not_a_swallowed_file(tmp_path, tail, message):
    """Reviewer's finding: `1,"b,…` made DuckDB read the rest of the file (or up to the next stray quote) as one
    rejected value; 1 of 2 events was "used" and the thousands after it were neither used nor quarantined."""
    from empathica.errors import InputError

    path = tmp_path / "quote.csv"
    path.write_text("\n".join(["ticket,step,at", "1,a,2024-03-01T10:00:00Z", '1,"b,2024-03-01T11:00:00Z', *tail]) + "\n")
    with pytest.raises(InputError) as error:
        _read(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_one_moment_written_with_or_without_a_zone_padding_or_fraction_is_read_alike(tmp_path):
    # zone-less texts take the plain (fast) parse; texts with a zone the zoned cast: both give UTC moments
    forms = ["2024-01-01 11:00:00", "2024-01-01T12:00:00+01:00", "2024-01-01T06:00:00-05:00", "2024-01-01T11:00:00.000Z",
             "\t2024-01-01 11:00:00 ", "2024-01-01T11:00", "2024-01-01 11:00+00", "20240101T110000Z"]
    path = tmp_path / "zones.csv"
    path.write_text("ticket,step,at\n" + "".join(f"{k},web,{f}\n{k},buy,2024-01-01 11:00:00.250\n" for k, f in enumerate(forms)))
    loaded, events, _ = _read(path)
    starts = events[events["activity"] == "web"].sort_values("case")["timestamp"]
    assert starts.dt.strftime("%Y-%m-%d %H:%M:%S").tolist() == ["2024-01-01 11:00:00"] * len(forms)
    assert str(starts.dt.tz) == "UTC"
    assert set(events.loc[events["activity"] == "buy", "timestamp"].dt.strftime("%H:%M:%S.%f")) == {"11:00:00.250000"}
    assert loaded.quarantine.empty
    # Parquet: a zoned timestamp is its moment (plain ones and dates: test_cli's Parquet tests)
    pq = tmp_path / "zones.parquet"
    pd.DataFrame({"ticket": ["1", "1"], "step": ["web", "buy"],
                  "at": pd.to_datetime(["2024-01-01 12:00", "2024-01-01 12:30"]).tz_localize("Europe/Berlin")}).to_parquet(pq)
    _, events, _ = _read(pq)
    assert events["timestamp"].dt.strftime("%H:%M").tolist() == ["11:00", "11:30"]


def test_copies_with_empty_option_values_are_duplicates_and_other_values_are_not(tmp_path):
    # duplicates are matched on every column, an empty value equal to an empty one (not to a filled one)
    path = tmp_path / "copies.csv"
    path.write_text("ticket,step,at,channel\n1,web,2024-01-01 10:00,\n1,web,2024-01-01 10:00,\n1,web,2024-01-01 10:00,app\n"
                    "1,buy,2024-01-01 11:00,web\n1,buy,2024-01-01 11:00, web\n2,web,2024-01-01 10:00,\n2,buy,2024-01-01 12:00,\n")
    loaded, events, _ = _read(path, channel="channel")
    assert _bad_lines(loaded) == {3: "duplicate event", 6: "duplicate event"}
    assert len(events) == 5


@pytest.mark.parametrize("copies", [True, False])
def test_checks_read_off_the_analyzers_sort_equal_the_checks_of_their_own(tmp_path, copies):
    """`EventFile.fit` takes duplicates, out-of-order rows and single-event journeys from the analyzer's
    sort; the quarantine, the counts and every result equal those of the separate checks, with and without
    copies (ties that are not copies, a copy after a row out of order, a journey of one row and its copy)."""
    rows = ["1,web,2024-01-01 10:00", "1,buy,2024-01-01 09:00", "1,web,2024-01-01 10:00", "1,call,2024-01-01 09:30",
            "2,web,2024-01-01 10:00", "2,call,2024-01-01 10:00", "2,buy,2024-01-01 11:00", "3,web,2024-01-02 10:00",
            "3,buy,2024-01-02 10:00", "3,web,2024-01-02 09:00", "4,web,2024-01-03 10:00", "4,web,2024-01-03 10:00",
            "5,web,bad", "5,call,2024-01-04 10:00", "6,web,2024-01-05 10:00", "6,buy,2024-01-05 12:00"]
    if not copies:
        rows = [r for i, r in enumerate(rows) if i not in (2, 11)]
    path = tmp_path / "log.csv"
    path.write_text("ticket,step,at\n" + "\n".join(rows) + "\n")
    results = []
    for fused in (False, True):
        with Store.open(":memory:", schema=False) as store:
            loaded = read_event_file(store, path, case="ticket", activity="step", time="at")
            analyzer = JourneyAnalyzer(goal="buy", min_transitions=1)
            analyzer = loaded.fit(analyzer) if fused else analyzer.fit(loaded.events)
            results.append((loaded.quarantine, loaded.rows_used, loaded.notes, analyzer.dfg_, analyzer.variants_,
                            analyzer.touchpoints_, analyzer.summary_))
    (q, used, notes, *fitted), (q2, used2, notes2, *fitted2) = results
    pd.testing.assert_frame_equal(q, q2)
    assert (used, notes) == (used2, notes2)
    for a, b in zip(fitted[:3], fitted2[:3]):
        pd.testing.assert_frame_equal(a, b)
    assert fitted[3] == fitted2[3]
    reasons = q.groupby("reason")["line"].apply(list).to_dict()
    # a row is out of order against the row before it in the file, a copy included
    expected = ({"out of order": [3, 5, 11], "single-event journey": [12, 15], "duplicate event": [4, 13]} if copies
                else {"out of order": [3, 10], "single-event journey": [11, 13]})
    assert {k: v for k, v in reasons.items() if k in expected} == expected
