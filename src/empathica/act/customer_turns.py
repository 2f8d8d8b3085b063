"""What the customer's turns in a conversation say — their emotion and pain points: one definition for the rules'
conversation signals and the card.

A conversation's emotion is the text analyzer's emotion (the same analyzer and labels as feedback comments, per
text's language) of the customer's latest turn that shows one — ``neutral`` only when every scored customer turn
is neutral, empty when none is scored. Its pain points are the aspects of all the customer's turns (JSON lists
side by side; a rule tests them with ``contains``, as feedback's). The scores per turn come from a run's ``text_scores`` or, for turns
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


_TYPES = {"turn_id": "string", "emotion": "string", "aspects": "string"}


def turn_emotions(store: Store, live: pd.DataFrame | None = None, *, stored: bool = True) -> ir.Table | None:
    """``turn_id, emotion, aspects`` of customers' turns: the run's scores, and ``live`` turns (texts scored on
    ingest with ``source``, ``source_id``, ``emotion``, ``aspects``) in place of the run's where both have one; None
    when neither has any. ``stored=False``: the live turns only (they cover every turn asked about)."""
    parts = []
    fresh = live[live["source"] == "turns"] if live is not None and len(live) else None
    if fresh is not None and len(fresh):
        aspects = fresh["aspects"] if "aspects" in fresh else pd.Series("[]", index=fresh.index)
        frame = pd.DataFrame({"turn_id": fresh["source_id"].astype(str), "emotion": fresh["emotion"].astype(str),
                              "aspects": aspects.fillna("[]").astype(str)})
        parts.append(ibis.memtable(frame.drop_duplicates("turn_id", keep="last")).cast(_TYPES))
    if stored and store.has_result(TEXT_SCORES):
        scores = store.result(TEXT_SCORES)
        scores = scores.filter(scores.source_table == "turns").select(
            turn_id="source_id", emotion="emotion", aspects=scores.aspects.cast("string"))
        if parts:
            scores = scores.filter(~scores.turn_id.isin(parts[0].turn_id))
        parts.append(scores.cast(_TYPES))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts[0].union(parts[1])


def conversation_emotions(store: Store, emotions: ir.Table | None, *,
                          conversations: list[str] | ir.Column | None = None) -> ir.Table | None:
    """``conversation_id, emotion``: the customer's emotion in each conversation (of ``conversations`` only: ids,
    or a column of them), from ``emotions`` (:func:`turn_emotions`); None when no turn is scored."""
    if emotions is None:
        return None
    scored = _scored_turns(store, emotions, conversations)
    shown = (scored.emotion != NEUTRAL).cast("int8")
    ranked = scored.mutate(_rank=ibis.row_number().over(group_by="conversation_id",
                                                        order_by=[ibis.desc(shown), ibis.desc(scored.turn_index)]))
    return ranked.filter(ranked._rank == 0).select("conversation_id", "emotion")


def conversation_pain_points(store: Store, emotions: ir.Table | None, *,
                             conversations: list[str] | ir.Column | None = None) -> ir.Table | None:
    """``conversation_id, pain_points``: the aspects of every customer turn of each conversation, in turn order."""
    if emotions is None:
        return None
    scored = _scored_turns(store, emotions, conversations)
    return scored.group_by("conversation_id").aggregate(
        pain_points=scored.aspects.group_concat(" ", order_by=scored.turn_index))


def _scored_turns(store: Store, emotions: ir.Table, conversations) -> ir.Table:
    turns = store.table("turns")
    turns = turns.filter(turns.speaker == "customer")
    if conversations is not None:
        turns = turns.filter(turns.conversation_id.isin(conversations))
    return turns.select("conversation_id", "turn_id", "turn_index").join(emotions, "turn_id")
