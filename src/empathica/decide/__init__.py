"""Decide: one ranking of what to fix first, monetised with intervals, each with an owner and evidence.

``customer_levers`` builds the per-customer table from stored results, ``ChurnResponse`` learns how
churn responds to the levers, ``rank_opportunities`` values every candidate with it, and
``value_scenarios`` values the built-in and user-defined scenarios (``parse_scenarios``) the same way.
"""

from empathica.decide.levers import customer_levers, lever_columns
from empathica.decide.opportunities import Names, rank_opportunities
from empathica.decide.response import MIN_AUC, ChurnResponse, Valuation
from empathica.decide.scenarios import ScenarioSpec, parse_scenarios, value_scenarios

__all__ = ["MIN_AUC", "ChurnResponse", "Names", "ScenarioSpec", "Valuation", "customer_levers", "lever_columns",
           "parse_scenarios", "rank_opportunities", "value_scenarios"]
