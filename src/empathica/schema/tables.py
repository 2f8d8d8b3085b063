"""Declarations of the canonical tables: columns, types, ranges, keys and references."""

from __future__ import annotations

from dataclasses import dataclass, field

from empathica.errors import SchemaError

#: Logical column types and the Ibis/DuckDB type each is stored as.
TYPES = {
    "string": "string",
    "int": "int64",
    "float": "float64",
    "bool": "boolean",
    "timestamp": "timestamp('UTC')",
    "json": "string",  # a JSON object kept as text, so every backend can hold it
}


@dataclass(frozen=True)
class Column:
    """One field of a canonical table."""

    name: str
    type: str
    doc: str
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] | None = None
    references: str | None = None  # "table.column" the value must exist in
    text: bool = False  # free text written by a person (language, sentiment, PII redaction apply)

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise SchemaError(f"column {self.name}: unknown type {self.type!r}; use one of {sorted(TYPES)}")


@dataclass(frozen=True)
class Table:
    """A canonical table: what it holds, its key and its columns."""

    name: str
    doc: str
    key: str
    columns: tuple[Column, ...]
    time_column: str | None = None
    aliases: tuple[str, ...] = field(default=())  # other names users give this kind of data

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise SchemaError(
            f"table {self.name} has no column {name!r}; its columns are {', '.join(self.column_names)}"
        )

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def text_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.text]

    def ibis_schema(self):
        import ibis

        return ibis.schema({c.name: TYPES[c.type] for c in self.columns})


_ATTRS = Column("attributes", "json", "Any further fields of the source row, as a JSON object.")

TABLES: dict[str, Table] = {}


def _declare(t: Table) -> Table:
    TABLES[t.name] = t
    return t


_declare(Table(
    "teams",
    "Teams of employees (a contact-centre queue, a store crew, the returns desk).",
    key="team_id",
    columns=(
        Column("team_id", "string", "Stable team identifier.", required=True),
        Column("name", "string", "Team name as people use it."),
        Column("function", "string", "What the team does, e.g. 'contact centre', 'stores', 'logistics'."),
        Column("region", "string", "Region the team serves."),
    ),
))

_declare(Table(
    "employees",
    "Employees, including the agents who talk to customers.",
    key="employee_id",
    columns=(
        Column("employee_id", "string", "Stable employee identifier (an agent id in conversations).", required=True),
        Column("team_id", "string", "Team the employee belongs to.", references="teams.team_id"),
        Column("name", "string", "Display name."),
        Column("role", "string", "Role, e.g. 'agent', 'store staff', 'team lead'."),
        Column("hired_at", "timestamp", "Date of hire (UTC)."),
        Column("language", "string", "Main working language (ISO 639-1: en, de, zh ...)."),
        Column("site", "string", "Site the employee works from (an office, contact centre or store); empty: the team's region."),
    ),
    aliases=("agents", "staff"),
))

_declare(Table(
    "customers",
    "Customers: one row per person or account.",
    key="customer_id",
    time_column="first_seen",
    columns=(
        Column("customer_id", "string", "Stable customer identifier.", required=True),
        Column("first_seen", "timestamp", "When the customer first appeared (UTC)."),
        Column("language", "string", "Preferred language (ISO 639-1: en, de, zh ...)."),
        Column("region", "string", "Region or market."),
        Column("segment", "string", "Business segment, e.g. 'loyal', 'new', 'business'."),
        Column("brand", "string", "The company's own brand the customer buys from, where it runs several (empty: one)."),
        Column("churned_at", "timestamp", "When the customer was recorded as lost (UTC); empty while active."),
        _ATTRS,
    ),
    aliases=("clients", "accounts"),
))

_declare(Table(
    "touchpoints",
    "The catalogue of touchpoints: every place a customer meets the business.",
    key="touchpoint_id",
    columns=(
        Column("touchpoint_id", "string", "Stable touchpoint identifier, e.g. 'web_checkout'.", required=True),
        Column("name", "string", "Human name, e.g. 'Web shop checkout'."),
        Column("channel", "string", "Channel: web, app, store, phone, chat, email, social, search, post ..."),
        Column("owner_team_id", "string", "Team that owns the touchpoint.", references="teams.team_id"),
        Column("journey_stage", "string", "Stage: awareness, consideration, purchase, delivery, service, loyalty."),
        Column("is_goal", "bool", "True where reaching the touchpoint completes the journey (e.g. purchase)."),
    ),
))

_declare(Table(
    "events",
    "Journey events: a customer met a touchpoint at a time.",
    key="event_id",
    time_column="timestamp",
    columns=(
        Column("event_id", "string", "Stable event identifier; derived from the row's content when absent.", required=True),
        Column("customer_id", "string", "Customer the event belongs to.", required=True, references="customers.customer_id"),
        Column("touchpoint_id", "string", "Touchpoint (activity) met.", required=True, references="touchpoints.touchpoint_id"),
        Column("channel", "string", "Channel of this event (defaults to the touchpoint's channel)."),
        Column("timestamp", "timestamp", "When it happened (UTC).", required=True),
        Column("journey_id", "string", "Journey or case the event belongs to (one customer can have many)."),
        _ATTRS,
    ),
    aliases=("journeys", "event_log", "log"),
))

_declare(Table(
    "feedback",
    "Survey responses: NPS, CSAT and CES scores with free text.",
    key="response_id",
    time_column="timestamp",
    columns=(
        Column("response_id", "string", "Stable response identifier.", required=True),
        Column("customer_id", "string", "Customer who answered.", references="customers.customer_id"),
        Column("touchpoint_id", "string", "Touchpoint the survey asks about.", references="touchpoints.touchpoint_id"),
        Column("journey_id", "string", "Journey the survey follows, when known."),
        Column("timestamp", "timestamp", "When it was answered (UTC).", required=True),
        Column("nps", "int", "Likelihood to recommend, 0–10.", minimum=0, maximum=10),
        Column("csat", "int", "Satisfaction, 1–5.", minimum=1, maximum=5),
        Column("ces", "int", "Customer effort, 1 (very easy) – 7 (very hard).", minimum=1, maximum=7),
        Column("comment", "string", "Free-text comment.", text=True),
        Column("language", "string", "Language of the comment as given by the source (detected when empty)."),
        _ATTRS,
    ),
    aliases=("surveys", "survey_responses", "nps"),
))

_declare(Table(
    "conversations",
    "Support conversations (chat, phone transcripts, e-mail threads), one row per conversation.",
    key="conversation_id",
    time_column="started_at",
    columns=(
        Column("conversation_id", "string", "Stable conversation identifier.", required=True),
        Column("customer_id", "string", "Customer in the conversation.", references="customers.customer_id"),
        Column("channel", "string", "chat, phone, email, social ..."),
        Column("started_at", "timestamp", "When it started (UTC)."),
        Column("touchpoint_id", "string", "Touchpoint where it happened.", references="touchpoints.touchpoint_id"),
        Column("outcome", "string", "resolved, unresolved, escalated, transferred (free for other values)."),
        _ATTRS,
    ),
))

_declare(Table(
    "turns",
    "The turns of conversations: who said what, in order.",
    key="turn_id",
    time_column="timestamp",
    columns=(
        Column("turn_id", "string", "Stable turn identifier; derived from conversation and order when absent.", required=True),
        Column("conversation_id", "string", "Conversation the turn belongs to.", required=True, references="conversations.conversation_id"),
        Column("turn_index", "int", "Order of the turn within its conversation, from 0.", required=True, minimum=0),
        Column("speaker", "string", "Who speaks.", required=True, allowed=("customer", "agent", "bot", "system")),
        Column("agent_id", "string", "Employee who speaks, on agent turns.", references="employees.employee_id"),
        Column("text", "string", "What was said.", required=True, text=True),
        Column("timestamp", "timestamp", "When it was said (UTC)."),
    ),
    aliases=("messages", "utterances", "transcripts"),
))

_declare(Table(
    "reviews",
    "Public reviews, of us and of competitors.",
    key="review_id",
    time_column="timestamp",
    columns=(
        Column("review_id", "string", "Stable review identifier.", required=True),
        Column("source", "string", "Where it was published: app store, Google, Trustpilot, Dianping ..."),
        Column("brand", "string", "Brand reviewed.", required=True),
        Column("is_own", "bool", "True for our own brand, false for a competitor's."),
        Column("rating", "float", "Star rating, 1–5.", minimum=1, maximum=5),
        Column("text", "string", "Review text.", text=True),
        Column("timestamp", "timestamp", "When it was published (UTC).", required=True),
        Column("language", "string", "Language as given by the source (detected when empty)."),
    ),
))

_declare(Table(
    "transactions",
    "Purchases and refunds.",
    key="transaction_id",
    time_column="timestamp",
    columns=(
        Column("transaction_id", "string", "Stable transaction identifier; derived from the row when absent.", required=True),
        Column("customer_id", "string", "Customer who paid.", required=True, references="customers.customer_id"),
        Column("timestamp", "timestamp", "When (UTC).", required=True),
        Column("amount", "float", "Amount; negative for a refund.", required=True),
        Column("currency", "string", "ISO 4217 currency code."),
        Column("touchpoint_id", "string", "Where it was bought.", references="touchpoints.touchpoint_id"),
    ),
    aliases=("orders", "purchases", "sales"),
))

_declare(Table(
    "employee_surveys",
    "Employee survey responses: engagement items and eNPS, by team.",
    key="response_id",
    time_column="timestamp",
    columns=(
        Column("response_id", "string", "Stable response identifier.", required=True),
        Column("employee_id", "string", "Respondent (may be empty for anonymous surveys).", references="employees.employee_id"),
        Column("team_id", "string", "Team of the respondent.", required=True, references="teams.team_id"),
        Column("timestamp", "timestamp", "When it was answered (UTC).", required=True),
        Column("engagement", "float", "Engagement index, the mean of the engagement items, 1–5.", minimum=1, maximum=5),
        Column("enps", "int", "Employee NPS answer, 0–10.", minimum=0, maximum=10),
        Column("items", "json", "Engagement items as a JSON object of item → score (1–5)."),
        Column("comment", "string", "Free-text comment.", text=True),
    ),
    aliases=("engagement", "employee_feedback"),
))

_declare(Table(
    "values_answers",
    "Customers' answers to values questions ('What matters most to you when ...?').",
    key="answer_id",
    time_column="timestamp",
    columns=(
        Column("answer_id", "string", "Stable answer identifier.", required=True),
        Column("customer_id", "string", "Customer who answered.", references="customers.customer_id"),
        Column("question", "string", "The question asked.", required=True),
        Column("answer", "string", "The free-text answer.", required=True, text=True),
        Column("timestamp", "timestamp", "When (UTC)."),
    ),
    aliases=("values",),
))

#: What an action is expected to move (the outcomes ``empathica.learn.effects`` measures).
ACTION_METRICS = ("nps", "csat", "sentiment", "empathy", "friction", "churn", "revenue")

_declare(Table(
    "actions",
    "Actions taken to improve the experience: what changed, where, from when, and what should move.",
    key="action_id",
    time_column="starts_at",
    columns=(
        Column("action_id", "string", "Stable action identifier.", required=True),
        Column("title", "string", "Short name of the action.", required=True),
        Column("description", "string", "What was changed."),
        Column("starts_at", "timestamp", "When the change took effect (UTC).", required=True),
        Column("ends_at", "timestamp", "When it was withdrawn (UTC); empty while in force."),
        Column("touchpoint_id", "string", "Touchpoint changed.", references="touchpoints.touchpoint_id"),
        Column("team_id", "string", "Team changed or trained.", references="teams.team_id"),
        Column("agents", "string", "Employees concerned, comma-separated employee ids."),
        Column("segment", "string", "Customer segment the change applies to."),
        Column("region", "string", "Region the change applies to."),
        Column("expected_metric", "string", "The outcome expected to move.", allowed=ACTION_METRICS),
        Column("expected_direction", "string", "Which way it should move.", allowed=("up", "down")),
        Column("owner", "string", "Who is accountable for the action."),
        Column("source", "string", "Where the action was recorded: cli, api, case, file, demo."),
        Column("case_id", "string", "The closed case (with its root cause) the action came from, when any."),
        Column("created_at", "timestamp", "When the action was recorded (UTC)."),
    ),
    aliases=("interventions", "changes"),
))

# -- learn: experiments (A/B tests) — who was assigned to which arm, when ---------------------------------
_declare(Table(
    "experiments",
    "Experiment (A/B test) assignments: which customer got which arm of which experiment, and when.",
    key="assignment_id",
    time_column="assigned_at",
    columns=(
        Column("assignment_id", "string", "Stable assignment identifier; derived from experiment and customer when absent "
               "(a customer is assigned once per experiment).", required=True),
        Column("experiment_id", "string", "The experiment.", required=True),
        Column("customer_id", "string", "The unit assigned: a customer.", required=True, references="customers.customer_id"),
        Column("arm", "string", "The arm (variant) the customer was assigned to; the control arm is called control.", required=True),
        Column("assigned_at", "timestamp", "When the customer was assigned (UTC); outcomes are measured after it.", required=True),
        Column("stratum", "string", "The stratum the assignment was randomised within (segment, region …), when stratified."),
        Column("metric", "string", "The experiment's primary outcome (the same on every row of an experiment).",
               allowed=ACTION_METRICS),
        Column("planned_share", "float", "Planned share of the experiment's customers in this arm (equal shares when empty).",
               minimum=0, maximum=1),
    ),
    aliases=("experiment_assignments", "assignments", "ab_tests"),
))

#: Tables a user ingests, in the order that satisfies references (referenced tables first).
SIGNAL_TABLES: tuple[str, ...] = tuple(TABLES)


def table(name: str) -> Table:
    """The canonical table called ``name`` (or one of its aliases)."""
    if name in TABLES:
        return TABLES[name]
    for t in TABLES.values():
        if name in t.aliases:
            return t
    raise SchemaError(f"unknown table {name!r}; the tables are {', '.join(TABLES)}")
