"""``OperationalStore``: owns the transactional store of the server's own data — users, API keys, sessions and
the audit log; Act's rules and cases are in :mod:`empathica.store.cases` on the same engine (``ops.cases``).

The analytics store (DuckDB, :class:`~empathica.store.Store`) holds customers' data and results; this one holds
who may see them and what they did. Through SQLAlchemy the same code runs on SQLite (the embedded default, a
file beside the analytics store) and on PostgreSQL for deployments (setting ``ops_url``).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import (Boolean, event, Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text, create_engine,
                        func, insert, select, update)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from empathica.errors import InputError, StoreError

#: The roles, from least to most allowed: a viewer reads, an analyst also ingests, runs and exports, an admin
#: also manages users and reads the audit log.
ROLES = ("viewer", "analyst", "admin")

_meta = MetaData()
USERS = Table(
    "users", _meta,
    Column("user_id", Integer, primary_key=True),
    Column("username", String(120), unique=True, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("team_id", String(120)),  # set: the user sees only this team's agents and customers
    Column("region", String(120)),  # set: the user sees only this region's teams and customers
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
API_KEYS = Table(
    "api_keys", _meta,
    Column("key_id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.user_id"), nullable=False),
    Column("key_hash", String(64), unique=True, nullable=False),  # SHA-256 of the key: the key itself is shown once
    Column("label", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)
SESSIONS = Table(
    "sessions", _meta,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.user_id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
AUDIT_LOG = Table(
    "audit_log", _meta,
    Column("entry_id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("username", String(120)),
    Column("action", String(40), nullable=False),  # read, export, run, ingest, login, login_failed, user_add ...
    Column("target", Text),
    Column("detail", Text),
    Column("status", Integer),
)
# -- dashboard: per-user preferences (the dashboard's language) --
PREFERENCES = Table(
    "user_preferences", _meta,
    Column("username", String(120), primary_key=True),
    Column("lang", String(8)),
)
# -- dashboard: the scenarios each user typed on the Value page (kept over restarts; valued by decide runs) --
USER_SCENARIOS = Table(
    "user_scenarios", _meta,
    Column("scenario_id", Integer, primary_key=True),
    Column("username", String(120), nullable=False, index=True),
    Column("scenario", String(500), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class User:
    """Who is asking: name, role and scope (team and region; None: everything)."""

    user_id: int
    username: str
    role: str
    team_id: str | None = None
    region: str | None = None
    disabled: bool = False

    def allowed(self, role: str) -> bool:
        """Whether this user's role is ``role`` or above."""
        return ROLES.index(self.role) >= ROLES.index(role)


def default_ops_url(db_path: str | Path) -> str:
    """The embedded operational store beside the analytics store ``db_path``: ``<db>.ops.sqlite``."""
    return f"sqlite:///{Path(str(db_path) + '.ops.sqlite').expanduser().resolve()}"


def with_kept_scenarios(settings, ops: "OperationalStore"):
    """``settings`` with every user's kept scenarios (typed on the dashboard's Value page) added to the setting
    ``scenarios``, each once: what a run values however it is started (the dashboard, ``POST /runs``,
    ``empathica run``), so a run never drops a user's scenario from ``decide_scenarios``."""
    from dataclasses import replace

    parts = [p.strip() for p in (settings.scenarios or "").split(";")] + ops.scenarios()
    return replace(settings, scenarios="; ".join(dict.fromkeys(p for p in parts if p)))


def kept_scenarios_for(settings, db_path: str | Path):
    """:func:`with_kept_scenarios` for a run outside the server (``empathica run``): the store's operational
    store (the setting ``ops_url``, or the one beside ``db_path``) is read when it exists; none is created."""
    url = settings.ops_url or default_ops_url(db_path)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return settings
    ops = OperationalStore(url)
    try:
        return with_kept_scenarios(settings, ops)
    finally:
        ops.close()


#: Seconds a token's user is taken as checked: a user disabled, a session ended or a key revoked in this process
#: stops at once (the memo is cleared); done by another process (`empathica users disable`), within this time.
TOKEN_RECHECK = 1.0
#: Seconds within which an audit row recorded with ``audit_soon`` is written.
AUDIT_DELAY = 0.5


class OperationalStore:
    """Users, API keys, sessions and the audit log in a SQLAlchemy database (SQLite or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        if url.startswith("postgres://"):  # the URL form most tools print
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        self.url = url
        try:
            self.engine: Engine = create_engine(url, pool_pre_ping=True)
            if url.startswith("sqlite"):
                event.listen(self.engine, "connect", _sqlite_pragmas)
            _meta.create_all(self.engine)
            from empathica.store.cases import CaseStore

            self.cases = CaseStore(self.engine)
        except OperationalError as exc:
            raise StoreError(f"cannot open the operational store {_safe(url)}: {str(exc.orig).splitlines()[0]}") from None
        self._tokens: dict[str, tuple[User, float]] = {}  # token digest → (user, when checked)
        self._pending: list[dict] = []  # audit rows of reads, written together (audit_soon)
        self._pending_lock = threading.Lock()
        self._flusher: threading.Timer | None = None

    def close(self) -> None:
        self.flush_audit()
        self.engine.dispose()

    # -- users ---------------------------------------------------------------------------------
    def add_user(self, username: str, password: str, *, role: str, team_id: str | None = None,
                 region: str | None = None) -> User:
        """Create a user with an argon2-hashed password."""
        if role not in ROLES:
            raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}.")
        if not username or len(username) > 120 or not username.replace("-", "").replace("_", "").replace(".", "").replace("@", "").isalnum():
            raise InputError(f"user name {username!r}: use 1–120 letters, digits, '.', '-', '_' or '@'.")
        if len(password) < 10:
            raise InputError("password: use at least 10 characters.")
        try:
            with self.engine.begin() as con:
                con.execute(insert(USERS).values(username=username, password_hash=hash_password(password), role=role,
                                                 team_id=team_id or None, region=region or None, disabled=False,
                                                 created_at=datetime.now(UTC)))
        except IntegrityError:
            raise InputError(f"user {username!r} exists already; pick another name.") from None
        return self.user(username)

    def user(self, username: str) -> User:
        with self.engine.connect() as con:
            row = con.execute(select(USERS).where(USERS.c.username == username)).mappings().first()
        if row is None:
            raise InputError(f"no user {username!r}; `empathica users list` shows them.")
        return _user(row)

    def users(self) -> list[User]:
        with self.engine.connect() as con:
            return [_user(r) for r in con.execute(select(USERS).order_by(USERS.c.username)).mappings()]

    def set_disabled(self, username: str, disabled: bool = True) -> User:
        """Disable (or enable again) a user; a disabled user's sessions and keys stop working at once."""
        self.user(username)
        with self.engine.begin() as con:
            con.execute(update(USERS).where(USERS.c.username == username).values(disabled=disabled))
        self._tokens.clear()
        return self.user(username)

    def check_password(self, username: str, password: str) -> User | None:
        """The user when ``password`` is theirs and they are enabled, else None."""
        with self.engine.connect() as con:
            row = con.execute(select(USERS).where(USERS.c.username == username)).mappings().first()
        if row is None:
            verify_password(None, password)  # the same work either way, so timing does not tell names apart
            return None
        if not verify_password(row["password_hash"], password) or row["disabled"]:
            return None
        return _user(row)

    # -- API keys and sessions -----------------------------------------------------------------
    def create_api_key(self, username: str, *, label: str = "") -> str:
        """A new API key for ``username``; only its hash is stored, so it is shown once."""
        user = self.user(username)
        key = "emk_" + secrets.token_urlsafe(32)
        with self.engine.begin() as con:
            con.execute(insert(API_KEYS).values(user_id=user.user_id, key_hash=_digest(key), label=label,
                                                created_at=datetime.now(UTC), revoked=False))
        return key

    def create_session(self, user: User, *, hours: float = 8) -> str:
        token = "ems_" + secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.engine.begin() as con:
            con.execute(insert(SESSIONS).values(token_hash=_digest(token), user_id=user.user_id, created_at=now,
                                                expires_at=now + timedelta(hours=hours)))
        return token

    def end_session(self, token: str) -> None:
        with self.engine.begin() as con:
            con.execute(SESSIONS.delete().where(SESSIONS.c.token_hash == _digest(token)))
        self._tokens.pop(_digest(token), None)

    def user_for_token(self, token: str) -> User | None:
        """The enabled user a session token or API key belongs to (None: unknown, expired, revoked or disabled)."""
        digest = _digest(token)
        known = self._tokens.get(digest)
        if known is not None and time.monotonic() - known[1] < TOKEN_RECHECK:
            return known[0]
        user = self._user_for_digest(token, digest)
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        if user is not None:
            self._tokens[digest] = (user, time.monotonic())
        return user

    def _user_for_digest(self, token: str, digest: str) -> User | None:
        with self.engine.connect() as con:
            if token.startswith("emk_"):
                row = con.execute(select(USERS).join(API_KEYS, API_KEYS.c.user_id == USERS.c.user_id)
                                  .where(API_KEYS.c.key_hash == digest, API_KEYS.c.revoked.is_(False))).mappings().first()
            elif token.startswith("ems_"):
                row = con.execute(select(USERS, SESSIONS.c.expires_at).join(SESSIONS, SESSIONS.c.user_id == USERS.c.user_id)
                                  .where(SESSIONS.c.token_hash == digest)).mappings().first()
                if row is not None and _aware(row["expires_at"]) < datetime.now(UTC):
                    return None
            else:
                return None
        if row is None or row["disabled"]:
            return None
        return _user(row)

    # -- audit log -----------------------------------------------------------------------------
    def audit(self, username: str | None, action: str, target: str = "", *, detail: str = "", status: int = 200) -> None:
        """Record who did what to which target."""
        with self.engine.begin() as con:
            con.execute(insert(AUDIT_LOG).values(at=datetime.now(UTC), username=username, action=action,
                                                 target=target[:2000], detail=detail[:4000], status=status))

    def audit_soon(self, username: str | None, action: str, target: str = "", *, detail: str = "", status: int = 200) -> None:
        """Record who did what like :meth:`audit`, written within ``AUDIT_DELAY`` seconds in one transaction with the
        rows recorded meanwhile (the server's reads: one transaction per read would cost more than the read)."""
        row = dict(at=datetime.now(UTC), username=username, action=action, target=target[:2000], detail=detail[:4000],
                   status=status)
        with self._pending_lock:
            self._pending.append(row)
            if self._flusher is None:
                self._flusher = threading.Timer(AUDIT_DELAY, self.flush_audit)
                self._flusher.daemon = True
                self._flusher.start()

    def flush_audit(self) -> None:
        """Write the audit rows :meth:`audit_soon` holds (done before the log is read and on close)."""
        with self._pending_lock:
            rows, self._pending, self._flusher = self._pending, [], None
        if rows:
            with self.engine.begin() as con:
                con.execute(insert(AUDIT_LOG), rows)

    def audit_entries(self, *, limit: int = 100, offset: int = 0, username: str | None = None,
                      action: str | None = None) -> tuple[int, list[dict]]:
        self.flush_audit()
        query = select(AUDIT_LOG)
        if username:
            query = query.where(AUDIT_LOG.c.username == username)
        if action:
            query = query.where(AUDIT_LOG.c.action == action)
        with self.engine.connect() as con:
            total = con.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            rows = con.execute(query.order_by(AUDIT_LOG.c.entry_id.desc()).limit(limit).offset(offset)).mappings()
            return int(total), [dict(r) for r in rows]


    # -- dashboard preferences -------------------------------------------------------------------
    def language(self, username: str) -> str | None:
        """The dashboard language ``username`` chose last (None: not chosen yet)."""
        with self.engine.connect() as con:
            return con.execute(select(PREFERENCES.c.lang).where(PREFERENCES.c.username == username)).scalar()

    def set_language(self, username: str, lang: str) -> None:
        """Keep ``lang`` as ``username``'s dashboard language."""
        with self.engine.begin() as con:
            con.execute(PREFERENCES.delete().where(PREFERENCES.c.username == username))
            con.execute(insert(PREFERENCES).values(username=username, lang=lang))

    def add_scenario(self, username: str, scenario: str) -> None:
        """Keep ``scenario`` (KIND:TARGET:CHANGE, checked by the caller) as one of ``username``'s; once each."""
        if scenario in self.scenarios(username):
            return
        with self.engine.begin() as con:
            con.execute(insert(USER_SCENARIOS).values(username=username, scenario=scenario, created_at=datetime.now(UTC)))

    def scenarios(self, username: str | None = None) -> list[str]:
        """The scenarios ``username`` kept (None: every user's, each once), oldest first."""
        query = select(USER_SCENARIOS.c.scenario).order_by(USER_SCENARIOS.c.scenario_id)
        if username is not None:
            query = query.where(USER_SCENARIOS.c.username == username)
        with self.engine.connect() as con:
            return list(dict.fromkeys(r[0] for r in con.execute(query)))

    def set_role(self, username: str, *, role: str, team_id: str | None) -> User:
        """Change ``username``'s role and team (empty team: every team)."""
        if role not in ROLES:
            raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}.")
        self.user(username)
        with self.engine.begin() as con:
            con.execute(update(USERS).where(USERS.c.username == username).values(role=role, team_id=team_id or None))
        return self.user(username)


_hasher = PasswordHasher()
#: A hash of no password, checked when a name is unknown so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("no such user, no such password")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (with its own salt and parameters)."""
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, InvalidHashError):
        return False


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Write-ahead log: the server's readers do not wait for the audit log's writes, and a commit is one fsync less."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _user(row) -> User:
    return User(user_id=row["user_id"], username=row["username"], role=row["role"], team_id=row["team_id"],
                region=row["region"], disabled=bool(row["disabled"]))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite gives naive datetimes back


def _safe(url: str) -> str:
    """``url`` without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url
