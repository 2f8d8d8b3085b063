"""The customer's emotion in a conversation: one definition for the rules' conversation signals and the card.

A conversation's emotion is the text analyzer's emotion (the same analyzer and labels as feedback comments, per
text's language) of the customer's latest turn that shows one — ``neutral`` only when every scored customer turn
is neutral, empty when none is scored. The emotions per turn come from a run's ``text_scores`` or, for turns
that arrived since, from the texts scored on ingest (:mod:`empathica.act.live`).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from empathica.schema.results import TEXT_SCORES
from empathica.store import Store

#: The emotion label that means "no emotion shown" (the text analyzer's).
NEUTRAL = "neutral"


def turn_emotions(store: Store, live: pd.DataFrame | None = None) -> ir.Table | None:
    """``turn_id, emotion`` of customers' turns: the run's scores, and ``live`` turns (texts scored on ingest with
    ``source``, ``source_id``, ``emotion``) in place of the run's where both have one; None when neither has any."""
    parts = []
    fresh = live[live["source"] == "turns"] if live is not None and len(live) else None
    if fresh is not None and len(fresh):
        frame = pd.DataFrame({"turn_id": fresh["source_id"].astype(str), "emotion": fresh["emotion"].astype(str)})
        parts.append(ibis.memtable(frame.drop_duplicates("turn_id", keep="last")).cast(
            {"turn_id": "string", "emotion": "string"}))
    if store.has_result(TEXT_SCORES):
        scores = store.result(TEXT_SCORES)
        scores = scores.filter(scores.source_table == "turns").select(turn_id="source_id", emotion="emotion")
        if parts:
            scores = scores.filter(~scores.turn_id.isin(parts[0].turn_id))
        parts.append(scores.cast({"turn_id": "string", "emotion": "string"}))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts[0].union(parts[1])


def conversation_emotions(store: Store, emotions: ir.Table | None, *,
                          conversations: list[str] | ir.Column | None = None) -> ir.Table | None:
    """``conversation_id, emotion``: the customer's emotion in each conversation (of ``conversations`` only: ids,
    or a column of them), from ``emotions`` (:func:`turn_emotions`); None when no turn is scored."""
    if emotions is None:
        return None
    turns = store.table("turns")
    turns = turns.filter(turns.speaker == "customer")
    if conversations is not None:
        turns = turns.filter(turns.conversation_id.isin(conversations))
    scored = turns.select("conversation_id", "turn_id", "turn_index").join(emotions, "turn_id")
    shown = (scored.emotion != NEUTRAL).cast("int8")
    ranked = scored.mutate(_rank=ibis.row_number().over(group_by="conversation_id",
                                                        order_by=[ibis.desc(shown), ibis.desc(scored.turn_index)]))
    return ranked.filter(ranked._rank == 0).select("conversation_id", "emotion")
