"""EX ↔ CX: how the engagement and eNPS of a team relate to the outcomes of the customers it serves.

A multilevel (mixed) model per outcome and employee measure: customers (level 1) are nested in the employee
who served them (level 2, random intercept); the fixed slope — outcome change per one standard deviation of the
serving employee's engagement or eNPS answer — comes with its 95 % interval (level ``employee``). Employees work
from sites (level 3, ``employees.site`` or the team's region): with at least ``MIN_SITES`` serving sites a second
model splits the measure into the site's mean and the employee's deviation from it, and the site mean's slope
(per SD across sites, level ``site``) is the site-level link. Team and site rows are shown only for groups of at least
``MIN_EMPLOYEES`` employees who answered the survey (anonymity); smaller groups still count in the model.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from empathica.errors import NotEnoughDataError

#: Fewest employees a team or site needs before its figures are shown.
MIN_EMPLOYEES = 5
#: Fewest serving sites (each with at least two serving employees) the site-level slope needs.
MIN_SITES = 3
#: Customer outcomes linked to the employees' experience (column of the customer evidence → outcome name).
OUTCOMES = {"nps": "nps", "csat": "csat", "empathy_received": "empathy_received", "retained": "retention"}
#: Employee measures (columns of ``evidence.team_engagement``).
EX_MEASURES = ("engagement", "enps")


class ExCxLink:
    """Fits one mixed model per (employee measure, customer outcome); ``links_`` holds slopes with intervals.

    Level 1: customers, each with the employee who served them most; level 2: that employee (random intercept);
    level 3: the site the employee works from (a ``site`` row per pair when there are ``min_sites`` serving sites).
    The employee measure is the employee's own mean survey answer, standardised across the serving employees; it
    is never shown per employee.
    """

    def __init__(self, *, measures: tuple[str, ...] = EX_MEASURES, min_employees: int = 6, min_customers: int = 50,
                 min_sites: int = MIN_SITES) -> None:
        self.measures = measures
        self.min_employees = min_employees
        self.min_customers = min_customers
        self.min_sites = min_sites

    def fit(self, customers: pd.DataFrame, staff: pd.DataFrame) -> "ExCxLink":
        """``customers``: customer_id, employee_id, outcomes; ``staff``: employee_id, team_id, site, engagement, enps."""
        data = _joined(customers, staff, "employee_id")
        if data["employee_id"].nunique() < self.min_employees:
            raise NotEnoughDataError(f"EX ↔ CX needs customers served by at least {self.min_employees} employees who answered "
                                     f"the employee survey; the store has {data['employee_id'].nunique()}.")
        rows = []
        for measure in self.measures:
            for column, outcome in OUTCOMES.items():
                if column not in data:
                    continue
                known = data.dropna(subset=[column, measure])
                fitted = _fit_one(known, column, measure, self.min_customers)
                if fitted is not None:
                    rows.append(dict(measure=measure, outcome=outcome, level="employee", **fitted))
                    site = _fit_site(known, column, measure, self.min_sites)
                    if site is not None:
                        rows.append(dict(measure=measure, outcome=outcome, level="site", **site))
        self.links_ = pd.DataFrame(rows, columns=["measure", "outcome", "level", "customers", "teams", "sites", "slope_per_sd",
                                                  "ci_low", "ci_high", "p_value", "team_variance", "measure_sd", "method"])
        return self


def _fit_one(data: pd.DataFrame, outcome: str, measure: str, min_customers: int) -> dict | None:
    if len(data) < min_customers or data[measure].nunique() < 3:
        return None
    per_employee = data.drop_duplicates("employee_id")[measure]
    sd = float(per_employee.std())
    if not sd > 0:
        return None
    frame = pd.DataFrame({"y": data[outcome].astype(float), "x": (data[measure] - per_employee.mean()) / sd,
                          "employee": data["employee_id"].astype(str)})
    result = _mixed("y ~ x", frame)
    low, high = result.conf_int().loc["x"]
    return dict(customers=len(frame), teams=int(data["team_id"].nunique()), sites=int(data["site"].nunique()),
                slope_per_sd=float(result.params["x"]), ci_low=float(low), ci_high=float(high),
                p_value=float(result.pvalues["x"]),
                team_variance=float(result.cov_re.iloc[0, 0]) if result.cov_re.size else float("nan"),
                measure_sd=sd, method="mixedlm employee")


def _mixed(formula: str, frame: pd.DataFrame):
    """The REML fit of ``formula`` with a random intercept per employee. L-BFGS first; where it stops on the
    boundary with no usable standard errors (seen on a demo world's CSAT), Powell's method, which does not."""
    import statsmodels.formula.api as smf

    model = smf.mixedlm(formula, frame, groups="employee")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # boundary and convergence notes: a bad fit is refitted below
        result = model.fit(reml=True)
        if not (result.converged and np.isfinite(result.bse.to_numpy()).all()):
            result = model.fit(reml=True, method="powell")
    return result


def _fit_site(data: pd.DataFrame, outcome: str, measure: str, min_sites: int) -> dict | None:
    """The site-level slope: the outcome change per SD (of the serving sites' mean measure) between sites, with the
    employee's own deviation from their site's mean as a second term (so the site slope is not the employees' link
    again) and a random intercept per employee. None with fewer than ``min_sites`` sites of two serving employees."""
    people = data.drop_duplicates("employee_id")[["employee_id", "site", measure]]
    per_site = people.groupby("site")[measure].agg(["mean", "size"])
    per_site = per_site[per_site["size"] >= 2]
    if len(per_site) < min_sites or not per_site["mean"].std() > 0:
        return None
    data = data[data["site"].isin(per_site.index)]
    site_mean = data["site"].map(per_site["mean"])
    sd = float(per_site["mean"].std())
    frame = pd.DataFrame({"y": data[outcome].astype(float), "xs": (site_mean - per_site["mean"].mean()) / sd,
                          "xw": (data[measure] - site_mean) / sd, "employee": data["employee_id"].astype(str)})
    result = _mixed("y ~ xs + xw", frame)
    low, high = result.conf_int().loc["xs"]
    return dict(customers=len(frame), teams=int(data["team_id"].nunique()), sites=len(per_site),
                slope_per_sd=float(result.params["xs"]), ci_low=float(low), ci_high=float(high),
                p_value=float(result.pvalues["xs"]), team_variance=float(result.cov_re.iloc[0, 0]),
                measure_sd=sd, method="mixedlm employee, site mean + deviation")


def group_table(customers: pd.DataFrame, teams: pd.DataFrame, *, sites: pd.DataFrame | None = None,
                min_employees: int = MIN_EMPLOYEES) -> pd.DataFrame:
    """Per team and per site: employees, engagement, eNPS and the outcomes of the customers served — only groups
    of at least ``min_employees`` employees. A smaller team is left out of its site's figures too, so its
    figures cannot be found by subtracting the shown teams from the site.

    ``sites`` (site, engagement, enps, employees; without the small teams' employees) gives the sites where
    employees work from (``employees.site``), and the customers' ``site`` column whom each served; without it a
    site is the teams of one region (``teams.site``)."""
    small = set(teams.loc[teams["employees"] < min_employees, "team_id"])
    teams = teams[teams["employees"] >= min_employees]
    served = customers[~customers["team_id"].isin(small)] if "team_id" in customers else customers
    outcome_cols = [c for c in OUTCOMES if c in customers]
    rows = [_level("team", teams.set_index("team_id")[["employees", "engagement", "enps"]],
                   _joined(served, teams, "team_id"), "team_id", outcome_cols)]
    if sites is None:  # a site's engagement weights its teams by their employees
        w = teams.assign(we=teams["engagement"] * teams["employees"], wn=teams["enps"] * teams["employees"])
        g = w.groupby("site")
        ex = pd.DataFrame({"employees": g["employees"].sum(), "engagement": g["we"].sum() / g["employees"].sum(),
                           "enps": g["wn"].sum() / g["employees"].sum()})
        rows.append(_level("site", ex, _joined(served, teams, "team_id"), "site", outcome_cols))
    else:
        rows.append(_level("site", sites.set_index("site")[["employees", "engagement", "enps"]],
                           served.dropna(subset=["site"]), "site", outcome_cols))
    out = pd.concat([r[r["employees"] >= min_employees] for r in rows], ignore_index=True)
    for c in OUTCOMES:
        if c not in out:
            out[c] = np.nan
    out = out.rename(columns={"retained": "retention"})
    return out[["level", "group", "employees", "engagement", "enps", "customers", "nps", "csat", "empathy_received", "retention"]]


def _level(level: str, ex: pd.DataFrame, data: pd.DataFrame, key: str, outcome_cols: list[str]) -> pd.DataFrame:
    """One level's rows: the groups' employee figures joined to the outcomes of the customers they served."""
    served = data.groupby(key).agg(customers=("customer_id", "nunique"), **{c: (c, "mean") for c in outcome_cols})
    table = ex.join(served, how="left").rename_axis("group").reset_index()
    table.insert(0, "level", level)
    return table


def _joined(customers: pd.DataFrame, other: pd.DataFrame, key: str) -> pd.DataFrame:
    """``customers`` joined to ``other`` on ``key``; where both carry a column (site, team), ``other``'s counts."""
    return customers.drop(columns=[c for c in other.columns if c in customers and c != key]).merge(other, on=key, how="inner")
