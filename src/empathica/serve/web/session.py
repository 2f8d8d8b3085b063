"""Who is looking at the dashboard: the session cookie (a session of :mod:`empathica.serve.auth`'s store), the
language (``?lang=``, else the user's stored choice, else the server's report language), and the filters the
URL carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from fastapi import Request

from empathica.report.i18n import LANGUAGES
from empathica.serve.query import Filters
from empathica.store.operational import User

COOKIE = "empathica_session"
#: Query parameters of the filters bar (``language`` filters rows; ``lang`` is the page's language).
FILTER_FIELDS = ("from", "to", "language", "channel", "touchpoint", "team", "segment")


class LoginNeeded(Exception):
    """No valid session: the page answers with a redirect to the login form."""


class NotAllowed(Exception):
    """The user may not see this page (role or team); answered with a 403 page."""

    status, title_id = 403, "dashboard.forbidden.title"

    def __init__(self, reason_id: str) -> None:
        super().__init__(reason_id)
        self.reason_id = reason_id


class NotFound(NotAllowed):
    """What the page is about does not exist (an unknown customer id); answered with a 404 page."""

    status, title_id = 404, "dashboard.notfound.title"


def current_user(request: Request) -> User:
    """The user of the session cookie (LoginNeeded when there is none or it expired)."""
    token = request.cookies.get(COOKIE, "")
    user = request.app.state.server.ops.user_for_token(token) if token.startswith("ems_") else None
    if user is None:
        raise LoginNeeded()
    request.state.user = user
    return user


def require_role(user: User, role: str) -> None:
    if not user.allowed(role):
        raise NotAllowed("dashboard.forbidden.role")


def language(request: Request, user: User | None) -> str:
    """The page's language; a valid ``?lang=`` is also kept as the user's choice."""
    server = request.app.state.server
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        if user is not None and server.ops.language(user.username) != asked:
            server.ops.set_language(user.username, asked)
        return asked
    if user is not None:
        chosen = server.ops.language(user.username)
        if chosen in LANGUAGES:
            return chosen
    header = request.headers.get("accept-language", "")[:2].lower()
    return header if header in LANGUAGES else server.settings.report_language


@dataclass(frozen=True)
class PageFilters:
    """The filters bar's values as the URL carries them, and as :class:`~empathica.serve.query.Filters`."""

    values: dict[str, str]
    filters: Filters
    touchpoint: str | None
    errors: tuple[str, ...] = ()

    def query(self, **extra: str) -> str:
        """The URL query string of these filters (plus ``extra``), to share a view or link an export."""
        return urlencode({k: v for k, v in {**self.values, **extra}.items() if v})


def page_filters(request: Request, user: User) -> PageFilters:
    """The filters of the URL; a team lead's view defaults to their own team."""
    values = {f: request.query_params.get(f, "").strip()[:200] for f in FILTER_FIELDS}
    if user.team_id and not values["team"]:
        values["team"] = user.team_id
    errors = []
    dates = {}
    for field in ("from", "to"):
        try:
            dates[field] = date.fromisoformat(values[field]) if values[field] else None
        except ValueError:
            errors.append(field)
            values[field] = ""
            dates[field] = None
    filters = Filters(date_from=dates["from"], date_to=dates["to"], language=values["language"] or None,
                      channel=values["channel"] or None, team=values["team"] or None, segment=values["segment"] or None)
    return PageFilters(values, filters, values["touchpoint"] or None, tuple(errors))
