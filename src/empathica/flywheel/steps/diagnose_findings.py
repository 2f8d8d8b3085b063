"""The diagnosis section: findings (message ids and values) and tables over the stored diagnose results.

Shared by the flywheel report and the consultant report (``report/consultant.py``), so both say the same.
Every headline names the stored result and row it speaks of.
"""

from __future__ import annotations


import pandas as pd

from empathica.diagnose.alignment import MIN_ANSWERERS
from empathica.report import Finding, FindingsTable, Section
from empathica.schema.results import (
    DIAGNOSE_COMPETITOR_INDEX, DIAGNOSE_EVIDENCE, DIAGNOSE_EX_CX, DIAGNOSE_VALUES_ALIGNMENT, DIAGNOSE_VALUES_THEMES, DIAGNOSE_EX_CX_GROUPS, DIAGNOSE_MATURITY, DIAGNOSE_MATURITY_INPUTS, DIAGNOSE_NEXT_STEPS,
    DIAGNOSE_SCORECARD, DIAGNOSE_SEGMENT_COMPARISON, DIAGNOSE_SEGMENTS,
)

TITLE = "Diagnosis: CX dimensions, maturity, EX ↔ CX and values"
SCORE_COLUMNS = {"dimension_id": "message", "score": "int", "score_low": "int", "score_high": "int", "trend": "signed",
                 "period_trend": "signed", "period_trend_low": "signed", "period_trend_high": "signed",
                 "period_direction_id": "message"}
GROUP_COLUMNS = {"scope_id": "message", "group": "text", "dimension_id": "message", "score": "int", "score_low": "int",
                 "score_high": "int", "period_trend": "signed", "period_direction_id": "message", "customers": "int"}
LINK_COLUMNS = {"level_id": "message", "measure_id": "message", "outcome_id": "message", "slope_per_sd": "num2", "ci_low": "num2", "ci_high": "num2",
                "teams": "int", "sites": "int", "customers": "int"}
EX_GROUP_COLUMNS = {"level_id": "message", "group": "text", "employees": "int", "engagement": "num2", "enps": "int",
                    "customers": "int", "nps": "num2", "csat": "num2", "retention": "pct"}
INPUT_COLUMNS = {"input_id": "message", "data_score": "pct", "self_score": "pct", "blind_spot_id": "message"}
STEP_COLUMNS = {"rank": "int", "input_id": "message", "level": "pct", "needed": "pct"}
SEGMENT_COLUMNS = {"segment": "int", "lang": "text", "label": "text", "keywords": "text", "quotes": "text", "customers": "int",
                   "nps": "num2", "churn": "pct", "clv": "money"}
COMPARISON_COLUMNS = {"outcome_id": "message", "metric_id": "message", "predictors_id": "message", "score": "num2",
                      "score_low": "num2", "score_high": "num2", "gain": "signed", "gain_low": "signed", "gain_high": "signed"}
COMPETITOR_COLUMNS = {"brand": "text", "reviews": "int", "rating": "num2", "competitors_rating": "num2", "index": "int",
                      "index_low": "int", "index_high": "int"}
ALIGNMENT_COLUMNS = {"outcome_id": "message", "scope_id": "message", "group": "text", "status_id": "message",
                     "top_theme_id": "message", "top_value": "num2", "other_value": "num2", "gap": "signed",
                     "gap_low": "signed", "gap_high": "signed", "answerers": "int", "surveyed": "int"}
THEME_COLUMNS = {"rank": "int", "theme_id": "message", "importance": "pct", "importance_low": "pct", "importance_high": "pct",
                 "csat": "num2", "csat_low": "num2", "csat_high": "num2", "answers": "int", "area": "text",
                 "touchpoints": "text", "pain_points": "text"}
HEADERS = {c: f"diagnose.col.{c}" for c in ("brand", "reviews", "rating", "competitors_rating", "index", "index_low",
                                             "index_high", "theme_id", "status_id", "top_theme_id",
                                             "top_value", "other_value", "answerers", "surveyed", "gap", "importance", "importance_low", "importance_high",
                                             "csat_low", "csat_high", "answers", "area", "touchpoints", "pain_points","segment", "lang", "label", "keywords", "quotes", "churn", "clv", "metric_id",
                                             "predictors_id", "gain", "gain_low", "gain_high",
                                             "dimension_id", "score", "score_low", "score_high", "trend", "scope_id", "group",
                                             "customers", "measure_id", "outcome_id", "slope_per_sd", "ci_low", "ci_high",
                                             "teams", "sites", "level_id", "employees", "engagement", "enps", "nps", "csat",
                                             "retention", "input_id", "data_score", "self_score", "blind_spot_id", "rank",
                                             "level", "needed", "period_trend", "period_trend_low", "period_trend_high",
                                             "period_direction_id")}


def diagnose_section(scores: pd.DataFrame, evidence: pd.DataFrame, links: pd.DataFrame | None, stage: dict,
                     inputs: pd.DataFrame, steps: pd.DataFrame, groups: pd.DataFrame | None = None) -> Section:
    """The section of the diagnosis from its stored frames."""
    section = Section(key="diagnose", title=TITLE)
    company = scores[scores["scope"] == "all"]
    section.summary.extend(scorecard_findings(company, evidence))
    section.summary.extend(stage_findings(stage, inputs, steps))
    section.summary.extend(link_findings(links))
    shown = company.assign(dimension_id="diagnose.dim." + company["dimension"],
                           period_direction_id=_direction_ids(company))
    section.add(FindingsTable(shown, SCORE_COLUMNS, "diagnose.caption.scorecard", source=DIAGNOSE_SCORECARD.name, headers=HEADERS))
    by_group = scores[scores["scope"] != "all"]
    if len(by_group):
        by_group = by_group.assign(scope_id="diagnose.scope." + by_group["scope"], dimension_id="diagnose.dim." + by_group["dimension"],
                                   period_direction_id=_direction_ids(by_group))
        section.add(FindingsTable(by_group, GROUP_COLUMNS, "diagnose.caption.groups", source=DIAGNOSE_SCORECARD.name,
                                  headers=HEADERS, max_rows=120))
    section.add(FindingsTable(inputs.assign(input_id="diagnose.input." + inputs["input"],
                                            blind_spot_id=inputs["blind_spot"].map({True: "diagnose.yes", False: "diagnose.no"})),
                              INPUT_COLUMNS, "diagnose.caption.inputs", source=DIAGNOSE_MATURITY_INPUTS.name, headers=HEADERS))
    if len(steps):
        section.add(FindingsTable(steps.assign(input_id="diagnose.input." + steps["input"]), STEP_COLUMNS,
                                  "diagnose.caption.next_steps", source=DIAGNOSE_NEXT_STEPS.name, headers=HEADERS))
    if links is not None and len(links):
        level = links["level"] if "level" in links else "employee"
        section.add(FindingsTable(links.assign(measure_id="diagnose.measure." + links["measure"],
                                               outcome_id="diagnose.outcome." + links["outcome"],
                                               level_id="diagnose.level." + level),
                                  LINK_COLUMNS, "diagnose.caption.ex_cx", source=DIAGNOSE_EX_CX.name, headers=HEADERS))
    if groups is not None and len(groups):
        section.add(FindingsTable(groups.assign(level_id="diagnose.level." + groups["level"]), EX_GROUP_COLUMNS,
                                  "diagnose.caption.ex_cx_groups", source=DIAGNOSE_EX_CX_GROUPS.name, headers=HEADERS))
    return section


def scorecard_findings(company: pd.DataFrame, evidence: pd.DataFrame) -> list[Finding]:
    """The weakest and strongest dimension (with the weakest evidence of the weakest) and any clear change."""
    if company.empty:
        return []
    ordered = company.sort_values("score")
    out = []
    weakest, strongest = ordered.iloc[0], ordered.iloc[-1]
    ev = evidence[(evidence["scope"] == "all") & (evidence["dimension"] == weakest["dimension"])].sort_values("score")
    values = {"dim": {"id": f"diagnose.dim.{weakest['dimension']}"}, "score": float(weakest["score"]),
              "score_low": float(weakest["score_low"]), "score_high": float(weakest["score_high"])}
    if len(ev):
        values.update(metric={"id": f"diagnose.metric.{ev.iloc[0]['metric']}"}, metric_score=float(ev.iloc[0]["score"]))
    out.append(Finding("diagnose.weakest", values, source=DIAGNOSE_SCORECARD.name,
                       row={"scope": "all", "group": "all", "dimension": weakest["dimension"]}))
    out.append(Finding("diagnose.strongest", {"dim": {"id": f"diagnose.dim.{strongest['dimension']}"},
                                              "score": float(strongest["score"]), "score_low": float(strongest["score_low"]),
                                              "score_high": float(strongest["score_high"])},
                       source=DIAGNOSE_SCORECARD.name, row={"scope": "all", "group": "all", "dimension": strongest["dimension"]}))
    for row in company.dropna(subset=["trend"]).itertuples():
        if abs(row.trend) >= 5:
            out.append(Finding("diagnose.trend", {"dim": {"id": f"diagnose.dim.{row.dimension}"}, "trend": float(row.trend),
                                                  "previous_score": float(row.previous_score), "score": float(row.score)},
                               source=DIAGNOSE_SCORECARD.name, row={"scope": "all", "group": "all", "dimension": row.dimension}))
    for row in company.dropna(subset=["period_trend"]).itertuples() if "period_direction" in company else ():
        if row.period_direction in ("up", "down"):  # only a change whose 95 % interval excludes zero
            out.append(Finding("diagnose.period_trend",
                               {"dim": {"id": f"diagnose.dim.{row.dimension}"}, "trend": float(row.period_trend),
                                "trend_low": float(row.period_trend_low), "trend_high": float(row.period_trend_high),
                                "previous_score": float(row.previous_period_score), "score": float(row.period_score)},
                               source=DIAGNOSE_SCORECARD.name, row={"scope": "all", "group": "all", "dimension": row.dimension}))
    return out


def _direction_ids(scores: pd.DataFrame) -> pd.Series:
    """The message id of each row's direction between the periods (empty where there is none)."""
    if "period_direction" not in scores:
        return pd.Series(None, index=scores.index, dtype=object)
    return scores["period_direction"].map(lambda d: f"diagnose.direction.{d}" if isinstance(d, str) else None)


def stage_findings(stage: dict, inputs: pd.DataFrame, steps: pd.DataFrame) -> list[Finding]:
    """The stage with its level and index, blind spots, and the first step to the next stage."""
    out = [Finding("diagnose.stage" if stage.get("assessment_id") else "diagnose.stage_data_only",
                   {"stage": {"id": f"diagnose.stage.{stage['stage']}"}, "level": {"id": f"diagnose.level.{stage['level']}"},
                    "maturity_index": float(stage["maturity_index"])},
                   source=DIAGNOSE_MATURITY.name, row={"stage": stage["stage"]})]
    for row in inputs[inputs["blind_spot"].astype(bool)].itertuples():
        out.append(Finding("diagnose.blind_spot", {"input_name": {"id": f"diagnose.input.{row.input}"}, "self_score": float(row.self_score),
                                                   "data_score": float(row.data_score)},
                           source=DIAGNOSE_MATURITY_INPUTS.name, row={"input": row.input}))
    if len(steps) and stage.get("next_stage"):
        first = steps.iloc[0]
        out.append(Finding("diagnose.next_step", {"next": {"id": f"diagnose.stage.{stage['next_stage']}"},
                                                  "input_name": {"id": f"diagnose.input.{first['input']}"}, "level": float(first["level"])},
                           source=DIAGNOSE_NEXT_STEPS.name, row={"rank": 1}))
    return out


def link_findings(links: pd.DataFrame | None) -> list[Finding]:
    """The link of team engagement to the NPS of the customers served (or the first link measured)."""
    if links is None or links.empty:
        return [Finding("diagnose.ex_cx_none")]
    level = links["level"] if "level" in links else pd.Series("employee", index=links.index)
    found = []
    for which, message in (("employee", "diagnose.ex_cx"), ("site", "diagnose.ex_cx_site")):
        mine = links[level == which]
        if mine.empty:
            continue
        pick = mine[(mine["measure"] == "engagement") & (mine["outcome"] == "nps")]
        row = (pick if len(pick) else mine).iloc[0]
        clear = row["ci_low"] > 0 or row["ci_high"] < 0
        found.append(Finding(message if clear else f"{message}_unclear",
                             {"measure_name": {"id": f"diagnose.measure.{row['measure']}"},
                              "outcome_name": {"id": f"diagnose.outcome.{row['outcome']}"},
                              "slope_per_sd": float(row["slope_per_sd"]), "ci_low": float(row["ci_low"]),
                              "ci_high": float(row["ci_high"]), "teams": int(row["teams"]), "sites": int(row["sites"])},
                             source=DIAGNOSE_EX_CX.name, row={"measure": row["measure"], "outcome": row["outcome"], "level": which}))
    return found




def add_segments(section: Section, segments: pd.DataFrame | None, comparison: pd.DataFrame | None) -> None:
    """The values segments' headline (values against demographics on churn) and their two tables."""
    if segments is None or comparison is None:
        section.summary.append(Finding("diagnose.segments_none"))
        return
    values = comparison[comparison["predictors"] == "values"].dropna(subset=["gain_low"])
    if len(values):
        row = values.sort_values("gain_low").iloc[-1]  # the outcome values segments explain most clearly beyond demographics
        demo = comparison[(comparison["outcome"] == row["outcome"]) & (comparison["predictors"] == "demographics")].iloc[0]
        section.summary.append(Finding(
            "diagnose.values_vs_demographics" if row["gain_low"] > 0 else "diagnose.values_not_better",
            {"outcome_name": {"id": f"diagnose.outcome.{row['outcome']}"}, "fit": {"id": f"diagnose.fit.{row['metric']}"},
             "score": float(row["score"]), "demographics": float(demo["score"]), "gain": float(row["gain"]),
             "gain_low": float(row["gain_low"]), "gain_high": float(row["gain_high"])},
            source=DIAGNOSE_SEGMENT_COMPARISON.name, row={"outcome": row["outcome"], "predictors": "values"}))
    section.add(FindingsTable(segments.sort_values(["lang", "segment"]), SEGMENT_COLUMNS, "diagnose.caption.segments",
                              source=DIAGNOSE_SEGMENTS.name, headers=HEADERS, max_rows=40))
    section.add(FindingsTable(comparison.assign(outcome_id="diagnose.outcome." + comparison["outcome"],
                                                metric_id="diagnose.fit." + comparison["metric"],
                                                predictors_id="diagnose.predictors." + comparison["predictors"]),
                              COMPARISON_COLUMNS, "diagnose.caption.segment_comparison", source=DIAGNOSE_SEGMENT_COMPARISON.name,
                              headers=HEADERS))


def add_ecosystem(section: Section, competitors: pd.DataFrame | None, themes: pd.DataFrame | None,
                  alignment: pd.DataFrame | None) -> None:
    """Each own brand's standing against the competitors, and the alignment with what customers value (per outcome,
    for the company and per brand and region)."""
    own = competitors[competitors["brand"] != "all"] if competitors is not None and len(competitors) else None
    for row in own.itertuples() if own is not None else ():
        section.summary.append(Finding("diagnose.competitor_index", {
            "brand": row.brand, "index": float(row.index), "index_low": float(row.index_low),
            "index_high": float(row.index_high), "reviews": int(row.reviews)},
            source=DIAGNOSE_COMPETITOR_INDEX.name, row={"brand": row.brand}))
    if own is not None:
        section.add(FindingsTable(competitors, COMPETITOR_COLUMNS, "diagnose.caption.competitor_index",
                                  source=DIAGNOSE_COMPETITOR_INDEX.name, headers=HEADERS))
    if alignment is None or themes is None or len(themes) == 0 or alignment.empty:
        return
    ok = alignment[alignment["status"] == "ok"]
    for row in ok[ok["scope"] == "all"].to_dict("records"):
        section.summary.append(_alignment_finding(row))
    section.add(FindingsTable(themes.assign(theme_id="diagnose.theme." + themes["theme"]), THEME_COLUMNS,
                              "diagnose.caption.values_themes", source=DIAGNOSE_VALUES_THEMES.name, headers=HEADERS))
    clear = ok[(ok["scope"] != "all") & ((ok["gap_high"] < 0) | (ok["gap_low"] > 0))]
    small = alignment[alignment["status"] == "too_small"]
    if len(clear):
        section.summary.append(Finding("diagnose.values_alignment_groups", {
            "groups": ", ".join(sorted({str(g) for g in clear["group"]})), "count": int(clear["group"].nunique())},
            source=DIAGNOSE_VALUES_ALIGNMENT.name, row={"status": "ok"}))
    if len(small):
        section.summary.append(Finding("diagnose.values_alignment_too_small", {
            "groups": ", ".join(sorted({str(g) for g in small["group"]})), "minimum": MIN_ANSWERERS},
            source=DIAGNOSE_VALUES_ALIGNMENT.name, row={"status": "too_small"}))
    shown = alignment.assign(outcome_id="diagnose.outcome." + alignment["outcome"],
                             scope_id="diagnose.scope." + alignment["scope"],
                             status_id="diagnose.alignment_status." + alignment["status"],
                             top_theme_id=alignment["top_themes"].fillna("").map(
                                 lambda t: f"diagnose.theme.{t.split(',')[0]}" if t else "diagnose.none"))
    section.add(FindingsTable(shown.sort_values(["outcome", "scope", "group"]), ALIGNMENT_COLUMNS,
                              "diagnose.caption.values_alignment", source=DIAGNOSE_VALUES_ALIGNMENT.name,
                              headers=HEADERS, max_rows=60))


def _alignment_finding(row: dict) -> Finding:
    """The company's alignment on one outcome: worse, better or not clearly different where customers care most."""
    top = str(row["top_themes"]).split(",")
    clear = row["gap_low"] > 0 or row["gap_high"] < 0
    kind = ("worse" if row["gap"] < 0 else "better") if clear else "unclear"
    values = {"first": {"id": f"diagnose.theme.{top[0]}"}, "second": {"id": f"diagnose.theme.{top[-1]}"},
              "gap": float(row["gap"]), "gap_low": float(row["gap_low"]), "gap_high": float(row["gap_high"])}
    if row["outcome"] == "csat":  # the CSAT message names its figures top_csat and other_csat
        values.update(top_csat=float(row["top_value"]), other_csat=float(row["other_value"]))
        return Finding(f"diagnose.values_alignment_{kind}", values, source=DIAGNOSE_VALUES_ALIGNMENT.name,
                       row={"outcome": "csat", "scope": "all"})
    values.update(outcome_name={"id": f"diagnose.outcome.{row['outcome']}"}, top_value=float(row["top_value"]),
                  other_value=float(row["other_value"]))
    return Finding(f"diagnose.values_alignment_outcome_{kind}", values, source=DIAGNOSE_VALUES_ALIGNMENT.name,
                   row={"outcome": row["outcome"], "scope": "all"})


def section_from_store(store, *, read=None) -> Section:
    """The diagnosis section rebuilt from the stored diagnose results alone (the consultant report and the dashboard
    render it); ``read(result)`` gives a result's rows or None (default: all of them; the dashboard: a user's)."""
    if read is None:
        def read(result):
            return store.read_result(result) if store.has_result(result) else None

    scores, evidence = read(DIAGNOSE_SCORECARD), read(DIAGNOSE_EVIDENCE)
    maturity = read(DIAGNOSE_MATURITY)
    if scores is None or evidence is None or maturity is None or maturity.empty:
        return Section(key="diagnose", title=TITLE, skipped="no diagnosis is stored; run `empathica diagnose` first.")
    stage = maturity.iloc[0].to_dict()
    stage["assessment_id"] = stage["assessment_id"] if isinstance(stage.get("assessment_id"), str) else None
    stage["next_stage"] = stage["next_stage"] if isinstance(stage.get("next_stage"), str) else None
    section = diagnose_section(scores, evidence, read(DIAGNOSE_EX_CX), stage, read(DIAGNOSE_MATURITY_INPUTS),
                               read(DIAGNOSE_NEXT_STEPS), read(DIAGNOSE_EX_CX_GROUPS))
    add_segments(section, read(DIAGNOSE_SEGMENTS), read(DIAGNOSE_SEGMENT_COMPARISON))
    add_ecosystem(section, read(DIAGNOSE_COMPETITOR_INDEX), read(DIAGNOSE_VALUES_THEMES), read(DIAGNOSE_VALUES_ALIGNMENT))
    return section
