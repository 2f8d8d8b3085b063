"""The demo world's planted truths, declared in one place.

The simulator plants these effects in the data; ``generate_world`` writes them next to the files as
``ground_truth.json`` so tests (and a sceptical reader) can check that the analyses recover them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class PlantedTruths:
    """What the analyses must find in the demo world."""

    #: The pathway (source touchpoint, target touchpoint) with heavy friction: a payment failure in the
    #: web checkout forces a call to the call centre (channel switch web → phone), with long waits,
    #: negative comments and many journeys that end there without a purchase.
    friction_pathway: tuple[str, str] = ("web_checkout", "call_centre")
    #: The goal touchpoint of a purchase journey.
    goal_touchpoint: str = "order_confirmed"
    #: The touchpoint whose experience (its CSAT) drives NPS most.
    nps_driver_touchpoint: str = "delivery"
    #: The team whose low engagement lowers the satisfaction of the customers it serves.
    low_engagement_team: str = "team_returns"
    #: EX ↔ CX: an agent's lasting engagement (1–5 scale) rises by this much per unit of the empathy they show
    #: (their planted level, 0–1, centred on the agents' mean), so employees who are more engaged serve their
    #: customers with more empathy, and those customers rate higher and stay longer (sign +).
    engagement_per_agent_empathy: float = 1.6
    #: EX ↔ CX at site level: the serving teams' employees (contact centres and the returns desk) work from these
    #: sites (``employees.site``); agents are placed by the empathy they show plus noise (so the sites differ in the
    #: care their customers receive), the other staff at random, from a generator of their own. Every employee's
    #: lasting engagement rises by ``engagement_per_site_empathy`` per unit of their site's mean agent empathy
    #: (centred within each team, so team means stay as planted): the sites whose employees are more engaged
    #: serve their customers better (sign +). Other teams work from their team's region.
    serving_sites: tuple[str, ...] = ("Manchester", "Sheffield", "Shenzhen", "Dalian")
    engagement_per_site_empathy: float = 2.0
    #: Values over demographics: customers the CRM records as lost answer the values questions with these themes
    #: this many times more often (before renormalising), so segments of the values answers explain churn better
    #: (out of sample) than region, segment, language and age band do.
    values_and_churn: dict = field(default_factory=lambda: {"lost_lean_to": {"service": 4.0, "reliability": 2.5}})
    #: The agents planted as the most empathic; their customers churn less.
    empathic_agents: tuple[str, ...] = ("agent_03", "agent_07", "agent_12")
    #: The agents planted as the least empathic (transactional replies, jargon).
    unempathic_agents: tuple[str, ...] = ("agent_05", "agent_10")
    #: Leaving right after a complaint contact: a customer who contacts Lumen with a complaint (any topic
    #: but a product question) leaves after that contact with probability ``max · (1 − e)^exponent``,
    #: e the empathy shown in that contact (it varies around the handling agent's level; e = 0.08 → 0.34,
    #: 0.5 → 0.10, 0.92 → 0.003). They finish the journeys under way and start no other; the CRM records
    #: them as churned. So the empathy a customer received is positively related to retention (sign +).
    contact_leaving: dict = field(default_factory=lambda: {"max": 0.4, "exponent": 2.0})
    #: Leaving after an apology without resolution: an unresolved, transcribed contact about one of ``topics`` (the
    #: contact centres' complaints; refunds go to the returns desk, whose agents are kept out of it)
    #: is answered only by a stock apology (sorry, "your feedback has been noted", no step, time frame, owner or
    #: answer) with probability ``if_left`` when the customer leaves after it (contact_leaving) and ``if_stayed``
    #: otherwise. Drawn jointly, wording after leaving, from a random stream of its own so that no other draw of
    #: the world changes; the customers who got such an apology leave far more often than those who got
    #: warmth and a way forward (sign −).
    apology_leaving: dict = field(default_factory=lambda: {
        "topics": ["delivery_delay", "product_quality", "payment_failure", "app_usability"],
        "if_left": 0.8, "if_stayed": 0.1})
    #: Pain points planted as the most frequent complaints, most frequent first (aspect catalogue ids).
    top_pain_points: tuple[str, ...] = ("delivery_delay", "refund")
    #: True BG/NBD parameters of the purchase process and Gamma-Gamma parameters of spend.
    bgnbd: dict = field(default_factory=lambda: {"r": 0.9, "alpha": 40.0, "a": 0.8, "b": 2.5})
    gamma_gamma: dict = field(default_factory=lambda: {"p": 6.0, "q": 4.0, "gamma": 60.0})
    #: The second own brand (Lumen Express, the discount line) is reviewed worse: its reviews (this many per
    #: customer, on top of Lumen's, from a generator of their own) are positive less often on delivery, refunds,
    #: product quality, staff and the app (on price as often as Lumen's), so its rating index against the
    #: competitors is below Lumen's. Its English and Chinese reviews come from one generator of their own; its
    #: German ones (``de_per_customer``, the German share of ``per_customer``) from another, after all the others.
    second_brand_reviews: dict = field(default_factory=lambda: {
        "brand": "Lumen Express", "per_customer": 0.1, "languages": ("en", "zh"), "de_per_customer": 0.03,
        "positive_share": {"delivery_delay": 0.05, "refund": 0.05, "product_quality": 0.30, "staff_attitude": 0.30,
                           "app_usability": 0.40}})
    #: What customers value most, most-valued first: the two themes the values answers name most often (service:
    #: customers who contacted Lumen ask for it, ``values_misalignment``; reliability: VALUES_THEMES' largest
    #: share, lost customers leaning to it, customers failed by their courier asking for it).
    most_valued_themes: tuple[str, ...] = ("service", "reliability")
    #: Values misalignment: customers who contacted Lumen (a chat or a call) ask for ``theme`` in their values
    #: answers unless price is what they value, each with probability ``share_of_contacted`` (a generator of its own: no other draw moves). Service is where Lumen's CSAT is lowest
    #: (chat, call centre, returns portal), so the theme customers value most is the one the company performs worst
    #: on: the alignment gap (the most-valued theme's CSAT minus the other measured themes') is below zero, its
    #: interval excluding zero.
    values_misalignment: dict = field(default_factory=lambda: {"theme": "service", "share_of_contacted": 0.9})
    #: Competitor rated better than us on delivery and worse on price in reviews.
    competitor_better_on_delivery: str = "Voltera"

    def to_dict(self) -> dict:
        return asdict(self)


TRUTHS = PlantedTruths()
