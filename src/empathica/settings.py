"""Every setting Empathica reads, declared once: name, default, help text.

Settings come, in rising priority, from the defaults below, a TOML file (``empathica.toml`` in the
working directory or the path in ``EMPATHICA_CONFIG``), environment variables ``EMPATHICA_<NAME>``
and keyword arguments. ``docs/settings.md`` documents each one; a test fails when one is missing there.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from empathica.errors import SettingsError


#: The report's languages, in the order figures are drawn (``report.i18n.LANGUAGES`` holds their locales).
_REPORT_LANGUAGES = ("en", "de", "zh")
#: Environment variables of settings from before a rename: the old variable → the setting it now sets.
_RENAMED_ENV = {"EMPATHICA_FIGURE_LANGUAGES": "report_figure_languages"}


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The settings in force for one run."""

    backend: str = _setting(
        "duckdb",
        "Ibis backend that holds the store: 'duckdb' (embedded file, the default), 'pyspark' or 'postgres'.",
    )
    db_path: str = _setting("empathica.duckdb", "Path of the embedded DuckDB file (duckdb backend only).")
    backend_url: str = _setting(
        "",
        "Connection URL for a non-embedded backend, e.g. 'postgres://user:pw@host/db' (empty: not used).",
    )
    redact_pii: bool = _setting(
        True,
        "Redact phone numbers, e-mail addresses, card and IBAN numbers and Chinese ID numbers in free text before storage.",
    )
    pii_columns: str = _setting(
        "name,first_name,last_name,full_name,surname,vorname,nachname,email,e_mail,mail,phone,mobile,telephone,"
        "telefon,handy,address,street,strasse,adresse,ip,ip_address,姓名,名字,电话,手机,邮箱,地址,身份证",
        "Extra columns (kept in `attributes`) whose every value is personal data: replaced by [REDACTED] on ingestion "
        "while redact_pii is on (comma-separated, compared after lower-casing, other characters as _). Other extra "
        "columns are redacted like free text.",
    )
    seed: int = _setting(7, "Seed for every random choice an analysis makes (bootstrap, splits), so runs repeat.")
    batch_rows: int = _setting(200_000, "Rows per batch when reading large files, bounding memory.")
    ingest_memory_limit: str = _setting(
        "512MB",
        "DuckDB's memory limit while Listen ingests files (e.g. '2GB'); beyond it DuckDB spills to disk.",
    )
    memory_limit: str = _setting(
        "",
        "DuckDB's memory limit for analyses (e.g. '8GB'); beyond it DuckDB spills to disk. Empty: half the machine's memory, leaving the rest to the analyses' Python side.",
    )
    progress: bool = _setting(True, "Show progress bars on a terminal.")
    runs_kept: int = _setting(
        5,
        "Published runs whose results are kept in the store's history_<result> tables, for comparing runs (the oldest beyond it are dropped when a run publishes).",
    )
    ops_url: str = _setting(
        "",
        "SQLAlchemy URL of the operational store (users, API keys, sessions, audit log) of `empathica serve`, e.g. 'postgresql+psycopg://user:pw@host/db'. Empty: a SQLite file beside the analytics store (<db>.ops.sqlite).",
    )
    serve_max_upload_mb: int = _setting(100, "Largest file (MB) the server accepts in one upload (POST /ingest).")
    serve_max_rows: int = _setting(10_000, "Most JSON rows the server accepts in one request (POST /ingest/<table>/rows).")
    serve_cache_mb: int = _setting(64, "Megabytes of answered result pages `empathica serve` keeps in memory (0: none); "
                                   "forgotten when a run publishes or an ingest changes teams, employees, customers, turns or conversations.")
    serve_prepare_scopes: bool = _setting(True, "Recompute, in the background when `empathica serve` opens and after each run or ingest, the dashboard panels of every user with a team or region, so that their first visit reads them (docs/dashboard.md).")
    act_webhook_secret: str = _setting("", "Secret that signs Act's webhooks (HMAC-SHA256, header X-Empathica-Signature); set it in deployments.")
    act_smtp_host: str = _setting("", "SMTP server for Act's e-mails (empty: e-mail notifications wait in the outbox and fail after their retries).")
    act_smtp_port: int = _setting(25, "Port of the SMTP server for Act's e-mails.")
    act_smtp_sender: str = _setting("empathica@localhost", "From address of Act's e-mails.")
    act_notify_attempts: int = _setting(5, "Attempts to deliver one notification before it is marked failed.")
    act_notify_backoff_seconds: float = _setting(30.0, "Wait before the first retry of a notification; it doubles with each further attempt.")
    act_digest_days: int = _setting(7, "Days each team digest covers (weekly by default).")
    act_tick_seconds: float = _setting(30.0, "How often `empathica serve` checks SLAs and delivers due notifications.")
    report_title: str = _setting("Empathica CX report", "Title printed at the top of the HTML report.")
    currency: str = _setting("EUR", "Currency in which revenue figures are reported.")
    report_language: str = _setting("en", "Language of the HTML report and the CLI's findings: en, de or zh (`empathica run --lang`).")
    report_figure_dpi: int = _setting(110, "Resolution (dots per inch) of the report's figures: higher is sharper, larger and slower to draw.")
    report_figure_languages: str = _setting(
        "en,de,zh",
        "Languages the report's figures are drawn in when a step runs (comma-separated: en, de, zh; English is always drawn). A language left out shows the English drawing; each language drawn costs about 0.6 CPU s per figure.",
    )
    scenarios: str = _setting(
        "",
        "Your ROI scenarios, valued beside the built-in ones: KIND:TARGET:CHANGE separated by ';', KIND one of pathway, touchpoint, team, agents, driver; CHANGE +x, -x%, or median (e.g. 'touchpoint:delivery:+0.5; agents:agent_05,agent_10:median', or a TOML list; docs/decide.md).",
    )
    text_model_dir: str = _setting(
        "",
        "Folder of text heads retrained by `empathica text train` (empty: the shipped models); heads missing there come from the shipped ones.",
    )
    text_aspects_file: str = _setting(
        "",
        "TOML file of extra aspect (pain point) patterns per language, extending the shipped catalogue (empty: none).",
    )
    text_embed_budget: int = _setting(
        5000,
        "Most texts per run the German sentiment cascade sends to the e5 embedding model (~30 texts/s); the least sure go first, the rest keep the n-gram verdict.",
    )
    text_cue_override: str = _setting(
        "de",
        "Languages (comma-separated: de, en, zh) in which clear emotion cues overrule the sentiment head's unsure neutral verdicts; the German head learnt neutral from 70 % neutral rail feedback (docs/text.md, 'German cue override'). Empty: none, e.g. for news-like German text. A change rescores the store's texts on the next run.",
    )
    text_adapt_priors: bool = _setting(
        True,
        "Score a corpus with its own class balance: per language, the sentiment classes' base rates are estimated from the texts themselves (EM on the head's posteriors, from 200 texts of a language) and replace the training data's (docs/text.md, 'Label shift').",
    )

    text_adapt_ratings: bool = _setting(
        True,
        "Fit the sentiment heads to the store's own rated texts (survey comments with NPS or CSAT, reviews with stars) before scoring, per language, and keep a fitted head only where it scores held-out rated texts significantly better (docs/text.md, 'Learning from the customers' own ratings'). A change rescores the store's texts on the next run.",
    )

    # -- empathy (area: empathy) --
    empathy_e5_replies: int = _setting(
        1000,
        "Most distinct German and Chinese agent replies per run whose empathy mechanisms come from the multilingual e5 heads (e5 embeds ~3–50 texts/s; the most frequent replies go first); the rest keep the cue model. 0: cue model only.",
    )

    # -- diagnose (area: diagnose) --
    diagnose_rules: str = _setting(
        "",
        "TOML file of the CX scorecard's scoring rules (metrics per dimension, direction, anchors, weights; docs/diagnose.md). Empty: the shipped src/empathica/diagnose/scorecard_rules.toml.",
    )
    diagnose_maturity: str = _setting(
        "",
        "TOML file of the maturity questionnaire, weights and stage thresholds (docs/diagnose.md). Empty: the shipped src/empathica/diagnose/maturity.toml.",
    )
    diagnose_values_cap: int = _setting(
        3000,
        "Most distinct values answers per run embedded for the values-based segments (e5 embeds ~20–50 texts/s); beyond it a seeded sample is taken.",
    )
    diagnose_period_days: int = _setting(
        90,
        "Length in days of a data period for the CX scorecard's trend per period: each dimension is scored on the data's last period and on the one before it (docs/diagnose.md).",
    )
    diagnose_values_alignment: str = _setting(
        "",
        "TOML file mapping values themes (cues per language) to the touchpoints, business area and pain points where the company is measured on them, for the alignment with what customers value (docs/diagnose.md). Empty: the shipped src/empathica/diagnose/values_alignment.toml.",
    )

    def __post_init__(self) -> None:
        self.cue_override_languages  # noqa: B018 - a bad language list is reported when settings load
        if self.report_language not in _REPORT_LANGUAGES:
            raise SettingsError(f"setting report_language: {self.report_language!r} is not one of en, de, zh.")
        self.figure_languages  # noqa: B018 - a bad language list is reported when settings load
        if not 20 <= self.report_figure_dpi <= 600:
            raise SettingsError(f"setting report_figure_dpi: {self.report_figure_dpi} is not a resolution from 20 to 600 dots per inch (e.g. 110).")
        if self.batch_rows < 1:
            raise SettingsError(f"setting batch_rows: {self.batch_rows} is not a positive number of rows (e.g. 200000).")

    @property
    def cue_override_languages(self) -> tuple[str, ...]:
        """``text_cue_override`` as a tuple of language codes (checked: de, en, zh)."""
        langs = tuple(dict.fromkeys(part.strip().lower() for part in self.text_cue_override.split(",") if part.strip()))
        unknown = [lang for lang in langs if lang not in ("de", "en", "zh")]
        if unknown:
            raise SettingsError(f"setting text_cue_override: {', '.join(unknown)} is not one of de, en, zh "
                                f"(a comma-separated list such as 'de', or empty for none).")
        return langs

    @property
    def figure_languages(self) -> tuple[str, ...]:
        """``report_figure_languages`` as a tuple of language codes in report order, English always first (checked)."""
        wanted = {part.strip().lower() for part in self.report_figure_languages.split(",") if part.strip()}
        unknown = sorted(wanted - set(_REPORT_LANGUAGES))
        if unknown:
            raise SettingsError(f"setting report_figure_languages: {', '.join(unknown)} is not one of en, de, zh "
                                f"(a comma-separated list such as 'en,de'; English is always drawn).")
        return tuple(lang for lang in _REPORT_LANGUAGES if lang == "en" or lang in wanted)

    @classmethod
    def load(cls, config_file: str | Path | None = None, **overrides: Any) -> "Settings":
        """Settings from defaults, an optional TOML file, the environment, then ``overrides``."""
        values: dict[str, Any] = {}
        path = config_path(config_file)
        if path.is_file():
            try:
                values.update(tomllib.loads(path.read_text(encoding="utf-8")))
            except tomllib.TOMLDecodeError as exc:
                raise SettingsError(f"{path}: not valid TOML ({exc}); fix the file or remove it.") from exc
        known = {f.name: f for f in fields(cls)}
        for old, name in _RENAMED_ENV.items():  # read only when the setting's own variable is not set
            if old in os.environ and f"EMPATHICA_{name.upper()}" not in os.environ:
                values[name] = os.environ[old]
        for name in known:
            env = os.environ.get(f"EMPATHICA_{name.upper()}")
            if env is not None:
                values[name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise SettingsError(
                f"unknown setting(s) {', '.join(unknown)}; known settings: {', '.join(sorted(known))}."
            )
        return cls(**{k: _coerce(k, v, known[k].default) for k, v in values.items()})


def config_path(config_file: str | Path | None = None) -> Path:
    """The settings file :meth:`Settings.load` reads: ``config_file``, else ``EMPATHICA_CONFIG``, else ``empathica.toml``."""
    return Path(config_file or os.environ.get("EMPATHICA_CONFIG", "empathica.toml"))


def changed(settings: Settings, name: str, value: Any) -> Settings:
    """``settings`` with ``name`` set to ``value``, coerced and checked as when the settings file is loaded."""
    known = {f.name: f for f in fields(Settings)}
    if name not in known:
        raise SettingsError(f"unknown setting {name!r}; known settings: {', '.join(sorted(known))}.")
    return dataclasses.replace(settings, **{name: _coerce(name, value, known[name].default)})


def write_setting(path: str | Path, name: str, value: Any) -> None:
    """Set ``name = value`` in the settings file at ``path``, keeping its other settings; written atomically (a
    temporary file beside it, then renamed), so a reader never sees half a file."""
    path = Path(path)
    values: dict[str, Any] = {}
    if path.is_file():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML ({exc}); fix the file or remove it.") from exc
    values[name] = value
    text = "".join(f"{key} = {_toml_value(v)}\n" for key, v in values.items())
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _toml_value(value: Any) -> str:
    """One setting's value as TOML (settings are flat: text, numbers, true/false, lists of text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def describe() -> list[tuple[str, Any, str]]:
    """(name, default, help) for every setting, in declaration order."""
    return [(f.name, f.default, f.metadata["help"]) for f in fields(Settings)]


def _coerce(name: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(f"setting {name}: {value!r} is not true/false.")
    if isinstance(default, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SettingsError(f"setting {name}: {value!r} is not a whole number.") from None
    if isinstance(value, list | tuple):  # a TOML list of strings: text_cue_override = ["de", "zh"]
        return ("; " if name == "scenarios" else ",").join(str(v) for v in value)  # a scenario holds commas itself
    return str(value)
