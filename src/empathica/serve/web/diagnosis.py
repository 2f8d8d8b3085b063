"""The Diagnosis page (``/ui/diagnosis``): the five-dimension scorecard with its intervals and trends, the maturity
stage with its reasons and next steps, EX ↔ CX and the values segments against demographics (docs/diagnose.md).

It renders the same findings and tables as the report's diagnosis section, rebuilt from the stored ``diagnose_*``
results as the API serves them to this user: a user scoped to a team or region reads only the scorecard rows of
that team or region (``serve.query.result_rows``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from empathica.errors import StoreError
from empathica.report.html import Speaker
from empathica.schema.results import DIAGNOSE_SCORECARD, RUN_COLUMN, Result
from empathica.serve.query import Filters, result_rows
from empathica.serve.web.render import Page, respond
from empathica.serve.web.session import current_user

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/diagnosis", response_class=HTMLResponse)
def diagnosis_page(request: Request) -> Response:
    """The diagnosis as findings, scorecard bars and tables in the reader's language."""
    from empathica.flywheel.steps.diagnose_findings import section_from_store
    from empathica.serve.web.pages import words_for

    user = current_user(request)
    words = words_for(request, user)
    server = request.app.state.server
    with server.reading() as store:
        def read(declared: Result):
            try:
                frame = result_rows(store, declared, user, Filters()).to_pandas()
            except StoreError:  # not stored yet
                return None
            return frame.drop(columns=[RUN_COLUMN], errors="ignore")

        section = section_from_store(store, read=read)
        scores = read(DIAGNOSE_SCORECARD)
    server.ops.audit(user.username, "read", "dashboard:diagnosis")
    speaker = Speaker(words.lang, words.currency)
    extra = {"skipped": bool(section.skipped), "scoped": bool(user.team_id or user.region),
             "findings": [speaker.say(line) for line in section.summary],
             "bars": _bars(scores, speaker), "tables": [speaker.findings_table(b) for b in section.blocks]}
    return respond(request, "diagnosis.html", Page("diagnosis", user, words, extra=extra))


def _bars(scores, speaker: Speaker) -> list[dict]:
    """The company's dimensions as bars (score, 95 % interval) when the user may see the company's rows."""
    if scores is None or scores.empty:
        return []
    company = scores[scores["scope"] == "all"].sort_values("score")
    return [{"name": speaker.t(f"diagnose.dim.{r.dimension}"), "score": max(0.0, min(100.0, float(r.score))),
             "low": max(0.0, float(r.score_low)), "high": min(100.0, float(r.score_high)),
             "label": speaker.t("value.int", v=r.score),
             "interval": speaker.t("dashboard.diagnosis.interval", low=r.score_low, high=r.score_high)}
            for r in company.itertuples()]
