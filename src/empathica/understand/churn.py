"""Churn and detractor propensity: calibrated probabilities and the main reasons per customer.

The model is a regularised logistic regression on one-hot categoricals and standardised numerics,
calibrated with ``CalibratedClassifierCV`` (sigmoid by default). Reasons come from the same logistic
model fitted on all training rows: each input column's contribution to a customer's log-odds is
``Σ_j coef_j · (z_ij − mean_j)`` over the model features ``j`` built from that column (its one-hot
levels, or the standardised value and its missing flag) — an exact additive decomposition of the
log-odds around the average customer, so the reasons add up to the score.

>>> import pandas as pd
>>> frame = pd.DataFrame({"tenure": [1, 30, 2, 40] * 10, "plan": ["m", "y", "m", "y"] * 10, "churn": ["Yes", "No"] * 20})
>>> X, y, _ = churn_features(frame, target="churn")
>>> ChurnModel(cv=2).fit(X, y).predict_proba(X).shape
(40,)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np
import pandas as pd

from empathica.errors import AnalysisError, NotEnoughDataError
from empathica.store.names import display_name

#: Fewest rows, and fewest rows of the rarer class, a churn model is fitted on.
MIN_ROWS = 30
MIN_MINORITY = 10
_POSITIVE_WORDS = {"yes", "y", "true", "t", "1", "churn", "churned", "left", "lost", "detractor"}
_NEGATIVE_WORDS = {"no", "n", "false", "f", "0", "stay", "stayed", "active", "retained", "promoter", "passive"}


@dataclass
class FeatureInfo:
    """How the input columns became model inputs, so the choice is visible to the user."""

    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    coerced_numeric: dict[str, int] = field(default_factory=dict)  # column → blank/unparseable cells imputed
    dropped: dict[str, str] = field(default_factory=dict)  # column → why it is not used
    positive_label: str = ""


def churn_features(
    frame: pd.DataFrame,
    *,
    target: str,
    id_column: str | None = None,
    positive: str | None = None,
    max_categories: int = 50,
    source: str = "the table",
    keep_unlabelled: bool = False,
) -> tuple[pd.DataFrame, np.ndarray, FeatureInfo]:
    """Split a table into model inputs and a 0/1 target, choosing how each column is used.

    Rows without a target value are left out; with ``keep_unlabelled`` they are kept in the inputs
    (to be scored: they are the current customers) and their target is NaN (y is then float).

    Numeric columns stay numeric; text columns that are numbers with a few blanks (Telco's
    TotalCharges) become numeric with the blanks imputed; other text columns are categorical unless
    they have more than ``max_categories`` levels and look like identifiers (dropped, reported).
    """
    if target not in frame.columns:
        raise AnalysisError(f"{source} has no column {target!r} (--target); its columns are {', '.join(map(str, frame.columns))}.")
    if id_column is not None and id_column not in frame.columns:
        raise AnalysisError(f"{source} has no column {id_column!r} (--id); its columns are {', '.join(map(str, frame.columns))}.")
    has_target = (frame[target].notna() & (frame[target].astype(str).str.strip() != "")).to_numpy()
    labelled = frame[has_target]
    missing = len(frame) - len(labelled)
    if len(labelled) == 0:
        raise NotEnoughDataError(f"column {target!r} of {source} is empty in every row.")
    y, positive_label = _binary_target(labelled[target], target=target, positive=positive, source=source)
    info = FeatureInfo(positive_label=positive_label)
    if keep_unlabelled:
        full = np.full(len(frame), np.nan)
        full[has_target] = y
        y = full
        if missing:
            info.dropped[target] = f"{missing} rows without a target value are scored but not learnt from (current customers)"
    else:
        frame = labelled
        if missing:
            info.dropped[target] = f"{missing} rows without a target value were left out"
    X = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        if col in (target, id_column):
            continue
        series = frame[col]
        if pd.api.types.is_bool_dtype(series):
            X[col] = series.astype(float)
            info.numeric.append(col)
        elif pd.api.types.is_numeric_dtype(series):
            if series.nunique(dropna=True) <= 1:
                info.dropped[col] = "constant"
                continue
            X[col] = series.astype(float)
            info.numeric.append(col)
        elif pd.api.types.is_datetime64_any_dtype(series):
            info.dropped[col] = "a date (derive a duration such as tenure to use it)"
        else:
            text = series.astype("string").str.strip()
            present = text.notna() & (text != "")
            parsed = pd.to_numeric(text.where(present), errors="coerce")
            if present.sum() and parsed.notna().sum() >= 0.95 * present.sum():
                X[col] = parsed.astype(float)
                info.numeric.append(col)
                info.coerced_numeric[col] = int((parsed.isna()).sum())
                continue
            levels = text[present].nunique()
            if levels <= 1:
                info.dropped[col] = "constant"
            elif levels > max_categories and levels > 0.5 * present.sum():
                info.dropped[col] = f"{levels} distinct values: looks like an identifier"
            else:
                X[col] = text.where(present, "(missing)").astype(object)
                info.categorical.append(col)
    if X.shape[1] == 0:
        named = f"{target!r}" + (f" and the id column {id_column!r}" if id_column else "")
        left_out = {k: v for k, v in info.dropped.items() if k != target}
        why = ("the other columns cannot be used — " + "; ".join(f"{k}: {v}" for k, v in left_out.items())) if left_out else \
            "it has no other column"
        raise NotEnoughDataError(
            f"{source} has no input column to learn churn from besides {named}: {why}. Add columns that describe "
            "the customers (tenure, plan, charges, usage, contacts …)."
        )
    return X, y, info


def _binary_target(series: pd.Series, *, target: str, positive: str | None, source: str) -> tuple[np.ndarray, str]:
    text = series.astype(str).str.strip()
    values = sorted(text.unique())
    if len(values) != 2:
        if len(values) < 2:
            raise NotEnoughDataError(
                f"column {target!r} of {source} has the single value {values[0]!r} in every row: nothing to predict."
            )
        raise AnalysisError(
            f"column {target!r} of {source} has {len(values)} values ({', '.join(values[:6])}…); a churn target needs two "
            "(e.g. Yes/No). Recode it, or name the churn value with --positive."
            if positive is None else f"column {target!r} has more than two values; recode it to two."
        )
    if positive is not None:
        if positive not in values:
            raise AnalysisError(f"--positive {positive!r} is not a value of column {target!r}; its values are {values}.")
        label = positive
    else:
        lowered = [v.lower() for v in values]
        hits = [v for v, low in zip(values, lowered) if low in _POSITIVE_WORDS]
        misses = [v for v, low in zip(values, lowered) if low in _NEGATIVE_WORDS]
        if len(hits) == 1:
            label = hits[0]
        elif len(misses) == 1:
            label = next(v for v in values if v != misses[0])
        else:
            raise AnalysisError(f"cannot tell which value of {target!r} means churn ({values}); name it with --positive.")
    return (text == label).to_numpy(dtype=int), label


class ChurnModel:
    """Calibrated logistic churn (or detractor) propensity with per-customer reasons.

    ``calibration``: "sigmoid" (Platt) or "isotonic" (needs more rows); ``C``: inverse L2 strength;
    ``cv``: folds of the calibration. Fitted attributes: ``calibrated_``, ``explainer_``,
    ``feature_names_``, ``columns_``.
    """

    def __init__(
        self,
        *,
        calibration: Literal["sigmoid", "isotonic"] = "sigmoid",
        C: float = 1.0,
        cv: int = 5,
        random_state: int | None = 0,
    ) -> None:
        self.calibration = calibration
        self.C = C
        self.cv = cv
        self.random_state = random_state

    def _pipeline(self, X: pd.DataFrame):
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler

        numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
        categorical = [c for c in X.columns if c not in numeric]
        transformers = []
        if numeric:
            # a natural-ish cubic spline per numeric lets risk bend (churn falls steeply over early tenure)
            # while staying additive per column, so the reasons still decompose exactly
            smooth = [c for c in numeric if X[c].nunique() > 10]
            plain = [c for c in numeric if c not in smooth]
            if smooth:
                transformers.append(("spline", Pipeline([
                    ("impute", SimpleImputer(strategy="median", add_indicator=True)),
                    ("scale", StandardScaler()),
                    ("spline", SplineTransformer(n_knots=5, degree=3, knots="quantile", extrapolation="linear")),
                ]), smooth))
            if plain:
                transformers.append(("num", Pipeline([
                    ("impute", SimpleImputer(strategy="median", add_indicator=True)),
                    ("scale", StandardScaler()),
                ]), plain))
        if categorical:
            transformers.append(("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=5, sparse_output=False), categorical))
        prep = ColumnTransformer(transformers, verbose_feature_names_out=True)
        return Pipeline([("prep", prep), ("model", LogisticRegression(C=self.C, max_iter=2000))])

    def fit(self, X: pd.DataFrame, y) -> "ChurnModel":
        from sklearn.calibration import CalibratedClassifierCV

        y = np.asarray(y, dtype=int)
        if len(X) < MIN_ROWS:
            raise NotEnoughDataError(f"a churn model needs at least {MIN_ROWS} labelled rows; there are {len(X)}.")
        minority = int(min(y.sum(), len(y) - y.sum()))
        if minority < MIN_MINORITY:
            raise NotEnoughDataError(
                f"only {minority} rows belong to the rarer class (churned or not); at least {MIN_MINORITY} are needed "
                "for a calibrated model."
            )
        folds = max(2, min(self.cv, minority // 2))
        self.columns_ = list(X.columns)
        self.calibrated_ = CalibratedClassifierCV(self._pipeline(X), method=self.calibration, cv=folds).fit(X, y)
        self.explainer_ = self._pipeline(X).fit(X, y)
        prep = self.explainer_.named_steps["prep"]
        self.feature_names_ = list(prep.get_feature_names_out())
        self._feature_source = [_source_column(name, self.columns_) for name in self.feature_names_]
        self._feature_mean = prep.transform(X).mean(axis=0)
        self.base_rate_ = float(y.mean())
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "calibrated_"):
            raise AnalysisError("the churn model is not fitted yet; call fit() first.")

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated P(churn) per row."""
        self._check_fitted()
        return self.calibrated_.predict_proba(X[self.columns_])[:, 1]

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each input column's contribution to each row's log-odds, relative to the average customer."""
        self._check_fitted()
        z = self.explainer_.named_steps["prep"].transform(X[self.columns_])
        coef = self.explainer_.named_steps["model"].coef_[0]
        per_feature = (z - self._feature_mean) * coef
        frame = pd.DataFrame(per_feature, columns=self.feature_names_, index=X.index)
        return frame.T.groupby(self._feature_source).sum().T[self.columns_]

    def reasons(self, X: pd.DataFrame, *, top: int = 3) -> pd.Series:
        """The ``top`` columns that raise each row's churn risk most, as 'column=value (+0.42)' text."""
        contrib = self.contributions(X)
        values = contrib.to_numpy()
        order = np.argsort(-values, axis=1)[:, :top]
        cols = np.array(self.columns_)
        out = []
        for i, idx in enumerate(order):
            parts = [f"{cols[j]}={_short(X.iloc[i][cols[j]])} (+{values[i, j]:.2f})" for j in idx if values[i, j] > 0.05]
            out.append("; ".join(parts))
        return pd.Series(out, index=X.index, name="reasons")

    def coefficients(self) -> pd.DataFrame:
        """The explainer's coefficients per model feature (standardised numerics, one-hot levels)."""
        self._check_fitted()
        coef = self.explainer_.named_steps["model"].coef_[0]
        return pd.DataFrame({"feature": self.feature_names_, "column": self._feature_source, "coefficient": coef})


def _source_column(feature: str, columns: list[str]) -> str:
    """Map a ColumnTransformer output name (num__tenure, cat__Contract_Two year, num__missingindicator_x) to its column."""
    name = feature.split("__", 1)[1] if "__" in feature else feature
    if name.startswith("missingindicator_"):
        name = name[len("missingindicator_"):]
    if name in columns:
        return name
    matches = [c for c in columns if name.startswith(f"{c}_")]
    return max(matches, key=len) if matches else name


#: The stored reason of a customer already lost (``value_revenue_at_risk``): no model reason applies.
ALREADY_LOST_REASON = "already lost (churned_at set)"
#: One stored reason: ``column=value (+weight)``, as :meth:`ChurnModel.reasons` writes it.
_REASON = re.compile(r"^(?P<column>[^=;]+)=(?P<value>.*) \(\+(?P<weight>[0-9.]+)\)$")


def reason_findings(text: str | None) -> list[dict]:
    """The stored reasons of one customer (``"tenure_days=12 (+0.42); segment=app_first (+0.30)"``) as findings
    (``{"id", "values"}``, message ids ``churn.reason.*`` of the report catalogues): the feature by its display name
    (``churn.feature.<column>``), its value (a number formatted per locale, a category as stored, or unknown) and
    its weight on the log-odds. A part in no known form is kept as the program's text (``churn.reason.text``)."""
    out = []
    for part in (p.strip() for p in (text or "").split(";")):
        if not part:
            continue
        match = _REASON.match(part)
        if part == ALREADY_LOST_REASON:
            out.append({"id": "churn.reason.already_lost", "values": {}})
        elif match is None:
            out.append({"id": "churn.reason.text", "values": {"text": part}})
        else:
            out.append(_reason(match["column"], match["value"], float(match["weight"])))
    return out


#: Categorical features whose levels have display names (``language.de`` → German; a segment made readable).
_NAMED_LEVELS = ("language", "segment", "region")


def _reason(column: str, value: str, weight: float) -> dict:
    feature = {"id": f"churn.feature.{column}", "name": column.replace("_", " ")}  # its display name (store.names)
    try:
        number = float(value)
    except ValueError:
        shown = display_name(column, value) if column in _NAMED_LEVELS and value != "(missing)" else value
        return {"id": "churn.reason.level", "values": {"feature": feature, "value": shown, "weight": weight}}
    if np.isnan(number):
        return {"id": "churn.reason.missing", "values": {"feature": feature, "weight": weight}}
    kind = "int" if number.is_integer() else "number"
    return {"id": f"churn.reason.{kind}", "values": {"feature": feature, "value": number, "weight": weight}}


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    return text if len(text) <= 30 else text[:29] + "…"


@dataclass
class ChurnEvaluation:
    """Held-out quality of churn probabilities."""

    auc: float
    brier: float
    base_rate: float
    rows: int
    reliability: pd.DataFrame  # bin, mean_predicted, observed_rate, rows


def evaluate_churn(y_true, probability, *, n_bins: int = 10) -> ChurnEvaluation:
    """ROC AUC, Brier score and the reliability curve (quantile bins) of predicted probabilities."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    y = np.asarray(y_true, dtype=int)
    p = np.asarray(probability, dtype=float)
    if len(np.unique(y)) < 2:
        raise NotEnoughDataError("the evaluation rows hold only one class; AUC needs churners and non-churners.")
    bins = pd.qcut(pd.Series(p).rank(method="first"), q=min(n_bins, len(p)), labels=False)
    curve = pd.DataFrame({"bin": bins, "p": p, "y": y}).groupby("bin").agg(
        mean_predicted=("p", "mean"), observed_rate=("y", "mean"), rows=("y", "size")).reset_index()
    return ChurnEvaluation(
        auc=float(roc_auc_score(y, p)), brier=float(brier_score_loss(y, p)), base_rate=float(y.mean()),
        rows=len(y), reliability=curve,
    )


def plot_reliability(evaluation: ChurnEvaluation, *, say: Callable[..., str], outcome: str = "churn"):
    """Observed churn (or detractor) rate against mean predicted probability per bin, with the diagonal (``say``: the
    figure's words, see ``report.figures``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = evaluation.reliability
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    top = max(1e-3, float(max(curve["mean_predicted"].max(), curve["observed_rate"].max())) * 1.05)
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label=say("figure.reliability.perfect"))
    ax.plot(curve["mean_predicted"], curve["observed_rate"], marker="o", label=say("figure.reliability.model"))
    ax.set_xlabel(say("figure.reliability.predicted_axis"))
    ax.set_ylabel(say("figure.reliability.observed_axis"))
    ax.set_title(say(f"figure.reliability.title.{outcome}", auc=evaluation.auc, brier=evaluation.brier, rows=evaluation.rows),
                 fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


@dataclass
class ChurnFitResult:
    """A churn fit on a table: scores for every row, held-out evaluation, feature choices."""

    scores: pd.DataFrame  # id, p_churn, reasons
    evaluation: ChurnEvaluation
    features: FeatureInfo
    model: ChurnModel


def fit_churn_table(
    frame: pd.DataFrame,
    *,
    target: str,
    id_column: str | None = None,
    positive: str | None = None,
    test_size: float = 0.25,
    calibration: Literal["sigmoid", "isotonic"] = "sigmoid",
    refit: bool = True,
    random_state: int = 0,
    source: str = "the table",
) -> ChurnFitResult:
    """Generic churn fit on any table: stratified held-out split for the figures, then (``refit``) a
    refit on all labelled rows for the scores. Every row is scored, also those without a target value
    (``actual`` NaN: the current customers) (the held-out figures describe a model trained on fewer rows:
    conservative); without ``refit`` the scores come from the model fitted on the training split."""
    from sklearn.model_selection import train_test_split

    X_all, y_all, info = churn_features(frame, target=target, id_column=id_column, positive=positive, source=source,
                                        keep_unlabelled=True)
    has_target = ~np.isnan(y_all)
    X, y = X_all[has_target], y_all[has_target].astype(int)
    if len(X) < MIN_ROWS / (1 - test_size):
        raise NotEnoughDataError(f"{source} has {len(X)} labelled rows; a held-out check needs at least {int(MIN_ROWS / (1 - test_size)) + 1}.")
    # counted over the whole file, not the training split, so the figure matches what the user sees
    minority = int(min(y.sum(), len(y) - y.sum()))
    needed = int(np.ceil(MIN_MINORITY / (1 - test_size)))
    if minority < needed:
        rarer = info.positive_label if y.sum() <= len(y) - y.sum() else f"not {info.positive_label}"
        raise NotEnoughDataError(
            f"only {minority} of the {len(y):,} labelled rows of {source} belong to the rarer class ({target} = {rarer}); "
            f"at least {needed} are needed ({MIN_MINORITY} to train a calibrated model after holding out {test_size:.0%})."
        )
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, stratify=y, random_state=random_state)
    held_out = ChurnModel(calibration=calibration, random_state=random_state).fit(X_train, y_train)
    evaluation = evaluate_churn(y_test, held_out.predict_proba(X_test))
    model = ChurnModel(calibration=calibration, random_state=random_state).fit(X, y) if refit else held_out
    # every row is scored; rows without a target (actual blank) are the current customers to act on
    ids = frame.loc[X_all.index, id_column].to_numpy() if id_column else X_all.index.to_numpy()
    scores = pd.DataFrame({"id": ids, "p_churn": model.predict_proba(X_all), "actual": pd.array(y_all, dtype="Float64").astype("Int64")})
    scores["reasons"] = model.reasons(X_all).to_numpy()
    scores = scores.sort_values("p_churn", ascending=False, ignore_index=True)
    return ChurnFitResult(scores=scores, evaluation=evaluation, features=info, model=model)


# -- churn from the store: time-based features and validation ------------------------------------------
def snapshot_features(
    customers,
    transactions,
    feedback,
    conversations=None,
    *,
    at,
    horizon_days: float,
) -> pd.DataFrame:
    """Features of every customer active at ``at`` from what was known by then, and whether the
    customer churned within ``horizon_days`` after it (Ibis over the canonical tables).

    Active at ``at``: first seen (or first purchase) on or before it and not churned by it. Features:
    purchases, days since the last and the first purchase, mean amount, refunds (transactions before
    ``at``); NPS mean and last, CSAT mean and minimum, answers (feedback before ``at``); contacts and
    unresolved contacts (conversations before ``at``); segment, region and language.
    """
    import ibis

    at = pd.Timestamp(at)
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    end = at + pd.Timedelta(days=horizon_days)
    at_lit, end_lit = ibis.literal(at.to_pydatetime()), ibis.literal(end.to_pydatetime())
    tx = transactions.filter(transactions.timestamp <= at_lit)
    buys = tx.filter(tx.amount > 0)
    purchase = buys.group_by("customer_id").aggregate(
        purchases=buys.count(),
        first_purchase=buys.timestamp.min(),
        last_purchase=buys.timestamp.max(),
        mean_amount=buys.amount.mean(),
    )
    returned = tx.filter(tx.amount < 0)
    refunds = returned.group_by("customer_id").aggregate(refunds=returned.count())
    fb = feedback.filter((feedback.timestamp <= at_lit) & feedback.customer_id.notnull())
    answers = fb.group_by("customer_id").aggregate(
        nps_mean=fb.nps.cast("float64").mean(),
        nps_last=fb.nps.cast("float64").argmax(ibis.ifelse(fb.nps.notnull(), fb.timestamp, ibis.null("timestamp('UTC')"))),
        csat_mean=fb.csat.cast("float64").mean(),
        csat_min=fb.csat.cast("float64").min(),
        answers=fb.count(),
    )
    c = customers
    active = c.filter((c.churned_at.isnull() | (c.churned_at > at_lit)))
    base = active.select(
        "customer_id",
        segment=active.segment.fill_null("(missing)"),
        region=active.region.fill_null("(missing)"),
        language=active.language.fill_null("(missing)"),
        first_seen=active.first_seen,
        churned=(active.churned_at.notnull() & (active.churned_at <= end_lit)).cast("int64"),
    )
    frame = base.left_join(purchase, "customer_id").drop("customer_id_right")
    frame = frame.left_join(refunds, "customer_id").drop("customer_id_right")
    frame = frame.left_join(answers, "customer_id").drop("customer_id_right")
    if conversations is not None:
        cv = conversations.filter((conversations.started_at <= at_lit) & conversations.customer_id.notnull())
        contacts = cv.group_by("customer_id").aggregate(
            contacts=cv.count(),
            unresolved=(cv.outcome.isin(["unresolved", "escalated"])).cast("int64").sum(),
        )
        frame = frame.left_join(contacts, "customer_id").drop("customer_id_right")
    seconds_per_day = 86_400.0
    first = ibis.coalesce(frame.first_seen, frame.first_purchase)
    frame = frame.filter(first.notnull() & (first <= at_lit)).mutate(
        purchases=frame.purchases.fill_null(0),
        refunds=frame.refunds.fill_null(0),
        days_since_purchase=(at_lit.epoch_seconds() - frame.last_purchase.epoch_seconds()) / seconds_per_day,
        tenure_days=(at_lit.epoch_seconds() - first.epoch_seconds()) / seconds_per_day,
    )
    drop = ["first_seen", "first_purchase", "last_purchase"]
    out = frame.drop(*drop).order_by("customer_id").to_pandas()
    for col in ("contacts", "unresolved"):
        if col in out:
            out[col] = out[col].fillna(0)
    return out


@dataclass
class TimeValidatedChurn:
    """A churn model learnt on one period and checked on the next one."""

    model: ChurnModel
    evaluation: ChurnEvaluation
    train_at: pd.Timestamp
    validate_at: pd.Timestamp
    horizon_days: float
    train_rows: int
    scores: pd.DataFrame  # customer_id, p_churn, reasons: customers active at the end, scored now


def next_nps_labels(feedback, *, at, horizon_days: float) -> pd.DataFrame:
    """Per customer who answered an NPS survey in (at, at + horizon]: whether the first such answer was
    a detractor's (0–6). Ties in time are broken by the response id."""
    import ibis

    at = _utc(at)
    end = at + pd.Timedelta(days=horizon_days)
    fb = feedback.filter(
        (feedback.timestamp > ibis.literal(at.to_pydatetime()))
        & (feedback.timestamp <= ibis.literal(end.to_pydatetime()))
        & feedback.nps.notnull() & feedback.customer_id.notnull()
    )
    ranked = fb.mutate(k=ibis.row_number().over(group_by=fb.customer_id, order_by=[fb.timestamp, fb.response_id]))
    first = ranked.filter(ranked.k == 0).select("customer_id", detractor=(ranked.nps <= 6).cast("int64"))
    return first.order_by("customer_id").to_pandas()


def _utc(when) -> pd.Timestamp:
    when = pd.Timestamp(when)
    return when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")


#: What a time-validated propensity model predicts: the label column and how it is described.
PROPENSITY_TARGETS = {
    "churn": ("churned", "churners", "customers.churned_at must be filled for lost customers."),
    "detractor": ("detractor", "detractors", "feedback.nps must hold answers in both windows."),
}


def fit_time_validated_churn(
    customers,
    transactions,
    feedback,
    conversations=None,
    *,
    end,
    horizon_days: float = 90.0,
    extra: pd.DataFrame | None = None,
    cv: int = 5,
    random_state: int = 0,
    target: str = "churn",
) -> TimeValidatedChurn:
    """Learn the ``target`` within ``horizon_days`` from features at ``end − 2·horizon``, validate on
    features at ``end − horizon`` (a later period, never seen in training), then refit on that later
    window and score every customer active at ``end``. ``extra``: static per-customer features
    (customer_id + columns).

    ``target``: "churn" (``customers.churned_at`` within the horizon) or "detractor" (the customer's next
    NPS answer within the horizon is 0–6; learnt from customers who answered, scored for every active
    customer). The scores frame holds ``p_churn`` or ``p_detractor``.
    """
    if target not in PROPENSITY_TARGETS:
        raise AnalysisError(f"unknown propensity target {target!r}; use one of {', '.join(PROPENSITY_TARGETS)}.")
    label, plural, fix = PROPENSITY_TARGETS[target]
    end = _utc(end)
    train_at = end - pd.Timedelta(days=2 * horizon_days)
    validate_at = end - pd.Timedelta(days=horizon_days)

    def features(at) -> pd.DataFrame:
        frame = snapshot_features(customers, transactions, feedback, conversations, at=at, horizon_days=horizon_days)
        if extra is not None and len(extra):
            frame = frame.merge(extra, on="customer_id", how="left")
        return frame

    def labelled(at) -> pd.DataFrame:
        frame = features(at)
        if target == "detractor":
            frame = frame.drop(columns=["churned"]).merge(next_nps_labels(feedback, at=at, horizon_days=horizon_days),
                                                          on="customer_id", how="inner")
        return frame

    train, valid = labelled(train_at), labelled(validate_at)
    for name, frame in (("training", train), ("validation", valid)):
        if len(frame) < MIN_ROWS or frame[label].sum() < MIN_MINORITY:
            raise NotEnoughDataError(
                f"the {name} window holds {len(frame)} labelled customers and {int(frame[label].sum())} {plural} within "
                f"{horizon_days:g} days; a time-validated {target} model needs at least {MIN_ROWS} and {MIN_MINORITY}. "
                + fix
            )

    def xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        X = frame.drop(columns=["customer_id", label])
        X = X.loc[:, [c for c in X.columns if X[c].notna().any()]]
        return X, frame[label].to_numpy(dtype=int)

    X_train, y_train = xy(train)
    X_valid, y_valid = xy(valid)
    cols = [c for c in X_train.columns if c in X_valid.columns]
    model = ChurnModel(cv=cv, random_state=random_state).fit(X_train[cols], y_train)
    evaluation = evaluate_churn(y_valid, model.predict_proba(X_valid[cols]))
    final = ChurnModel(cv=cv, random_state=random_state).fit(X_valid[cols], y_valid)
    now = features(end)
    X_now = now.reindex(columns=cols)
    scores = pd.DataFrame({"customer_id": now["customer_id"], f"p_{target}": final.predict_proba(X_now)})
    scores["reasons"] = final.reasons(X_now).to_numpy()
    return TimeValidatedChurn(model=final, evaluation=evaluation, train_at=train_at, validate_at=validate_at,
                              horizon_days=horizon_days, train_rows=len(train), scores=scores)
