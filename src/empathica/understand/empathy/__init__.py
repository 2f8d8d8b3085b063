"""The empathy agents show in conversations: scored on the EPITOME mechanisms, explained by evidence
spans, checked for jargon, and tied to customers' outcomes.

>>> from empathica.understand.empathy import score_responses                      # doctest: +SKIP
>>> score_responses(["I'm so sorry. How are you holding up?"])["empathy"]          # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from empathica.understand.empathy.conversations import (
    ConversationAnalysis,
    agent_table,
    analyze_conversations,
    read_transcript,
    validate_transcript,
)
from empathica.understand.empathy.cues import guess_language
from empathica.understand.empathy.distress import customer_distress
from empathica.understand.empathy.jargon import find_jargon
from empathica.understand.empathy.model import MECHANISMS, EmpathyModel
from empathica.understand.empathy.outcomes import (
    Relationship,
    coaching_pairs,
    monthly_scorecard,
    relationship,
    relationship_by_group,
)
from empathica.understand.empathy.resolution import score_resolution, service_quality


def score_responses(responses: Sequence[str], contexts: Sequence[str] | None = None, *,
                    model: EmpathyModel | None = None, text_analyzer=None) -> pd.DataFrame:
    """Score replies (with the customer/seeker turn each answers, when given) on the three mechanisms.

    Returns the model's columns, resolution (``resolution_level``, ``resolution``, ``resolution_kinds``,
    ``resolution_evidence``) and ``service_quality``, plus, with ``contexts``, ``context_distress`` of each context turn
    (its sentiment from ``text_analyzer``, default the shipped one).
    """
    model = model or EmpathyModel.default()
    frame = model.score(list(responses))
    resolution = score_resolution(list(responses), frame["language"].tolist())
    frame = pd.concat([frame, resolution], axis=1)
    frame["service_quality"] = service_quality(frame["empathy"], frame["resolution"])
    if contexts is not None:
        ctx = ["" if not isinstance(c, str) else c for c in contexts]
        frame["context_distress"] = customer_distress(ctx, [guess_language(c) for c in ctx], text_analyzer=text_analyzer)["distress"].to_numpy()
    return frame


__all__ = [
    "MECHANISMS",
    "ConversationAnalysis",
    "EmpathyModel",
    "Relationship",
    "agent_table",
    "analyze_conversations",
    "coaching_pairs",
    "customer_distress",
    "find_jargon",
    "guess_language",
    "monthly_scorecard",
    "read_transcript",
    "relationship",
    "relationship_by_group",
    "score_resolution",
    "score_responses",
    "validate_transcript",
]
