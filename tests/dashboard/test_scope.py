"""What a team lead and a region user see: results cut to their scope, aggregates over every customer marked as
company-wide with other teams' customers' words left out, and nothing of another region."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from empathica.schema import results as R
from tests.dashboard.conftest import PASSWORDS, log_in
from tests.dashboard.tables import page_tables


@pytest.fixture(scope="module")
def region(dashboard):
    """A viewer scoped to the region with the fewest customers (so that some customers are outside it)."""
    _, server = dashboard
    with server.reading() as store:
        customers, teams = store.to_pandas("customers"), store.to_pandas("teams")
    regions = customers.region.value_counts()
    name = str(regions.index[-1])
    assert len(regions) > 1, "the demo world needs customers in two regions"
    if "rhea" not in {u.username for u in server.ops.users()}:
        server.ops.add_user("rhea", "region-password-1", role="viewer", region=name)
        PASSWORDS["rhea"] = "region-password-1"
    return name, customers, teams


def test_a_team_lead_sees_aggregates_marked_company_wide_without_other_teams_quotes(dashboard):
    client, _ = dashboard
    log_in(client, "root")
    html = client.get("/ui/voice?lang=en").text
    admin = page_tables(html)
    assert 'data-scope="company"' not in html and any("Quotes" in h for h in admin.headers["pain_points"])
    log_in(client, "lead")
    html = client.get("/ui/voice?lang=en").text
    lead = page_tables(html)
    assert not any("Quotes" in h for h in lead.headers["pain_points"] + lead.headers["topics"])
    assert [r[:2] for r in lead.tables["pain_points"]] == [r[:2] for r in admin.tables["pain_points"]]
    panel = html.split('id="panel-pain_points"', 1)[1].split("</section>", 1)[0]
    assert 'data-scope="company"' in panel and "Left out for your scope" in panel
    exported = pd.read_csv(io.BytesIO(client.get("/ui/export/pain_points.csv").content))
    assert "quotes" not in exported.columns and len(exported) == len(lead.tables["pain_points"])
    journeys = client.get("/ui/journeys?lang=en").text  # the journey map and comparisons: every customer, said so
    assert journeys.split('id="panel-journey_map"', 1)[1].split("</section>", 1)[0].count('data-scope="company"') == 1


def test_a_region_user_sees_only_their_regions_agents_and_customers(dashboard, region):
    client, server = dashboard
    name, customers, teams = region
    log_in(client, "rhea")
    mine = set(customers[customers.region == name].customer_id)
    risk = page_tables(client.get("/ui/value?lang=en").text).tables["revenue_at_risk"]
    with server.reading() as store:
        stored = store.read_result(R.VALUE_REVENUE_AT_RISK)
    expected = stored[stored.customer_id.isin(mine)].sort_values("revenue_at_risk", ascending=False).head(20)
    assert [r[0] for r in risk] == expected.customer_id.tolist() and set(expected.customer_id) <= mine
    agents = page_tables(client.get("/ui/empathy?lang=en").text).tables["agents"]
    assert {r[2] for r in agents} <= set(teams[teams.region == name].team_id)  # the demo's teams are all 'global'
    assert len(mine) < len(customers) and len(risk) > 0
    outside = next(c for c in server.act.snapshot.index if c not in mine)
    assert client.get(f"/ui/customers/{outside}").status_code == 403
    log_in(client, "root")
    data = client.get("/ui/data").text
    assert 'data-panel="quarantine"' in data
    log_in(client, "rhea")
    assert 'data-panel="quarantine"' not in client.get("/ui/data").text  # raw rows of every region
