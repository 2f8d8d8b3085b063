"""EX ↔ CX: how the engagement and eNPS of a team relate to the outcomes of the customers it serves.

A multilevel (mixed) model per outcome and employee measure: customers (level 1) are nested in the employee
who served them (level 2, random intercept), employees in their site (level 3, when the data has more than two
sites). The fixed slope — outcome change per one standard deviation of the serving employee's engagement or
eNPS answer — comes with its 95 % interval. Team and site rows are shown only for groups of at least
``MIN_EMPLOYEES`` employees who answered the survey (anonymity); smaller groups still count in the model.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from empathica.errors import NotEnoughDataError

#: Fewest employees a team or site needs before its figures are shown.
MIN_EMPLOYEES = 5
#: Customer outcomes linked to the employees' experience (column of the customer evidence → outcome name).
OUTCOMES = {"nps": "nps", "csat": "csat", "empathy_received": "empathy_received", "retained": "retention"}
#: Employee measures (columns of ``evidence.team_engagement``).
EX_MEASURES = ("engagement", "enps")


class ExCxLink:
    """Fits one mixed model per (employee measure, customer outcome); ``links_`` holds slopes with intervals.

    Level 1: customers, each with the employee who served them most; level 2: that employee (random intercept);
    level 3: the site, as the grouping, when the data has more than one. The employee measure is the employee's
    own mean survey answer, standardised across the serving employees; it is never shown per employee.
    """

    def __init__(self, *, min_employees: int = 6, min_customers: int = 50) -> None:
        self.min_employees = min_employees
        self.min_customers = min_customers

    def fit(self, customers: pd.DataFrame, staff: pd.DataFrame) -> "ExCxLink":
        """``customers``: customer_id, employee_id, outcomes; ``staff``: employee_id, team_id, site, engagement, enps."""
        data = _joined(customers, staff, "employee_id")
        if data["employee_id"].nunique() < self.min_employees:
            raise NotEnoughDataError(f"EX ↔ CX needs customers served by at least {self.min_employees} employees who answered "
                                     f"the employee survey; the store has {data['employee_id'].nunique()}.")
        rows = []
        for measure in EX_MEASURES:
            for column, outcome in OUTCOMES.items():
                if column not in data:
                    continue
                fitted = _fit_one(data.dropna(subset=[column, measure]), column, measure, self.min_customers)
                if fitted is not None:
                    rows.append(dict(measure=measure, outcome=outcome, **fitted))
        self.links_ = pd.DataFrame(rows, columns=["measure", "outcome", "customers", "teams", "sites", "slope_per_sd",
                                                  "ci_low", "ci_high", "p_value", "team_variance", "measure_sd", "method"])
        return self


def _fit_one(data: pd.DataFrame, outcome: str, measure: str, min_customers: int) -> dict | None:
    import statsmodels.formula.api as smf

    if len(data) < min_customers or data[measure].nunique() < 3:
        return None
    per_employee = data.drop_duplicates("employee_id")[measure]
    sd = float(per_employee.std())
    if not sd > 0:
        return None
    frame = pd.DataFrame({"y": data[outcome].astype(float), "x": (data[measure] - per_employee.mean()) / sd,
                          "employee": data["employee_id"].astype(str), "site": data["site"].astype(str)})
    sites = frame["site"].nunique()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # boundary and convergence notes: the method column says what was fitted
        if sites > 2:
            model = smf.mixedlm("y ~ x", frame, groups="site", re_formula="1", vc_formula={"employee": "0 + C(employee)"})
        else:
            model = smf.mixedlm("y ~ x", frame, groups="employee")
        result = model.fit(reml=True)
    low, high = result.conf_int().loc["x"]
    return dict(customers=len(frame), teams=int(data["team_id"].nunique()), sites=sites, slope_per_sd=float(result.params["x"]),
                ci_low=float(low), ci_high=float(high), p_value=float(result.pvalues["x"]),
                team_variance=float(result.cov_re.iloc[0, 0]) if result.cov_re.size else float("nan"),
                measure_sd=sd, method="mixedlm site/employee" if sites > 2 else "mixedlm employee")


def group_table(customers: pd.DataFrame, teams: pd.DataFrame, *, min_employees: int = MIN_EMPLOYEES) -> pd.DataFrame:
    """Per team and per site: employees, engagement, eNPS and the outcomes of the customers served — only groups
    of at least ``min_employees`` employees. A smaller team is left out of its site's figures too, so its
    figures cannot be found by subtracting the shown teams from the site."""
    teams = teams[teams["employees"] >= min_employees]
    data = _joined(customers, teams, "team_id")
    outcome_cols = [c for c in OUTCOMES if c in data]
    rows = []
    for level, key in (("team", "team_id"), ("site", "site")):
        emp = teams.groupby(key).agg(employees=("employees", "sum"))
        if level == "team":
            ex = teams.set_index("team_id")[["engagement", "enps"]]
        else:  # a site's engagement weights its teams by their employees
            w = teams.assign(we=teams["engagement"] * teams["employees"], wn=teams["enps"] * teams["employees"])
            g = w.groupby("site")
            ex = pd.DataFrame({"engagement": g["we"].sum() / g["employees"].sum(), "enps": g["wn"].sum() / g["employees"].sum()})
        served = data.groupby(key).agg(customers=("customer_id", "nunique"), **{c: (c, "mean") for c in outcome_cols})
        table = emp.join(ex).join(served, how="left").reset_index().rename(columns={key: "group"})
        table.insert(0, "level", level)
        rows.append(table[table["employees"] >= min_employees])
    out = pd.concat(rows, ignore_index=True)
    for c in OUTCOMES:
        if c not in out:
            out[c] = np.nan
    out = out.rename(columns={"retained": "retention"})
    return out[["level", "group", "employees", "engagement", "enps", "customers", "nps", "csat", "empathy_received", "retention"]]


def _joined(customers: pd.DataFrame, other: pd.DataFrame, key: str) -> pd.DataFrame:
    """``customers`` joined to ``other`` on ``key``; where both carry a column (site, team), ``other``'s counts."""
    return customers.drop(columns=[c for c in other.columns if c in customers and c != key]).merge(other, on=key, how="inner")
