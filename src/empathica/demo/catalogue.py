"""The fixed parts of the demo world "Lumen": teams, touchpoints, agents, competitors, journey states.

Lumen is an omnichannel home-electronics retailer (app, web shop, stores, call centre, chat, e-mail
and social ads) with customers in China (zh), Germany (de) and the UK/US (en). Everything that does not
depend on the number of customers is declared here; the simulation lives in the other modules.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

#: The simulated calendar: about two years, ending on the day the data was "extracted".
WORLD_START = datetime(2023, 1, 2, tzinfo=UTC)
WORLD_END = datetime(2024, 12, 30, tzinfo=UTC)
WORLD_WEEKS = (WORLD_END - WORLD_START).days / 7.0

LANGUAGES = ("zh", "de", "en")
LANGUAGE_SHARES = (0.35, 0.30, 0.35)

#: Business segments and, per language, how common each is (Chinese customers are app-first).
SEGMENTS = ("app_first", "web_first", "store_first")
SEGMENT_SHARES = {"zh": (0.60, 0.30, 0.10), "de": (0.25, 0.45, 0.30), "en": (0.35, 0.45, 0.20)}

COMPETITORS = ("Voltera", "Nordhaus")
OWN_BRAND = "Lumen"
#: The company's second own brand (its discount line): a share of the customers buy from it (customers.brand).
SECOND_BRAND, SECOND_BRAND_SHARE = "Lumen Express", 0.3
#: Transactions are booked in the group currency (texts quote prices in the customer's currency).
CURRENCY = "EUR"

# team_id, name, function, region (the team's site: three sites, two of them serving customers in conversations,
# so the diagnosis scores sites on the demo world; fixed, no random draw, so nothing else in the world moves)
TEAMS = (
    ("team_marketing", "Marketing", "marketing", "Berlin"),
    ("team_digital", "Digital (web shop and app)", "digital", "Berlin"),
    ("team_stores", "Stores", "stores", "Berlin"),
    ("team_logistics", "Logistics and delivery", "logistics", "Leeds"),
    ("team_contact_a", "Contact centre A", "contact centre", "Leeds"),
    ("team_contact_b", "Contact centre B", "contact centre", "Shenzhen"),
    ("team_returns", "Returns and refunds desk", "returns", "Leeds"),
)

# touchpoint_id, name, channel, owner_team_id, journey_stage, is_goal
TOUCHPOINTS = (
    ("ad_social", "Social media ad", "social", "team_marketing", "awareness", False),
    ("search_results", "Search engine result", "search", "team_marketing", "awareness", False),
    ("email_promo", "Promotional e-mail", "email", "team_marketing", "awareness", False),
    ("web_home", "Web shop home page", "web", "team_digital", "consideration", False),
    ("web_product", "Web shop product page", "web", "team_digital", "consideration", False),
    ("app_home", "App home screen", "app", "team_digital", "consideration", False),
    ("app_product", "App product page", "app", "team_digital", "consideration", False),
    ("web_checkout", "Web shop checkout", "web", "team_digital", "purchase", False),
    ("app_checkout", "App checkout", "app", "team_digital", "purchase", False),
    ("store_visit", "Store visit", "store", "team_stores", "consideration", False),
    ("store_checkout", "Store till", "store", "team_stores", "purchase", False),
    ("order_confirmed", "Order confirmed", "email", "team_digital", "purchase", True),
    ("delivery", "Home delivery", "post", "team_logistics", "delivery", False),
    ("faq_page", "Help centre FAQ", "web", "team_digital", "service", False),
    ("chat", "Live chat", "chat", "team_contact_a", "service", False),
    ("call_centre", "Call centre", "phone", "team_contact_b", "service", False),
    ("returns_portal", "Returns portal", "web", "team_returns", "service", False),
)
TOUCHPOINT_CHANNEL = {t[0]: t[2] for t in TOUCHPOINTS}

# agent_id, team_id, language, true empathy level in [0, 1]
AGENTS = (
    ("agent_01", "team_contact_a", "en", 0.45),
    ("agent_02", "team_contact_a", "en", 0.55),
    ("agent_03", "team_contact_a", "en", 0.92),
    ("agent_04", "team_contact_a", "en", 0.40),
    ("agent_05", "team_contact_a", "de", 0.08),
    ("agent_06", "team_contact_a", "de", 0.50),
    ("agent_07", "team_contact_b", "de", 0.90),
    ("agent_08", "team_contact_b", "de", 0.45),
    ("agent_09", "team_contact_b", "zh", 0.50),
    ("agent_10", "team_contact_b", "zh", 0.10),
    ("agent_11", "team_contact_b", "zh", 0.42),
    ("agent_12", "team_contact_b", "zh", 0.94),
    ("agent_13", "team_returns", "en", 0.30),
    ("agent_14", "team_returns", "de", 0.28),
    ("agent_15", "team_returns", "zh", 0.32),
    ("agent_16", "team_returns", "en", 0.26),
)
AGENT_IDS = tuple(a[0] for a in AGENTS)
AGENT_EMPATHY = np.array([a[3] for a in AGENTS])
#: Contact agents (chat and phone) and returns agents, by language: indices into AGENTS.
CONTACT_AGENTS = {lang: np.array([i for i, a in enumerate(AGENTS) if a[2] == lang and a[1] != "team_returns"]) for lang in LANGUAGES}
RETURNS_AGENTS = {lang: np.array([i for i, a in enumerate(AGENTS) if a[2] == lang and a[1] == "team_returns"]) for lang in LANGUAGES}

#: Mean engagement (1–5) of each team in the employee surveys; team_returns is planted lowest.
TEAM_ENGAGEMENT = {
    "team_marketing": 3.8,
    "team_digital": 3.7,
    "team_stores": 3.6,
    "team_logistics": 3.5,
    "team_contact_a": 3.7,
    "team_contact_b": 3.6,
    "team_returns": 2.5,
}
#: Employees who are not agents, per team (store staff, analysts, couriers' dispatchers, leads).
STAFF_PER_TEAM = {
    "team_marketing": 6,
    "team_digital": 8,
    "team_stores": 12,
    "team_logistics": 8,
    "team_contact_a": 2,
    "team_contact_b": 2,
    "team_returns": 4,
}

# -- journeys ---------------------------------------------------------------------------------
#: Internal states of the journey Markov chain and the touchpoint each one is observed as. Some
#: touchpoints have several states so that what happens next can depend on why the customer is there
#: (a call after a failed web payment behaves differently from a call about a broken kettle).
STATES = (
    ("end", None),
    ("ad_social", "ad_social"),
    ("search_results", "search_results"),
    ("email_promo", "email_promo"),
    ("web_home", "web_home"),
    ("app_home", "app_home"),
    ("store_visit", "store_visit"),
    ("web_product", "web_product"),
    ("app_product", "app_product"),
    ("web_checkout", "web_checkout"),
    ("app_checkout", "app_checkout"),
    ("store_checkout", "store_checkout"),
    ("order_confirmed", "order_confirmed"),
    ("delivery_ok", "delivery"),
    ("delivery_late", "delivery"),
    ("faq_pre", "faq_page"),
    ("faq_post", "faq_page"),
    ("chat_pre", "chat"),
    ("chat_post", "chat"),
    ("call_pay", "call_centre"),  # first call after a failed web payment: the planted friction
    ("call_pay_again", "call_centre"),  # repeat calls about the same failed payment
    ("call_post", "call_centre"),
    ("returns_portal", "returns_portal"),
)
STATE_NAMES = tuple(s[0] for s in STATES)
S = {name: i for i, name in enumerate(STATE_NAMES)}
STATE_TOUCHPOINT = tuple(s[1] for s in STATES)
N_STATES = len(STATES)
GOAL_STATE = S["order_confirmed"]
CONVERSATION_STATES = {S["chat_pre"], S["chat_post"], S["call_pay"], S["call_pay_again"], S["call_post"]}

ENTRY = {
    "app_first": {"app_home": 0.45, "ad_social": 0.20, "email_promo": 0.15, "search_results": 0.10, "web_home": 0.05, "store_visit": 0.05},
    "web_first": {"web_home": 0.35, "search_results": 0.30, "ad_social": 0.15, "email_promo": 0.10, "app_home": 0.05, "store_visit": 0.05},
    "store_first": {"store_visit": 0.55, "web_home": 0.12, "search_results": 0.12, "ad_social": 0.10, "email_promo": 0.06, "app_home": 0.05},
}

_BASE = {
    "ad_social": {"web_product": 0.45, "app_product": 0.25, "web_home": 0.05, "end": 0.25},
    "search_results": {"web_product": 0.65, "web_home": 0.10, "end": 0.25},
    "email_promo": {"web_home": 0.30, "app_home": 0.35, "web_product": 0.10, "end": 0.25},
    "web_home": {"web_product": 0.66, "faq_pre": 0.04, "end": 0.30},
    "app_home": {"app_product": 0.72, "end": 0.28},
    "store_visit": {"store_checkout": 0.62, "end": 0.38},
    "web_product": {"web_checkout": 0.55, "faq_pre": 0.04, "chat_pre": 0.04, "end": 0.37},
    "app_product": {"app_checkout": 0.60, "chat_pre": 0.04, "end": 0.36},
    "app_checkout": {"order_confirmed": 0.86, "chat_pre": 0.04, "end": 0.10},
    "store_checkout": {"order_confirmed": 0.96, "end": 0.04},
    "faq_pre": {"web_product": 0.35, "chat_pre": 0.20, "web_checkout": 0.15, "end": 0.30},
    "faq_post": {"chat_post": 0.25, "call_post": 0.15, "returns_portal": 0.10, "end": 0.50},
    "chat_pre": {"web_checkout": 0.45, "app_checkout": 0.20, "end": 0.35},
    "chat_post": {"returns_portal": 0.12, "call_post": 0.06, "chat_post": 0.04, "end": 0.78},
    "call_pay": {"call_pay_again": 0.35, "order_confirmed": 0.17, "end": 0.48},
    "call_pay_again": {"call_pay_again": 0.25, "order_confirmed": 0.35, "end": 0.40},
    "call_post": {"call_post": 0.08, "returns_portal": 0.10, "end": 0.82},
    "returns_portal": {"chat_post": 0.30, "call_post": 0.12, "end": 0.58},
}


def _row(probs: dict[str, float]) -> np.ndarray:
    row = np.zeros(N_STATES)
    for name, p in probs.items():
        row[S[name]] = p
    return row / row.sum()


def transition_matrices() -> tuple[np.ndarray, np.ndarray]:
    """Entry distributions and transition matrices for every customer profile.

    A profile is (segment, pay_issue, contact_prone, courier_bad), indexed
    ``segment * 8 + pay_issue * 4 + contact_prone * 2 + courier_bad``. Returns cumulative
    probabilities ``entry_cum[profile, state]`` and ``trans_cum[profile, from, to]``.
    """
    n_profiles = len(SEGMENTS) * 8
    entry = np.zeros((n_profiles, N_STATES))
    trans = np.zeros((n_profiles, N_STATES, N_STATES))
    for seg_i, seg in enumerate(SEGMENTS):
        for pay in (0, 1):
            for contact in (0, 1):
                for courier in (0, 1):
                    k = seg_i * 8 + pay * 4 + contact * 2 + courier
                    entry[k] = _row(ENTRY[seg])
                    rows = dict(_BASE)
                    # a customer whose card keeps failing 3-D Secure on the web shop ends up on the phone
                    fail = 0.60 if pay else 0.02
                    rows["web_checkout"] = {"order_confirmed": 0.89 - fail, "call_pay": fail, "chat_pre": 0.03, "end": 0.08}
                    late = 0.45 if courier else 0.12
                    rows["order_confirmed"] = {"delivery_late": late, "delivery_ok": 0.98 - late, "end": 0.02}
                    c = 2.0 if contact else 1.0
                    rows["delivery_ok"] = {"returns_portal": 0.10, "chat_post": 0.04 * c, "call_post": 0.03 * c, "faq_post": 0.02}
                    rows["delivery_late"] = {"returns_portal": 0.15, "chat_post": 0.14 * c, "call_post": 0.10 * c, "faq_post": 0.03}
                    for name in ("delivery_ok", "delivery_late"):
                        rows[name]["end"] = 1.0 - sum(rows[name].values())
                    if seg == "store_first":  # store customers pick up the phone rather than chat
                        rows["chat_post"] = {"returns_portal": 0.12, "call_post": 0.10, "chat_post": 0.02, "end": 0.76}
                    if seg == "app_first":  # app customers convert a little better in the app
                        rows["app_product"] = {"app_checkout": 0.64, "chat_pre": 0.04, "end": 0.32}
                    for name, probs in rows.items():
                        trans[k, S[name]] = _row(probs)
                    trans[k, S["end"], S["end"]] = 1.0
    return np.cumsum(entry, axis=1), np.cumsum(trans, axis=2)


#: Median seconds between two states (log-normal delays), and the log-sd; default: browsing.
DEFAULT_DELAY = (75.0, 1.0)
DELAYS = {
    ("web_product", "web_checkout"): (240.0, 0.8),
    ("app_product", "app_checkout"): (200.0, 0.8),
    ("web_checkout", "order_confirmed"): (40.0, 0.5),
    ("app_checkout", "order_confirmed"): (35.0, 0.5),
    ("store_checkout", "order_confirmed"): (20.0, 0.5),
    ("store_visit", "store_checkout"): (900.0, 0.6),
    ("web_checkout", "call_pay"): (3.0 * 3600, 0.7),
    ("call_pay", "call_pay_again"): (26.0 * 3600, 0.6),
    ("call_pay_again", "call_pay_again"): (20.0 * 3600, 0.6),
    ("call_pay", "order_confirmed"): (20.0 * 60, 0.5),
    ("call_pay_again", "order_confirmed"): (20.0 * 60, 0.5),
    ("order_confirmed", "delivery_ok"): (2.5 * 86400, 0.3),
    ("order_confirmed", "delivery_late"): (9.0 * 86400, 0.3),
    ("delivery_ok", "returns_portal"): (4.0 * 86400, 0.6),
    ("delivery_late", "returns_portal"): (3.0 * 86400, 0.6),
    ("returns_portal", "chat_post"): (5.0 * 86400, 0.5),
    ("returns_portal", "call_post"): (5.0 * 86400, 0.5),
    ("chat_post", "returns_portal"): (0.5 * 86400, 0.6),
    ("call_post", "returns_portal"): (0.5 * 86400, 0.6),
    ("call_post", "call_post"): (2.0 * 86400, 0.6),
    ("chat_post", "chat_post"): (1.0 * 86400, 0.6),
    ("chat_post", "call_post"): (1.0 * 86400, 0.6),
    ("faq_post", "chat_post"): (600.0, 0.8),
    ("faq_post", "call_post"): (1800.0, 0.8),
    ("faq_post", "returns_portal"): (900.0, 0.8),
}
for _src in ("delivery_ok", "delivery_late"):
    for _dst in ("chat_post", "call_post", "faq_post"):
        DELAYS.setdefault((_src, _dst), (1.0 * 86400, 0.7))


def delay_tables() -> tuple[np.ndarray, np.ndarray]:
    """Log-median and log-sd of the delay for every (from, to) state pair."""
    mu = np.full((N_STATES, N_STATES), np.log(DEFAULT_DELAY[0]))
    sd = np.full((N_STATES, N_STATES), DEFAULT_DELAY[1])
    for (a, b), (median, sigma) in DELAYS.items():
        mu[S[a], S[b]] = np.log(median)
        sd[S[a], S[b]] = sigma
    return mu, sd
