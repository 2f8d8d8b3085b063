"""Diagnose's API: the maturity questionnaire (``GET /diagnose/questionnaire``, viewer) and a self-assessment
(``POST /diagnose/self-assessment``, analyst or admin), stored like one given in the CLI; the next run of the
diagnose step places the company on the maturity curve with it."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from empathica.errors import InputError
from empathica.serve.auth import require
from empathica.serve.errors import ApiError
from empathica.store.operational import User

router = APIRouter()


class SelfAssessment(BaseModel):
    answers: dict[str, int] = Field(description="Question id → answer on the questionnaire's scale (1–5).", max_length=200)


@router.get("/diagnose/questionnaire", tags=["diagnose"])
def questionnaire(request: Request, lang: Literal["en", "de", "zh"] = Query("en"),
                  user: User = Depends(require("viewer"))) -> dict:
    """The maturity questionnaire in ``lang``: each question's id, flywheel input and text, and the scale."""
    from empathica.diagnose.maturity import load_questionnaire

    q = load_questionnaire(request.app.state.server.settings.diagnose_maturity or None)
    return {"scale": {"low": q.low, "high": q.high},
            "questions": [{"id": x["id"], "input": x["input"], "text": q.text(x["id"], lang)} for x in q.questions]}


@router.post("/diagnose/self-assessment", tags=["diagnose"], status_code=201)
def self_assessment(request: Request, body: SelfAssessment, user: User = Depends(require("analyst"))) -> dict:
    """Store one self-assessment (every question answered); the next diagnose run uses the latest."""
    from empathica.diagnose.maturity import check_answers, load_questionnaire, record_assessment

    server = request.app.state.server
    q = load_questionnaire(server.settings.diagnose_maturity or None)
    try:
        answers = check_answers(body.answers, q, where="answers")
    except InputError as exc:
        raise ApiError(400, "bad_answers", str(exc), field="answers") from None
    if server.current_job() is not None:
        raise ApiError(409, "run_going", "a run is going; store the self-assessment when it has finished.")
    with server.ingesting() as writer:
        assessment_id = record_assessment(writer, answers, q, source="api", answered_by=user.username)
    server.ops.audit(user.username, "self_assessment", assessment_id)
    return {"assessment_id": assessment_id, "answers": len(answers)}
