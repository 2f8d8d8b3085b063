"""Diagnose: the five CX dimensions, the maturity stage, EX ↔ CX and values-based segments (docs/diagnose.md).

A presentation-independent analysis layer at the level of decide and learn: it reads the store and earlier
results and returns frames; the flywheel step ``diagnose`` stores them and the report renders them.
"""

from empathica.diagnose.exlink import ExCxLink, group_table
from empathica.diagnose.maturity import Questionnaire, assess, load_questionnaire, read_answers
from empathica.diagnose.rules import DIMENSIONS, MetricRule, load_rules
from empathica.diagnose.scorecard import Scorecard

__all__ = ["DIMENSIONS", "ExCxLink", "MetricRule", "Questionnaire", "Scorecard", "assess", "group_table",
           "load_questionnaire", "load_rules", "read_answers"]
