"""What arrived since Act last looked, and its text-derived fields scored at once.

Each canonical table Act watches has a *watermark* in the operational store: the highest DuckDB row number it has
evaluated. An ingest appends rows beyond it (Listen appends; an interrupted file is removed again), so the rows
of an ingest are ``rowid > watermark`` — found without reading the rest of the table. Their texts (feedback
comments, customers' turns, values answers) are scored with the analyzer a run uses, and the conversations they
touch get the empathy step's verdict (distress, empathy gap, agent empathy), so rules on those fields and the
context card see a new row within the same evaluation instead of after the next run. A bulk ingest is taken in
batches of at most ``limit`` rows per table, each scored and evaluated in turn (docs/act.md, "Evaluation").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import pandas as pd

from empathica.store import Store

#: Tables whose new rows Act finds by watermark: (key column, how its rows reach a customer).
WATCHED = {
    "customers": ("customer_id", "customer_id"),
    "events": ("event_id", "customer_id"),
    "feedback": ("response_id", "customer_id"),
    "conversations": ("conversation_id", "customer_id"),
    "turns": ("turn_id", "conversation_id"),
    "values_answers": ("answer_id", "customer_id"),
}
#: Watched tables whose new rows no rule tests and no analyzer scores: they only reach cards (the customers they
#: touch), so a bulk of them is taken in one batch, its customers found by DuckDB, not key by key in Python.
REACH_ONLY = frozenset({"customers", "events"})
#: Customers a query names as literals at most (:func:`customer_ids`): below, DuckDB's row-group skipping makes a
#: few customers' card patch cheaper; above, compiling the literals costs more (bench/results.md, serve load).
LITERAL_IDS = 100
#: Columns of a text scored on ingest: what signals and the card merge with a run's ``text_scores``.
LIVE_TEXT_COLUMNS = ("customer_id", "timestamp", "source", "source_id", "sentiment", "sentiment_label", "emotion",
                     "aspects", "lang")
#: Columns of a conversation scored on ingest, as in the empathy step's ``empathy_conversations``.
LIVE_CONVERSATION_COLUMNS = ("conversation_id", "agent_id", "max_distress", "empathy_gaps", "agent_empathy",
                             "customer_sentiment_last", "customer_sentiment_change", "language")

#: Columns of the scores of a conversation's customer turns (what its emotion and pain points come from).
_TURN_SCORES = ("source", "source_id", "emotion", "aspects")


@dataclass
class Arrivals:
    """The rows that arrived in the watched tables since the watermarks (one batch of them): keys per table, the
    customers they touch, the watermarks to store once they are evaluated (``marks``: the batch's end) and the
    highest row numbers (``tops``). ``bulk``: tables with no watermark yet, which a full evaluation covers;
    ``more``: rows beyond this batch remain (a bulk ingest, evaluated batch after batch)."""

    keys: dict[str, list[str]] = field(default_factory=dict)
    #: How many rows of the ``REACH_ONLY`` tables arrived (their keys are not read).
    reached: dict[str, int] = field(default_factory=dict)
    customers: set[str] = field(default_factory=set)
    marks: dict[str, int] = field(default_factory=dict)
    tops: dict[str, int] = field(default_factory=dict)
    bulk: set[str] = field(default_factory=set)
    more: bool = False

    @property
    def empty(self) -> bool:
        return not any(self.keys.values()) and not any(self.reached.values()) and not self.bulk

    @property
    def rows(self) -> int:
        """Rows of the batch in every table."""
        return sum(len(k) for k in self.keys.values()) + sum(self.reached.values())

    def remaining(self, limit: int) -> int:
        """Batches of at most ``limit`` rows per table still to come after this one."""
        left = [top - self.marks.get(table, top) for table, top in self.tops.items()]
        return max([-(-n // limit) for n in left if n > 0], default=0)


#: How a watched table's bulk end and front are named among the watermarks (``act_marks``).
_END, _FRONT = "{}#bulk_end", "{}#front"


@dataclass
class Lanes:
    """Where the evaluation of new rows stands per watched table. ``marks``: every row up to it is evaluated. While
    a bulk ingest is evaluated batch after batch, ``ends`` holds the highest row numbers when it began and
    ``fronts`` how far beyond them rows were evaluated already: small ingests that came meanwhile are taken *ahead*
    of the bulk's remaining batches, so they do not queue behind it. When the bulk's last batch is done, the marks
    move to the fronts. All three are stored with the watermarks, so a restart goes on where it stopped."""

    marks: dict[str, int] = field(default_factory=dict)
    ends: dict[str, int] = field(default_factory=dict)
    fronts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, stored: dict[str, int]) -> "Lanes":
        """The lanes from the stored watermarks (``CaseStore.marks``)."""
        return cls(marks={t: stored[t] for t in WATCHED if t in stored},
                   ends={t: stored[_END.format(t)] for t in WATCHED if _END.format(t) in stored},
                   fronts={t: stored[_FRONT.format(t)] for t in WATCHED if _FRONT.format(t) in stored})

    def stored(self) -> dict[str, int]:
        """The watermarks to store (with ``dropped``: the bulk's, once it is done)."""
        return {**self.marks, **{_END.format(t): n for t, n in self.ends.items()},
                **{_FRONT.format(t): n for t, n in self.fronts.items()}}

    @staticmethod
    def dropped() -> list[str]:
        """The names of every bulk end and front (removed when no bulk is going on)."""
        return [name.format(t) for t in WATCHED for name in (_END, _FRONT)]

    def next_batch(self, store: Store, *, limit: int) -> tuple[Arrivals, bool]:
        """The next batch to evaluate, and whether it is taken ahead of a bulk: the rows beyond the fronts when a
        bulk is going on and they fit in one batch (a second bulk waits for the first), else the bulk's next
        batch, else the rows beyond the marks."""
        if self.ends:
            ahead = arrivals(store, self.fronts, limit=limit)
            if not ahead.empty and not ahead.more:
                return ahead, True
            return arrivals(store, self.marks, limit=limit, tops=self.ends), False
        return arrivals(store, self.marks, limit=limit), False

    def advance(self, batch: Arrivals, ahead: bool) -> None:
        """Move past ``batch`` once it is evaluated: a bulk begins when rows remain beyond it, ends with its last."""
        if ahead:
            self.fronts.update({t: max(n, self.ends.get(t, n)) for t, n in batch.marks.items()})
            return
        self.marks.update(batch.marks)
        if self.ends and not batch.more:  # the bulk's last batch: the rows taken ahead are behind the marks now
            self.marks.update(self.fronts)
            self.ends, self.fronts = {}, {}
        elif not self.ends and batch.more:
            self.ends, self.fronts = dict(batch.tops), dict(batch.tops)

    def covers(self, tops: dict[str, int]) -> bool:
        """Whether every row up to ``tops`` is evaluated."""
        return not self.ends and all(self.marks.get(t, -1) >= n for t, n in tops.items())


def arrivals(store: Store, marks: dict[str, int], *, limit: int, tops: dict[str, int] | None = None) -> Arrivals:
    """The next batch of rows beyond ``marks`` (table → highest row number evaluated) in every watched table: at
    most ``limit`` row numbers per table (all of them in the ``REACH_ONLY`` tables), up to ``tops`` (default: the
    tables' highest row numbers now)."""
    found = Arrivals()
    for table, (key, owner) in WATCHED.items():
        mark = marks.get(table)
        top = tops[table] if tops is not None and table in tops else _top(store, table)
        found.tops[table] = top
        if mark is None:  # never looked: a full evaluation
            found.bulk.add(table)
            found.marks[table] = top
            continue
        end = top if table in REACH_ONLY else min(top, mark + limit)
        found.marks[table] = end  # below the mark when rows were removed: their numbers may come again
        found.more |= top > end
        if end <= mark:
            continue
        if table in REACH_ONLY:
            reached = store.query(f'SELECT "{owner}" AS o, count(*) AS n FROM "{table}" WHERE rowid > {int(mark)} '
                                  f'AND rowid <= {int(end)} GROUP BY "{owner}"')
            found.reached[table] = int(reached["n"].sum())
            found.customers.update(c for c in reached["o"].dropna().astype(str) if c)
            continue
        rows = store.query(f'SELECT "{key}" AS k, "{owner}" AS o FROM "{table}" WHERE rowid > {int(mark)} '
                           f"AND rowid <= {int(end)}")
        found.keys[table] = rows["k"].astype(str).tolist()
        owners = rows["o"].dropna().astype(str).tolist()
        if table == "turns" and owners:
            conv = store.table("conversations")
            owners = conv.filter(conv.conversation_id.isin(sorted(set(owners)))).customer_id.to_pandas().tolist()
        found.customers.update(c for c in owners if c)
    return found


def customer_ids(customers: Iterable[str]) -> ir.Column | list[str]:
    """``customers`` for ``isin``, as a query restricted to the customers new rows reach reads them: up to
    ``LITERAL_IDS`` as literals (DuckDB then skips the row groups whose ids lie outside them), more as the one
    column of an in-memory table. Thousands of literals would cost Ibis seconds of interpreter time to compile
    per query, during which the server's requests wait for the interpreter."""
    ids = sorted(customers)
    if len(ids) <= LITERAL_IDS:
        return ids
    return ibis.memtable(pd.DataFrame({"customer_id": pd.Series(ids, dtype=object)})).customer_id


def _top(store: Store, table: str) -> int:
    return int(store.query(f'SELECT coalesce(max(rowid), -1) AS m FROM "{table}"')["m"].iloc[0])


def new_texts(store: Store, arrived: Arrivals) -> pd.DataFrame:
    """The texts among ``arrived``: feedback comments, values answers and customers' turns
    (``customer_id, timestamp, source, source_id, text``)."""
    parts = []
    if arrived.keys.get("feedback"):
        fb = store.table("feedback")
        fb = fb.filter(fb.response_id.isin(arrived.keys["feedback"]) & fb.comment.notnull())
        parts.append(fb.select("customer_id", "timestamp", "comment", "response_id").to_pandas().rename(
            columns={"comment": "text", "response_id": "source_id"}).assign(source="feedback"))
    if arrived.keys.get("values_answers"):
        va = store.table("values_answers")
        va = va.filter(va.answer_id.isin(arrived.keys["values_answers"]) & va.answer.notnull())
        parts.append(va.select("customer_id", "timestamp", "answer", "answer_id").to_pandas().rename(
            columns={"answer": "text", "answer_id": "source_id"}).assign(source="values_answers"))
    if arrived.keys.get("turns"):
        turns, conv = store.table("turns"), store.table("conversations")
        tu = turns.filter(turns.turn_id.isin(arrived.keys["turns"]) & (turns.speaker == "customer"))
        tu = tu.join(conv.select("conversation_id", "customer_id"), "conversation_id")
        parts.append(tu.select("customer_id", "timestamp", "text", "turn_id").to_pandas().rename(
            columns={"turn_id": "source_id"}).assign(source="turns"))
    columns = ["customer_id", "timestamp", "source", "source_id", "text"]
    frames = [p[columns] for p in parts if len(p)]
    texts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    return texts[texts["text"].astype(str).str.len() > 0].reset_index(drop=True)


def score_texts(analyzer, texts: pd.DataFrame) -> pd.DataFrame:
    """Sentiment, emotion and aspects of ``texts`` (:func:`new_texts`), with the analyzer a run uses."""
    if not len(texts):
        return pd.DataFrame(columns=list(LIVE_TEXT_COLUMNS))
    scored = analyzer.analyze(texts["text"].astype(str).tolist())
    return pd.DataFrame({"customer_id": texts["customer_id"].to_numpy(), "timestamp": texts["timestamp"].to_numpy(),
                         "source": texts["source"].to_numpy(), "source_id": texts["source_id"].astype(str).to_numpy(),
                         "sentiment": scored["sentiment_score"].astype(float).to_numpy(),
                         "sentiment_label": scored["sentiment"].astype(str).to_numpy(),
                         "emotion": scored["emotion"].astype(str).to_numpy(),
                         "aspects": [json.dumps(list(a)) for a in scored["aspects"]],
                         "lang": scored["lang"].astype(str).to_numpy()})


def score_conversations(store: Store, arrived: Arrivals, *, analyzer,
                        scored_turns: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The empathy step's verdict (distress, empathy gaps, agent empathy, sentiment) for every conversation that
    new turns or a new conversation row touched, from all its turns (:data:`LIVE_CONVERSATION_COLUMNS`), and the
    scores of all their customers' turns (``source, source_id, emotion, aspects``: its emotion and pain points,
    :mod:`empathica.act.customer_turns`). Customer turns that ``scored_turns`` lacks (earlier turns of a
    conversation that got new ones) are scored here, so every turn counts with its own sentiment."""
    nothing = pd.DataFrame(columns=list(LIVE_CONVERSATION_COLUMNS)), pd.DataFrame(columns=list(_TURN_SCORES))
    ids = set(arrived.keys.get("conversations", []))
    if arrived.keys.get("turns"):
        turns = store.table("turns")
        ids |= set(turns.filter(turns.turn_id.isin(arrived.keys["turns"])).conversation_id.to_pandas())
    if not ids:
        return nothing
    from empathica.errors import NothingReadError  # here: an ingest without conversations imports no empathy step
    from empathica.understand.empathy import analyze_conversations, validate_transcript

    turns, conv = store.table("turns"), store.table("conversations")
    mine = turns.filter(turns.conversation_id.isin(sorted(ids)))
    frame = mine.select("turn_id", "conversation_id", "turn_index", "speaker", "agent_id", "text", "timestamp").to_pandas()
    if not len(frame):
        return nothing
    customer = _customer_turn_scores(frame, analyzer, scored_turns)
    sentiment = dict(zip(customer["source_id"], customer["sentiment"]))
    frame["sentiment_score"] = [sentiment.get(t, float("nan")) for t in frame["turn_id"].astype(str)]
    try:
        clean, quarantine = validate_transcript(frame, source="table turns")
    except NothingReadError:
        return nothing
    owners = conv.filter(conv.conversation_id.isin(sorted(ids))).to_pandas()
    analysis = analyze_conversations(clean, conversations=owners, quarantine=quarantine, text_analyzer=analyzer)
    out = analysis.conversations
    verdicts = out[[c for c in LIVE_CONVERSATION_COLUMNS if c in out.columns]].reset_index(drop=True)
    return verdicts, customer[list(_TURN_SCORES)]


def _customer_turn_scores(frame: pd.DataFrame, analyzer, scored_turns: pd.DataFrame) -> pd.DataFrame:
    """``source, source_id, sentiment, emotion, aspects`` of every customer turn in ``frame``: those of
    ``scored_turns``, the others scored with ``analyzer`` now."""
    mine = frame[(frame["speaker"] == "customer") & frame["text"].notna()]
    known = scored_turns[["source_id", "sentiment", "emotion", "aspects"]] if len(scored_turns) else None
    ids = mine["turn_id"].astype(str)
    missing = mine[~ids.isin(known["source_id"])] if known is not None else mine
    parts = [known[known["source_id"].isin(ids)]] if known is not None else []
    if len(missing):
        scored = analyzer.analyze(missing["text"].astype(str).tolist())
        parts.append(pd.DataFrame({"source_id": missing["turn_id"].astype(str).to_numpy(),
                                   "sentiment": scored["sentiment_score"].astype(float).to_numpy(),
                                   "emotion": scored["emotion"].astype(str).to_numpy(),
                                   "aspects": [json.dumps(list(a)) for a in scored["aspects"]]}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["source_id", "sentiment", "emotion",
                                                                                  "aspects"])
    return out.assign(source="turns")


@dataclass
class Fresh:
    """New rows and their scores: what an incremental evaluation tests and what the card patches in."""

    arrived: Arrivals
    texts: pd.DataFrame  # LIVE_TEXT_COLUMNS
    conversations: pd.DataFrame  # LIVE_CONVERSATION_COLUMNS
    #: ``source, source_id, emotion, aspects`` of every customer turn of ``conversations`` (their emotion, pain points).
    turn_scores: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(_TURN_SCORES)))

    def keys(self, table: str) -> list[str]:
        return self.arrived.keys.get(table, [])

    def then(self, later: "Fresh") -> "Fresh":
        """This batch and a ``later`` one as one (what a bulk ingest's batches found and scored)."""
        keys = {t: self.keys(t) + later.keys(t) for t in {*self.arrived.keys, *later.arrived.keys}}
        reached = {t: self.arrived.reached.get(t, 0) + later.arrived.reached.get(t, 0)
                   for t in {*self.arrived.reached, *later.arrived.reached}}
        arrived = Arrivals(keys=keys, reached=reached, customers=self.arrived.customers | later.arrived.customers,
                           marks=later.arrived.marks, tops=later.arrived.tops, more=later.arrived.more)
        verdicts = _stacked(self.conversations, later.conversations).drop_duplicates("conversation_id", keep="last")
        turns = _stacked(self.turn_scores, later.turn_scores).drop_duplicates("source_id", keep="last")
        return Fresh(arrived, _stacked(self.texts, later.texts), verdicts.reset_index(drop=True),
                     turns.reset_index(drop=True))


def _stacked(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    frames = [f for f in (first, second) if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else first


def fresh(store: Store, arrived: Arrivals, analyzer: Callable[[], object]) -> Fresh:
    """Score what ``arrived``: its texts, then the conversations its turns or rows belong to (``analyzer()``
    gives the text analyzer; called only when there is something to score)."""
    texts = new_texts(store, arrived)
    model = analyzer() if len(texts) or arrived.keys.get("turns") or arrived.keys.get("conversations") else None
    scored = score_texts(model, texts)
    turns = scored[scored["source"] == "turns"]
    verdicts, turn_scores = score_conversations(store, arrived, analyzer=model, scored_turns=turns)
    return Fresh(arrived, scored, verdicts, turn_scores)
