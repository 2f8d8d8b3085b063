"""Act: put insight where work happens (rules, alerts, cases, agent assist)."""
