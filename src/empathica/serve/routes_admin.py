"""``/users`` and ``/audit``: administration (admin role)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from empathica.errors import InputError
from empathica.serve.auth import require
from empathica.serve.errors import ApiError
from empathica.store.operational import User

router = APIRouter(tags=["admin"])


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=10, max_length=1024)
    role: Literal["viewer", "analyst", "admin"]
    team_id: str | None = Field(default=None, max_length=120)
    region: str | None = Field(default=None, max_length=120)


def _public(u: User) -> dict:
    return {"username": u.username, "role": u.role, "team_id": u.team_id, "region": u.region, "disabled": u.disabled}


@router.get("/users")
def list_users(request: Request, user: User = Depends(require("admin"))) -> dict:
    """Every user with role, scope and whether disabled."""
    return {"users": [_public(u) for u in request.app.state.server.ops.users()]}


@router.post("/users", status_code=201)
def add_user(request: Request, body: NewUser, user: User = Depends(require("admin"))) -> dict:
    """Create a user (the password is stored as an argon2 hash)."""
    ops = request.app.state.server.ops
    try:
        created = ops.add_user(body.username, body.password, role=body.role, team_id=body.team_id, region=body.region)
    except InputError as exc:
        raise ApiError(400, "bad_user", str(exc), field="username") from None
    ops.audit(user.username, "user_add", created.username, detail=created.role)
    return _public(created)


@router.post("/users/{username}/disable")
def disable_user(request: Request, username: str, user: User = Depends(require("admin"))) -> dict:
    """Disable a user: their sessions and API keys stop working at once."""
    ops = request.app.state.server.ops
    try:
        changed = ops.set_disabled(username, True)
    except InputError as exc:
        raise ApiError(404, "no_such_user", str(exc), field="username") from None
    ops.audit(user.username, "user_disable", username)
    return _public(changed)


@router.get("/audit")
def audit(request: Request, username: str | None = Query(None, max_length=120), action: str | None = Query(None, max_length=40),
          page_number: int = Query(1, alias="page", ge=1), page_size: int = Query(100, ge=1, le=1000),
          user: User = Depends(require("admin"))) -> dict:
    """Who read, exported, ran, ingested or changed what, newest first."""
    total, rows = request.app.state.server.ops.audit_entries(limit=page_size, offset=(page_number - 1) * page_size,
                                                              username=username, action=action)
    return {"page": page_number, "page_size": page_size, "total": total,
            "entries": [{**r, "at": r["at"].isoformat()} for r in rows]}
