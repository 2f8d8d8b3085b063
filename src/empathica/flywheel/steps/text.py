"""The text step: score every text in the store once, then sentiment, emotion, pain points and topics."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import ibis
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn  # noqa: E402

from empathica.errors import NotEnoughDataError  # noqa: E402
from empathica.flywheel.registry import RunContext, step  # noqa: E402
from empathica.report import Metric, Paragraph, Section, TableBlock, figure_from_matplotlib  # noqa: E402

#: Every free-text column of the store: table → (key column, text column).
TEXT_SOURCES = {
    "feedback": ("response_id", "comment"),
    "reviews": ("review_id", "text"),
    "turns": ("turn_id", "text"),
    "values_answers": ("answer_id", "answer"),
    "employee_surveys": ("response_id", "comment"),
}
SCORES = "text_scores"
SCORE_COLUMNS = ["source_table", "source_id", "lang", "sentiment", "sentiment_score", "confidence", "emotion",
                 "emotion_confidence", "aspects", "note", "scored_at"]
#: Texts clustered into topics (a sample of the negative customer texts, for speed).
TOPIC_SAMPLE = 3000


def unscored_texts(store) -> pd.DataFrame:
    """(source_table, source_id, text) of every non-empty text not yet in ``text_scores``."""
    scored = store.table("result_" + SCORES) if store.has_result(SCORES) else None
    frames = []
    for table, (key, column) in TEXT_SOURCES.items():
        t = store.table(table)
        expr = t.filter(t[column].notnull() & (t[column].strip() != "")).select(
            source_table=ibis.literal(table), source_id=t[key].cast("string"), text=t[column])
        if scored is not None:
            done = scored.filter(scored.source_table == table).select(done_id=scored.source_id)
            expr = expr.anti_join(done, expr.source_id == done.done_id)
        frames.append(expr.to_pandas())
    return pd.concat(frames, ignore_index=True)


def score_store(ctx: RunContext) -> tuple[pd.DataFrame, int]:
    """Score the texts not scored before, append them to ``text_scores``; return (all scores, newly scored)."""
    from empathica.understand.text import TextAnalyzer

    todo = unscored_texts(ctx.store)
    previous = ctx.store.read_result(SCORES) if ctx.store.has_result(SCORES) else pd.DataFrame(columns=SCORE_COLUMNS)
    if todo.empty and previous.empty:
        raise NotEnoughDataError("the store holds no free text (feedback comments, reviews, conversation turns, "
                                 "values answers, employee comments); ingest some with `empathica listen`.")
    if not todo.empty:
        analyzer = TextAnalyzer(model_dir=ctx.settings.text_model_dir or None,
                                aspects_file=ctx.settings.text_aspects_file or None,
                                embed_budget=ctx.settings.text_embed_budget).load()
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=ctx.console, disable=not ctx.progress) as progress:
            scores = analyzer.analyze(todo["text"].tolist(), progress=progress)
        scores.insert(0, "source_id", todo["source_id"].to_numpy())
        scores.insert(0, "source_table", todo["source_table"].to_numpy())
        scores["aspects"] = scores["aspects"].map(lambda a: json.dumps(list(a), ensure_ascii=False))
        scores["scored_at"] = datetime.now(UTC)
        combined = pd.concat([previous[SCORE_COLUMNS], scores[SCORE_COLUMNS]], ignore_index=True) if len(previous) else scores[SCORE_COLUMNS]
        ctx.store.write_result(SCORES, combined, step="text",
                               description="One row per scored text: language, sentiment, emotion, aspects (JSON list).")
    return ctx.store.read_result(SCORES), len(todo)


def _context(store) -> pd.DataFrame:
    """Where and when each text was written: source_table, source_id, touchpoint, channel, month, speaker,
    and unit (the item a mention counts once for: the conversation of a turn, else the row itself)."""
    tp = store.table("touchpoints").select("touchpoint_id", tp_channel="channel")
    fb = store.table("feedback")
    fb = fb.left_join(tp, fb.touchpoint_id == tp.touchpoint_id).select(
        source_table=ibis.literal("feedback"), source_id=fb.response_id.cast("string"),
        touchpoint=fb.touchpoint_id.fill_null("(unknown)"), channel=tp.tp_channel.fill_null("survey"),
        at=fb.timestamp, speaker=ibis.literal("customer"), unit=ibis.literal("feedback:") + fb.response_id.cast("string"))
    rv = store.table("reviews")
    rv = rv.select(source_table=ibis.literal("reviews"), source_id=rv.review_id.cast("string"),
                   touchpoint=ibis.literal("public reviews"), channel=rv.source.fill_null("reviews"), at=rv.timestamp,
                   speaker=ibis.ifelse(rv.is_own.fill_null(True), "customer", "competitor customer"),
                   unit=ibis.literal("reviews:") + rv.review_id.cast("string"))
    tu, cv = store.table("turns"), store.table("conversations")
    tu = tu.left_join(cv, tu.conversation_id == cv.conversation_id).select(
        source_table=ibis.literal("turns"), source_id=tu.turn_id.cast("string"),
        touchpoint=cv.touchpoint_id.fill_null("conversations"), channel=cv.channel.fill_null("(unknown)"),
        at=tu.timestamp.fill_null(cv.started_at), speaker=tu.speaker,
        unit=ibis.literal("conversation:") + tu.conversation_id.cast("string"))
    va = store.table("values_answers")
    va = va.select(source_table=ibis.literal("values_answers"), source_id=va.answer_id.cast("string"),
                   touchpoint=ibis.literal("values survey"), channel=ibis.literal("survey"), at=va.timestamp,
                   speaker=ibis.literal("customer"), unit=ibis.literal("values_answers:") + va.answer_id.cast("string"))
    es = store.table("employee_surveys")
    es = es.select(source_table=ibis.literal("employee_surveys"), source_id=es.response_id.cast("string"),
                   touchpoint=ibis.literal("employee survey"), channel=ibis.literal("internal"), at=es.timestamp,
                   speaker=ibis.literal("employee"), unit=ibis.literal("employee_surveys:") + es.response_id.cast("string"))
    ctx = ibis.union(fb, rv, tu, va, es)
    frame = ctx.to_pandas()
    frame["month"] = pd.to_datetime(frame["at"], utc=True).dt.strftime("%Y-%m").fillna("(unknown)")
    return frame.drop(columns=["at"])


def _breakdowns(scored: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sentiment and emotion shares by touchpoint, channel, language and month (customer texts)."""
    rows, emotions = [], []
    for dimension in ("touchpoint", "channel", "lang", "month"):
        grouped = scored.groupby(dimension)
        table = grouped.agg(texts=("sentiment", "size"), mean_score=("sentiment_score", "mean"),
                            negative_share=("sentiment", lambda s: (s == "negative").mean()),
                            positive_share=("sentiment", lambda s: (s == "positive").mean())).reset_index()
        rows.append(table.rename(columns={dimension: "value"}).assign(dimension=dimension))
        shares = scored.groupby(dimension)["emotion"].value_counts(normalize=True).rename("share").reset_index()
        emotions.append(shares.rename(columns={dimension: "value"}).assign(dimension=dimension))
    by = pd.concat(rows, ignore_index=True)[["dimension", "value", "texts", "mean_score", "negative_share", "positive_share"]]
    emo = pd.concat(emotions, ignore_index=True)[["dimension", "value", "emotion", "share"]]
    return by.round(4), emo.round(4)


def pain_points(scored: pd.DataFrame, *, quotes: int = 3) -> pd.DataFrame:
    """Aspects of customer texts that lean negative, most mentioned first, with the most negative quotes.

    A text leans negative when its sentiment score (P(positive) − P(negative)) is below zero: a
    complaint the model calls neutral with a tilt to negative still names a pain point, which matters
    where a language's model was trained on another domain. A mention counts once per unit (a whole
    conversation, a survey answer, a review), so a long conversation does not outweigh many customers.
    """
    negative = scored[scored["sentiment_score"] < 0].copy()
    negative["aspect"] = negative["aspects"].map(lambda a: json.loads(a) if isinstance(a, str) else list(a))
    exploded = negative.explode("aspect").dropna(subset=["aspect"])
    all_mentions = scored.assign(aspect=scored["aspects"].map(lambda a: json.loads(a) if isinstance(a, str) else list(a))).explode("aspect")
    rows = []
    exploded = exploded.drop_duplicates(["unit", "aspect"])
    all_mentions = all_mentions.drop_duplicates(["unit", "aspect"])
    for aspect, group in exploded.groupby("aspect"):
        best = group.sort_values("sentiment_score").drop_duplicates("text").head(quotes)
        rows.append({
            "aspect": aspect, "negative_mentions": len(group),
            "share_of_negative_units": round(len(group) / max(negative["unit"].nunique(), 1), 4),
            "all_mentions": int((all_mentions["aspect"] == aspect).sum()),
            "languages": ", ".join(sorted(group["lang"].unique())),
            "quotes": [t[:240] for t in best["text"]],
        })
    if not rows:
        return pd.DataFrame(columns=["aspect", "negative_mentions", "share_of_negative_units", "all_mentions", "languages", "quotes"])
    return pd.DataFrame(rows).sort_values("negative_mentions", ascending=False).reset_index(drop=True)


def _figure_breakdowns(by: pd.DataFrame):
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    for ax, dimension in zip(axes.ravel(), ("touchpoint", "channel", "lang", "month")):
        part = by[by["dimension"] == dimension]
        if dimension == "month":
            part = part.sort_values("value")
            ax.plot(part["value"], part["negative_share"], marker="o", color="#c0392b", label="negative")
            ax.plot(part["value"], part["positive_share"], marker="o", color="#27ae60", label="positive")
            ax.tick_params(axis="x", rotation=60, labelsize=7)
            ax.legend(fontsize=8)
        else:
            part = part.sort_values("texts", ascending=False).head(12).sort_values("negative_share")
            ax.barh(part["value"].astype(str), part["negative_share"], color="#c0392b", label="negative")
            ax.barh(part["value"].astype(str), part["positive_share"], left=part["negative_share"], color="#27ae60", label="positive")
            ax.tick_params(axis="y", labelsize=7)
            ax.set_xlim(0, 1)
        ax.set_title(f"by {dimension}", fontsize=10)
    fig.suptitle("Share of negative and positive customer texts")
    fig.tight_layout()
    return figure_from_matplotlib(fig, "Sentiment of customer texts by touchpoint, channel, language and month (stored as result_text_sentiment_by).")


def _figure_emotions(emo: pd.DataFrame):
    part = emo[emo["dimension"] == "lang"].pivot_table(index="value", columns="emotion", values="share", fill_value=0)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    part.plot(kind="barh", stacked=True, ax=ax, colormap="tab10")
    ax.set_xlabel("share of texts")
    ax.set_ylabel("language")
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    return figure_from_matplotlib(fig, "Emotions of customer texts by language (stored as result_text_emotion_by).")


@step("text", title="What customers say: sentiment, emotion and pain points", order=10)
def text(ctx: RunContext) -> Section:
    scores, newly = score_store(ctx)
    context = _context(ctx.store)
    texts = all_texts(ctx.store)
    scored = scores.merge(context, on=["source_table", "source_id"], how="left").merge(texts, on=["source_table", "source_id"], how="left")
    scored["text"] = scored["text"].fillna("")
    customer = scored[(scored["speaker"] == "customer") & (scored["source_table"] != "employee_surveys")]
    if customer.empty:
        customer = scored
    by, emo = _breakdowns(customer)
    pains = pain_points(customer[customer["source_table"] != "values_answers"])  # values answers say what matters, not what went wrong
    ctx.store.write_result("text_sentiment_by", by, step="text", description="Customer-text sentiment by touchpoint, channel, language, month.")
    ctx.store.write_result("text_emotion_by", emo, step="text", description="Customer-text emotion shares by touchpoint, channel, language, month.")
    ctx.store.write_result("text_pain_points", pains, step="text", description="Aspects of customer texts leaning negative (score < 0), with quotes.")
    section = Section(key="text", title="What customers say: sentiment, emotion and pain points")
    negative_share = float((customer["sentiment"] == "negative").mean())
    langs = customer["lang"].value_counts()
    section.summary.append(f"{len(scores):,} texts scored ({newly:,} new this run); {negative_share:.0%} of customer texts are negative.")
    if len(pains):
        top = pains.head(3)
        section.summary.append("Top pain points: " + ", ".join(f"{r.aspect} ({r.negative_mentions:,})" for r in top.itertuples()) + ".")
    section.add(
        Metric("texts scored", f"{len(scores):,}", f"{newly:,} new this run; result_{SCORES}"),
        Metric("negative customer texts", f"{negative_share:.0%}", "sentiment = negative"),
        Metric("languages", ", ".join(f"{k} {v:,}" for k, v in langs.items()), "detected per text"),
        Paragraph("Sentiment comes from calibrated n-gram models per language (a confidence of 0.8 is right about 8 times "
                  "in 10 on held-out data); emotion from a model trained on Chinese Weibo posts (zh) and from cue "
                  "lexicons (en, de); aspects from the documented pattern catalogue. See docs/text.md."),
        _figure_breakdowns(by),
        _figure_emotions(emo),
    )
    if len(pains):
        shown = pains.copy()
        shown["quotes"] = shown["quotes"].map(lambda q: " | ".join(q[:2]))
        section.add(TableBlock(shown, "Top pain points: aspects of customer texts leaning negative (sentiment score < 0), most mentioned first, with quotes.",
                               source="result_text_pain_points"))
    section.add(TableBlock(by[by["dimension"] != "month"], "Sentiment by touchpoint, channel and language.", source="result_text_sentiment_by"))
    topics_table = _topics(ctx, customer)
    if topics_table is not None:
        shown = topics_table.copy()
        shown["quotes"] = shown["quotes"].map(lambda q: " | ".join(q[:2]))
        section.add(TableBlock(shown, "Topics of negative customer texts: clusters of similar comments.", source="result_text_topics"))
    section.data = {"scores": "result_" + SCORES,
                    "pain_points": pains["aspect"].tolist() if len(pains) else [],
                    "negative_share": negative_share}
    return section


def all_texts(store) -> pd.DataFrame:
    """(source_table, source_id, text) of every text in the store (for quotes)."""
    frames = []
    for table, (key, column) in TEXT_SOURCES.items():
        t = store.table(table)
        frames.append(t.select(source_table=ibis.literal(table), source_id=t[key].cast("string"), text=t[column]).to_pandas())
    return pd.concat(frames, ignore_index=True)


def _topics(ctx: RunContext, customer: pd.DataFrame) -> pd.DataFrame | None:
    """Topics of the negative customer texts, found per language (vocabularies do not overlap across them)."""
    from empathica.understand.text import discover_topics

    negative = customer[(customer["sentiment"] == "negative") & (customer["text"].str.len() > 0)]
    frames = []
    for lang, group in negative[negative["lang"].isin(["en", "de", "zh"])].groupby("lang"):
        if len(group) > TOPIC_SAMPLE:
            group = group.sample(TOPIC_SAMPLE, random_state=ctx.settings.seed)
        try:
            found = discover_topics(group["text"].tolist(), k_range=(2, 8), seed=ctx.settings.seed)
        except NotEnoughDataError:
            continue
        frames.append(found.topics.assign(lang=lang))
    if not frames:
        return None
    topics = pd.concat(frames, ignore_index=True)[["lang", "topic", "size", "share", "label", "keywords", "quotes"]]
    ctx.store.write_result("text_topics", topics, step="text", description="Topics of negative customer texts, per language.")
    return topics
