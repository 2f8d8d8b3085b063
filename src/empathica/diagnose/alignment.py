"""Alignment with what customers value (the ecosystem dimension): does the company perform best where its
customers say it matters most?

The values answers are read for themes (``values_alignment.toml``: per theme, cues per language and the
touchpoints where the company is measured on it). A theme's importance is the share of the customers who answered
values questions that name it; the company's performance on it is the mean CSAT of the survey answers at its
touchpoints. The alignment gap is the mean performance on the ``top`` most-valued measured themes minus the mean on
the other measured themes (CSAT points; below zero: the company does worst where its customers care most). The
95 % interval resamples the answerers (so which themes are on top may change) and the surveyed customers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from empathica.diagnose.rules import read_data_file
from empathica.errors import InputError, NotEnoughDataError

#: Languages a theme names cues for.
CUE_LANGUAGES = ("en", "de", "zh")
#: Fewest values answerers and measured themes the alignment needs.
MIN_ANSWERERS, MIN_THEMES = 30, 3


@dataclass(frozen=True)
class Theme:
    """A values theme: its cues per language, where the company is measured on it, its area and pain points."""

    id: str
    area: str
    touchpoints: tuple[str, ...]
    pain_points: tuple[str, ...]
    cues: dict[str, re.Pattern]


def load_themes(path: str | None = None) -> tuple[list[Theme], int]:
    """(themes, top) of ``path`` (the shipped file when empty); one clear error naming file, theme and field."""
    data, name = read_data_file(path, "values_alignment.toml", setting="diagnose_values_alignment")
    themes = []
    for theme_id, body in (data.get("themes") or {}).items():
        where = f"{name}: themes.{theme_id}"
        missing = [k for k in ("area", "touchpoints", *CUE_LANGUAGES) if k not in body]
        if missing:
            raise InputError(f"{where}: field(s) {', '.join(missing)} missing; a theme needs area, touchpoints, en, de, zh.")
        cues = {}
        for lang in CUE_LANGUAGES:
            words = body[lang]
            if not isinstance(words, list) or not words or not all(isinstance(w, str) and w for w in words):
                raise InputError(f"{where}: {lang} must be a list of cue words (at least one).")
            try:
                cues[lang] = re.compile("|".join(w if lang == "zh" else rf"\b{w}" for w in words), re.IGNORECASE)
            except re.error as exc:
                raise InputError(f"{where}: {lang} cue is not a valid regular expression ({exc}).") from exc
        themes.append(Theme(theme_id, str(body["area"]), tuple(body["touchpoints"]), tuple(body.get("pain_points", ())), cues))
    measured = sum(bool(t.touchpoints) for t in themes)
    top = data.get("top", 2)
    if not isinstance(top, int) or not 1 <= top < measured:
        raise InputError(f"{name}: top = {top!r} must be a whole number from 1 to one less than the themes with "
                         f"touchpoints ({measured}).")
    return themes, top


def theme_mentions(answers: pd.DataFrame, themes: list[Theme]) -> pd.DataFrame:
    """One row per customer who answered (``customer_id``, ``answer``, ``lang``): 1 where an answer names a theme."""
    out = pd.DataFrame({"customer_id": answers["customer_id"]})
    lang = answers["lang"].where(answers["lang"].isin(CUE_LANGUAGES), "en")
    text = answers["answer"].fillna("").astype(str)
    for theme in themes:
        hits = np.zeros(len(answers), dtype=int)
        for code, pattern in theme.cues.items():
            mine = (lang == code).to_numpy()
            hits[mine] = text[mine].map(lambda t, p=pattern: bool(p.search(t))).to_numpy(dtype=int)
        out[theme.id] = hits
    return out.groupby("customer_id", as_index=False).max()


class ValuesAlignment:
    """Importance and performance per values theme and the alignment gap; ``fit`` stores ``themes_`` and ``gap_``."""

    def __init__(self, *, themes: list[Theme], top: int = 2, n_bootstrap: int = 200, random_state: int = 7) -> None:
        self.themes = themes
        self.top = top
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    def fit(self, mentions: pd.DataFrame, csat: pd.DataFrame, *, outcome: str = "csat") -> "ValuesAlignment":
        """``mentions`` from :func:`theme_mentions`; ``csat``: customer_id, touchpoint_id and the ``outcome`` column
        (CSAT: one row per survey answer, each counts; a customer-level outcome such as NPS or retention: one row per
        customer and touchpoint visited, the customer counts once per theme)."""
        ids = [t.id for t in self.themes]
        if len(mentions) < MIN_ANSWERERS:
            raise NotEnoughDataError(f"{len(mentions)} customers answered values questions; the alignment needs {MIN_ANSWERERS}.")
        named = mentions[ids].to_numpy(dtype=float)
        sums, counts = _outcome_by_theme(csat, self.themes, outcome, per_customer=outcome != "csat")
        measured = np.array([bool(t.touchpoints) for t in self.themes]) & (counts.sum(axis=0) > 0)
        if measured.sum() < MIN_THEMES or measured.sum() <= self.top:
            raise NotEnoughDataError(f"{int(measured.sum())} values themes have survey answers at their touchpoints; "
                                     f"the alignment needs more than {max(self.top, MIN_THEMES - 1)}.")
        rng = np.random.default_rng(self.random_state)
        importance, performance = named.mean(axis=0), sums.sum(axis=0) / np.maximum(counts.sum(axis=0), 1)
        # each resample as how often it drew each row: the resampled sums are one matrix product
        picks = _times_drawn(rng.integers(0, len(named), (self.n_bootstrap, len(named))), len(named))
        boot_imp = picks @ named / len(named)
        picks = _times_drawn(rng.integers(0, len(sums), (self.n_bootstrap, len(sums))), len(sums))
        boot_perf = (picks @ sums) / np.maximum(picks @ counts, 1)
        gap, top = _gap(importance[None, :], performance[None, :], measured, self.top)
        gap, top = float(gap[0]), top[0]
        boot_gap = _gap(boot_imp, boot_perf, measured, self.top)[0]
        self.themes_ = self._theme_table(importance, boot_imp, performance, boot_perf, counts, measured, top)
        rest = measured & ~top
        self.gap_ = {"top_themes": ",".join(np.array(ids)[top]), "other_themes": ",".join(np.array(ids)[rest]),
                     "top_value": float(performance[top].mean()), "other_value": float(performance[rest].mean()),
                     "gap": float(gap), "gap_low": float(np.percentile(boot_gap, 2.5)),
                     "gap_high": float(np.percentile(boot_gap, 97.5)), "answerers": len(named), "surveyed": len(sums),
                     "unmeasured_themes": ",".join(np.array(ids)[~measured])}
        return self

    def _theme_table(self, importance, boot_imp, performance, boot_perf, counts, measured, top) -> pd.DataFrame:
        order = np.argsort(-importance, kind="stable")
        rank = np.empty(len(order), dtype=int)
        rank[order] = np.arange(1, len(order) + 1)
        imp_low, imp_high = np.percentile(boot_imp, [2.5, 97.5], axis=0)
        perf_low, perf_high = np.percentile(boot_perf, [2.5, 97.5], axis=0)
        return pd.DataFrame({
            "theme": [t.id for t in self.themes], "area": [t.area for t in self.themes], "rank": rank,
            "importance": importance, "importance_low": imp_low, "importance_high": imp_high, "top": top,
            "measured": measured, "csat": np.where(measured, performance, np.nan),
            "csat_low": np.where(measured, perf_low, np.nan), "csat_high": np.where(measured, perf_high, np.nan),
            "answers": counts.sum(axis=0).astype(int), "touchpoints": [",".join(t.touchpoints) for t in self.themes],
            "pain_points": [",".join(t.pain_points) for t in self.themes]}).sort_values("rank", ignore_index=True)


def _outcome_by_theme(measures: pd.DataFrame, themes: list[Theme], outcome: str, *,
                      per_customer: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per measured customer (rows) and theme (columns): the sum and the number of their ``outcome`` values at the
    theme's touchpoints (``per_customer``: one value per customer and theme, however many touchpoints)."""
    rated = measures.dropna(subset=[outcome])
    customers = pd.Index(rated["customer_id"].unique())
    row = customers.get_indexer(rated["customer_id"])
    sums, counts = np.zeros((len(customers), len(themes))), np.zeros((len(customers), len(themes)))
    for j, theme in enumerate(themes):
        at = rated["touchpoint_id"].isin(theme.touchpoints).to_numpy()
        np.add.at(sums[:, j], row[at], rated[outcome].to_numpy(dtype=float)[at])
        np.add.at(counts[:, j], row[at], 1.0)
    if per_customer:
        seen = counts > 0
        sums, counts = np.where(seen, sums / np.maximum(counts, 1), 0.0), seen.astype(float)
    return sums, counts


#: Outcomes the alignment is measured on: the CSAT answers at a theme's touchpoints, and the NPS answer (0–10) and
#: retention (1 = not lost) of the customers who were at them.
OUTCOMES = ("csat", "nps", "retention")
#: Customer groups the alignment is also computed for (columns of the customers frame), besides the company (all).
GROUP_SCOPES = ("brand", "region")


def alignment_table(mentions: pd.DataFrame, measures: dict[str, pd.DataFrame], customers: pd.DataFrame, *,
                    themes: list[Theme], top: int, n_bootstrap: int = 200, random_state: int = 7,
                    min_customers: int = MIN_ANSWERERS) -> pd.DataFrame:
    """The alignment gap per outcome (``measures``: outcome → its frame for :meth:`ValuesAlignment.fit`), for the
    company (scope ``all``) and per brand and region of ``customers`` (customer_id, brand, region). A group with
    fewer than ``min_customers`` values answerers or measured customers gets a row with ``status`` ``too_small``
    and no gap; one whose themes are not measured enough, ``not_measured``."""
    scopes = [s for s in GROUP_SCOPES if s in customers]
    of = {s: dict(zip(customers["customer_id"], customers[s])) for s in scopes}  # customer → their group
    groups = [("all", "all")] + [(s, g) for s in scopes for g in sorted(customers[s].dropna().astype(str).unique())]
    answerer_group = {s: mentions["customer_id"].map(of[s]).astype(str).to_numpy() for s in scopes}
    rows = []
    for outcome, frame in measures.items():
        measured_group = {s: frame["customer_id"].map(of[s]).astype(str).to_numpy() for s in scopes}
        for scope, group in groups:
            mine = mentions if scope == "all" else mentions[answerer_group[scope] == group]
            measured = frame if scope == "all" else frame[measured_group[scope] == group]
            row = {"outcome": outcome, "scope": scope, "group": group, "answerers": len(mine),
                   "surveyed": int(measured.dropna(subset=[outcome])["customer_id"].nunique())}
            if min(row["answerers"], row["surveyed"]) < min_customers:
                rows.append({**row, "status": "too_small"})
                continue
            try:
                fitted = ValuesAlignment(themes=themes, top=top, n_bootstrap=n_bootstrap,
                                         random_state=random_state).fit(mine, measured, outcome=outcome)
            except NotEnoughDataError:
                rows.append({**row, "status": "not_measured"})
                continue
            rows.append({**row, **fitted.gap_, "status": "ok"})
    return pd.DataFrame(rows, columns=ALIGNMENT_COLUMNS)


#: The columns of an alignment row (``diagnose_values_alignment`` without its scope keys).
ALIGNMENT_COLUMNS = ["outcome", "scope", "group", "status", "top_themes", "other_themes", "top_value", "other_value",
                     "gap", "gap_low", "gap_high", "answerers", "surveyed", "unmeasured_themes"]


def _gap(importance: np.ndarray, performance: np.ndarray, measured: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row (a resample): the mean performance of the ``top`` most-valued measured themes − that of the other
    measured themes, and the mask of those top themes."""
    ranked = np.argsort(-np.where(measured, importance, -np.inf), axis=1, kind="stable")[:, :top]
    chosen = np.zeros(importance.shape, dtype=bool)
    np.put_along_axis(chosen, ranked, True, axis=1)
    rest = measured & ~chosen
    return (performance * chosen).sum(axis=1) / top - (performance * rest).sum(axis=1) / rest.sum(axis=1), chosen


def _times_drawn(draws: np.ndarray, n: int) -> np.ndarray:
    """(resamples × rows): how many times each resample drew each row."""
    flat = (np.arange(len(draws))[:, None] * n + draws).ravel()
    return np.bincount(flat, minlength=len(draws) * n).reshape(len(draws), n).astype(float)
