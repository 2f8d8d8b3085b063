"""Who is asking: bearer tokens (a session from ``POST /auth/login`` or an API key), roles, and the login limit."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from empathica.serve.errors import ApiError
from empathica.store.operational import ROLES, User

_bearer = HTTPBearer(auto_error=False, description="A session token from POST /auth/login, or an API key (emk_…).")


def require(role: str):
    """A dependency: the authenticated user, who must hold ``role`` or a higher one (401 / 403 otherwise)."""
    if role not in ROLES:
        raise ValueError(role)

    def dependency(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> User:
        if credentials is None or not credentials.credentials:
            raise ApiError(401, "unauthenticated", "this endpoint needs a bearer token: log in (POST /auth/login) or use an API key.")
        user = request.app.state.server.ops.user_for_token(credentials.credentials)
        if user is None:
            raise ApiError(401, "unauthenticated", "the token is unknown, expired or revoked, or its user is disabled.")
        if not user.allowed(role):
            request.app.state.server.ops.audit(user.username, "refused", request.url.path, detail=f"needs {role}", status=403)
            raise ApiError(403, "forbidden", f"this needs the {role} role; {user.username} is {user.role}.")
        request.state.user = user
        return user

    dependency.__name__ = f"require_{role}"
    return dependency


class LoginLimiter:
    """At most ``attempts`` failed logins per user name and per client address within ``window`` seconds."""

    def __init__(self, *, attempts: int = 5, window: float = 300.0) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int:
        """Seconds until a login with these keys (name, address) is allowed again; 0: allowed now."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                failures = self._failures[key]
                while failures and now - failures[0] > self.window:
                    failures.popleft()
                if len(failures) >= self.attempts:
                    wait = max(wait, self.window - (now - failures[0]))
        return int(wait) + (1 if wait else 0)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._failures[key].append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
