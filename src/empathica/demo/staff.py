"""The organisation: teams, employees, the touchpoint catalogue and the employee surveys.

These do not grow with the number of customers. Engagement is drawn around each team's planted mean
(``catalogue.TEAM_ENGAGEMENT``; team_returns lowest) with a lasting per-employee offset and noise per
survey wave; eNPS follows engagement. An agent's lasting offset follows the empathy they show customers
(the planted EX ↔ CX link, ``TRUTHS.engagement_per_agent_empathy``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from empathica.demo.catalogue import (
    AGENT_EMPATHY,
    AGENT_IDS,
    AGENTS,
    LANGUAGES,
    STAFF_PER_TEAM,
    TEAM_ENGAGEMENT,
    TEAMS,
    TOUCHPOINTS,
    WORLD_WEEKS,
)
from empathica.demo.journeys import WEEK
from empathica.demo.texts import compose_staff_comments
from empathica.demo.truths import TRUTHS

ENGAGEMENT_ITEMS = ("pride", "recommend_workplace", "manager_support", "growth", "workload", "recognition")
SURVEY_WAVES = 8  # quarterly
SURVEY_RESPONSE_RATE = 0.85
_NAMES = {
    "en": ["Emma Clarke", "Oliver Hughes", "Sophie Turner", "Jack Wilson", "Amelia Wright", "Harry Evans", "Grace Hall", "Leo Baker", "Mia Patel", "Noah Reed"],
    "de": ["Lena Fischer", "Jonas Weber", "Hannah Schulz", "Lukas Becker", "Marie Hoffmann", "Felix Wagner", "Laura Koch", "Paul Richter", "Anna Klein", "Tim Wolf"],
    "zh": ["王芳", "李伟", "张静", "刘洋", "陈晨", "杨帆", "赵磊", "黄丽", "周杰", "吴敏"],
}


def teams_table() -> pd.DataFrame:
    return pd.DataFrame(TEAMS, columns=["team_id", "name", "function", "region"])


def touchpoints_table() -> pd.DataFrame:
    return pd.DataFrame(TOUCHPOINTS, columns=["touchpoint_id", "name", "channel", "owner_team_id", "journey_stage", "is_goal"])


def employees_table(rng: np.random.Generator) -> pd.DataFrame:
    """Agents (agent_01..agent_16) and the other staff of every team, with hire dates before the window."""
    rows = []
    for agent_id, team_id, language, _ in AGENTS:
        rows.append((agent_id, team_id, "agent", language))
    k = 1
    for team_id, _, _, _ in TEAMS:
        for j in range(STAFF_PER_TEAM[team_id]):
            role = "team lead" if j == 0 else ("store staff" if team_id == "team_stores" else "specialist")
            rows.append((f"emp_{k:03d}", team_id, role, LANGUAGES[rng.integers(0, len(LANGUAGES))]))
            k += 1
    frame = pd.DataFrame(rows, columns=["employee_id", "team_id", "role", "language"])
    name_pick = rng.integers(0, 10, size=len(frame))
    frame["name"] = [_NAMES[lang][i] for lang, i in zip(frame["language"], name_pick)]
    days_before = rng.integers(30, 3000, size=len(frame))
    frame["hired_at"] = -days_before * 86400.0  # seconds after WORLD_START
    return frame[["employee_id", "team_id", "name", "role", "hired_at", "language"]]


def assign_sites(rng: np.random.Generator, employees: pd.DataFrame) -> pd.DataFrame:
    """``employees`` with the ``site`` each works from (``TRUTHS.serving_sites``): the serving teams' agents placed
    by the empathy they show plus noise, as many per site as the sites allow, their other staff at random; everyone
    else at their team's region. ``rng`` is a generator of its own, so no other draw of the world moves."""
    sites = np.array(TRUTHS.serving_sites, dtype=object)
    region = dict((t[0], t[3]) for t in TEAMS)
    out = employees.copy()
    out["site"] = out["team_id"].map(region)
    agent_empathy = dict(zip(AGENT_IDS, AGENT_EMPATHY))
    agents = out.index[out["employee_id"].isin(agent_empathy)]
    noisy = out.loc[agents, "employee_id"].map(agent_empathy).to_numpy(dtype=float) + rng.normal(0.0, 0.15, len(agents))
    rank = np.empty(len(agents), dtype=int)
    rank[np.argsort(noisy, kind="stable")] = np.arange(len(agents))
    out.loc[agents, "site"] = sites[rank * len(sites) // len(agents)]
    serving = set(out.loc[agents, "team_id"])
    staff = out.index[out["team_id"].isin(serving) & ~out["employee_id"].isin(agent_empathy)]
    out.loc[staff, "site"] = sites[rng.integers(0, len(sites), len(staff))]
    return out


def site_offsets(employees: pd.DataFrame) -> np.ndarray:
    """Each employee's lasting engagement offset from their site (``TRUTHS.engagement_per_site_empathy`` per unit
    of the site's mean agent empathy), centred within each team so team means stay as planted; 0 without sites."""
    if "site" not in employees:
        return np.zeros(len(employees))
    empathy = employees["employee_id"].map(dict(zip(AGENT_IDS, AGENT_EMPATHY)))
    site_empathy = empathy.groupby(employees["site"]).transform("mean")
    lift = TRUTHS.engagement_per_site_empathy * (site_empathy - AGENT_EMPATHY.mean())
    lift = lift.where(employees["site"].isin(TRUTHS.serving_sites), 0.0).fillna(0.0)
    return (lift - lift.groupby(employees["team_id"]).transform("mean")).to_numpy(dtype=float)


def employee_survey_rows(rng: np.random.Generator, employees: pd.DataFrame) -> pd.DataFrame:
    """One row per employee and wave answered: items (JSON), engagement mean, eNPS and a comment."""
    n = len(employees)
    team_mean = employees["team_id"].map(TEAM_ENGAGEMENT).to_numpy()
    person = rng.normal(0.0, 0.35, n)
    # planted EX ↔ CX link: an agent's lasting engagement follows the empathy they show customers (engaged
    # employees are the CX champions), so the customers of more engaged agents receive more empathy, rate
    # them higher and stay longer (TRUTHS.engagement_per_agent_empathy); centred so team means stay as planted
    agent_empathy = dict(zip(AGENT_IDS, AGENT_EMPATHY))
    is_agent = employees["employee_id"].isin(agent_empathy).to_numpy()
    empathy = employees["employee_id"].map(agent_empathy).to_numpy(dtype=float)
    person[is_agent] = 0.1 * person[is_agent] + TRUTHS.engagement_per_agent_empathy * (empathy[is_agent] - AGENT_EMPATHY.mean())
    person = person + site_offsets(employees)  # the planted site-level link (no draw)
    rows = []
    for wave in range(SURVEY_WAVES):
        answered = np.flatnonzero(rng.random(n) < SURVEY_RESPONSE_RATE)
        level = team_mean[answered] + person[answered] + rng.normal(0.0, 0.25, len(answered))
        items = np.clip(np.round(level[:, None] + rng.normal(0.0, 0.55, (len(answered), len(ENGAGEMENT_ITEMS)))), 1, 5).astype(int)
        engagement = items.mean(axis=1)
        enps = np.clip(np.round(2.4 * (engagement - 1.0) + 0.5 + rng.normal(0.0, 1.1, len(answered))), 0, 10).astype(int)
        wave_start = (wave * WORLD_WEEKS / SURVEY_WAVES + 2.0) * WEEK
        when = wave_start + rng.random(len(answered)) * 2 * WEEK
        commented = rng.random(len(answered)) < 0.35
        comments = np.full(len(answered), None, dtype=object)
        ci = np.flatnonzero(commented)
        comments[ci] = compose_staff_comments(rng, employees["language"].to_numpy()[answered][ci], engagement[ci] >= 3.3)
        rows.append(pd.DataFrame({
            "response_id": [f"es_{wave + 1}_{e}" for e in employees["employee_id"].to_numpy()[answered]],
            "employee_id": employees["employee_id"].to_numpy()[answered],
            "team_id": employees["team_id"].to_numpy()[answered],
            "timestamp": when,
            "engagement": np.round(engagement, 3),
            "enps": enps,
            "items": [json.dumps(dict(zip(ENGAGEMENT_ITEMS, map(int, r)))) for r in items],
            "comment": comments,
        }))
    return pd.concat(rows, ignore_index=True)
