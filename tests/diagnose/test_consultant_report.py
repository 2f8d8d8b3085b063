"""The consultant report: the diagnose step runs on a demo store, the report renders to HTML and to a PDF in
English, German and Chinese, and the numbers printed in the PDF are the stored rows'."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from empathica.report.i18n import catalogue
from tests.diagnose.conftest import ingested_world


@pytest.fixture(scope="module")
def printer():
    """Debian's Chromium and pdftotext: skipped on a developer's machine without them, a failure in CI (which installs them)."""
    if not Path("/usr/bin/chromium").exists() or shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium or pdftotext is missing: .ci/run installs them (chromium poppler-utils)")
        pytest.skip("needs Debian's chromium and poppler-utils (apt-get install -y chromium poppler-utils fonts-noto-cjk)")


@pytest.fixture(scope="module")
def diagnosed(tmp_path_factory):
    """A 600-customer demo world, ingested, with the diagnose step run (and the report sections saved). The values
    segments' comparison with demographics resamples 20 times, not 200: these tests read its rows, not its
    intervals (tests/diagnose/test_values_segments.py holds those)."""
    with pytest.MonkeyPatch.context() as patch:
        _fewer_resamples(patch)
        return ingested_world(tmp_path_factory.mktemp("diagnosed"), seed=4, customers=600, steps=["overview", "diagnose"])


def _fewer_resamples(patch) -> None:
    from functools import partial

    from empathica.diagnose.segments import compare

    patch.setattr("empathica.flywheel.steps.diagnose.compare", partial(compare, n_bootstrap=20))


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("lang", ["en", "de", "zh"])
def test_the_pdf_renders_in_each_language_with_the_stored_numbers(printer, diagnosed, tmp_path, lang):
    from empathica.report.consultant import write_consultant_report
    from empathica.report.i18n import Finding, render
    from empathica.schema.results import DIAGNOSE_SCORECARD
    from empathica.store import Store

    path, settings = diagnosed
    with Store.open(path, settings=settings, read_only=True) as store:
        html, pdf = write_consultant_report(store, tmp_path, title="Lumen", lang=lang, currency="EUR")
        scores = store.read_result(DIAGNOSE_SCORECARD)
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 2
    text = _text(pdf)
    assert catalogue(lang)["diagnose.report.scorecard"] in text and catalogue(lang)["diagnose.report.traceability"] in text
    company = scores[scores["scope"] == "all"]
    assert len(company) >= 4
    as_int = lambda v: render(Finding("value.int", {"v": v}), lang=lang)  # noqa: E731
    for row in company.itertuples():  # the scorecard table's row: dimension, score, interval, as stored
        name = re.escape(catalogue(lang)[f"diagnose.dim.{row.dimension}"])
        line = rf"^\s*{name}\s+{as_int(row.score)}\s+{as_int(row.score_low)}\s+{as_int(row.score_high)}\s"
        assert re.search(line, text, flags=re.MULTILINE), (lang, row.dimension, row.score)
    assert "result_diagnose_scorecard" in text  # the traceability appendix names the stored result


def test_the_main_report_has_the_diagnosis_section_from_the_same_findings(diagnosed, tmp_path):
    from empathica.report.html import report_from_store
    from empathica.store import Store

    path, settings = diagnosed
    with Store.open(path, settings=settings, read_only=True) as store:
        html = report_from_store(store, tmp_path, title="t", lang="de", currency="EUR").read_text(encoding="utf-8")
    section = html[html.index('id="diagnose"'):]
    assert "Die schwächste CX-Dimension ist" in section and "Reifegrad:" in section


def test_the_values_alignment_is_stored_per_outcome_brand_and_region_and_reported(diagnosed, tmp_path):
    """The step stores the alignment for the company and per brand and region on CSAT, NPS and retention; a region
    with fewer than 30 answerers is stored as too small (no gap) and named in the report; a brand's scorecard row
    scores its own CSAT gap; the report's table shows every row in the reader's language."""
    from empathica.report.html import report_from_store
    from empathica.schema.results import DIAGNOSE_EVIDENCE, DIAGNOSE_VALUES_ALIGNMENT
    from empathica.store import Store

    path, settings = diagnosed
    with Store.open(path, settings=settings, read_only=True) as store:
        table = store.read_result(DIAGNOSE_VALUES_ALIGNMENT)
        evidence = store.read_result(DIAGNOSE_EVIDENCE)
        html = report_from_store(store, tmp_path, title="t", lang="zh", currency="EUR").read_text(encoding="utf-8")
    assert set(table["outcome"]) == {"csat", "nps", "retention"}
    assert set(table["scope"]) == {"all", "brand", "region"}
    company = table[table["scope"] == "all"].set_index("outcome")
    assert (company["status"] == "ok").all() and (company["gap_high"] < 0).all()  # the planted misalignment
    small = table[table["status"] == "too_small"]
    assert len(small) and small["gap"].isna().all() and (small["answerers"] < 30).all()
    assert (small["region"] == small["group"]).all()  # region rows carry their region (the API's scope)
    csat = table[(table["outcome"] == "csat") & (table["status"] == "ok")].set_index(["scope", "group"])["gap"]
    scored = evidence[evidence["metric"] == "values_alignment"].set_index(["scope", "group"])["value"]
    for key in [k for k in csat.index if k in scored.index]:
        assert scored[key] == pytest.approx(csat[key])
    assert ("brand", "Lumen Express") in csat.index and scored[("brand", "Lumen Express")] == pytest.approx(csat[("brand", "Lumen Express")])
    section = html[html.index('id="diagnose"'):]
    assert catalogue("zh")["diagnose.caption.values_alignment"] in section
    assert "以下群组客户太少" in section and small["group"].iloc[0] in section


def test_untrusted_text_in_a_values_answer_is_escaped(diagnosed, tmp_path):
    from empathica.report.consultant import render_consultant_report
    from empathica.schema.results import DIAGNOSE_SEGMENTS
    from empathica.store import Store

    path, settings = diagnosed
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    with Store.open(copy, settings=settings) as store:
        segments = store.read_result(DIAGNOSE_SEGMENTS).drop(columns=["run_id"])
        segments.loc[0, "quotes"] = "<script>alert(1)</script>"
        store.runs.begin(steps=["diagnose"])
        store.write_result(DIAGNOSE_SEGMENTS, segments, step="diagnose")
        store.runs.publish()
        html = render_consultant_report(store, title="<b>t</b>", lang="en", currency="EUR")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>t</b>" not in html


def test_a_second_run_has_the_first_as_its_trend_and_embeds_no_answer_again(diagnosed, tmp_path, monkeypatch):
    from empathica.flywheel import run_flywheel
    from empathica.schema.results import DIAGNOSE_SCORECARD
    from empathica.store import Store
    from empathica.understand.text.embeddings import E5Embedder

    path, settings = diagnosed
    copy = tmp_path / "again.duckdb"
    shutil.copy(path, copy)
    monkeypatch.setattr(E5Embedder, "embed", lambda self, texts: (_ for _ in ()).throw(AssertionError("embedded again")))
    _fewer_resamples(monkeypatch)
    with Store.open(copy, settings=settings) as store:
        first = store.read_result(DIAGNOSE_SCORECARD)
        run_flywheel(store, settings=settings, only=["diagnose"])
        second = store.read_result(DIAGNOSE_SCORECARD)
    keys = ["scope", "group", "dimension"]
    both = second.merge(first[keys + ["score"]].rename(columns={"score": "first"}), on=keys)
    assert len(both) == len(second) and np.allclose(both["previous_score"], both["first"])
    assert np.allclose(both["trend"], both["score"] - both["first"])
