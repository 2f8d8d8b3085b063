"""Declarations of the result tables: what analyses store, one row per what, in which columns, by which step.

Result tables are a contract between the step that writes them and everything that reads them (later steps,
the report, the REST API, exports). Each is declared here once, like a canonical table; ``Store.write_result``
refuses rows that do not match their declaration, and readers import the declared constant instead of
spelling a table name. ``docs/results.md`` lists them (a test keeps the two in step).

Every stored result row carries ``run_id``: the run (table ``runs``) that computed it.
"""

from __future__ import annotations

from dataclasses import dataclass

from empathica.errors import SchemaError
from empathica.schema.tables import TYPES

#: Prefix of the tables that hold results.
RESULT_PREFIX = "result_"
#: The column every result row carries: the run that computed it.
RUN_COLUMN = "run_id"


@dataclass(frozen=True)
class Result:
    """A declared result table: its name, what one row is (grain), its columns and the step that writes it."""

    name: str
    step: str
    grain: str
    doc: str
    columns: tuple[tuple[str, str], ...]  # (column, logical type from schema.TYPES)
    open_columns: bool = False  # further columns vary with the data (e.g. one per emotion or cohort)
    incremental: bool = False  # rows accumulate over runs; each keeps the run that computed it
    #: Columns that hold a stored line readers say as findings in the reader's language: (column, reading), e.g.
    #: ``("reasons", "churn_reasons")``; the API adds ``<column>_shown`` (``serve/reasons.py`` knows the readings).
    said: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for column, kind in self.columns:
            if kind not in TYPES:
                raise SchemaError(f"result {self.name}: column {column} has unknown type {kind!r}; use one of {sorted(TYPES)}")
        for column, _reading in self.said:
            if column not in self.column_names:
                raise SchemaError(f"result {self.name}: said column {column} is not one of its columns")

    @property
    def table_name(self) -> str:
        """The table that holds the published rows: ``result_<name>``."""
        return RESULT_PREFIX + self.name

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]

    def __str__(self) -> str:
        return self.name


RESULTS: dict[str, Result] = {}


def _declare(name: str, step: str, grain: str, doc: str, columns: str, *, open_columns: bool = False,
             incremental: bool = False, said: str = "") -> Result:
    """Declare a result; ``columns`` is 'name:type name:type ...', ``said`` 'column:reading ...'."""
    if name in RESULTS:
        raise SchemaError(f"result {name} is declared twice")
    cols = tuple(tuple(part.split(":", 1)) for part in columns.split())
    readings = tuple(tuple(part.split(":", 1)) for part in said.split())
    RESULTS[name] = Result(name, step, grain, doc, cols, open_columns=open_columns, incremental=incremental,  # type: ignore[arg-type]
                           said=readings)  # type: ignore[arg-type]
    return RESULTS[name]


def result(name: "str | Result") -> Result:
    """The declared result ``name`` (a name with or without the ``result_`` prefix, or a :class:`Result`)."""
    if isinstance(name, Result):
        return name
    key = name[len(RESULT_PREFIX):] if name.startswith(RESULT_PREFIX) else name
    if key not in RESULTS:
        raise SchemaError(f"no result {key!r} is declared; declare it in empathica/schema/results.py "
                          f"(the results are {', '.join(sorted(RESULTS))}).")
    return RESULTS[key]


def results_of(step: str) -> list[Result]:
    """The results the step ``step`` writes."""
    return [r for r in RESULTS.values() if r.step == step]


# -- the text step ---------------------------------------------------------------------------------
TEXT_SCORES = _declare(
    "text_scores", "text", "one scored text (source_table, source_id)",
    "Language, sentiment, emotion and aspects (JSON list) of each text; texts are scored once, so rows accumulate over runs.",
    "source_table:string source_id:string lang:string sentiment:string sentiment_score:float confidence:float "
    "emotion:string emotion_confidence:float aspects:json note:string scored_at:timestamp", incremental=True)
TEXT_PRIORS = _declare(
    "text_priors", "text", "language × sentiment class",
    "The heads' training share and the share estimated for this store's texts (EM), used to score new texts.",
    "lang:string class:string training_prior:float corpus_prior:float texts:int cue_override:bool scored_at:timestamp")
TEXT_SCORING = _declare(
    "text_scoring", "text", "one scoring setting",
    "The settings the stored text scores were made with; a change rescores every text.", "setting:string value:string")
TEXT_RATINGS_ADAPTATION = _declare(
    "text_ratings_adaptation", "text", "language",
    "Held-out accuracy on the store's own rated texts with the shipped head and with one fitted to the other rated texts; which head was kept.",
    "lang:string rated_texts:int train_rows:int test_rows:int accuracy_before:float accuracy_after:float "
    "macro_f1_before:float macro_f1_after:float p_value:float kept:string reason:string reason_message_id:string "
    "reason_values:string")
TEXT_NPS_BY_LANG = _declare(
    "text_nps_by_lang", "text", "language",
    "Per language of the survey comments: responses, NPS, detractor share and the share of comments scored negative.",
    "lang:string comments:int nps:float detractor_share:float negative_share:float positive_share:float")
TEXT_SENTIMENT_BY = _declare(
    "text_sentiment_by", "text", "dimension × value",
    "Customer-text sentiment by touchpoint, channel, language and month.",
    "dimension:string value:string texts:int mean_score:float negative_share:float positive_share:float")
TEXT_EMOTION_BY = _declare(
    "text_emotion_by", "text", "dimension × value × emotion",
    "Customer-text emotion shares by touchpoint, channel, language and month.",
    "dimension:string value:string emotion:string share:float")
TEXT_PAIN_POINTS = _declare(
    "text_pain_points", "text", "aspect",
    "Aspects of customer texts leaning negative, with quotes.",
    "aspect:string negative_mentions:int share_of_negative_units:float all_mentions:int languages:string quotes:string")
TEXT_TOPICS = _declare(
    "text_topics", "text", "language × topic",
    "Topics of negative customer texts, per language.",
    "lang:string topic:int size:int share:float label:string cohesion:float keywords:string quotes:string")

# -- the empathy step ------------------------------------------------------------------------------
_TURN = ("conversation_id:string turn_index:int agent_id:string language:string timestamp:timestamp text:string "
         "context:string context_distress:float emotional_reactions:int emotional_reactions_confidence:float "
         "emotional_reactions_evidence:string interpretations:int interpretations_confidence:float "
         "interpretations_evidence:string explorations:int explorations_confidence:float explorations_evidence:string "
         "jargon:string empathy:float responds_to_distress:bool empathy_gap:bool template:bool resolution_level:int "
         "resolution:float resolution_kinds:string resolution_evidence:string service_quality:float")
EMPATHY_TURNS = _declare(
    "empathy_turns", "empathy", "one agent turn",
    "Each agent turn: mechanism levels, confidence, evidence, jargon, empathy, gap flag.", _TURN)
EMPATHY_GAPS = _declare(
    "empathy_gaps", "empathy", "one agent turn that answered distress transactionally",
    "Distressed customer turns answered by a purely transactional reply.", _TURN)
EMPATHY_CONVERSATIONS = _declare(
    "empathy_conversations", "empathy", "one conversation",
    "Each conversation: customer sentiment path, distress moments, agent empathy, outcome.",
    "conversation_id:string turns:int language:string customer_sentiment_first:float customer_sentiment_last:float "
    "customer_sentiment_path:string distress_moments:int max_distress:float agent_id:string agent_turns:int "
    "agent_empathy:float empathy_gaps:int jargon_terms:int customer_sentiment_change:float", open_columns=True)
EMPATHY_QUARANTINE = _declare(
    "empathy_quarantine", "empathy", "one conversation turn not scored",
    "Turns not scored, with the reason.",
    "source_file:string line:int conversation_id:string field:string reason:string value:string raw:string",
    said="reason:empathy_quarantine")
EMPATHY_CUSTOMER = _declare(
    "empathy_customer", "empathy", "one customer",
    "Empathy each customer received, and their retention, CSAT and NPS.",
    "customer_id:string empathy_received:float replies:int retained:int csat:float nps:float")
EMPATHY_OUTCOMES = _declare(
    "empathy_outcomes", "empathy", "one outcome (retention, CSAT, NPS)",
    "Empathy received against each outcome: correlation and slope with bootstrap intervals.",
    "outcome:string customers:int correlation:float correlation_low:float correlation_high:float slope_per_0_1:float "
    "slope_low:float slope_high:float")
_RELATIONSHIP = ("customers:int empathy_received:float retention:float retention_customers:int retention_r:float "
                 "retention_r_low:float retention_r_high:float retention_points_per_0_1:float retention_points_low:float "
                 "retention_points_high:float csat_customers:int csat_r:float csat_r_low:float csat_r_high:float "
                 "csat_per_0_1:float csat_per_0_1_low:float csat_per_0_1_high:float note:string")
EMPATHY_RELATIONSHIP_BY_TEAM = _declare(
    "empathy_relationship_by_team", "empathy", "one team",
    "Per team: empathy received against retention and CSAT.", "team_id:string " + _RELATIONSHIP)
EMPATHY_RELATIONSHIP_BY_AGENT = _declare(
    "empathy_relationship_by_agent", "empathy", "one agent",
    "Per agent: empathy given against their customers' retention and CSAT.", "agent_id:string team_id:string " + _RELATIONSHIP)
_CARD = ("replies:int empathy:float emotional_reactions:float interpretations:float explorations:float gap_rate:float "
         "jargon_rate:float resolution:float service_quality:float template_share:float")
EMPATHY_SCORECARD = _declare(
    "empathy_scorecard", "empathy", "agent × month", "Per agent and month: empathy scorecard.",
    "agent_id:string month:string team_id:string " + _CARD)
EMPATHY_TEAMS = _declare(
    "empathy_teams", "empathy", "team × month", "Per team and month: empathy scorecard.", "team_id:string month:string " + _CARD)
EMPATHY_AGENTS = _declare(
    "empathy_agents", "empathy", "one agent",
    "Per agent: empathy, mechanisms, gaps, jargon, and their customers' outcomes.",
    "agent_id:string team_id:string rank:int agent_turns:int conversations:int empathy:float emotional_reactions:float "
    "interpretations:float explorations:float jargon_rate:float replies_to_distress:int empathy_gaps:int "
    "empathy_under_distress:float gap_rate:float resolved_rate:float customer_retention:float customer_csat:float",
    open_columns=True)
SERVICE_OUTCOMES = _declare(
    "service_outcomes", "empathy", "one measure × outcome",
    "Empathy, resolution and service quality received vs the customer's last sentiment, CSAT and retention.",
    "measure:string outcome:string customers:int correlation:float correlation_low:float correlation_high:float "
    "slope_per_0_1:float slope_low:float slope_high:float")
SERVICE_PATTERNS = _declare(
    "service_patterns", "empathy", "one way a distressed customer was handled",
    "Conversations with a distressed customer by how they were handled: their customers' retention and CSAT.",
    "service_pattern:string conversations:int customers:int retention:float retention_low:float retention_high:float "
    "csat:float retention_gap:float retention_gap_low:float retention_gap_high:float")
EMPATHY_COACHING = _declare(
    "empathy_coaching", "empathy", "one reply to coach",
    "A low-empathy reply beside a better reply to a similar customer turn.",
    "customer_said:string reply:string agent_id:string empathy:float similar_customer_said:string better_reply:string "
    "better_agent_id:string better_empathy:float similarity:float score:float better_score:float")

# -- the journeys step -----------------------------------------------------------------------------
JOURNEY_DFG = _declare(
    "journey_dfg", "journeys", "source × target touchpoint",
    "Directly-follows graph of touchpoints with friction evidence.",
    "source:string target:string transitions:int customers:int median_seconds:float p90_seconds:float dropoff_rate:float "
    "repeat_rate:float channel_switch_rate:float self_loop:bool source_typical_seconds:float", open_columns=True)
JOURNEY_TOUCHPOINTS = _declare(
    "journey_touchpoints", "journeys", "one touchpoint",
    "Volume, starts, ends, drop-off, repeats, CSAT and sentiment per touchpoint.",
    "touchpoint:string events:int median_seconds_to_next:float mean_relative_position:float journeys:int repeat_events:int "
    "journeys_with_repeat:int customers:int starts:int ends:int dropoffs:int start_share:float end_share:float "
    "dropoff_rate:float", open_columns=True)
JOURNEY_VARIANTS = _declare(
    "journey_variants", "journeys", "one distinct journey path",
    "Distinct journey paths with counts and shares.",
    "variant:string journeys:int share:float events:int median_duration_seconds:float reaches_goal:bool")
JOURNEY_FRICTION = _declare(
    "journey_friction", "journeys", "one pathway (source × target)",
    "Pathway friction score per transition with its evidence.",
    "rank:int source:string target:string friction_score:float transitions:int customers:int median_seconds:float "
    "p90_seconds:float dropoff_rate:float repeat_rate:float channel_switch_rate:float self_loop:bool evidence:string",
    open_columns=True)
JOURNEY_FRICTION_ABLATION = _declare(
    "journey_friction_ablation", "journeys", "one friction component left out (or none)",
    "How the friction ranking changes when each component is left out.",
    "dropped:string top_source:string top_target:string rank_of_full_top:int top5_kept:int spearman:float")
JOURNEY_FUNNEL = _declare(
    "journey_funnel", "journeys", "one funnel step", "Funnel towards the goal touchpoint.",
    "step:int touchpoint:string journeys:int conversion_from_start:float conversion_from_previous:float")
JOURNEY_CHANNEL_SWITCHES = _declare(
    "journey_channel_switches", "journeys", "source × target channel", "Transitions that change channel.",
    "source_channel:string target_channel:string transitions:int customers:int journeys:int")
JOURNEY_CUSTOMER_FRICTION = _declare(
    "journey_customer_friction", "journeys", "one customer",
    "Per customer: traversals of the top friction pathways and the friction met.",
    "customer_id:string top_pathway_traversals:int pathways_traversed:int max_friction:float mean_friction:float")
_COMPARE = ("source:string target:string cohort_a:string cohort_b:string journeys_a:int journeys_b:int share_a:float "
            "share_b:float share_difference:float p_share:float median_seconds_a:float median_seconds_b:float "
            "p_duration:float q_share:float q_duration:float significant_share:bool significant_duration:bool "
            "n_journeys_a:int n_journeys_b:int")
JOURNEY_COMPARE = _declare(
    "journey_compare", "journeys", "one pathway", "Promoters vs detractors: pathways that differ.", _COMPARE)
JOURNEY_COMPARE_CHURN = _declare(
    "journey_compare_churn", "journeys", "one pathway", "Churned vs retained customers: pathways that differ.", _COMPARE)
# -- dashboard: the counts the journeys page compares any two segments, or before / after a date, from --
JOURNEY_PATHWAY_DAYS = _declare(
    "journey_pathway_days", "journeys", "pathway × segment × start day",
    "Journeys taking each pathway, per customer segment and day the journey started (cohort comparisons on request).",
    "source:string target:string segment:string day:timestamp journeys:int")
JOURNEY_STARTS = _declare(
    "journey_starts", "journeys", "segment × start day",
    "Journeys per customer segment and day the journey started (the denominators of journey_pathway_days).",
    "segment:string day:timestamp journeys:int")
# -- dashboard (area: dashboard): the waits on each pathway, binned, for the durations of cohorts chosen in the page --
JOURNEY_PATHWAY_DURATIONS = _declare(
    "journey_pathway_durations", "journeys", "pathway × segment × start day × duration bin",
    "Traversals of each pathway per customer segment, day the journey started and duration bin (2^(1/8) wide; "
    "bin 0: under one second), so any two cohorts' median and p90 wait can be read from sums.",
    "source:string target:string segment:string day:timestamp bin:int transitions:int")

# -- the drivers step ------------------------------------------------------------------------------
DRIVERS_CUSTOMER = _declare(
    "drivers_customer", "drivers", "one customer",
    "Per-customer NPS and driver values (one column per driver found in the data).",
    "customer_id:string nps:float", open_columns=True)
DRIVERS_IMPORTANCE = _declare(
    "drivers_importance", "drivers", "one driver",
    "Relative importance of each driver (Shapley share of R²) with bootstrap intervals.",
    "driver:string importance:float share:float share_low:float share_high:float correlation:float "
    "std_coefficient:float coefficient:float rows:int mean:float rank:int", open_columns=True)
DRIVERS_MATRIX = _declare(
    "drivers_matrix", "drivers", "one driver", "Driver matrix: importance against performance.",
    "driver:string share:float share_low:float share_high:float correlation:float mean:float performance:float "
    "quadrant:string priority:float act_order:int")
DRIVERS_TEAMS = _declare(
    "drivers_teams", "drivers", "one team", "Team engagement against the NPS of customers served.",
    "team_id:string engagement:float survey_answers:int customers_served:int nps_served:float nps_gap:float")
# decide: the survey and complaint levers of EVERY customer, not only NPS respondents (docs/decide.md)
DRIVERS_EVERYONE = _declare(
    "drivers_everyone", "drivers", "one customer (every customer)",
    "CSAT per touchpoint (missing when never rated) and pain-point complaints (0 when none) of every customer.",
    "customer_id:string", open_columns=True)
# decide: when each of those ratings and complaints was given, so a fix's customers are counted per period exactly
DRIVERS_LEVER_EVENTS = _declare(
    "drivers_lever_events", "drivers", "one CSAT rating or one complaint (a survey answer or a whole conversation)",
    "Every CSAT rating and pain-point complaint behind drivers_everyone, with the lever it counts for and when it was "
    "given (value: the rating; 1 for a complaint).",
    "customer_id:string lever:string value:float at:timestamp")

# -- the value step --------------------------------------------------------------------------------
VALUE_CLV = _declare(
    "value_clv", "value", "one customer", "Per-customer p_alive, expected purchases and spend, CLV (52 weeks).",
    "customer_id:string frequency:int recency:float T:float monetary_value:float p_alive:float expected_purchases:float "
    "expected_spend:float clv:float segment:string status:string")
VALUE_CLV_PARAMS = _declare(
    "value_clv_params", "value", "one fitted model", "BG/NBD and Gamma-Gamma parameters (weeks).",
    "r:float alpha:float a:float b:float p:float q:float gamma:float", open_columns=True)
VALUE_CLV_SEGMENTS = _declare(
    "value_clv_segments", "value", "one segment", "CLV per customer segment.",
    "segment:string customers:int clv_mean:float clv_total:float p_alive_mean:float already_lost:int")
VALUE_CLV_HOLDOUT = _declare(
    "value_clv_holdout", "value", "one frequency bin", "Holdout check of the CLV model: actual against predicted purchases.",
    "frequency_bin:string customers:int actual:float predicted:float")
VALUE_CHURN_SCORES = _declare(
    "value_churn_scores", "value", "one active customer", "P(churn within 90 days) and reasons per active customer.",
    "customer_id:string p_churn:float reasons:string", said="reasons:churn_reasons")
VALUE_CHURN_RELIABILITY = _declare(
    "value_churn_reliability", "value", "one probability bin", "Reliability curve of churn on the validation period.",
    "bin:int mean_predicted:float observed_rate:float rows:int")
VALUE_DETRACTOR_SCORES = _declare(
    "value_detractor_scores", "value", "one customer", "P(next NPS answer is a detractor) and reasons per customer.",
    "customer_id:string p_detractor:float reasons:string", said="reasons:churn_reasons")
VALUE_DETRACTOR_RELIABILITY = _declare(
    "value_detractor_reliability", "value", "one probability bin", "Reliability curve of the detractor model.",
    "bin:int mean_predicted:float observed_rate:float rows:int")
VALUE_REVENUE_AT_RISK = _declare(
    "value_revenue_at_risk", "value", "one customer", "P(churn) × CLV per customer.",
    "customer_id:string clv:float segment:string status:string p_churn:float reasons:string revenue_at_risk:float",
    open_columns=True, said="reasons:churn_reasons")
# decide: every monetary total of the value step with its 95 % interval (docs/decide.md)
VALUE_TOTALS = _declare(
    "value_totals", "value", "one total",
    "Total CLV of active customers, revenue at risk and revenue held by likely detractors, with 95% intervals.",
    "total:string revenue:float revenue_low:float revenue_high:float customers:int model_auc:float shown:bool "
    "currency:string fits:int")

# -- the decide step -------------------------------------------------------------------------------
DECIDE_OPPORTUNITIES = _declare(
    "decide_opportunities", "decide", "one opportunity",
    "Opportunities ranked by revenue at stake (95% interval), with owner, evidence, confidence and trend.",
    "rank:int key:string kind:string message_id:string values:json customers:int revenue:float revenue_low:float "
    "revenue_high:float currency:string churn_change:float money_shown:bool confidence:string owner_team_id:string "
    "owner:string evidence:string evidence_section:string evidence_key:string model_auc:float previous_rank:int "
    "previous_revenue:float trend_basis:string trend_message_id:string trend_values:json part_of:string revenue_alone:float")
DECIDE_SCENARIOS = _declare(
    "decide_scenarios", "decide", "one scenario", "ROI scenarios (built-in and user-defined): revenue kept with 95% intervals.",
    "scenario:int key:string kind:string message_id:string values:json customers:int revenue:float revenue_low:float "
    "revenue_high:float currency:string churn_change:float money_shown:bool owner_team_id:string")
DECIDE_MODEL = _declare(
    "decide_model", "decide", "one fitted model",
    "The churn model that values opportunities and scenarios: customers, churn rate, cross-validated ROC AUC.",
    "customers:int churn_rate:float roc_auc:float min_auc:float usable:bool levers:json bootstrap_fits:int contacts:int "
    "contacts_left:float contact_empathy_coef:float contact_leaving_at_0_2:float contact_leaving_at_0_6:float")
# decide (issue 16): "whom to protect", ranked apart from "what to fix" (the same money, docs/decide.md)
DECIDE_PROTECT = _declare(
    "decide_protect", "decide", "one at-risk customer group",
    "Whom to protect: at-risk customer groups ranked by revenue at stake (95% interval), apart from the fixes "
    "that would retain them, with the customers the top fixes concern.",
    "rank:int key:string kind:string message_id:string values:json customers:int revenue:float revenue_low:float "
    "revenue_high:float currency:string churn_change:float money_shown:bool confidence:string owner_team_id:string "
    "owner:string evidence:string evidence_section:string evidence_key:string model_auc:float previous_rank:int "
    "previous_revenue:float trend_basis:string trend_message_id:string trend_values:json part_of:string concerned_by_fixes:int revenue_alone:float")
# dashboard (issue 20): each customer's part of the money, so a team's or region's share is a sum (decide/shares.py)
DECIDE_CUSTOMER_VALUES = _declare(
    "decide_customer_values", "decide", "one customer concerned by one opportunity or scenario",
    "Each concerned customer's part of an opportunity's revenue (its Shapley share) or a scenario's (valued alone), "
    "by the fitted churn model: summed over a team's or region's customers, their share of it.",
    "result:string key:string customer_id:string revenue:float")

# -- the report ------------------------------------------------------------------------------------
REPORT_SECTIONS = _declare(
    "report_sections", "report", "one report section",
    "Each analysis step's report section (findings as message ids and values, tables, figures), so the report "
    "renders from the store alone, in any language.",
    "position:int key:string title:string skipped:string summary:json blocks:json appendix:json")


# -- the act step ----------------------------------------------------------------------------------
ACT_RULES = _declare(
    "act_rules", "act", "one rule", "Each rule in force: signals it matches now, cases it opened in this run and in all.",
    "rule_id:string name:string on:string actions:string priority:string matched:int opened_now:int cases_total:int "
    "cases_active:int")
ACT_CASES = _declare(
    "act_cases", "act", "one case", "The cases rules opened, as they stood when the run ended.",
    "case_id:int rule_id:string title:string team_id:string assignee:string priority:string status:string "
    "customer_id:string touchpoint:string opened_at:timestamp resolution_due:timestamp escalation_level:int "
    "resolved_at:timestamp closed_at:timestamp")  # resolved_at, closed_at: diagnose (SLA attainment)

# -- learn: did the actions work; where we stand against competitors; the flywheel over time --------------------
_BENCHMARK_BRAND = ("area:string brand:string is_own:bool reviews:int rating:float rating_var:float positive_share:float positive_basis:string "
     "rating_se:float positive_se:float rating_ci_low:float rating_ci_high:float positive_ci_low:float positive_ci_high:float")
_BENCHMARK_COMPARISON = ("area:string own_brand:string metric:string competitor:string own:float theirs:float own_reviews:int their_reviews:int difference:float "
     "ci_low:float ci_high:float p_value:float index:float index_ci_low:float index_ci_high:float p_holm:float verdict:string")
LEARN_EFFECTS = _declare(
    "learn_effects", "learn", "action × metric",
    "Effect of each recorded action on each outcome: difference-in-differences against matched controls.",
    "action_id:string metric:string estimate:float ci_low:float ci_high:float p_value:float baseline:float "
    "treated_pre:int treated_post:int control_pre:int control_post:int customers:int pre_trend_p:float "
    "window_start:timestamp window_end:timestamp design:string")
LEARN_EVENT_STUDY = _declare(
    "learn_event_study", "learn", "action × metric × month from the start",
    "Treated − control gap per month around each action's start.",
    "month:int estimate:float ci_low:float ci_high:float action_id:string metric:string")
LEARN_BENCHMARK_BRANDS = _declare(
    "learn_benchmark_brands", "learn", "language × area × brand",
    "Reviews' rating and positive share per area and brand, with intervals.", "lang:string " + _BENCHMARK_BRAND)
LEARN_BENCHMARK_COMPARISON = _declare(
    "learn_benchmark_comparison", "learn", "language × area × metric × competitor",
    "Each own brand (and all together, own_brand = all) against each competitor per area: difference, comparison "
    "index, Holm-adjusted p.",
    "lang:string " + _BENCHMARK_COMPARISON)
LEARN_BENCHMARK_OVER_TIME = _declare(
    "learn_benchmark_over_time", "learn", "quarter × area × brand",
    "Reviews' rating and positive share per quarter, area and brand.", "quarter:string " + _BENCHMARK_BRAND)
LEARN_BENCHMARK_OVER_TIME_COMPARISON = _declare(
    "learn_benchmark_over_time_comparison", "learn", "quarter × area × metric × competitor",
    "Each own brand (and all together) against each competitor per quarter and area.", "quarter:string " + _BENCHMARK_COMPARISON)
LEARN_TIMELINE = _declare(
    "learn_timeline", "learn", "run × stage × dimension × KPI",
    "KPIs per flywheel stage and CX dimension, one value per kept run (from the run history), month of the run.",
    "month:string run_started_at:timestamp source_run:string stage:string dimension:string kpi:string value:float n:int")
LEARN_EXPERIMENTS = _declare(
    "learn_experiments", "learn", "experiment × metric × arm",
    "Each experiment's arms against its control on each outcome measured after assignment: difference (CUPED, "
    "post-stratified) with a 95% interval, Holm-adjusted p over the arms, always-valid interval, minimum detectable "
    "effect at 80% power, sample-ratio check.",
    "experiment_id:string metric:string primary:bool control:string arm:string assigned_control:int assigned_arm:int "
    "n_control:int n_arm:int mean_control:float mean_arm:float difference:float ci_low:float ci_high:float "
    "p_value:float relative_lift:float cuped:bool variance_reduction:float strata:int mde:float srm_p:float "
    "sample_ratio_mismatch:bool always_valid_low:float always_valid_high:float p_holm:float "
    "assigned_from:timestamp assigned_to:timestamp")

# -- diagnose: the five CX dimensions, the maturity stage, EX ↔ CX and values-based segments (area: diagnose) ------
DIAGNOSE_SCORECARD = _declare(
    "diagnose_scorecard", "diagnose", "scope × group × CX dimension",
    "Each CX dimension scored 0–100 (weighted scoring rules) with a 95% bootstrap interval and the change since the "
    "previous run and between the data's last two periods (with its 95% interval; direction up/down only when the "
    "interval excludes zero), for the company and per brand, region, segment, serving team and site; team_id and "
    "region name the team or region a row speaks for (the API's scope).",
    "scope:string group:string dimension:string score:float score_low:float score_high:float customers:int metrics:int "
    "previous_score:float trend:float period_score:float previous_period_score:float period_trend:float "
    "period_trend_low:float period_trend_high:float period_direction:string "
    "period_end:timestamp team_id:string region:string")
DIAGNOSE_EVIDENCE = _declare(
    "diagnose_evidence", "diagnose", "scope × group × dimension × metric",
    "The evidence behind each dimension score: the metric's value, its anchors, weight and score.",
    "scope:string group:string dimension:string metric:string level:string value:float score:float weight:float "
    "worst:float best:float n:int team_id:string region:string")
DIAGNOSE_EX_CX = _declare(
    "diagnose_ex_cx", "diagnose", "employee measure × customer outcome × level",
    "Mixed model (customers in employees in sites): outcome change per SD of the serving employee's engagement or eNPS "
    "(level employee) and per SD of the serving site's mean (level site: with the employee's deviation from it as a "
    "second term; only with 3 or more serving sites), 95% CI.",
    "measure:string outcome:string level:string customers:int teams:int sites:int slope_per_sd:float ci_low:float ci_high:float "
    "p_value:float team_variance:float measure_sd:float method:string")
DIAGNOSE_EX_CX_GROUPS = _declare(
    "diagnose_ex_cx_groups", "diagnose", "team or site of at least 5 employees",
    "Engagement and eNPS of each team and site beside the outcomes of the customers it served (groups under 5 "
    "employees are left out).",
    "level:string group:string employees:int engagement:float enps:float customers:int nps:float csat:float "
    "empathy_received:float retention:float team_id:string region:string")
DIAGNOSE_MATURITY = _declare(
    "diagnose_maturity", "diagnose", "one assessment",
    "The maturity stage (transactional → interaction → engagement → empathy) from data evidence and self-assessment.",
    "stage:string stage_number:int level:string maturity_index:float data_index:float self_index:float "
    "next_stage:string gap_to_next:float assessment_id:string")
DIAGNOSE_MATURITY_INPUTS = _declare(
    "diagnose_maturity_inputs", "diagnose", "flywheel input",
    "Per flywheel input: the data evidence and the self-assessment (0–1), their gap and whether it is a blind spot.",
    "input:string evidence:string data_score:float self_score:float gap:float blind_spot:bool")
DIAGNOSE_NEXT_STEPS = _declare(
    "diagnose_next_steps", "diagnose", "one step to the next stage",
    "What would move the company to the next maturity stage: the weakest inputs first.",
    "rank:int input:string evidence:string level:float needed:float next_stage:string")
DIAGNOSE_SELF_ASSESSMENT = _declare(
    "diagnose_self_assessment", "diagnose", "one answer of one self-assessment",
    "The answers to the maturity questionnaire, as given in the CLI, a file or the API (kept over runs).",
    "assessment_id:string question_id:string input:string answer:int source:string answered_by:string "
    "answered_at:timestamp", incremental=True)
DIAGNOSE_VALUES_EMBEDDINGS = _declare(
    "diagnose_values_embeddings", "diagnose", "one distinct values answer",
    "The e5 embedding of each distinct values answer (by a hash of its text), kept over runs so a text is embedded once.",
    "text_hash:string vector:json", incremental=True)
DIAGNOSE_SEGMENTS = _declare(
    "diagnose_segments", "diagnose", "values-based segment × language",
    "Segments of customers by what they value (clustered embeddings of their values answers): label, keywords and "
    "redacted quotes in each language, with the segment's NPS, churn and CLV.",
    "segment:int lang:string label:string customers:int share:float keywords:string quotes:string nps:float "
    "churn:float clv:float")
DIAGNOSE_SEGMENT_COMPARISON = _declare(
    "diagnose_segment_comparison", "diagnose", "outcome × predictor set",
    "How well values-based and demographic segments explain NPS, churn and CLV out of sample (R² or ROC AUC, 5-fold), "
    "with the values segments' gain over demographics and 95% bootstrap intervals.",
    "outcome:string metric:string predictors:string customers:int score:float score_low:float score_high:float "
    "gain:float gain_low:float gain_high:float")


# -- diagnose: standing against competitors per own brand, alignment with what customers value (area: diagnose) --
DIAGNOSE_COMPETITOR_INDEX = _declare(
    "diagnose_competitor_index", "diagnose", "own brand (and all own brands)",
    "Each own brand's mean review rating against the competitors' average as an index (100 = par), with a 95% "
    "bootstrap interval; the scorecard's brand rows use their brand's index.",
    "brand:string reviews:int rating:float competitors:int competitor_reviews:int competitors_rating:float index:float "
    "index_low:float index_high:float")
DIAGNOSE_VALUES_THEMES = _declare(
    "diagnose_values_themes", "diagnose", "values theme",
    "How many values answerers name each theme (importance, 95% interval), its rank, and the CSAT at the touchpoints "
    "the mapping file ties it to (95% interval), with its business area and pain points.",
    "theme:string area:string rank:int importance:float importance_low:float importance_high:float top:bool "
    "measured:bool csat:float csat_low:float csat_high:float answers:int touchpoints:string pain_points:string")
DIAGNOSE_VALUES_ALIGNMENT = _declare(
    "diagnose_values_alignment", "diagnose", "outcome × scope × group",
    "The outcome (CSAT at the touchpoints; NPS and retention of the customers who were there) in the most-valued "
    "themes minus the other measured themes, with a 95% bootstrap interval over answerers and measured customers, "
    "for the company (scope all; its CSAT gap is the ecosystem's values_alignment) and per brand and region; status "
    "ok, too_small (fewer than 30 answerers or measured customers: no gap) or not_measured; region names a region "
    "row's region (the API's scope).",
    "outcome:string scope:string group:string status:string top_themes:string other_themes:string top_value:float "
    "other_value:float gap:float gap_low:float gap_high:float answerers:int surveyed:int unmeasured_themes:string "
    "team_id:string region:string")


def check_rows(declared: Result, rows, *, step: str) -> Result:
    """``declared`` when ``rows`` (a DataFrame or an Ibis table) match its declaration and ``step`` is its writer;
    otherwise a :class:`SchemaError` naming the result, the column and what would fix it."""
    where = f"result {declared.name} (declared in empathica/schema/results.py)"
    if step != declared.step:
        raise SchemaError(f"{where} is written by step {declared.step!r}, not {step!r}; "
                          "declare a result of its own for this step.")
    kinds = _column_kinds(rows)
    given = [c for c in kinds if c != RUN_COLUMN]
    missing = [c for c in declared.column_names if c not in kinds]
    if missing:
        raise SchemaError(f"{where}: the rows lack declared column(s) {', '.join(missing)}; "
                          f"they have {', '.join(given)}.")
    extra = [c for c in given if c not in declared.column_names]
    if extra and not declared.open_columns:
        raise SchemaError(f"{where}: undeclared column(s) {', '.join(extra)}; declare them (or open_columns=True).")
    for column, kind in declared.columns:
        found = kinds[column]
        if found is not None and found not in _ACCEPTS[kind]:
            raise SchemaError(f"{where}: column {column} holds {found} values, declared {kind}; "
                              "fix the step's output or the declaration.")
    return declared


#: Logical type declared → kinds of values accepted for it (a number is a number, int or float).
_ACCEPTS = {
    "string": {"string", "json"}, "json": {"string", "json"},  # nested values are stored as JSON text
    "int": {"int", "float"}, "float": {"int", "float"},
    "bool": {"bool"}, "timestamp": {"timestamp"},
}


def _column_kinds(rows) -> dict[str, str | None]:
    """Column → kind of value (string, int, float, bool, timestamp, json; None: no value at all)."""
    import pandas as pd

    if isinstance(rows, pd.DataFrame):
        return {str(c): _pandas_kind(rows[c]) for c in rows.columns}
    return {name: _ibis_kind(dtype) for name, dtype in rows.schema().items()}


def _pandas_kind(series) -> str | None:
    from pandas.api import types

    if series.isna().all():
        return None
    if types.is_bool_dtype(series):
        return "bool"
    if types.is_integer_dtype(series):
        return "int"
    if types.is_float_dtype(series):
        return "float"
    if types.is_datetime64_any_dtype(series):
        return "timestamp"
    value = series.dropna().iloc[0]
    return _python_kind(value)


def _python_kind(value) -> str:
    from datetime import date

    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    if isinstance(value, date):
        return "timestamp"
    if isinstance(value, (list, dict, tuple)):
        return "json"
    return "string"


def _ibis_kind(dtype) -> str | None:
    if dtype.is_null():
        return None
    if dtype.is_boolean():
        return "bool"
    if dtype.is_integer():
        return "int"
    if dtype.is_floating() or dtype.is_decimal():
        return "float"
    if dtype.is_timestamp() or dtype.is_date():
        return "timestamp"
    if dtype.is_array() or dtype.is_struct() or dtype.is_map() or dtype.is_json():
        return "json"
    return "string"
