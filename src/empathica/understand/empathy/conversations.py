"""Empathy in conversations: transcripts validated, agent turns scored in context, gaps found,
and per-conversation and per-agent tables built.

A transcript has one row per turn: conversation id, turn order, speaker role, agent id, text (and
optionally outcome, customer id, timestamp). Rows that cannot be used are quarantined with the reason
and the line they came from (never dropped silently): a missing conversation id,
an unknown speaker role, a turn order that is not a whole number, non-text content, an agent turn
without an agent id, an agent not in the known list, and every turn of a conversation with a single
turn, without a customer turn or without an agent turn.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from empathica.errors import InputError, NothingReadError
from empathica.understand.empathy.cues import guess_language
from empathica.understand.empathy.distress import DISTRESS_THRESHOLD, customer_distress
from empathica.understand.empathy.files import LINE, MALFORMED, read_rows
from empathica.understand.empathy.model import MECHANISMS, EmpathyModel
from empathica.understand.empathy.resolution import RESOLUTION_COLUMNS, score_resolution, service_quality
from empathica.understand.empathy.templates import cap_templates, template_flags

#: Accepted names of each transcript column (first match wins, case-insensitive).
COLUMN_ALIASES = {
    "conversation_id": ("conversation_id", "conversation", "conv_id", "dialogue_id", "chat_id", "ticket_id"),
    "turn_index": ("turn_index", "turn", "turn_order", "order", "seq", "position", "index"),
    "speaker": ("speaker", "role", "speaker_role", "author_role", "from"),
    "agent_id": ("agent_id", "agent", "employee_id"),
    "text": ("text", "message", "utterance", "body", "content"),
}
#: Optional columns carried through when present (first match wins, case-insensitive): the outcome and
#: customer of the conversation go into conversations.csv (and give agents.csv its resolved_rate); the
#: timestamp stays on each turn and the earliest one is the conversation's started_at.
OPTIONAL_ALIASES = {
    "outcome": ("outcome", "resolution", "conversation_outcome", "result", "status"),
    "customer_id": ("customer_id", "client_id", "user_id", "contact_id"),
    "timestamp": ("timestamp", "time", "sent_at", "created_at", "datetime", "date"),
}
_ROLES = {
    "customer": "customer", "client": "customer", "user": "customer", "caller": "customer", "kunde": "customer",
    "kundin": "customer", "客户": "customer", "顾客": "customer", "用户": "customer",
    "agent": "agent", "staff": "agent", "support": "agent", "advisor": "agent", "employee": "agent", "rep": "agent",
    "mitarbeiter": "agent", "客服": "agent", "坐席": "agent",
    "bot": "bot", "system": "system",
}
#: A text has a letter of any script (Latin, Cyrillic, Arabic, kana, Han ...): digits and punctuation alone
#: are not text.
_HAS_WORD = re.compile(r"[^\W\d_]")
QUARANTINE_COLUMNS = ["source_file", "line", "conversation_id", "field", "reason", "value", "raw"]
#: Each reason a turn is quarantined for, as stored (an English line the CLI prints) → its message id in the report
#: catalogues, so the API says it in the reader's language (``reason_shown``, ``serve/reasons.py``).
QUARANTINE_REASONS = {
    "malformed row (wrong number of fields)": "empathy.quarantine.malformed",
    "missing conversation id": "empathy.quarantine.missing_conversation",
    "missing speaker role": "empathy.quarantine.missing_speaker",
    "unknown speaker role (use customer, agent, bot or system)": "empathy.quarantine.unknown_speaker",
    "turn order is not a whole number ≥ 0": "empathy.quarantine.turn_order",
    "non-text content (empty, a number or binary data)": "empathy.quarantine.non_text",
    "agent turn without agent_id": "empathy.quarantine.agent_without_id",
    "unknown agent (not in employees)": "empathy.quarantine.unknown_agent",
    "duplicate turn order in the conversation": "empathy.quarantine.duplicate_turn",
    "single-turn conversation": "empathy.quarantine.single_turn",
    "conversation has only agent turns (no customer turn)": "empathy.quarantine.only_agent_turns",
    "conversation has no agent turn": "empathy.quarantine.no_agent_turn",
}


def quarantine_reason_findings(line: str | None) -> list[dict]:
    """The finding of a stored quarantine ``reason`` line (``{"id", "values"}``); a line no code covers (a store
    written by another release) is quoted as the program's text."""
    text = (line or "").strip()
    if text in QUARANTINE_REASONS:
        return [{"id": QUARANTINE_REASONS[text], "values": {}}]
    return [{"id": "quarantine.reason.unreadable", "values": {"detail": text}}]
#: A reply is transactional when all three mechanisms are at level 0.
GAP_RULE = "distressed customer turn (distress ≥ 0.5) answered by a reply with every mechanism at level 0"


@dataclass
class ConversationAnalysis:
    """The outputs of :func:`analyze_conversations`."""

    turns: pd.DataFrame          # one row per agent turn: scores, the customer turn it answers, gap flag
    conversations: pd.DataFrame  # one row per conversation
    agents: pd.DataFrame         # one row per agent
    gaps: pd.DataFrame           # the agent turns that are empathy gaps
    quarantine: pd.DataFrame     # rows that could not be used, with the reason


def read_transcript(path: str | Path) -> pd.DataFrame:
    """Read a CSV, JSON Lines or Parquet transcript and map its columns onto the canonical names.

    Text files are read in the encoding and with the delimiter Listen detects; every row keeps the
    real ``line`` it came from (see :mod:`empathica.understand.empathy.files`).
    """
    path = Path(path)
    frame = read_rows(path)
    return map_columns(frame, source=str(path))


def map_columns(frame: pd.DataFrame, *, source: str = "input") -> pd.DataFrame:
    """The canonical transcript columns (and the optional ones present) of ``frame``, plus ``line``."""
    lower = {str(c).lower().strip(): c for c in frame.columns if c not in (LINE, MALFORMED)}
    out = pd.DataFrame(index=frame.index)
    for name, aliases in COLUMN_ALIASES.items():
        found = next((lower[a] for a in aliases if a in lower), None)
        if found is None and name != "agent_id":
            raise InputError(
                f"{source}: no {name} column (looked for {', '.join(aliases)}); the columns are "
                f"{', '.join(str(c) for c in frame.columns if c not in (LINE, MALFORMED))}. Rename a column or add it."
            )
        out[name] = frame[found] if found is not None else None
    for name, aliases in OPTIONAL_ALIASES.items():
        found = next((lower[a] for a in aliases if a in lower), None)
        if found is not None:
            out[name] = frame[found]
    # the physical line of each row when the reader knows it, else row + 2 (the header is line 1)
    out["line"] = frame[LINE].to_numpy() if LINE in frame else np.arange(len(frame)) + 2
    if MALFORMED in frame:
        out["malformed"] = frame[MALFORMED]
    return out


def validate_transcript(frame: pd.DataFrame, *, source: str = "input",
                        known_agents: set[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split mapped transcript rows into usable turns and quarantined rows (with reasons)."""
    df = frame.copy()
    if "line" not in df:
        df["line"] = np.arange(len(df)) + 2
    problems: list[dict] = []
    original = df.copy()  # the values as given, for the quarantine's value and raw columns

    def flag(mask: pd.Series, field: str, reason: str) -> None:
        for i in df.index[mask]:
            row = original.loc[i]
            problems.append({"source_file": source, "line": int(row["line"]), "conversation_id": _s(row["conversation_id"]),
                             "field": field, "reason": reason, "value": _s(row.get(field)),
                             "raw": json.dumps({k: _s(row.get(k)) for k in COLUMN_ALIASES}, ensure_ascii=False)})

    malformed = df["malformed"].notna() if "malformed" in df else pd.Series(False, index=df.index)
    for _, row in df[malformed].iterrows():
        problems.append({"source_file": source, "line": int(row["line"]), "conversation_id": _s(row["conversation_id"]),
                         "field": "(row)", "reason": "malformed row (wrong number of fields)", "value": "",
                         "raw": row["malformed"]})
    df["conversation_id"] = df["conversation_id"].map(_s)
    bad = malformed | (df["conversation_id"] == "")
    flag(bad & ~malformed, "conversation_id", "missing conversation id")
    ok = ~bad
    role = df["speaker"].map(lambda v: _ROLES.get(_s(v).lower()))
    bad = ok & role.isna()
    flag(bad & (df["speaker"].map(_s) == ""), "speaker", "missing speaker role")
    flag(bad & (df["speaker"].map(_s) != ""), "speaker", "unknown speaker role (use customer, agent, bot or system)")
    ok &= ~bad
    df["speaker"] = role
    order = pd.to_numeric(df["turn_index"], errors="coerce")
    bad = ok & (order.isna() | (order % 1 != 0) | (order < 0))
    flag(bad, "turn_index", "turn order is not a whole number ≥ 0")
    ok &= ~bad
    df["turn_index"] = order
    text = df["text"]
    bad = ok & ~text.map(lambda v: isinstance(v, str) and bool(_HAS_WORD.search(v)))
    flag(bad, "text", "non-text content (empty, a number or binary data)")
    ok &= ~bad
    df["agent_id"] = df["agent_id"].map(_s)
    bad = ok & (df["speaker"] == "agent") & (df["agent_id"] == "")
    flag(bad, "agent_id", "agent turn without agent_id")
    ok &= ~bad
    if known_agents is not None:
        bad = ok & (df["speaker"] == "agent") & ~df["agent_id"].isin(known_agents)
        flag(bad, "agent_id", "unknown agent (not in employees)")
        ok &= ~bad
    dup = ok & df.duplicated(["conversation_id", "turn_index"], keep="first")
    flag(dup, "turn_index", "duplicate turn order in the conversation")
    ok &= ~dup
    # conversation-level checks on the rows that are left
    kept = df[ok]
    per = kept.groupby("conversation_id")["speaker"].agg(n="size", customers=lambda s: (s == "customer").sum(),
                                                         agents=lambda s: (s == "agent").sum())
    for reason, ids in (
        ("single-turn conversation", per.index[per["n"] == 1]),
        ("conversation has only agent turns (no customer turn)", per.index[(per["n"] > 1) & (per["customers"] == 0)]),
        ("conversation has no agent turn", per.index[(per["n"] > 1) & (per["customers"] > 0) & (per["agents"] == 0)]),
    ):
        bad = ok & df["conversation_id"].isin(set(ids))
        flag(bad, "conversation_id", reason)
        ok &= ~bad
    clean = df[ok].copy()
    clean["turn_index"] = clean["turn_index"].astype(int)
    clean = clean.sort_values(["conversation_id", "turn_index"]).reset_index(drop=True)
    quarantine = pd.DataFrame(problems, columns=QUARANTINE_COLUMNS).sort_values("line").reset_index(drop=True)
    if clean.empty:
        reasons = quarantine["reason"].value_counts().to_dict() if len(quarantine) else {"no rows": 0}
        raise NothingReadError(f"{source}: no usable conversation turn; quarantined rows by reason: {reasons}.")
    return clean, quarantine


def _s(v: object) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return str(v).strip()


def analyze_conversations(turns: pd.DataFrame, *, model: EmpathyModel | None = None,
                          conversations: pd.DataFrame | None = None,
                          quarantine: pd.DataFrame | None = None,
                          use_text_analyzer: bool = True, text_analyzer=None,
                          template_keys: set[str] | None = None) -> ConversationAnalysis:
    """Score every agent turn against the customer turn before it; build conversation and agent tables.

    ``turns``: validated rows with conversation_id, turn_index, speaker, agent_id, text (and optionally
    timestamp). ``conversations``: optional conversation_id, customer_id, outcome, started_at.
    ``text_analyzer``: scores the customer turns' sentiment (default: the shipped one; see
    :func:`~empathica.understand.empathy.distress.customer_distress`). ``template_keys``: the normalised
    replies that are templates across all the data analysed (default: found in ``turns`` themselves; see
    :mod:`~empathica.understand.empathy.templates`).
    """
    model = model or EmpathyModel.default()
    t = turns.sort_values(["conversation_id", "turn_index"]).reset_index(drop=True).copy()
    t["language"] = [guess_language(x) for x in t["text"]]
    is_customer = (t["speaker"] == "customer").to_numpy()
    given = t.loc[is_customer, "sentiment_score"].to_numpy(dtype=float) if "sentiment_score" in t else None
    dist = customer_distress(t.loc[is_customer, "text"].tolist(), t.loc[is_customer, "language"].tolist(),
                             use_text_analyzer=use_text_analyzer, sentiment=given, text_analyzer=text_analyzer)
    for col in ("sentiment_score", "distress"):
        t[col] = np.nan
        t.loc[is_customer, col] = dist[col].to_numpy()
    # the customer turn each turn answers: the latest customer turn before it in the same conversation
    cust_pos = pd.Series(np.where(is_customer, t.index, np.nan), index=t.index)
    last_customer = cust_pos.groupby(t["conversation_id"]).transform(lambda s: s.ffill().shift(1))
    agent = t[t["speaker"] == "agent"].copy()
    ctx = last_customer.loc[agent.index]
    agent["context"] = [t.at[int(i), "text"] if not np.isnan(i) else "" for i in ctx]
    agent["context_distress"] = [t.at[int(i), "distress"] if not np.isnan(i) else np.nan for i in ctx]
    scores = model.score(agent["text"].tolist(), languages=agent["language"].tolist())
    scores.index = agent.index
    agent = pd.concat([agent, scores.drop(columns=["language"])], axis=1)
    agent = cap_templates(agent, template_flags(agent, keys=template_keys), agent["context"])
    resolution = score_resolution(agent["text"].tolist(), agent["language"].tolist())
    resolution.index = agent.index
    agent = pd.concat([agent, resolution], axis=1)
    agent["service_quality"] = service_quality(agent["empathy"], agent["resolution"])
    distressed = agent["context_distress"] >= DISTRESS_THRESHOLD
    transactional = (agent[list(MECHANISMS)] == 0).all(axis=1)
    agent["responds_to_distress"] = distressed
    agent["empathy_gap"] = distressed & transactional
    keep = [c for c in ("conversation_id", "turn_index", "agent_id", "language", "timestamp", "text", "context",
                        "context_distress") if c in agent] + list(scores.columns.drop("language")) + ["template", *RESOLUTION_COLUMNS, "responds_to_distress", "empathy_gap"]
    agent_turns = agent[keep].reset_index(drop=True)

    if conversations is None:
        conversations = conversations_from_turns(t)
    conv = _conversation_table(t, agent_turns, conversations)
    agents = agent_table(agent_turns, conv)
    gaps = agent_turns[agent_turns["empathy_gap"]].reset_index(drop=True)
    q = quarantine if quarantine is not None else pd.DataFrame(columns=QUARANTINE_COLUMNS)
    return ConversationAnalysis(turns=agent_turns, conversations=conv, agents=agents, gaps=gaps, quarantine=q)


def conversations_from_turns(turns: pd.DataFrame) -> pd.DataFrame | None:
    """Per conversation, the outcome and customer_id given on its turns (the first non-empty one) and
    started_at (its earliest timestamp); ``None`` when the turns carry none of these columns."""
    cols = [c for c in ("outcome", "customer_id", "timestamp") if c in turns]
    if not cols:
        return None
    given = turns[["conversation_id", *cols]].copy()
    for c in cols:
        given[c] = given[c].map(lambda v: _s(v) or None)
    g = given.groupby("conversation_id", sort=False)
    out = g[[c for c in cols if c != "timestamp"]].first() if len(cols) > ("timestamp" in cols) else pd.DataFrame(
        index=g.size().index)
    if "timestamp" in cols:
        out["started_at"] = g["timestamp"].min()
    return out.reset_index()


def _conversation_table(t: pd.DataFrame, agent_turns: pd.DataFrame, conversations: pd.DataFrame | None) -> pd.DataFrame:
    cust = t[t["speaker"] == "customer"]
    # the sentiment path uses the analyzer's sentiment when there is one, else −distress as a proxy
    feeling = cust["sentiment_score"].where(cust["sentiment_score"].notna(), -cust["distress"])
    g = cust.assign(feeling=feeling).groupby("conversation_id")
    path = g["feeling"].agg(customer_sentiment_first="first", customer_sentiment_last="last",
                            customer_sentiment_path=lambda s: [round(float(v), 3) for v in s])
    path["distress_moments"] = g["distress"].apply(lambda s: int((s >= DISTRESS_THRESHOLD).sum()))
    path["max_distress"] = g["distress"].max().round(4)
    a = agent_turns.groupby("conversation_id")
    emp = a.agg(agent_id=("agent_id", lambda s: s.mode().iloc[0]), agent_turns=("empathy", "size"),
                agent_empathy=("empathy", "mean"), agent_resolution=("resolution", "mean"),
                service_quality=("service_quality", "mean"), template_share=("template", "mean"),
                empathy_gaps=("empathy_gap", "sum"),
                jargon_terms=("jargon", lambda s: int(sum(len(j) for j in s))))
    out = t.groupby("conversation_id").agg(turns=("turn_index", "size"), language=("language", lambda s: s.mode().iloc[0]))
    out = out.join(path).join(emp).reset_index()
    out["service_pattern"] = out["conversation_id"].map(_service_patterns(agent_turns))
    out["customer_sentiment_change"] = (out["customer_sentiment_last"] - out["customer_sentiment_first"]).round(4)
    out[["agent_empathy", "agent_resolution", "service_quality", "template_share"]] = \
        out[["agent_empathy", "agent_resolution", "service_quality", "template_share"]].round(4)
    out["empathy_gaps"] = out["empathy_gaps"].fillna(0).astype(int)
    if conversations is not None and len(conversations):
        cols = [c for c in ("conversation_id", "customer_id", "outcome", "started_at", "channel") if c in conversations]
        out = out.merge(conversations[cols], on="conversation_id", how="left")
    elif "outcome" not in out:
        out["outcome"] = None
    return out


#: How a conversation was handled, from its agent replies: warmth (an emotional reaction) and a way forward
#: (resolution level ≥ 1), each present or not.
SERVICE_PATTERNS = ("empathy and resolution", "apology without resolution", "resolution without empathy", "neither")


def _service_patterns(agent_turns: pd.DataFrame) -> pd.Series:
    """Per conversation, which of ``SERVICE_PATTERNS`` its agent replies show."""
    g = agent_turns.groupby("conversation_id")
    warm = g["emotional_reactions"].max() >= 1
    forward = g["resolution_level"].max() >= 1
    return pd.Series(np.select([warm & forward, warm, forward], list(SERVICE_PATTERNS[:3]), SERVICE_PATTERNS[3]),
                     index=warm.index)


def agent_table(agent_turns: pd.DataFrame, conv: pd.DataFrame) -> pd.DataFrame:
    """Per agent: replies, conversations, mean empathy and mechanisms, jargon and gap rates, rank.

    Agents are ranked by ``ranking_score`` = mean empathy × (1 − gap rate), so an agent who often answers a
    distressed customer with a purely transactional reply cannot rank among the most empathic.

    ``agent_turns``: scored agent turns (no text needed); ``conv``: the conversation table (agent_id, outcome).
    """
    g = agent_turns.groupby("agent_id")
    out = g.agg(agent_turns=("empathy", "size"), conversations=("conversation_id", "nunique"),
                empathy=("empathy", "mean"), emotional_reactions=("emotional_reactions", "mean"),
                interpretations=("interpretations", "mean"), explorations=("explorations", "mean"),
                jargon_rate=("jargon", lambda s: float(np.mean([len(j) > 0 for j in s]))),
                replies_to_distress=("responds_to_distress", "sum"), empathy_gaps=("empathy_gap", "sum"),
                **{name: (col, "mean") for name, col in (("resolution", "resolution"), ("service_quality", "service_quality"),
                                                          ("template_share", "template")) if col in agent_turns})
    distressed = agent_turns[agent_turns["responds_to_distress"]].groupby("agent_id")["empathy"].mean()
    out["empathy_under_distress"] = distressed
    out["gap_rate"] = out["empathy_gaps"] / out["replies_to_distress"].where(out["replies_to_distress"] > 0)
    if "outcome" in conv and conv["outcome"].notna().any():
        resolved = conv.assign(resolved=conv["outcome"].eq("resolved")).groupby("agent_id")["resolved"].mean()
        out["resolved_rate"] = resolved
    # the ranking discounts an agent's mean empathy by the share of distressed customers they left with a
    # purely transactional reply: warm replies to easy questions do not make up for coldness under distress
    out["ranking_score"] = out["empathy"] * (1 - out["gap_rate"].fillna(0))
    out = out.reset_index().sort_values(["ranking_score", "empathy"], ascending=False).reset_index(drop=True)
    out.insert(1, "rank", np.arange(1, len(out) + 1))
    return out.round(4)
