"""Whether an agent's reply moves toward solving the customer's problem, beside its empathy.

A reply's *resolution* comes from the kinds of resolution cue it holds (``resolution_cues.toml``, zh/de/en):
a solution done, a concrete next step, a time frame, an owner, an answer. Level 0 none; 1 one kind (a step
or an answer on its own); 2 two kinds or more (a step with a time frame or an owner, a solution with when
it lands). ``resolution = 1 − exp(−0.7 · kinds)`` in [0, 1]; the evidence is the sentences holding a cue.

``service_quality = (empathy + resolution) / 2``: a warm stock apology that solves nothing and a cold
fix both land in the middle; warmth *and* a way forward score high.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from empathica.understand.empathy.cue_files import kinds_in, load_cue_file
from empathica.understand.empathy.cues import sentence_spans

#: The shipped cue file: kind → language → regular expressions.
RESOLUTION_CUE_FILE = Path(__file__).with_name("resolution_cues.toml")

#: Columns :func:`score_resolution` adds to a scored reply.
RESOLUTION_COLUMNS = ("resolution_level", "resolution", "resolution_kinds", "resolution_evidence", "service_quality")


def score_resolution(texts: Sequence[str], languages: Sequence[str], *, cue_file: Path = RESOLUTION_CUE_FILE) -> pd.DataFrame:
    """Per reply: ``resolution_level`` (0/1/2), ``resolution`` (0..1), ``resolution_kinds`` and
    ``resolution_evidence`` (the sentences holding a resolution cue)."""
    cues = load_cue_file(Path(cue_file))
    levels, scores, kinds, evidence = [], [], [], []
    for text, lang in zip(texts, languages):
        text = text if isinstance(text, str) else ""
        found = kinds_in(text, lang, cues)
        sentences = [text[a:b] for a, b in sentence_spans(text)]
        evidence.append([s for s in sentences if kinds_in(s, lang, cues)] if found else [])
        kinds.append(found)
        levels.append(min(len(found), 2))
        scores.append(round(float(1.0 - np.exp(-0.7 * len(found))), 4))
    return pd.DataFrame({"resolution_level": levels, "resolution": scores, "resolution_kinds": kinds,
                         "resolution_evidence": evidence})


def service_quality(empathy: np.ndarray, resolution: np.ndarray) -> np.ndarray:
    """The service-quality score of a reply: the mean of its empathy and its resolution."""
    return np.round((np.asarray(empathy, float) + np.asarray(resolution, float)) / 2, 4)
