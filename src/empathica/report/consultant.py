"""The consultant report of the diagnosis: one HTML file and its PDF, rendered from the store alone.

Cover with the maturity stage, the headline findings, the five-dimension scorecard (bars with intervals), the
dimensions per group, maturity inputs and next steps, EX ↔ CX, values-based segments, the top opportunities
(Decide's stored ranking) and a traceability appendix naming the stored result and run behind every table.
The PDF is Chromium's print of the HTML (the Python ``playwright`` package driving Debian's Chromium).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from empathica.errors import AnalysisError
from empathica.report.html import _env, _Speaker
from empathica.report.i18n import render
from empathica.report.summary import executive_summary
from empathica.schema.results import DIAGNOSE_SCORECARD, RESULTS

#: Chromium used to print the PDF (Debian's package; never a downloaded browser).
CHROMIUM = "/usr/bin/chromium"


def render_consultant_report(store, *, title: str, lang: str, currency: str) -> str:
    """The consultant report as one HTML string."""
    from empathica.flywheel.steps.diagnose_findings import section_from_store

    section = section_from_store(store)
    if section.skipped:
        raise AnalysisError(section.skipped if isinstance(section.skipped, str) else render(section.skipped))
    speaker = _Speaker(lang, currency)
    company = store.read_result(DIAGNOSE_SCORECARD)
    company = company[company["scope"] == "all"]
    bars = [{"name": speaker.t(f"diagnose.dim.{r.dimension}"), "score": r.score, "low": r.score_low, "high": r.score_high,
             "label": speaker.t("value.int", v=r.score)} for r in company.itertuples()]
    sources = sorted({b.source for b in section.blocks if getattr(b, "source", "")} | {f.source for f in section.summary
                                                                                         if getattr(f, "source", "")})
    runs = {name: _run_of(store, name) for name in sources}
    return _env().get_template("consultant.html").render(
        title=title, lang=lang, s=speaker, section=section, bars=bars, summary=executive_summary(store),
        sources=[(name, RESULTS[name].doc, runs[name]) for name in sources if name in RESULTS],
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


def _run_of(store, name: str) -> str:
    table = store.result(name)
    runs = table.select("run_id").distinct().to_pandas()["run_id"]
    return ", ".join(sorted(map(str, runs)))


def write_consultant_report(store, out_dir: str | Path, *, title: str, lang: str, currency: str,
                            pdf: bool = True) -> tuple[Path, Path | None]:
    """Write ``out_dir/diagnosis_<lang>.html`` (and ``.pdf``); their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / f"diagnosis_{lang}.html"
    html_path.write_text(render_consultant_report(store, title=title, lang=lang, currency=currency), encoding="utf-8")
    return html_path, (print_pdf(html_path, out / f"diagnosis_{lang}.pdf") if pdf else None)


def print_pdf(html_path: Path, pdf_path: Path, *, executable: str = CHROMIUM) -> Path:
    """Chromium's A4 print of ``html_path`` to ``pdf_path`` (no network: the page is self-contained)."""
    from playwright.sync_api import sync_playwright

    if not Path(executable).exists():
        raise AnalysisError(f"no Chromium at {executable}: install Debian's package (`apt-get install -y chromium "
                            "fonts-noto-cjk`) to print the PDF, or pass --no-pdf.")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: route.abort() if not route.request.url.startswith(("file:", "data:"))
                       else route.continue_())
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            page.pdf(path=str(pdf_path), format="A4", print_background=True,
                     margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
        finally:
            browser.close()
    return pdf_path
