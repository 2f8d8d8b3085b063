"""`empathica clv fit`, `empathica drivers` and `empathica churn fit`: value analyses on any table.

TABLE / TRANSACTIONS is a file (CSV, TSV, whitespace-separated text, Parquet, JSON Lines) or the name
of a table in the store (``--db``), e.g. ``transactions`` or ``result_drivers_customer``. A text file
without a header row gets the column names col1, col2, …
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import numpy as np
import pandas as pd

from empathica.errors import AnalysisError, InputError

_DB_HELP = "Store to read TABLE from when TABLE is not a file."


# -- reading ---------------------------------------------------------------------------------------
def read_table(name: str, *, db: str | None = None) -> pd.DataFrame:
    """A file, or a table of the store, as a DataFrame."""
    path = Path(name)
    if path.is_file():
        return _read_file(path)
    if db and Path(db).exists():
        from empathica.store import Store

        with Store.open(db, read_only=True) as store:
            for candidate in (name, f"result_{name}"):
                if store.has_table(candidate):
                    return store.table(candidate).to_pandas()
        raise InputError(f"{name} is neither a file nor a table of the store {db}.")
    raise InputError(f"{name} is not a file (and no store was given with --db to look it up as a table).")


def _read_file(path: Path) -> pd.DataFrame:
    suffixes = "".join(path.suffixes).lower()
    try:
        if suffixes.endswith(".parquet"):
            return pd.read_parquet(path)
        if suffixes.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
            return pd.read_json(path, lines=True)
        with open(path, "rb") as handle:
            head = handle.read(4096).decode("utf-8", errors="replace")
        first = head.splitlines()[0] if head.splitlines() else ""
        sep = "," if "," in first else "\t" if "\t" in first else ";" if ";" in first else r"\s+"
        frame = pd.read_csv(path, sep=sep, header=None, dtype=str, skipinitialspace=True, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if frame.empty:
        raise InputError(f"{path} holds no rows.")
    header = frame.iloc[0].tolist()
    looks_like_header = all(not _is_number(v) for v in header) and len(set(header)) == len(header) and all(header)
    if looks_like_header:
        frame = frame.iloc[1:].reset_index(drop=True)
        frame.columns = [str(v).strip() for v in header]
    else:
        frame.columns = [f"col{i + 1}" for i in range(frame.shape[1])]
    for col in frame.columns:  # numbers as numbers; blanks stay text so the analyses can report them
        converted = pd.to_numeric(frame[col], errors="coerce")
        if converted.notna().all():
            frame[col] = converted
    return frame


def _is_number(value) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


def _english_words():
    """The figures' English words (the report's figure module is loaded only when a figure is drawn)."""
    from empathica.report.figures import FigureWords

    return FigureWords("en")


def _parse_dates(series: pd.Series, *, column: str, source: str) -> pd.Series:
    text = series.astype(str).str.strip()
    if text.str.fullmatch(r"\d{8}").all():
        parsed = pd.to_datetime(text, format="%Y%m%d", errors="coerce", utc=True)
    else:
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
    bad = parsed.isna() & text.ne("")
    if parsed.notna().sum() == 0:
        raise InputError(f"column {column!r} of {source} holds no readable date (first value {text.iloc[0]!r}); use YYYY-MM-DD.")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        click.echo(f"warning: {int(bad.sum())} rows of {source} have an unreadable {column!r} (first: row {row}, {text[bad].iloc[0]!r}); they are left out.", err=True)
    return parsed


def _require(frame: pd.DataFrame, columns: list[str], *, source: str, options: list[str]) -> None:
    for col, option in zip(columns, options):
        if col not in frame.columns:
            raise InputError(f"{source} has no column {col!r} ({option}); its columns are {', '.join(map(str, frame.columns))}.")


def _out_dir(out: str) -> Path:
    path = Path(out)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save_figure(fig, path: Path) -> None:
    """Write a figure of the value commands (drawn with English words: ``FigureWords("en")``)."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


# -- clv -------------------------------------------------------------------------------------------
@click.group()
def clv() -> None:
    """Customer lifetime value: BG/NBD purchases × Gamma-Gamma spend, discounted."""


@clv.command("fit")
@click.argument("transactions")
@click.option("--customer", required=True, help="Column with the customer identifier.")
@click.option("--date", "date_col", required=True, help="Column with the purchase date or time.")
@click.option("--value", "value_col", required=True, help="Column with the amount (negative = refund).")
@click.option("--id", "id_col", default=None, help="Column with a transaction id: repeated ids count once.")
@click.option("--holdout-start", default=None, help="Validate: learn from purchases before this date (YYYY-MM-DD), check on the rest.")
@click.option("--time-unit", type=click.Choice(["weeks", "days"]), default="weeks", show_default=True, help="Unit of recency, T and the parameters.")
@click.option("--horizon", default=52.0, show_default=True, type=click.FloatRange(min=1), help="CLV horizon in time units.")
@click.option("--discount", default=0.10, show_default=True, type=click.FloatRange(min=0), help="Annual discount rate.")
@click.option("--zero-is-purchase", is_flag=True, help="Count zero-value purchases (free items) as purchase occasions.")
@click.option("--db", default=None, help=_DB_HELP)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for params.json, customers.csv and plots.")
def clv_fit(transactions, customer, date_col, value_col, id_col, holdout_start, time_unit, horizon, discount, zero_is_purchase, db, out) -> None:
    """Fit BG/NBD and Gamma-Gamma to TRANSACTIONS; write params.json and customers.csv (p_alive,
    expected purchases, expected spend, clv) and, with --holdout-start, holdout.csv and holdout.png."""
    import ibis

    from empathica.understand.clv import fit_clv, plot_holdout

    frame = read_table(transactions, db=db)
    _require(frame, [customer, date_col, value_col] + ([id_col] if id_col else []), source=transactions,
             options=["--customer", "--date", "--value", "--id"])
    amounts = pd.to_numeric(frame[value_col], errors="coerce")
    if amounts.notna().sum() == 0:
        raise InputError(f"column {value_col!r} of {transactions} holds no number; name the amount column with --value.")
    data = pd.DataFrame({
        "customer_id": frame[customer].astype(str),
        "timestamp": _parse_dates(frame[date_col], column=date_col, source=transactions),
        "amount": amounts,
    })
    if id_col:
        data["transaction_id"] = frame[id_col].astype(str)
    try:
        result = fit_clv(
            ibis.memtable(data), transaction_id="transaction_id" if id_col else None, holdout_start=holdout_start,
            time_unit_days=7.0 if time_unit == "weeks" else 1.0, horizon=horizon, annual_discount_rate=discount,
            zero_amount_is_purchase=zero_is_purchase,
        )
    except AnalysisError as exc:  # name the file the figures would have come from
        raise type(exc)(f"{transactions}: {exc}") from None
    folder = _out_dir(out)
    params = dict(result.params)
    if result.holdout_totals is not None:
        params["holdout"] = result.holdout_totals
        result.holdout_by_bin.to_csv(folder / "holdout.csv", index=False)
        _save_figure(plot_holdout(result.holdout_by_bin, say=_english_words()), folder / "holdout.png")
    (folder / "params.json").write_text(json.dumps(params, indent=2, default=str), encoding="utf-8")
    result.customers.to_csv(folder / "customers.csv", index=False)
    p = result.params
    click.echo(f"BG/NBD   r={p['r']:.4f} alpha={p['alpha']:.4f} a={p['a']:.4f} b={p['b']:.4f}  ({p['customers']:,} customers)")
    click.echo(f"Gamma-Gamma p={p['p']:.4f} q={p['q']:.4f} gamma={p['gamma']:.4f}")
    click.echo(f"Rows: {p['rows']:,}; returns/zero amounts left out: {p['returns_excluded']:,}; duplicate ids: {p['duplicates_removed']:,}")
    if result.holdout_totals is not None:
        h = result.holdout_totals
        click.echo(f"Holdout: actual {h['actual_total']:,.0f} purchases, predicted {h['predicted_total']:,.1f} ({h['relative_error_total']:+.1%})")
    click.echo(f"Total CLV over {horizon:g} {time_unit}: {result.customers['clv'].sum():,.2f}")
    click.echo(f"Wrote {folder}/params.json and customers.csv")


# -- drivers ---------------------------------------------------------------------------------------
#: Fewest bootstrap resamples that give a 95% interval worth printing.
MIN_BOOTSTRAP = 50


def _as_numbers(series: pd.Series) -> tuple[pd.Series | None, str]:
    """The column as numbers, a blank cell being a missing value; None and why when it is text."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series.astype(float), ""
    text = series.astype("string").str.strip()
    blank = text.isna() | text.eq("")
    converted = pd.to_numeric(text.mask(blank), errors="coerce")
    bad = converted.isna() & ~blank
    if blank.all():
        return None, "every cell is blank"
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        return None, f"{int(bad.sum())} values are not numbers, e.g. {text[bad].iloc[0]!r} in data row {row}"
    return converted.astype(float), ""


def _looks_like_identifier(name: str, values: pd.Series) -> bool:
    """A column that identifies rows (customer_id, id, CustomerID, or all-different whole numbers)."""
    lowered = str(name).strip().lower()
    if lowered in {"id", "key", "index", "row"} or re.search(r"[_\s.\-]id$", lowered) or re.search(r"[a-z0-9](ID|Id)$", str(name).strip()):
        return True
    present = values.dropna()
    return len(present) >= 20 and bool((present == present.round()).all()) and present.nunique() == len(present)


@click.command()
@click.argument("table")
@click.option("--outcome", required=True, help="Column with the outcome (NPS, CSAT, churn 0/1, spend).")
@click.option("--drivers", "driver_list", default=None, help="Comma-separated driver columns (default: every other numeric column).")
@click.option("--method", type=click.Choice(["relative_weights", "shapley"]), default="relative_weights", show_default=True)
@click.option("--bootstrap", default=200, show_default=True, type=click.IntRange(min=0),
              help=f"Bootstrap resamples for the intervals: 0 (no intervals) or at least {MIN_BOOTSTRAP}.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--db", default=None, help=_DB_HELP)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for drivers.csv, matrix.csv and the pictures.")
def drivers(table, outcome, driver_list, method, bootstrap, seed, db, out) -> None:
    """Key drivers of OUTCOME in TABLE: relative importance with bootstrap intervals and the driver
    matrix (importance against performance) that says where to act first."""
    from empathica.understand.drivers import DriverAnalysis, plot_driver_matrix, plot_importance

    if 0 < bootstrap < MIN_BOOTSTRAP:
        raise click.BadParameter(f"{bootstrap} resamples give no trustworthy 95% interval; use at least {MIN_BOOTSTRAP}, "
                                 "or 0 for no intervals.", param_hint="--bootstrap")
    frame = read_table(table, db=db)
    _require(frame, [outcome], source=table, options=["--outcome"])
    not_used: dict[str, str] = {}
    if driver_list:
        names = [d.strip() for d in driver_list.split(",") if d.strip()]
        _require(frame, names, source=table, options=["--drivers"] * len(names))
        for name in names:
            values, why = _as_numbers(frame[name])
            if values is None:
                raise InputError(f"driver {name!r} of {table} is not numeric: {why}. Drivers must be numbers "
                                 "(recode a category as 0/1 columns), or leave it out of --drivers.")
            frame[name] = values
    else:
        names = []
        for col in frame.columns:
            if col == outcome:
                continue
            values, why = _as_numbers(frame[col])
            if values is None:
                not_used[col] = f"not numeric ({why})"
            elif _looks_like_identifier(col, values):
                not_used[col] = "an identifier (name or all-different whole numbers), not a driver"
            else:
                frame[col] = values
                names.append(col)
        if not names:
            raise AnalysisError(f"{table} has no numeric column besides {outcome!r} to use as a driver; name them with --drivers.")
    y = pd.to_numeric(frame[outcome], errors="coerce")
    if y.notna().sum() == 0:
        raise InputError(f"column {outcome!r} of {table} holds no number; the outcome must be numeric (recode Yes/No as 1/0).")
    analysis = DriverAnalysis(method=method, n_bootstrap=bootstrap, random_state=seed).fit(frame[names], y, outcome=outcome)
    matrix = analysis.matrix()
    folder = _out_dir(out)
    analysis.importance_.to_csv(folder / "drivers.csv", index=False)
    matrix.to_csv(folder / "matrix.csv", index=False)
    _save_figure(plot_importance(analysis, say=_english_words()), folder / "importance.png")
    _save_figure(plot_driver_matrix(matrix, say=_english_words(), outcome=outcome), folder / "matrix.png")
    dropped = {**not_used, **analysis.dropped_}
    summary = {"outcome": outcome, "method": method, "rows": analysis.n_rows_, "r2": analysis.r2_,
               "r2_interval": list(analysis.r2_interval_) if bootstrap else None, "dropped": dropped}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    click.echo(f"Drivers of {outcome} ({analysis.n_rows_:,} rows, R² = {analysis.r2_:.3f}, {method}):")
    for _, row in analysis.importance_.iterrows():
        interval = f"  [{row['share_low']:.1%} – {row['share_high']:.1%}]" if bootstrap else ""
        click.echo(f"  {int(row['rank']):>2}. {row['driver']:<28} {row['share']:6.1%}{interval}")
    if not bootstrap:
        click.echo("  (no intervals: --bootstrap 0)")
    for name, why in dropped.items():
        click.echo(f"  not used: {name} — {why}")
    first = matrix[matrix["quadrant"].str.startswith("act first")]
    if len(first):
        click.echo(f"Act first on: {', '.join(first['driver'])} (important, under-performing)")
    else:
        click.echo(f"Where to act first: {matrix['driver'].iloc[0]} (largest importance × room to improve)")
    click.echo(f"Wrote {folder}/drivers.csv, matrix.csv, importance.png, matrix.png")


# -- churn -----------------------------------------------------------------------------------------
@click.group()
def churn() -> None:
    """Churn (or detractor) propensity: calibrated probabilities and the reasons per customer."""


@churn.command("fit")
@click.argument("table")
@click.option("--target", required=True, help="Column saying whether the customer churned (Yes/No, 1/0, True/False).")
@click.option("--id", "id_col", default=None, help="Column identifying the customer (kept out of the model).")
@click.option("--positive", default=None, help="The target value that means churn, when it is not obvious.")
@click.option("--calibration", type=click.Choice(["sigmoid", "isotonic"]), default="sigmoid", show_default=True)
@click.option("--test-size", default=0.25, show_default=True, type=click.FloatRange(0.05, 0.5), help="Share of rows held out for the figures.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--db", default=None, help=_DB_HELP)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for scores.csv, metrics.json and reliability.png.")
def churn_fit(table, target, id_col, positive, calibration, test_size, seed, db, out) -> None:
    """Fit a calibrated churn model on TABLE (categoricals one-hot, numerics standardised, blanks
    imputed); report held-out ROC AUC, Brier score and the reliability curve; score every row."""
    from empathica.understand.churn import fit_churn_table, plot_reliability

    frame = read_table(table, db=db)
    result = fit_churn_table(frame, target=target, id_column=id_col, positive=positive, test_size=test_size,
                             calibration=calibration, random_state=seed, source=table)
    folder = _out_dir(out)
    ev = result.evaluation
    scores = result.scores.rename(columns={"id": id_col or "row"})
    scores.to_csv(folder / "scores.csv", index=False)
    ev.reliability.to_csv(folder / "reliability.csv", index=False)
    result.model.coefficients().to_csv(folder / "coefficients.csv", index=False)
    _save_figure(plot_reliability(ev, say=_english_words()), folder / "reliability.png")
    f = result.features
    metrics = {"roc_auc": ev.auc, "brier": ev.brier, "base_rate": ev.base_rate, "held_out_rows": ev.rows,
               "rows": len(result.scores), "labelled_rows": int(result.scores["actual"].notna().sum()),
               "unlabelled_rows_scored": int(result.scores["actual"].isna().sum()), "positive_label": f.positive_label, "numeric": f.numeric,
               "categorical": f.categorical, "blank_numbers_imputed": f.coerced_numeric, "dropped": f.dropped}
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    click.echo(f"Held-out ({ev.rows:,} rows): ROC AUC {ev.auc:.3f}, Brier {ev.brier:.3f} (base rate {ev.base_rate:.1%})")
    for col, n in f.coerced_numeric.items():
        if n:
            click.echo(f"  {col}: {n} blank or unreadable numbers imputed with the median")
    for col, why in f.dropped.items():
        if col != target:  # rows without a target are reported below: they are scored, not dropped
            click.echo(f"  not used: {col} — {why}")
    unlabelled = int(result.scores["actual"].isna().sum())
    if unlabelled:
        click.echo(f"  {unlabelled:,} rows without a {target!r} value are scored too (blank 'actual' in scores.csv): "
                   "the current customers to act on")
    click.echo(f"Wrote {folder}/scores.csv ({len(scores):,} rows, highest risk first), metrics.json, reliability.png")


COMMANDS = [clv, drivers, churn]
