"""Boilerplate: replies sent verbatim or near-verbatim in many conversations by several agents.

A reply is normalised (case, digits, URLs, @handles, a greeting with a name, a sign-off, punctuation and
spacing removed), and a normalised reply used in at least ``min_conversations`` conversations by at least
``min_agents`` agents of the analysed data (or by one agent or shared account in
``MIN_TEMPLATE_CONVERSATIONS_ONE_AGENT``) is a *template*. A template's emotional reaction counts at most
as weak (level 1); its
interpretation and exploration count only when it refers to what the customer said (shares a content
word — a Chinese character pair — with the customer's turn), and its empathy is then at most the
expected-level score of the capped mechanisms, (ER + IP + EX) / 6. So "We are sorry for the
inconvenience" pasted into a hundred chats is not empathy, however warm it reads once.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: A normalised reply in at least this many conversations (and by ``MIN_TEMPLATE_AGENTS`` agents) is a template.
MIN_TEMPLATE_CONVERSATIONS = 5
MIN_TEMPLATE_AGENTS = 2
#: ... or sent by one agent (or one shared account) in at least this many conversations.
MIN_TEMPLATE_CONVERSATIONS_ONE_AGENT = 10

_SIGNATURE = re.compile(r"\s*(?:[\^~]|[-–—]\s?)\s*[A-Za-z]{1,3}\s*$")
_GREETING = re.compile(r"^\s*(hi|hello|hey|dear|hallo|liebe[rs]?|guten tag)\b[\s,]+[^\W\d_]+\s*[,!:]\s*", re.I)
_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"[@#]\w+")
_DIGITS = re.compile(r"\d+")
_NON_WORD = re.compile(r"[\W_]+")
_CONTENT_WORD = re.compile(r"[^\W\d_]{4,}")
_CJK_PAIR = re.compile(r"(?=([\u3400-\u9fff]{2}))")
#: Words (en/de) and characters (zh) too common to show that a reply refers to the customer's message.
_STOP = frozenset("""that this with have your what when will would there their about from they them been were
just like know sorry please thank thanks help here hear very really could should also only then than some into
over more much want need does dass nicht eine einer einen haben bitte danke sehr auch noch aber oder wenn dann
ihre ihnen ihr sind wird werden kann können""".split())
_ZH_STOP = set("您你我们的了是在有和就不也都很这那个吗呢吧啊请谢感到给为对与")


def normalise(text: str) -> str:
    """The text a template check compares: lower case, no greeting with a name ("Hi Lipi,"), no agent
    sign-off ("^JS", "-AB"), URLs, handles, digits, punctuation or spacing."""
    text = _URL.sub(" ", _HANDLE.sub(" ", _SIGNATURE.sub("", text)))
    text = _GREETING.sub("", text.strip()).lower()
    text = _DIGITS.sub("0", text)
    return _NON_WORD.sub(" ", text).strip()


def template_spread(replies: pd.DataFrame) -> pd.DataFrame:
    """Per normalised reply and agent (columns ``text``, ``conversation_id``, ``agent_id``): in how many
    conversations that agent sent it. Spreads of disjoint sets of conversations can be concatenated."""
    frame = pd.DataFrame({"key": replies["text"].fillna("").map(normalise), "conversation_id": replies["conversation_id"],
                          "agent_id": replies["agent_id"]})
    frame = frame[frame["key"].str.len() > 0]
    return frame.groupby(["key", "agent_id"]).agg(conversations=("conversation_id", "nunique")).reset_index()


def template_keys(spread: pd.DataFrame, *, min_conversations: int = MIN_TEMPLATE_CONVERSATIONS,
                  min_agents: int = MIN_TEMPLATE_AGENTS) -> set[str]:
    """The normalised replies that are templates, from one or more concatenated :func:`template_spread` frames."""
    per_key = spread.groupby("key").agg(conversations=("conversations", "sum"), agents=("agent_id", "nunique"))
    shared = (per_key["conversations"] >= min_conversations) & (per_key["agents"] >= min_agents)
    return set(per_key.index[shared | (per_key["conversations"] >= MIN_TEMPLATE_CONVERSATIONS_ONE_AGENT)])


def template_flags(replies: pd.DataFrame, *, keys: set[str] | None = None) -> np.ndarray:
    """Whether each reply (columns ``text``, ``conversation_id``, ``agent_id``) is a template: its normalised
    text is in ``keys`` (default: the templates of ``replies`` themselves)."""
    keys = template_keys(template_spread(replies)) if keys is None else keys
    return replies["text"].fillna("").map(normalise).isin(keys).to_numpy()


def refers_to_customer(reply: str, customer: str) -> bool:
    """Whether ``reply`` shares a content word (or, in Chinese, a character pair) with the customer's turn."""
    if not reply or not customer:
        return False
    words = {w for w in _CONTENT_WORD.findall(reply.lower()) if w not in _STOP}
    if words & {w for w in _CONTENT_WORD.findall(customer.lower())}:
        return True
    pairs = {p for p in _CJK_PAIR.findall(reply) if not set(p) & _ZH_STOP}
    return bool(pairs & set(_CJK_PAIR.findall(customer)))


def cap_templates(scored: pd.DataFrame, is_template: np.ndarray, contexts: pd.Series) -> pd.DataFrame:
    """Apply the template rule to scored replies (mechanism levels and ``empathy``); adds ``template``."""
    out = scored.copy()
    out["template"] = is_template
    if not is_template.any():
        return out
    idx = np.flatnonzero(is_template)
    specific = np.array([refers_to_customer(t, c) for t, c in zip(out["text"].to_numpy()[idx], contexts.to_numpy()[idx])])
    rows = out.index[idx]
    out.loc[rows, "emotional_reactions"] = np.minimum(out.loc[rows, "emotional_reactions"].to_numpy(), 1)
    for mech in ("interpretations", "explorations"):
        out.loc[rows, mech] = np.where(specific, out.loc[rows, mech].to_numpy(), 0)
        out.loc[rows[~specific], f"{mech}_evidence"] = pd.Series([[] for _ in range(int((~specific).sum()))],
                                                                  index=rows[~specific], dtype=object)
    levels = out.loc[rows, ["emotional_reactions", "interpretations", "explorations"]].sum(axis=1).to_numpy()
    out.loc[rows, "empathy"] = np.round(np.minimum(out.loc[rows, "empathy"].to_numpy(), levels / 6), 4)
    return out
