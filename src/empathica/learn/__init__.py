"""Learn: record actions, measure whether they worked, analyse experiments, benchmark competitors.

>>> from empathica.learn import required_sample_size
>>> required_sample_size(mde=0.02, baseline_rate=0.2)
6280
"""

from empathica.learn.actions import Action, actions_from_cases, load_actions, record_action
from empathica.learn.benchmark import competitor_benchmark, review_mentions
from empathica.learn.effects import EffectEstimate, action_effect, action_effect_table
from empathica.learn.experiments import (
    ExperimentResult,
    analyze_experiment,
    confidence_sequence,
    required_sample_size,
    sample_ratio_p,
)
from empathica.learn.timeline import kpi_timeline

__all__ = [
    "Action",
    "EffectEstimate",
    "ExperimentResult",
    "action_effect",
    "action_effect_table",
    "actions_from_cases",
    "analyze_experiment",
    "competitor_benchmark",
    "confidence_sequence",
    "kpi_timeline",
    "load_actions",
    "record_action",
    "required_sample_size",
    "review_mentions",
    "sample_ratio_p",
]
