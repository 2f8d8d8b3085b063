"""The agent's page of a customer (Act's context card): the journey so far, open cases, the sentiment trend and
last emotion, pain points, what the customer values, churn risk and CLV with reasons, and the suggested opener
with its reason, which the agent marks used, edited or rejected (stored for Learn, as ``POST
/customers/{id}/card/opener`` does).

The card is Act's (``server.act.snapshot``); this module only presents it in the reader's language. A user with
a team or region opens only the customers in that scope (as every other page).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import ibis
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from empathica.errors import InputError
from empathica.serve.query import scoped_rows
from empathica.serve.reasons import say
from empathica.serve.web.charts import as_json
from empathica.serve.web.formats import Words, quote_text
from empathica.serve.web.pages import words_for
from empathica.serve.web.render import Page, respond
from empathica.serve.web.session import NotAllowed, NotFound, current_user
from empathica.store.operational import User

router = APIRouter(prefix="/ui", include_in_schema=False)
VERDICTS = ("used", "edited", "rejected")
TRENDS = ("improving", "steady", "worsening")
#: Column labels the card's tables and facts use.
CARD_COLUMNS = ("language", "segment", "region", "timestamp", "touchpoint", "channel", "question", "answer", "case_id",
                "title", "priority", "status", "resolution_due", "p_churn", "clv", "p_alive_mean", "emotion")


@router.get("/customers", response_class=HTMLResponse)
def find_customer(request: Request) -> Response:
    """The look-up form's answer: the customer's page."""
    current_user(request)
    wanted = request.query_params.get("customer_id", "").strip()[:120]
    return RedirectResponse(f"/ui/customers/{quote(wanted, safe='')}" if wanted else "/ui/act", status_code=303)


def _card(request: Request, user: User, customer_id: str) -> dict:
    """Act's card of ``customer_id`` within ``user``'s scope: 404 for a customer id the store does not know,
    403 outside the user's scope, and a page saying so when Act has no card of a known customer."""
    server = request.app.state.server
    act = getattr(server, "act", None)
    card = act.snapshot.card(customer_id) if act is not None and act.snapshot is not None else None
    with server.reading() as store:
        customers = store.table("customers")
        one = customers.filter(customers.customer_id == ibis.literal(customer_id, type="string")).select("customer_id")
        if card is None and int(one.count().execute()) == 0:
            raise NotFound("dashboard.notfound.customer")
        if card is not None and (user.team_id or user.region) and int(scoped_rows(store, one, user).count().execute()) == 0:
            server.ops.audit(user.username, "refused", f"dashboard:card:{customer_id}", status=403)
            raise NotAllowed("dashboard.forbidden.customer")
    if card is None:
        raise NotAllowed("dashboard.forbidden.no_card")
    card["open_cases"] = act.cases.active_cases_of(customer_id)
    return card


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def card_page(request: Request, customer_id: str) -> Response:
    user = current_user(request)
    words = words_for(request, user)
    card = _card(request, user, customer_id)
    request.app.state.server.ops.audit(user.username, "read", f"dashboard:card:{customer_id}")
    verdict = request.query_params.get("opener", "")
    extra = {"card": card_view(card, words), "customer_id": customer_id,
             "opener_done": verdict if verdict in (*VERDICTS, "failed") else ""}
    return respond(request, "card.html", Page("card", user, words, None, [], extra))


@router.post("/customers/{customer_id}/opener")
def mark_opener(request: Request, customer_id: str, opener_id: str = Form(..., max_length=400),
                verdict: str = Form(...), edited_text: str = Form("", max_length=4000)) -> Response:
    """The agent used, edited or rejected the suggested opener."""
    user = current_user(request)
    _card(request, user, customer_id)  # the card exists and is in the user's scope
    act = request.app.state.server.act
    back = f"/ui/customers/{quote(customer_id, safe='')}?"
    try:
        act.cases.add_opener_feedback(customer_id=customer_id, opener_id=opener_id, verdict=verdict,
                                      edited_text=edited_text or None, username=user.username)
    except InputError:
        return RedirectResponse(back + urlencode({"opener": "failed"}), status_code=303)
    request.app.state.server.ops.audit(user.username, "opener", f"dashboard:card:{customer_id}", detail=verdict)
    return RedirectResponse(back + urlencode({"opener": verdict}), status_code=303)


def card_view(card: dict, words: Words) -> dict:
    """The card's parts for the template: every number and date written for the reader, every text escaped there."""
    sentiment = card.get("sentiment") or {}
    churn, clv = card.get("churn"), card.get("clv")
    trend = sentiment.get("trend")
    return {
        "facts": [(words.column(k), str(card.get(k) or "–")) for k in ("language", "segment", "region")],
        "journey": [[_when(e.get("timestamp"), words), str(e.get("touchpoint") or "–"), str(e.get("channel") or "–")]
                    for e in card.get("journey") or []],
        "cases": [[words.number(c["case_id"], "int"), str(c.get("title") or ""), str(c.get("priority") or ""),
                   str(c.get("status") or ""), _when(c.get("resolution_due"), words)] for c in card.get("open_cases") or []],
        "trend": words.label("trend", trend) if trend in TRENDS else "–",
        "last_sentiment": words.number(sentiment.get("last"), "num2"),
        "last_emotion": emotion_name(sentiment.get("last_emotion"), words),
        "chart": _sentiment_chart(sentiment.get("points") or [], words),
        "pain_points": [aspect_name(p, words) for p in card.get("pain_points") or []],
        "answers": [[_when(v.get("timestamp"), words), str(v.get("question") or ""), quote_text(v.get("answer") or "")]
                   for v in card.get("values") or []],
        "churn": churn and {"p": words.number(churn["p_churn"], "pct"), "reasons": _reasons_shown(churn, words)},
        "clv": clv and {"clv": words.number(clv["clv"], "money"), "p_alive": words.number(clv["p_alive"], "pct"),
                        "reasons": _reasons_shown(clv, words)},
        "opener": _opener(card.get("opener"), words),
    }


def _reasons_shown(part: dict, words: Words) -> list[str]:
    """A card part's reasons in the reader's language: its findings said as the API says them (``reasons_shown``);
    a card without findings (built by an older release) has its stored reasons read as codes."""
    if "reason_findings" in part:
        return say(part["reason_findings"], words.lang)
    return [reason_text(r, words) for r in part.get("reasons") or []]


def _opener(opener: dict | None, words: Words) -> dict | None:
    if not opener:
        return None
    why = opener.get("reason_values") or {}
    same = [words.t("dashboard.card.same_pain_point", pain_point=aspect_name(why["same_pain_point"], words))] \
        if why.get("same_pain_point") else []
    same += [words.t("dashboard.card.same_emotion", emotion=emotion_name(why["same_emotion"], words))] \
        if why.get("same_emotion") else []
    reason = words.t("dashboard.card.opener_reason", empathy=words.number(why.get("empathy"), "num2"),
                     agent=str(why.get("agent_id") or "–"), language=str(why.get("language") or "–"))
    return {"id": str(opener["opener_id"]), "text": quote_text(opener.get("text") or ""), "reason": " ".join([reason, *same])}


def emotion_name(emotion, words: Words) -> str:
    """An emotion as the text step stores it (``anger`` ...) in the reader's language."""
    return words.code(emotion, f"column.{emotion}") if emotion else "–"


def aspect_name(aspect, words: Words) -> str:
    """A pain point (an aspect code of the lexicon) in the reader's language; an aspect a client's lexicon added
    without a label is shown as stored."""
    return words.code(aspect, f"aspect.{aspect}")


#: A reason as Act stores it: ``column=value`` with, for churn, the column's push on the risk: ``csat_min=1 (+0.40)``.
_REASON = re.compile(r"^(?P<code>[A-Za-z_]\w*)=(?P<value>.*?)(?: \((?P<weight>[+-]?\d+(?:\.\d+)?)\))?$")
#: Reasons stored as whole phrases, by their message.
_REASON_PHRASES = {"already lost (churned_at set)": "dashboard.reason.already_lost"}


def reason_text(reason, words: Words) -> str:
    """A churn or CLV reason in the reader's language: the input's name from the catalogues, its value written
    for the locale, and its push on the risk. Reasons stored as codes (``{"code", "value", "weight"}``) or as
    findings (``{"message_id", "values"}``) are read too; anything else is shown as stored."""
    if isinstance(reason, dict):
        if reason.get("message_id"):
            return words.code(reason["message_id"], reason["message_id"]) if not reason.get("values") else \
                _finding(reason, words)
        code, value, weight = (reason.get("code") or reason.get("column"), reason.get("value"),
                               reason.get("weight", reason.get("contribution")))
    else:
        text = str(reason).strip()
        if text in _REASON_PHRASES:
            return words.t(_REASON_PHRASES[text])
        match = _REASON.match(text)
        if not match:
            return text
        code, value, weight = match["code"], match["value"], match["weight"]
    name = words.code(code, f"column.{code}", f"dashboard.column.{code}", f"dashboard.reason.{code}")
    said = words.t("dashboard.card.reason", factor=name, value=_reason_value(value, words))
    return f"{said} ({words.number(float(weight), 'signed')})" if weight not in (None, "") else said


def _finding(reason: dict, words: Words) -> str:
    try:
        return words.t(reason["message_id"], **reason["values"])
    except (KeyError, ValueError, TypeError):  # a message this release does not know: show its id
        return str(reason["message_id"])


def _reason_value(value, words: Words) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return words.code(value, f"dashboard.reason.{str(value).replace(' ', '_')}") if value not in (None, "") else "–"
    return words.number(number, "int" if number.is_integer() else "num2")


def _sentiment_chart(points: list[dict], words: Words) -> str | None:
    scored = [p for p in points if p.get("sentiment") is not None]
    if not scored:
        return None
    days = [str(p.get("timestamp") or "")[:10] for p in scored]  # ISO: the browser writes the ticks (Intl)
    data = [{"value": float(p["sentiment"]), "label": words.number(p["sentiment"], "num2")} for p in scored]
    return as_json({"aria": {"enabled": True}, "tooltip": {"trigger": "item"}, "animation": False, "valueKind": "num2",
            "grid": {"containLabel": True, "left": 8, "right": 24, "top": 24, "bottom": 8},
            "xAxis": {"type": "category", "data": days, "axisKind": "day"}, "yAxis": {"type": "value", "min": -1, "max": 1},
            "series": [{"type": "line", "name": words.column("sentiment"), "data": data, "label": {"show": True}}]})


def _when(stamp, words: Words) -> str:
    return words.number(str(stamp)[:10], "date") if stamp else "–"
