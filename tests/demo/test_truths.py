"""The planted truths are present in the raw generated data, computed directly from the files."""

from __future__ import annotations

import numpy as np
import pandas as pd

from empathica.demo import TRUTHS

JOURNEY_TOUCHPOINTS = ("web_product", "app_product", "web_checkout", "app_checkout", "web_home", "app_home")


def _transitions(events: pd.DataFrame) -> pd.DataFrame:
    """One row per (journey, from, to) with the delay, and whether the journey dropped off there."""
    ev = events.sort_values(["journey_id", "timestamp", "event_id"])
    nxt = ev.groupby("journey_id").shift(-1)
    pairs = pd.DataFrame({
        "journey_id": ev["journey_id"],
        "src": ev["touchpoint_id"],
        "dst": nxt["touchpoint_id"],
        "delay_s": (nxt["timestamp"] - ev["timestamp"]).dt.total_seconds(),
    }).dropna(subset=["dst"])
    converted = ev.groupby("journey_id")["touchpoint_id"].agg(lambda t: TRUTHS.goal_touchpoint in set(t))
    last = ev.groupby("journey_id")["touchpoint_id"].last()
    pairs = pairs.drop_duplicates(["journey_id", "src", "dst"])
    pairs["dropped"] = ~converted.loc[pairs["journey_id"]].to_numpy() & (last.loc[pairs["journey_id"]].to_numpy() == pairs["dst"].to_numpy())
    return pairs


def test_friction_pathway_has_the_highest_drop_off_and_long_delays(tables):
    pairs = _transitions(tables["events"])
    stats = pairs.groupby(["src", "dst"]).agg(journeys=("journey_id", "size"), drop_off=("dropped", "mean"), delay=("delay_s", "median"))
    stats = stats[stats["journeys"] >= 50].sort_values("drop_off", ascending=False)
    src, dst = TRUTHS.friction_pathway
    assert stats.index[0] == (src, dst)
    assert stats["drop_off"].iloc[0] > stats["drop_off"].iloc[1] + 0.1
    # hours on the pathway against minutes on the other steps of a purchase
    friction_delay = stats.loc[(src, dst), "delay"]
    others = stats[stats.index.get_level_values("src").isin(JOURNEY_TOUCHPOINTS) & (stats.index != (src, dst))]
    assert friction_delay > 3600
    assert friction_delay > 20 * others["delay"].max()


def test_friction_pathway_switches_channel_repeats_contacts_and_draws_complaints(tables):
    events = tables["events"]
    pairs = _transitions(events)
    src, dst = TRUTHS.friction_pathway
    channel = dict(zip(tables["touchpoints"]["touchpoint_id"], tables["touchpoints"]["channel"]))
    assert (channel[src], channel[dst]) == ("web", "phone")
    friction_journeys = set(pairs.loc[(pairs["src"] == src) & (pairs["dst"] == dst), "journey_id"])
    repeat = pairs[(pairs["src"] == dst) & (pairs["dst"] == dst)]
    assert repeat["journey_id"].isin(friction_journeys).mean() > 0.6
    fb = tables["feedback"]
    calls = fb[fb["touchpoint_id"] == dst]
    in_friction = calls["journey_id"].isin(friction_journeys)
    assert calls.loc[in_friction, "csat"].mean() < calls.loc[~in_friction, "csat"].mean() - 0.5
    checkout = fb[(fb["touchpoint_id"] == src) & fb["journey_id"].isin(friction_journeys)]
    assert checkout["csat"].mean() < fb.loc[fb["touchpoint_id"] == src, "csat"].mean() - 0.5
    assert checkout["ces"].mean() > fb["ces"].mean() + 1


def test_delivery_csat_has_the_largest_standardised_effect_on_nps(tables):
    fb = tables["feedback"]
    csat = fb[fb["csat"].notna()].pivot_table(index="customer_id", columns="touchpoint_id", values="csat", aggfunc="mean")
    nps = fb[fb["nps"].notna()].set_index("customer_id")["nps"]
    data = csat.join(nps, how="inner")
    data = data[data[TRUTHS.nps_driver_touchpoint].notna()]
    drivers = [c for c in csat.columns if data[c].notna().sum() >= 80]
    # touchpoint CSATs share the customer's generosity, so delivery CSAT correlates with the others
    others = data[[c for c in csat.columns if c != TRUTHS.nps_driver_touchpoint]].mean(axis=1)
    assert data[TRUTHS.nps_driver_touchpoint].corr(others) > 0.1
    X = data[drivers].fillna(data[drivers].mean())
    X = (X - X.mean()) / X.std()
    y = (data["nps"] - data["nps"].mean()) / data["nps"].std()
    coef, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(X)), X.to_numpy()]), y.to_numpy(), rcond=None)
    effects = pd.Series(coef[1:], index=drivers).sort_values(ascending=False)
    assert effects.index[0] == TRUTHS.nps_driver_touchpoint
    assert effects.iloc[0] > 2 * effects.iloc[1]


def test_returns_team_has_the_lowest_engagement_and_its_touchpoint_low_csat(tables):
    surveys = tables["employee_surveys"]
    by_team = surveys.groupby("team_id")[["engagement", "enps"]].mean()
    assert by_team["engagement"].idxmin() == TRUTHS.low_engagement_team
    assert by_team["enps"].idxmin() == TRUTHS.low_engagement_team
    assert by_team["engagement"].drop(TRUTHS.low_engagement_team).min() - by_team.loc[TRUTHS.low_engagement_team, "engagement"] > 0.5
    owner = tables["touchpoints"].set_index("touchpoint_id")["owner_team_id"]
    assert owner["returns_portal"] == TRUTHS.low_engagement_team
    fb = tables["feedback"]
    csat = fb[fb["csat"].notna()].groupby("touchpoint_id")["csat"].mean()
    assert csat.idxmin() == "returns_portal"


def _customers_by_agent_group(tables) -> pd.Series:
    turns = tables["turns"].dropna(subset=["agent_id"])
    served = turns.merge(tables["conversations"][["conversation_id", "customer_id"]], on="conversation_id")
    agents = served.groupby("customer_id")["agent_id"].agg(set)
    emp, unemp = set(TRUTHS.empathic_agents), set(TRUTHS.unempathic_agents)
    return agents.map(lambda a: "empathic" if a & emp and not a & unemp else "unempathic" if a & unemp and not a & emp else "other")


def test_customers_of_empathic_agents_churn_less_and_are_more_satisfied(tables):
    group = _customers_by_agent_group(tables)
    customers = tables["customers"].set_index("customer_id")
    churned = customers["churned_at"].notna()
    rate = churned.loc[group.index].groupby(group).mean()
    counts = group.value_counts()
    assert counts["empathic"] >= 100 and counts["unempathic"] >= 60
    assert rate["empathic"] < rate["unempathic"] - 0.08
    fb = tables["feedback"]
    contact = fb[fb["touchpoint_id"].isin(["chat", "call_centre"]) & fb["customer_id"].isin(group.index)]
    csat = contact.groupby(contact["customer_id"].map(group))["csat"].mean()
    assert csat["empathic"] > csat["unempathic"] + 0.5


def test_agent_wording_reflects_empathy(tables):
    from empathica.demo.texts import BANKS

    reactions = [f for bank in BANKS.values() for f in bank.CONVERSATION["agent_emotion"]]
    explorations = [f for bank in BANKS.values() for f in bank.CONVERSATION["agent_explore"]]
    turns = tables["turns"].dropna(subset=["agent_id"])
    emotional = turns["text"].map(lambda t: any(f in t for f in reactions))
    exploring = turns["text"].map(lambda t: any(f in t for f in explorations))
    jargon_fragments = [f for bank in BANKS.values() for topic in bank.CONVERSATION["agent_jargon"].values() for f in topic]
    jargon = turns["text"].map(lambda t: any(f in t for f in jargon_fragments))
    per_conversation = pd.DataFrame({
        "conversation": turns["conversation_id"], "agent": turns["agent_id"],
        "emotional": emotional, "exploring": exploring, "jargon": jargon,
    }).groupby(["conversation", "agent"]).any()
    by_agent = per_conversation.groupby("agent").mean()
    empathic, unempathic = list(TRUTHS.empathic_agents), list(TRUTHS.unempathic_agents)
    assert by_agent.loc[empathic, "emotional"].min() > by_agent.loc[unempathic, "emotional"].max() + 0.3
    assert by_agent.loc[empathic, "exploring"].min() > by_agent.loc[unempathic, "exploring"].max() + 0.1
    assert by_agent.loc[unempathic, "jargon"].min() > by_agent.loc[empathic, "jargon"].max() + 0.3


def test_delivery_delay_is_the_most_frequent_pain_point_then_refund(labels, tables):
    own = labels[(labels["table_name"] != "reviews") | (labels["brand"] == "Lumen")]
    counts = own[own["polarity"] == "negative"]["aspect"].value_counts()
    assert list(counts.index[:2]) == list(TRUTHS.top_pain_points)
    assert counts.iloc[0] > 1.4 * counts.iloc[1]
    assert counts.iloc[1] > 1.1 * counts.iloc[2]


def test_labelled_texts_mention_their_aspect_and_sentiment_agrees_with_scores(labels, tables):
    from empathica.demo.texts import BANKS

    texts = pd.concat([
        tables["feedback"][["response_id", "comment"]].set_axis(["row_id", "text"], axis=1),
        tables["reviews"][["review_id", "text"]].set_axis(["row_id", "text"], axis=1),
        tables["turns"][["turn_id", "text"]].set_axis(["row_id", "text"], axis=1),
    ]).set_index("row_id")["text"]
    labelled = labels.assign(text=texts.loc[labels["row_id"]].to_numpy())
    hits = [
        any(k.lower() in text.lower() for k in BANKS[lang].KEYWORDS[aspect])
        for text, lang, aspect in zip(labelled["text"], labelled["language"], labelled["aspect"])
    ]
    assert np.mean(hits) > 0.97
    fb = tables["feedback"].set_index("response_id")
    fb_labels = labelled[labelled["table_name"] == "feedback"].set_index("row_id")
    csat = fb.loc[fb_labels.index, "csat"].groupby(fb_labels["polarity"]).mean()
    nps = fb.loc[fb_labels.index, "nps"].groupby(fb_labels["polarity"]).mean()
    assert csat["positive"] > csat["negative"] + 1.5
    assert nps["positive"] > nps["negative"] + 2
    rv = tables["reviews"].set_index("review_id")
    rv_labels = labelled[labelled["table_name"] == "reviews"].set_index("row_id")
    rating = rv.loc[rv_labels.index, "rating"].groupby(rv_labels["polarity"]).mean()
    assert rating["positive"] > rating["negative"] + 2


def test_competitor_reviews_voltera_better_on_delivery_worse_on_price(labels, tables):
    reviews = tables["reviews"].merge(labels[labels["table_name"] == "reviews"][["row_id", "aspect"]], left_on="review_id", right_on="row_id")
    second = TRUTHS.second_brand_reviews["brand"]  # the second own brand's reviews (diagnose's competitor index per brand)
    assert set(reviews["brand"]) == {"Lumen", second, "Voltera", "Nordhaus"}
    assert reviews.loc[~reviews["is_own"], "brand"].isin(["Voltera", "Nordhaus"]).all()
    assert reviews.loc[reviews["is_own"], "brand"].isin(["Lumen", second]).all()
    positive = reviews.assign(positive=reviews["rating"] >= 4).groupby(["aspect", "brand"])["positive"].mean()
    for aspect in ("delivery_delay", "refund"):  # the discount line is reviewed worse where it was planted so
        assert positive[(aspect, second)] < positive[(aspect, "Lumen")] - 0.1
    mean = reviews.groupby(["aspect", "brand"])["rating"].mean()
    rival = TRUTHS.competitor_better_on_delivery
    assert mean[("delivery_delay", rival)] > mean[("delivery_delay", "Lumen")] + 0.7
    assert mean[("price", rival)] < mean[("price", "Lumen")] - 0.7


def test_transactions_follow_the_true_spend_process(tables):
    tx = tables["transactions"]
    refunds = tx[tx["transaction_id"].str.startswith("rf_")]
    purchases = tx[tx["transaction_id"].str.startswith("tx_")]
    assert (purchases["amount"] > 0).all() and (refunds["amount"] < 0).all()
    assert len(refunds) > 0.03 * len(purchases)
    # every refund is the negation of a purchase from the same journey, after it
    matched = refunds.assign(journey=refunds["transaction_id"].str[3:]).merge(
        purchases.assign(journey=purchases["transaction_id"].str[3:]), on="journey", suffixes=("", "_p"))
    assert len(matched) == len(refunds)
    assert np.allclose(matched["amount"], -matched["amount_p"]) and (matched["timestamp"] > matched["timestamp_p"]).all()
    gg = TRUTHS.gamma_gamma
    expected_mean = gg["p"] * gg["gamma"] / (gg["q"] - 1)
    assert abs(purchases["amount"].mean() / expected_mean - 1) < 0.2
    # one purchase per confirmed order, at the same moment
    orders = tables["events"][tables["events"]["touchpoint_id"] == TRUTHS.goal_touchpoint]
    assert len(orders) == len(purchases)
    assert set(orders["timestamp"].dt.floor("s")) == set(purchases["timestamp"].dt.floor("s"))
    # churned customers stop buying
    churned = tables["customers"].dropna(subset=["churned_at"]).set_index("customer_id")["churned_at"]
    late = purchases[purchases["customer_id"].isin(churned.index)]
    assert (late["timestamp"].to_numpy() < churned.loc[late["customer_id"]].to_numpy()).all()


def test_churn_is_tied_to_friction_and_detractor_nps(tables):
    pairs = _transitions(tables["events"])
    src, dst = TRUTHS.friction_pathway
    exposed = set(pairs.loc[(pairs["src"] == src) & (pairs["dst"] == dst), "journey_id"].str.split("-").str[0])
    customers = tables["customers"].set_index("customer_id")
    churned = customers["churned_at"].notna()
    buyers = tables["transactions"].groupby("customer_id").size()
    repeat = buyers[buyers >= 2].index  # churn (a dropout) can only follow a repeat purchase
    is_exposed = pd.Series(repeat.isin(list(exposed)), index=repeat)
    assert churned.loc[repeat][is_exposed].mean() > churned.loc[repeat][~is_exposed].mean() + 0.05
    nps = tables["feedback"].dropna(subset=["nps"]).set_index("customer_id")["nps"]
    nps = nps[nps.index.isin(repeat)]
    assert churned.loc[nps.index][nps <= 6].mean() > churned.loc[nps.index][nps >= 9].mean() + 0.05


def test_customers_leave_after_a_contact_handled_without_empathy(world, tables):
    """truths.contact_leaving: the agent who handled a customer's last contact tells whether they stay."""
    import json

    conv = tables["conversations"].copy()
    conv["agent_id"] = conv["attributes"].map(lambda a: (json.loads(a) if isinstance(a, str) else a)["agent_id"])
    last = conv.sort_values(["started_at", "conversation_id"]).groupby("customer_id")["agent_id"].last()
    emp, unemp = set(TRUTHS.empathic_agents), set(TRUTHS.unempathic_agents)
    group = last.map(lambda a: "empathic" if a in emp else "unempathic" if a in unemp else "other")
    churned = tables["customers"].set_index("customer_id")["churned_at"].notna()
    rate = churned.loc[last.index].groupby(group).mean()
    assert rate["unempathic"] > rate["empathic"] + 0.15
    # a sizeable share of customers left right after a contact, and every churn is recorded after the
    # customer's last contact
    realised = world.truths["realised"]
    assert 0.03 * realised["rows"]["customers"] < realised["left_after_contact"] < 0.2 * realised["rows"]["customers"]
    lost = tables["customers"].dropna(subset=["churned_at"]).set_index("customer_id")["churned_at"]
    last_contact = pd.to_datetime(conv.groupby("customer_id")["started_at"].max(), utc=True, format="ISO8601")
    both = last_contact.index.intersection(lost.index)
    assert (lost.loc[both] > last_contact.loc[both]).all()
