"""Leaving right after a complaint contact: the chance, given the empathy of the agent who answered it.

A customer-level model on the *count* of empathy gaps met under-reads a per-contact effect: a customer
who leaves stops at the first complaint answered badly, while those who stay accumulate contacts (and
gaps) over the years. So empathy is valued per complaint contact instead:

- the *contacts*: each transcribed conversation where the customer was distressed (the empathy step's
  ``distress_moments``) or complained of an aspect (a customer turn leaning negative naming it, as the
  drivers step counts complaints), and each conversation nobody transcribed (a call without transcript:
  mostly complaints; the model learns their rate apart, as the pseudo-aspect ``?``), with the agent who
  handled it (the conversation's ``attributes.agent_id``, else the agent who replied);
- the *outcome*: the customer left after it (recorded as churned, and no later conversation);
- ``ContactLeaving`` (scikit-learn shape): P(leaving after a contact) as a logistic function of the
  answering agent's empathy level (``empathy_agents.empathy``) with the complained aspects as controls,
  refitted on bootstrap resamples of customers for intervals.

Per customer, the contacts are kept per *cell* — the agent, the aspects complained of, and the empathy
*level* the contact is valued at (``own``: the agent's own; ``median``: lifted to the median agent;
``team``: lifted by the agent's team's gap to the median team): columns ``contacts@<level>@<agent>@<aspects>``
holding how many such contacts the customer had. A complaint fix removes the cells naming its aspects,
an empathy fix moves its agents' contacts to the lifted level; a customer's chance of leaving after one
of them is 1 − Π (1 − P(leaving | cell's level, aspects)) over their contacts (``ContactLeaving.log_stay``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from empathica.decide.response import fit_logistic
from empathica.errors import NotEnoughDataError
from empathica.schema.results import EMPATHY_AGENTS, EMPATHY_CONVERSATIONS

#: Prefix of the per-cell contact columns (``contacts@own@agent_05@delivery_delay``).
CONTACT_PREFIX = "contacts@"
#: The empathy levels a contact can be valued at: the agent's own, lifted to the median agent, lifted by the team's gap.
LEVELS = ("own", "median", "team")


def contact_cell(level: str, agent: str, aspects) -> str:
    """The column of a customer's complaint contacts answered by ``agent`` about ``aspects``, valued at ``level``."""
    return f"{CONTACT_PREFIX}{level}@{agent}@{'+'.join(sorted(aspects))}"


def contact_parts(column: str) -> tuple[str, str, set[str]]:
    """(level, agent, complained aspects) of a ``contact_cell`` column."""
    level, agent, aspects = column[len(CONTACT_PREFIX):].split("@", 2)
    return level, agent, set(aspects.split("+")) - {""}


def agent_levels(agents: pd.DataFrame) -> pd.DataFrame:
    """Per agent of ``empathy_agents`` (index agent_id): the empathy level of each of ``LEVELS``. ``median``: the
    median agent's, for agents below it; ``team``: the agent's own plus their team's gap to the median team (the
    team-empathy opportunity's lift), for teams below the median team. Otherwise the agent's own."""
    agents = agents.dropna(subset=["empathy"]).drop_duplicates("agent_id").set_index("agent_id")
    own = agents["empathy"].astype(float)
    median = float(own.median()) if len(own) else np.nan
    levels = pd.DataFrame({"own": own, "median": own.clip(lower=median)})
    team_lift = pd.Series(0.0, index=own.index)
    if "team_id" in agents and agents["team_id"].notna().any():
        per_team = own.groupby(agents["team_id"]).mean()
        lift = (per_team.median() - per_team).clip(lower=0.0)
        team_lift = agents["team_id"].map(lift).fillna(0.0).astype(float)
    levels["team"] = (own + team_lift).clip(upper=1.0)
    return levels


#: The pseudo-aspect of a contact nobody transcribed: whether it was a complaint, and about what, is unknown.
UNHEARD = "?"


def complaint_contacts(store, aspects) -> pd.DataFrame | None:
    """(conversation_id, customer_id, agent_id, aspects, left) per complaint contact: a transcribed conversation where
    the customer was distressed or complained (``aspects``: the pain points of ``aspects`` complained of, a sorted
    tuple), or one nobody transcribed (aspects ``("?",)``: most untranscribed contacts are complaint calls, and the
    model learns their own rate). ``left``: the customer was recorded as churned and had no later conversation. None
    without conversations or agents' empathy."""
    if not store.has_result(EMPATHY_CONVERSATIONS) or not store.has_result(EMPATHY_AGENTS) or not store.count("conversations"):
        return None
    from empathica.decide.levers import complained_conversations, conversation_agents

    scored = store.result(EMPATHY_CONVERSATIONS).select("conversation_id", "distress_moments").to_pandas()
    customers = store.table("customers")
    frame = conversation_agents(store)
    churned = customers.filter(customers.churned_at.notnull()).select(customer_id=customers.customer_id.cast("string")).to_pandas()
    about = complained_conversations(store)
    sets = pd.Series(dtype=object)
    if about is not None and len(about):
        about = about[about["aspect"].isin(list(aspects))]
        sets = about.groupby("conversation_id")["aspect"].agg(lambda a: tuple(sorted(set(a))))
    frame = frame.merge(scored, on="conversation_id", how="left")
    heard = frame["distress_moments"].notna().to_numpy()
    said = frame["conversation_id"].map(sets)
    frame["aspects"] = [(a if isinstance(a, tuple) else ()) if h else (UNHEARD,) for a, h in zip(said, heard)]
    complaint = ~heard | (frame["distress_moments"].fillna(0) > 0).to_numpy() | (frame["aspects"].map(len) > 0).to_numpy()
    last = frame.groupby("customer_id")["at"].max()
    frame["left"] = (frame["customer_id"].isin(churned["customer_id"]) & (frame["at"] >= frame["customer_id"].map(last))).astype(int)
    frame = frame[complaint & frame["agent_id"].notna().to_numpy()]
    return frame[["conversation_id", "customer_id", "agent_id", "aspects", "left"]].reset_index(drop=True)


def contact_cells(contacts: pd.DataFrame, levels: pd.DataFrame) -> pd.DataFrame:
    """Per customer (index): their complaint contacts per cell, all at the agents' own level; the lifted cells (zero)
    beside them for every agent whose lifted level is above their own, ready for an empathy fix to move them."""
    known = contacts[contacts["agent_id"].isin(levels.index)]
    cells = [contact_cell("own", a, s) for a, s in zip(known["agent_id"], known["aspects"])]
    wide = pd.crosstab(known["customer_id"].to_numpy(), np.asarray(cells, dtype=object)).astype(float)
    wide.index.name = "customer_id"
    for column in list(wide.columns):
        _, agent, aspects = contact_parts(column)
        for level in LEVELS[1:]:
            if levels.loc[agent, level] > levels.loc[agent, "own"]:
                wide[contact_cell(level, agent, aspects)] = 0.0
    return wide


def lift_contacts(frame: pd.DataFrame, agents, level: str, levels: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the contacts of ``agents`` moved to ``level`` from every level below it for that agent (a
    contact already lifted higher, or removed by a complaint fix, stays as it is)."""
    wanted = set(agents)
    for column in [c for c in frame.columns if c.startswith(CONTACT_PREFIX)]:
        kind, agent, aspects = contact_parts(column)
        if agent not in wanted or kind == level:
            continue
        target = contact_cell(level, agent, aspects)
        if target in frame and levels.loc[agent, kind] < levels.loc[agent, level]:
            frame[target] = frame[target].to_numpy() + frame[column].to_numpy()
            frame[column] = 0.0
    return frame


class ContactLeaving:
    """P(the customer leaves after a complaint contact | the answering agent's empathy level, complained aspects)."""

    def __init__(self, *, n_bootstrap: int = 100, C: float = 10.0, random_state: int | None = 0) -> None:
        self.n_bootstrap = n_bootstrap
        self.C = C
        self.random_state = random_state

    def fit(self, contacts: pd.DataFrame, levels: pd.DataFrame) -> "ContactLeaving":
        """Fit on ``complaint_contacts`` rows, each valued at its agent's own level of ``levels``."""
        contacts = contacts[contacts["agent_id"].isin(levels.index)]
        y = contacts["left"].to_numpy(dtype=int)
        if len(y) < 50 or min(y.sum(), len(y) - y.sum()) < 10:
            raise NotEnoughDataError(f"valuing empathy per complaint contact needs 50+ contacts with 10+ after which the "
                                     f"customer left; there are {len(y)} and {int(y.sum())}.")
        self.aspects_ = sorted({a for s in contacts["aspects"] for a in s})
        X = self._design(levels.loc[contacts["agent_id"], "own"].to_numpy(dtype=float), list(contacts["aspects"]))
        model = LogisticRegression(C=self.C, max_iter=1000).fit(X, y)
        self.coef_, self.intercept_ = model.coef_[0].copy(), float(model.intercept_[0])
        self.auc_ = float(roc_auc_score(y, model.predict_proba(X)[:, 1]))
        self.contacts_, self.left_rate_ = len(y), float(y.mean())
        rng = np.random.default_rng(self.random_state)
        _, customer = np.unique(contacts["customer_id"].to_numpy(), return_inverse=True)
        start = np.concatenate([[self.intercept_], self.coef_])
        draws = []
        for _ in range(self.n_bootstrap):  # resampling customers: a customer's contacts are not independent
            drawn = np.bincount(rng.integers(0, customer.max() + 1, customer.max() + 1), minlength=customer.max() + 1)
            weight = drawn[customer].astype(float)
            if y[weight > 0].min() == y[weight > 0].max():
                continue
            draws.append(fit_logistic(X, y, C=self.C, weight=weight, start=start))
        self.draws_ = np.array(draws).reshape(-1, X.shape[1] + 1)
        return self

    def _design(self, level: np.ndarray, aspects: list) -> np.ndarray:
        X = np.zeros((len(level), 1 + len(self.aspects_)))
        X[:, 0] = level
        for i, s in enumerate(aspects):
            for a in s:
                if a in self.aspects_:
                    X[i, 1 + self.aspects_.index(a)] = 1.0
        return X

    def leaving_by_fit(self, level: np.ndarray, aspects: list) -> np.ndarray:
        """P(leaving) after contacts at ``level`` about ``aspects``, under the fit (column 0) and each refit."""
        fits = np.vstack([np.concatenate([[self.intercept_], self.coef_]), self.draws_])
        z = fits[:, 0] + self._design(np.asarray(level, dtype=float), aspects) @ fits[:, 1:].T
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def log_stay(self, columns: list[str], levels: pd.DataFrame) -> np.ndarray:
        """Per contact-cell column (rows) and fit: log P(staying after one contact of that cell)."""
        parts = [contact_parts(c) for c in columns]
        level = np.array([levels.loc[agent, kind] for kind, agent, _ in parts], dtype=float)
        return np.log1p(-np.clip(self.leaving_by_fit(level, [s for _, _, s in parts]), 0.0, 1 - 1e-9))


__all__ = ["CONTACT_PREFIX", "ContactLeaving", "agent_levels", "complaint_contacts", "contact_cell", "contact_cells",
           "contact_parts", "lift_contacts"]
