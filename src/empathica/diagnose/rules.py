"""The scorecard's scoring rules: which metrics make each CX dimension, their direction, anchors and weights.

The rules are data (``scorecard_rules.toml`` in this package; setting ``diagnose_rules`` names a user's own
file). Each metric's value is placed between its anchors (``worst`` → 0, ``best`` → 100, clipped), and a
dimension's score is the weighted mean of its metrics' scores.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from empathica.errors import InputError

#: The five CX dimensions, in the order a report shows them.
DIMENSIONS = ("touchpoints", "pathways", "delivery", "ecosystem", "empathy")
#: Where a metric is measured: per customer (bootstrapped, scored per group) or once for the company.
LEVELS = ("customer", "company")


@dataclass(frozen=True)
class MetricRule:
    """One metric of a dimension: its name, level, anchors and weight."""

    dimension: str
    metric: str
    level: str
    worst: float
    best: float
    weight: float

    def score(self, value):
        """``value`` (a number or an array) on the 0–100 scale between the anchors."""
        import numpy as np

        return 100.0 * np.clip((np.asarray(value, dtype=float) - self.worst) / (self.best - self.worst), 0.0, 1.0)


def load_rules(path: str | Path | None = None, *, known_metrics: set[str] | None = None) -> list[MetricRule]:
    """The rules of ``path`` (the shipped file when empty); one clear error naming file, dimension and field."""
    data, name = read_data_file(path, "scorecard_rules.toml", setting="diagnose_rules")
    dimensions = data.get("dimensions")
    if not isinstance(dimensions, dict):
        raise InputError(f"{name}: no [dimensions.<name>] tables; the dimensions are {', '.join(DIMENSIONS)}.")
    rules = []
    for dimension, body in dimensions.items():
        if dimension not in DIMENSIONS:
            raise InputError(f"{name}: dimension {dimension!r} is not one of {', '.join(DIMENSIONS)}.")
        for i, entry in enumerate(body.get("metrics", []), start=1):
            rules.append(_metric_rule(name, dimension, i, entry, known_metrics))
    return rules


def read_data_file(path: str | Path | None, shipped: str, *, setting: str) -> tuple[dict, str]:
    """(parsed TOML, name for errors) of ``path``, or of the file ``shipped`` in this package when empty."""
    if path:
        source = Path(path)
        if not source.is_file():
            raise InputError(f"{source} does not exist (setting {setting}); copy src/empathica/diagnose/{shipped} and edit it.")
        text, name = source.read_text(encoding="utf-8"), str(source)
    else:
        text, name = resources.files("empathica.diagnose").joinpath(shipped).read_text(encoding="utf-8"), shipped
    try:
        return tomllib.loads(text), name
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{name}: not valid TOML ({exc}); fix the line named.") from exc


def _metric_rule(name: str, dimension: str, i: int, entry: dict, known: set[str] | None) -> MetricRule:
    where = f"{name}: dimensions.{dimension}, metric {i}"
    missing = [k for k in ("metric", "level", "worst", "best", "weight") if k not in entry]
    if missing:
        raise InputError(f"{where}: field(s) {', '.join(missing)} missing; each metric needs metric, level, worst, best, weight.")
    if known is not None and entry["metric"] not in known:
        raise InputError(f"{where}: metric {entry['metric']!r} is unknown; use one of {', '.join(sorted(known))}.")
    if entry["level"] not in LEVELS:
        raise InputError(f"{where}: level {entry['level']!r} must be one of {', '.join(LEVELS)}.")
    try:
        worst, best, weight = float(entry["worst"]), float(entry["best"]), float(entry["weight"])
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: worst, best and weight must be numbers.") from exc
    if worst == best or weight <= 0:
        raise InputError(f"{where}: worst and best must differ and weight must be above 0.")
    return MetricRule(dimension, str(entry["metric"]), str(entry["level"]), worst, best, weight)
