"""``generate_world``: simulate Lumen's customers chunk by chunk and write every canonical table.

Customers are simulated in chunks of ``CHUNK_CUSTOMERS`` (each with its own seeded generator, so a
chunk's data does not depend on how many chunks follow) and appended to the files, so memory stays
bounded however many customers are asked for. The planted truths, the realised figures and the
deliberately bad rows are written to ``ground_truth.json`` next to the files.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from empathica.demo.actions import ActionsLedger, action_rows, actions_truth, plant_actions
from empathica.demo.catalogue import (
    AGENT_EMPATHY,
    AGENT_IDS,
    CURRENCY,
    LANGUAGES,
    OWN_BRAND,
    SECOND_BRAND,
    SECOND_BRAND_SHARE,
    SEGMENTS,
    STATE_TOUCHPOINT,
    TEAM_ENGAGEMENT,
    TOUCHPOINT_CHANNEL,
    WORLD_END,
    WORLD_START,
)
from empathica.demo.commerce import churn_times, purchase_rows
from empathica.demo.conversations import assign_conversations, conversation_tables, leave_after_contacts
from empathica.demo.experiments import ExperimentsLedger, experiments_truth, plant_experiments
from empathica.demo.journeys import simulate_journeys
from empathica.demo.market import (
    plant_values_emphasis, review_rows, second_brand_german_reviews, second_brand_reviews, values_rows,
)
from empathica.demo.population import RISK_WEIGHTS, draw_customers
from empathica.demo.staff import assign_sites, employee_survey_rows, employees_table, teams_table, touchpoints_table
from empathica.demo.surveys import NPS_WEIGHTS, feedback_tables
from empathica.demo.truths import TRUTHS, PlantedTruths
from empathica.demo.writers import TableWriter, iso

CHUNK_CUSTOMERS = 25_000

#: Files in ingestion order (referenced tables first): file name, canonical table.
FILES = (
    ("teams.csv", "teams"),
    ("employees.csv", "employees"),
    ("customers.csv", "customers"),
    ("touchpoints.csv", "touchpoints"),
    ("events.parquet", "events"),
    ("feedback.csv", "feedback"),
    ("conversations.jsonl", "conversations"),
    ("turns.jsonl", "turns"),
    ("reviews.csv", "reviews"),
    ("transactions.parquet", "transactions"),
    ("employee_surveys.csv", "employee_surveys"),
    ("values_answers.jsonl", "values_answers"),
    ("actions.csv", "actions"),
    ("experiments.csv", "experiments"),
)
TEXT_LABELS_FILE = "text_labels.parquet"
GROUND_TRUTH_FILE = "ground_truth.json"

_BASE = np.datetime64(WORLD_START.replace(tzinfo=None), "s")
_REGIONS = {"zh": ("CN",), "de": ("DE",), "en": ("UK", "US")}
_AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")


@dataclass
class DemoWorld:
    """The generated files, in ingestion order, and the planted truths written next to them."""

    files: list[tuple[Path, str]]
    truths_path: Path
    truths: dict = field(default_factory=dict)


def timestamps(seconds: np.ndarray) -> np.ndarray:
    """datetime64[s] of seconds after WORLD_START (NaT where not finite)."""
    seconds = np.asarray(seconds, dtype=float)
    out = np.full(len(seconds), np.datetime64("NaT"), dtype="datetime64[s]")
    ok = np.isfinite(seconds)
    out[ok] = _BASE + np.round(seconds[ok]).astype(np.int64).astype("timedelta64[s]")
    return out


def _ids(prefixes, suffix: str, numbers) -> list[str]:
    return [f"{p}{suffix}{int(k):02d}" for p, k in zip(prefixes, numbers)]


class _Realised:
    """Figures accumulated over chunks for the ground-truth file."""

    def __init__(self) -> None:
        self.transitions: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0])
        self.pain_points: dict[str, int] = defaultdict(int)
        self.served: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # group -> [customers, churned]
        self.customers = 0
        self.churned = 0
        self.left_after_contact = 0
        self.stock_apologies = [0, 0]  # contacts answered only by a stock apology, and of them followed by leaving
        self.nps = []  # counts of 0..10
        self.rows: dict[str, int] = defaultdict(int)
        self.actions = ActionsLedger()
        self.experiments = ExperimentsLedger()

    def add_transitions(self, events: pd.DataFrame, tp: np.ndarray, journey_converted: np.ndarray) -> None:
        j = events["journey"].to_numpy()
        same = j[1:] == j[:-1]
        src, dst = tp[:-1][same], tp[1:][same]
        jj = j[1:][same]
        delay = np.diff(events["time"].to_numpy())[same]
        last_tp = pd.Series(tp).groupby(j).last()
        frame = pd.DataFrame({"src": src, "dst": dst, "journey": jj, "logdelay": np.log(np.maximum(delay, 1.0))})
        frame = frame.drop_duplicates(["src", "dst", "journey"])
        frame["dropped"] = (~journey_converted[frame["journey"]]) & (last_tp.loc[frame["journey"]].to_numpy() == frame["dst"].to_numpy())
        agg = frame.groupby(["src", "dst"]).agg(n=("journey", "size"), dropped=("dropped", "sum"), logdelay=("logdelay", "sum"))
        for (a, b), row in agg.iterrows():
            acc = self.transitions[(a, b)]
            acc[0] += int(row["n"])
            acc[1] += int(row["dropped"])
            acc[2] += float(row["logdelay"])

    def summary(self, truths: PlantedTruths) -> dict:
        table = [
            {"from": a, "to": b, "journeys": n, "drop_off_rate": round(d / n, 4), "geo_mean_delay_hours": round(float(np.exp(s / n)) / 3600, 3)}
            for (a, b), (n, d, s) in self.transitions.items()
            if n >= max(30, 0.005 * sum(v[0] for v in self.transitions.values()))
        ]
        table.sort(key=lambda r: -r["drop_off_rate"])
        pathway = list(truths.friction_pathway)
        nps = np.array(self.nps) if len(self.nps) else np.zeros(11)
        total = nps.sum() or 1
        return {
            "transitions_by_drop_off": table[:8],
            "friction_pathway": next((r for r in table if [r["from"], r["to"]] == pathway), None),
            "negative_pain_point_mentions": dict(sorted(self.pain_points.items(), key=lambda kv: -kv[1])),
            "churn_rate": round(self.churned / max(self.customers, 1), 4),
            "left_after_contact": self.left_after_contact,
            "stock_apologies": {"contacts": self.stock_apologies[0], "left_after": self.stock_apologies[1]},
            "churn_by_agents_served": {
                g: {"customers": c, "churn_rate": round(k / c, 4) if c else None} for g, (c, k) in self.served.items()
            },
            "nps": {
                "responses": int(nps.sum()),
                "score": round(float((nps[9:].sum() - nps[:7].sum()) / total * 100), 1),
                "promoters": round(float(nps[9:].sum() / total), 4),
                "detractors": round(float(nps[:7].sum() / total), 4),
            },
            "rows": dict(self.rows),
        }


def _bad_rows(frames: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """Append a few deliberately invalid rows (copies of good ones with one field broken)."""
    planted = []
    fb = frames["feedback"]
    nps_row = fb[fb["nps"].notna()].iloc[0]
    csat_row = fb[fb["csat"].notna()].iloc[0]
    bad = []
    for k, (base, col, value, reason) in enumerate([
        (nps_row, "nps", 11, "nps out of range 0–10"),
        (csat_row, "csat", 9, "csat out of range 1–5"),
        (csat_row, "customer_id", "cust_unknown_0001", "unknown customer_id"),
        (nps_row, "timestamp", "2024-02-30T25:61:00Z", "unparseable timestamp"),
    ]):
        row = base.copy()
        row["response_id"] = f"fb_planted_bad_{k + 1}"
        row[col] = value
        bad.append(row)
        planted.append({"table": "feedback", "id": row["response_id"], "field": col, "value": str(value), "reason": reason})
    fb = fb.copy()
    fb["timestamp"] = iso(fb["timestamp"].to_numpy())
    bad_frame = pd.DataFrame(bad)
    bad_frame["timestamp"] = [v if isinstance(v, str) else iso(np.array([v]))[0] for v in bad_frame["timestamp"]]
    frames["feedback"] = pd.concat([fb, bad_frame], ignore_index=True)

    ev = frames["events"]
    row = ev.iloc[[0]].copy()
    row["event_id"] = "ev_planted_bad_1"
    row["touchpoint_id"] = "web_chekout"
    frames["events"] = pd.concat([ev, row], ignore_index=True)
    planted.append({"table": "events", "id": "ev_planted_bad_1", "field": "touchpoint_id", "value": "web_chekout", "reason": "unknown touchpoint_id"})

    tx = frames["transactions"]
    row = tx.iloc[[0]].copy()
    row["transaction_id"] = "tx_planted_bad_1"
    row["customer_id"] = "cust_unknown_0002"
    frames["transactions"] = pd.concat([tx, row], ignore_index=True)
    planted.append({"table": "transactions", "id": "tx_planted_bad_1", "field": "customer_id", "value": "cust_unknown_0002", "reason": "unknown customer_id"})
    return frames, planted


def _simulate_chunk(seed: int, start: int, n: int, truths: PlantedTruths, realised: _Realised) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Every customer-dependent table for customers ``start .. start + n - 1``, and the text labels."""
    rng = np.random.default_rng([seed, start // CHUNK_CUSTOMERS])
    customers = draw_customers(rng, start, n, truths)
    journeys = simulate_journeys(rng, customers)
    conv = assign_conversations(rng, customers, journeys)
    conv = plant_actions(conv, customers, journeys, truths, realised.actions)
    customers, journeys, conv, left = leave_after_contacts(rng, customers, journeys, conv, truths)
    touch, nps, _ = feedback_tables(rng, customers, journeys, conv)
    money = purchase_rows(rng, customers, journeys, truths)
    churned = churn_times(rng, customers, journeys)

    ev = journeys.events
    cust_ids = np.array([f"cust_{i:07d}" for i in customers.index], dtype=object)
    experiments, money = plant_experiments(seed, start // CHUNK_CUSTOMERS, customers, journeys, money, realised.experiments,
                                           cust_ids, timestamps)
    journey_ids = np.array([f"{cust_ids[c]}-j{k:03d}" for c, k in zip(journeys.customer, journeys.number)], dtype=object)
    tp = np.array(STATE_TOUCHPOINT, dtype=object)[ev["state"].to_numpy()]
    ev_cust = journeys.customer[ev["journey"].to_numpy()]
    ev_jid = journey_ids[ev["journey"].to_numpy()]
    event_ids = np.array(_ids(ev_jid, "-e", ev["step"].to_numpy()), dtype=object)
    events = pd.DataFrame({
        "event_id": event_ids,
        "customer_id": cust_ids[ev_cust],
        "touchpoint_id": tp,
        "channel": [TOUCHPOINT_CHANNEL[t] for t in tp],
        "timestamp": timestamps(ev["time"].to_numpy()),
        "journey_id": ev_jid,
        "attributes": None,
    })

    first_seen = np.full(n, np.inf)
    last_seen = np.full(n, -np.inf)
    np.minimum.at(first_seen, ev_cust, ev["time"].to_numpy())
    np.maximum.at(last_seen, ev_cust, ev["time"].to_numpy())
    lang = np.array(LANGUAGES)[customers.language]
    region = np.array([_REGIONS[lg][k % len(_REGIONS[lg])] for lg, k in zip(lang, rng.integers(0, 2, n))], dtype=object)
    loyalty = rng.random(n) < 0.4
    age = np.array(_AGE_BANDS)[rng.choice(len(_AGE_BANDS), size=n, p=(0.1, 0.25, 0.24, 0.19, 0.13, 0.09))]
    # the brand draws from a generator of its own, so every other draw (and planted truth) stays as it was
    brand_rng = np.random.default_rng([seed, start // CHUNK_CUSTOMERS, 2])
    brand = np.where(brand_rng.random(n) < SECOND_BRAND_SHARE, SECOND_BRAND, OWN_BRAND).astype(object)
    customers_frame = pd.DataFrame({
        "customer_id": cust_ids,
        "first_seen": timestamps(np.where(np.isfinite(first_seen), first_seen, np.nan)),
        "language": lang,
        "region": region,
        "segment": np.array(SEGMENTS)[customers.segment],
        "brand": brand,
        "churned_at": timestamps(churned),
        "attributes": [f'{{"loyalty_member": {"true" if l else "false"}, "age_band": "{a}"}}' for l, a in zip(loyalty, age)],
    })

    conv_ids = np.array(_ids(journey_ids[conv["journey"].to_numpy()], "-c", conv["step"].to_numpy()), dtype=object)
    conv_cust = cust_ids[conv["customer"].to_numpy()]
    agent_ids = np.array(AGENT_IDS, dtype=object)[conv["agent"].to_numpy()]
    # the stock apologies draw from a generator of their own, so every other draw stays as it was
    apology_rng = np.random.default_rng([seed, start // CHUNK_CUSTOMERS, 3])
    conversations, turns, opening_topic, turn_lang, stock = conversation_tables(
        rng, customers, conv, conv_ids, conv_cust, agent_ids, apology_rng=apology_rng, truths=truths)
    conversations["started_at"] = timestamps(conversations["started_at"].to_numpy())
    turns["timestamp"] = timestamps(turns["timestamp"].to_numpy())

    touch_ids = event_ids[touch["event_row"].to_numpy()]
    feedback = pd.concat([
        pd.DataFrame({
            "response_id": np.char.add("fb_", touch_ids.astype(str)).astype(object),
            "customer_id": cust_ids[touch["customer"].to_numpy()],
            "touchpoint_id": touch["touchpoint_id"].to_numpy(),
            "journey_id": journey_ids[touch["journey"].to_numpy()],
            "timestamp": timestamps(touch["time"].to_numpy()),
            "nps": pd.array([None] * len(touch), dtype="Int64"),
            "csat": touch["csat"].to_numpy(),
            "ces": touch["ces"].to_numpy(),
            "comment": touch["comment"].to_numpy(),
            "language": touch["language"].to_numpy(),
            "attributes": '{"survey": "touchpoint"}',
        }),
        pd.DataFrame({
            "response_id": np.char.add("nps_", cust_ids[nps["customer"].to_numpy()].astype(str)).astype(object),
            "customer_id": cust_ids[nps["customer"].to_numpy()],
            "touchpoint_id": None,
            "journey_id": None,
            "timestamp": timestamps(nps["time"].to_numpy()),
            "nps": nps["nps"].to_numpy(),
            "csat": pd.array([None] * len(nps), dtype="Int64"),
            "ces": pd.array([None] * len(nps), dtype="Int64"),
            "comment": nps["comment"].to_numpy(),
            "language": nps["language"].to_numpy(),
            "attributes": '{"survey": "relationship"}',
        }),
    ], ignore_index=True)
    for col in ("nps", "csat", "ces"):
        feedback[col] = feedback[col].astype("Int64")

    tx_prefix = np.where(money["kind"].to_numpy() == "refund", "rf_", "tx_")
    transactions = pd.DataFrame({
        "transaction_id": [p + j for p, j in zip(tx_prefix, journey_ids[money["journey"].to_numpy()])],
        "customer_id": cust_ids[money["customer"].to_numpy()],
        "timestamp": timestamps(money["time"].to_numpy()),
        "amount": money["amount"].to_numpy(),
        "currency": CURRENCY,
        "touchpoint_id": money["touchpoint_id"].to_numpy(),
    })

    reviews_raw = review_rows(rng, n)
    # the second own brand's reviews draw from a generator of their own and come after the others
    second = second_brand_reviews(np.random.default_rng([seed, start // CHUNK_CUSTOMERS, 3]), n)
    # and its German reviews from one more generator of their own, after all the others
    german = second_brand_german_reviews(np.random.default_rng([seed, start // CHUNK_CUSTOMERS, 5]), n)
    reviews_raw = pd.concat([reviews_raw, second, german], ignore_index=True)
    review_ids = np.array([f"rv_{start // CHUNK_CUSTOMERS:03d}_{k:06d}" for k in range(len(reviews_raw))], dtype=object)
    reviews = pd.DataFrame({
        "review_id": review_ids,
        "source": reviews_raw["source"].to_numpy(),
        "brand": reviews_raw["brand"].to_numpy(),
        "is_own": reviews_raw["is_own"].to_numpy(),
        "rating": reviews_raw["rating"].to_numpy(),
        "text": reviews_raw["text"].to_numpy(),
        "timestamp": timestamps(reviews_raw["time"].to_numpy()),
        "language": reviews_raw["language"].to_numpy(),
    })

    va = values_rows(rng, customers, first_seen, last_seen, churned)
    # the planted misalignment draws from a generator of its own (values_rows is the chunk's last main draw)
    contacted = np.zeros(n, dtype=bool)
    contacted[conv["customer"].to_numpy()] = True
    va = plant_values_emphasis(np.random.default_rng([seed, start // CHUNK_CUSTOMERS, 4]), va,
                               lang[va["customer"].to_numpy()], contacted)
    values = pd.DataFrame({
        "answer_id": [f"va_{cust_ids[c]}-q{q + 1}" for c, q in zip(va["customer"], va["question_no"])],
        "customer_id": cust_ids[va["customer"].to_numpy()],
        "question": va["question"].to_numpy(),
        "answer": va["answer"].to_numpy(),
        "timestamp": timestamps(va["time"].to_numpy()),
    })

    # -- labels of every text that is about a pain point (for evaluating text analyses)
    fb_labels = pd.concat([
        pd.DataFrame({"row_id": np.char.add("fb_", touch_ids.astype(str)).astype(object), "aspect": touch["aspect"], "polarity": touch["polarity"], "language": touch["language"]}),
        pd.DataFrame({"row_id": np.char.add("nps_", cust_ids[nps["customer"].to_numpy()].astype(str)).astype(object), "aspect": nps["aspect"], "polarity": nps["polarity"], "language": nps["language"]}),
    ], ignore_index=True)
    fb_labels.insert(0, "table_name", "feedback")
    fb_labels.insert(2, "field", "comment")
    rv_labels = pd.DataFrame({"table_name": "reviews", "row_id": review_ids, "field": "text", "aspect": reviews_raw["aspect"], "polarity": reviews_raw["polarity"], "language": reviews_raw["language"], "brand": reviews_raw["brand"]})
    tu_labels = pd.DataFrame({"table_name": "turns", "row_id": turns["turn_id"], "field": "text", "aspect": opening_topic, "polarity": "negative", "language": turn_lang})
    tu_labels = tu_labels[tu_labels["aspect"].notna() & (tu_labels["aspect"] != "product_question")]
    labels = pd.concat([fb_labels[fb_labels["aspect"].notna()], rv_labels, tu_labels], ignore_index=True)

    # -- realised figures
    realised.customers += n
    realised.churned += int(np.isfinite(churned).sum())
    realised.left_after_contact += int(left.sum())
    realised.stock_apologies[0] += int(stock.sum())
    realised.stock_apologies[1] += int(conv["left_after"].to_numpy()[conv["transcribed"].to_numpy()][stock].sum())
    realised.add_transitions(ev, tp, journeys.converted)
    own_reviews = labels["table_name"].ne("reviews") | labels["brand"].eq("Lumen")
    neg = labels[own_reviews & labels["polarity"].eq("negative")]
    for aspect, count in neg["aspect"].value_counts().items():
        realised.pain_points[aspect] += int(count)
    served = pd.DataFrame({"customer": conv["customer"].to_numpy(), "agent": agent_ids})
    emp, unemp = set(truths.empathic_agents), set(truths.unempathic_agents)
    by_customer = served.groupby("customer")["agent"].agg(lambda a: (bool(emp & set(a)), bool(unemp & set(a))))
    for cust, (has_emp, has_unemp) in by_customer.items():
        group = "empathic_only" if has_emp and not has_unemp else "unempathic_only" if has_unemp and not has_emp else "mixed" if has_emp else "other_agents"
        realised.served[group][0] += 1
        realised.served[group][1] += int(np.isfinite(churned[cust]))
    counts = np.bincount(nps["nps"].to_numpy(), minlength=11)
    realised.nps = counts if len(realised.nps) == 0 else realised.nps + counts

    frames = {
        "customers": customers_frame,
        "events": events,
        "feedback": feedback,
        "conversations": conversations,
        "turns": turns,
        "reviews": reviews,
        "transactions": transactions,
        "values_answers": values,
        "experiments": experiments,
    }
    return frames, labels


def _progress(console: Console | None, total: int) -> Progress | None:
    if console is None or not console.is_terminal:
        return None
    return Progress(
        TextColumn("[bold]Simulating Lumen[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("customers"),
        TimeRemainingColumn(), console=console, transient=True,
    )


def generate_world(out_dir: str | Path, *, customers: int = 2000, seed: int = 7, console: Console | None = None) -> DemoWorld:
    """Simulate the demo world with ``customers`` customers and write its files into ``out_dir``.

    The same ``seed`` gives byte-identical files. Returns the files in ingestion order with their
    canonical table names, and the planted truths (also written to ``ground_truth.json``).

    >>> world = generate_world(tmp_path, customers=50)            # doctest: +SKIP
    >>> [kind for _, kind in world.files][:3]                     # doctest: +SKIP
    ['teams', 'employees', 'customers']
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    truths = TRUTHS
    writers = {kind: TableWriter(out / name, kind) for name, kind in FILES}
    label_path = out / TEXT_LABELS_FILE
    label_writer = None
    realised = _Realised()
    planted: list[dict] = []

    org_rng = np.random.default_rng([seed, 1_000_000])
    employees = employees_table(org_rng)
    # the serving sites draw from a generator of their own, so every other draw stays as it was
    employees = assign_sites(np.random.default_rng([seed, 1_000_000, 1]), employees)
    surveys = employee_survey_rows(org_rng, employees)
    employees["hired_at"] = timestamps(employees["hired_at"].to_numpy())
    surveys["timestamp"] = timestamps(surveys["timestamp"].to_numpy())
    writers["teams"].write(teams_table())
    writers["employees"].write(employees)
    writers["touchpoints"].write(touchpoints_table())
    writers["employee_surveys"].write(surveys)
    writers["actions"].write(action_rows(truths))

    progress = _progress(console, customers)
    task = progress.add_task("simulate", total=customers) if progress else None
    if progress:
        progress.start()
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        for start in range(0, customers, CHUNK_CUSTOMERS):
            n = min(CHUNK_CUSTOMERS, customers - start)
            frames, labels = _simulate_chunk(seed, start, n, truths, realised)
            if start == 0:
                frames, planted = _bad_rows(frames)
            for kind, frame in frames.items():
                writers[kind].write(frame)
            table = pa.Table.from_pandas(labels, preserve_index=False, schema=_LABEL_SCHEMA)
            if label_writer is None:
                label_writer = pq.ParquetWriter(str(label_path), table.schema, compression="zstd")
            label_writer.write_table(table)
            if progress:
                progress.update(task, advance=n)
    finally:
        if progress:
            progress.stop()
        for w in writers.values():
            w.close()
        if label_writer is not None:
            label_writer.close()

    for name, kind in FILES:
        realised.rows[kind] = writers[kind].rows
    truth = truths.to_dict()
    summary = realised.summary(truths)
    truth.update({
        "world": {
            "company": "Lumen",
            "customers": customers,
            "seed": seed,
            "window": [WORLD_START.isoformat(), WORLD_END.isoformat()],
            "currency": CURRENCY,
            "competitors": ["Voltera", "Nordhaus"],
        },
        "planted_bad_rows": {"count": len(planted), "rows": planted},
        "planted_actions": actions_truth(truths, realised.actions),
        "planted_experiments": experiments_truth(realised.experiments),
        "agent_empathy": {a: float(e) for a, e in zip(AGENT_IDS, AGENT_EMPATHY)},
        "team_engagement_mean": TEAM_ENGAGEMENT,
        "nps_weights": NPS_WEIGHTS,
        "churn_risk_weights": RISK_WEIGHTS,
        "text_labels_file": TEXT_LABELS_FILE,
        "notes": [
            "Transactions are booked in EUR; refunds (negative amounts) are not part of the Gamma-Gamma spend process.",
            "The order→delivery wait (days) is shipping time, not friction; the friction pathway's delay is hours against minutes for other checkout steps.",
            "BG/NBD time unit is weeks; dropout probabilities keep their Beta(a, b) marginal but are assigned by a churn risk score.",
            "Besides the BG/NBD dropout, customers leave right after a complaint contact with probability contact_leaving.max · (1 − empathy shown)^exponent; realised.left_after_contact counts them.",
            "An unresolved complaint contact is answered only by a stock apology with probability apology_leaving.if_left when the customer leaves after it, if_stayed otherwise (its own random stream); realised.stock_apologies counts them.",
        ],
        "realised": summary,
    })
    truth_path = out / GROUND_TRUTH_FILE
    truth_path.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    files = [(out / name, kind) for name, kind in FILES]
    if console is not None:
        console.print(f"  wrote {len(files)} files to {out}/ ({customers:,} customers, {len(planted)} planted bad rows)", markup=False)
    return DemoWorld(files=files, truths_path=truth_path, truths=truth)


def labelled_texts(data_dir: str | Path) -> pd.DataFrame:
    """The demo world's planted text labels joined to their texts: one row per labelled field with
    ``table_name, row_id, field, aspect, polarity, language, brand, text`` (feedback comments, reviews
    and conversation turns, read from the files ``generate_world`` wrote to ``data_dir``). Evaluation
    material: the models are never trained on it."""
    data = Path(data_dir)
    labels = pd.read_parquet(data / TEXT_LABELS_FILE)
    texts = pd.concat([
        pd.read_csv(data / "feedback.csv", usecols=["response_id", "comment"]).set_axis(["row_id", "text"], axis=1).assign(table_name="feedback"),
        pd.read_csv(data / "reviews.csv", usecols=["review_id", "text"]).set_axis(["row_id", "text"], axis=1).assign(table_name="reviews"),
        pd.read_json(data / "turns.jsonl", lines=True)[["turn_id", "text"]].set_axis(["row_id", "text"], axis=1).assign(table_name="turns"),
    ])
    texts["row_id"] = texts["row_id"].astype(str)
    return labels.merge(texts, on=["table_name", "row_id"])


def _label_schema():
    import pyarrow as pa

    return pa.schema([
        ("table_name", pa.string()), ("row_id", pa.string()), ("field", pa.string()), ("aspect", pa.string()),
        ("polarity", pa.string()), ("language", pa.string()), ("brand", pa.string()),
    ])


_LABEL_SCHEMA = _label_schema()
