"""The text step: score every text in the store once, then sentiment, emotion, pain points and topics."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import ibis
import pandas as pd  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn  # noqa: E402

from empathica.errors import NotEnoughDataError  # noqa: E402
from empathica.flywheel.registry import RunContext, step  # noqa: E402
from empathica.schema.results import TEXT_EMOTION_BY, TEXT_NPS_BY_LANG, TEXT_PAIN_POINTS, TEXT_PRIORS, TEXT_RATINGS_ADAPTATION, TEXT_SCORES, TEXT_SCORING, TEXT_SENTIMENT_BY, TEXT_TOPICS  # noqa: E402
from empathica.report import Finding, FindingsTable, Metric, Paragraph, Section, TableBlock  # noqa: E402
from empathica.report.figures import FigureWords, draw_figure  # noqa: E402
from empathica.store.names import display_name, name_list  # noqa: E402

#: Every free-text column of the store: table → (key column, text column).
TEXT_SOURCES = {
    "feedback": ("response_id", "comment"),
    "reviews": ("review_id", "text"),
    "turns": ("turn_id", "text"),
    "values_answers": ("answer_id", "answer"),
    "employee_surveys": ("response_id", "comment"),
}
SCORES = TEXT_SCORES
SCORE_COLUMNS = ["source_table", "source_id", "lang", "sentiment", "sentiment_score", "confidence", "emotion",
                 "emotion_confidence", "aspects", "note", "scored_at"]
#: Texts clustered into topics (a sample of the negative customer texts, for speed).
TOPIC_SAMPLE = 3000
#: Distinct texts per text table from which each language's class balance is estimated (adapt).
ADAPT_SAMPLE = 5_000
#: The result with the class balance the texts were scored with.
PRIORS = TEXT_PRIORS
#: The result with what fitting the heads to the store's rated texts did, per language (text_adapt_ratings).
RATINGS = TEXT_RATINGS_ADAPTATION
#: The ratings adaptation table as the report shows it (kinds as ``report.FindingsTable`` reads them).
RATINGS_COLUMNS = {"lang": "text", "rated_texts": "int", "train_rows": "int", "test_rows": "int", "accuracy_before": "num3",
                   "accuracy_after": "num3", "macro_f1_before": "num3", "macro_f1_after": "num3", "p_value": "num3",
                   "kept_message_id": "message", "reason_message_id": "subfinding"}
#: The result comparing languages: NPS, detractor share and negative share of the survey comments.
NPS_BY_LANG = TEXT_NPS_BY_LANG
#: The result with the settings the stored scores were made with; when they change, every text is rescored.
SCORING = TEXT_SCORING


def scoring_settings(settings) -> pd.DataFrame:
    """The settings that decide a text's scores (setting, value): models, aspect catalogue, cue override,
    class-balance adaptation."""
    return pd.DataFrame({"setting": ["text_model_dir", "text_aspects_file", "text_cue_override", "text_adapt_priors",
                                     "text_adapt_ratings"],
                         "value": [settings.text_model_dir, settings.text_aspects_file,
                                   ",".join(settings.cue_override_languages), str(settings.text_adapt_priors),
                                   str(settings.text_adapt_ratings)]})


def changed_scoring_settings(store, settings) -> list[str]:
    """'name: old → new' for each scoring setting that differs from the one the stored scores were made with
    (empty when nothing changed or nothing was scored yet)."""
    if not store.has_result(SCORES) or not store.has_result(SCORING):
        return []
    before = dict(store.read_result(SCORING)[["setting", "value"]].itertuples(index=False))
    now = dict(scoring_settings(settings).itertuples(index=False))
    return [f"{name}: {before.get(name, '')!r} → {value!r}" for name, value in now.items() if before.get(name, "") != value]


def corpus_sample(store, *, per_source: int = ADAPT_SAMPLE, seed: int = 7) -> list[str]:
    """The customers' own words whose class balance the analyzer adapts to: up to ``per_source`` distinct
    texts of customers from each of feedback, reviews (own and competitors') and conversations (customer
    turns), scored before or not. Agent replies, values answers and employee comments are another genre
    (polite, mostly neutral): they are scored with the customers' balance but do not set it. A seeded
    pseudo-random draw made in the store (texts ordered by a hash of text and seed)."""
    context = text_context(store)
    customers = context.filter(context.speaker.isin(["customer", "competitor customer"])
                               & context.source_table.isin(["feedback", "reviews", "turns"]))
    texts = all_texts(store)
    joined = texts.inner_join(customers, ["source_table", "source_id"])
    joined = joined.filter(joined.text.notnull() & (joined.text.strip() != ""))
    out: list[str] = []
    for table in ("feedback", "reviews", "turns"):
        distinct = joined.filter(joined.source_table == table).select("text").distinct()
        drawn = distinct.order_by([(distinct.text + ibis.literal(f"#{seed}")).hash(), distinct.text]).limit(per_source)
        out += drawn.to_pandas()["text"].tolist()
    return out


def unscored_texts(store, *, everything: bool = False) -> ibis.Table:
    """(source_table, source_id, text) of every non-empty text not yet in ``text_scores`` (all of them
    with ``everything``) (Ibis)."""
    scored = store.result(SCORES) if store.has_result(SCORES) and not everything else None
    parts = []
    for table, (key, column) in TEXT_SOURCES.items():
        t = store.table(table)
        expr = t.filter(t[column].notnull() & (t[column].strip() != "")).select(
            source_table=ibis.literal(table), source_id=t[key].cast("string"), text=t[column])
        if scored is not None:
            done = scored.filter(scored.source_table == table).select(done_id=scored.source_id)
            expr = expr.anti_join(done, expr.source_id == done.done_id)
        parts.append(expr)
    return ibis.union(*parts)


def score_store(ctx: RunContext) -> tuple[ibis.Table, int]:
    """Score the texts not scored before and append them to ``text_scores``; return (all scores, newly scored).

    Each distinct text is scored once in Python (in batches, with a progress bar); the scores reach
    their rows by a join inside the store, so millions of rows never pass through Python.
    """
    from empathica.understand.text import TextAnalyzer

    store = ctx.store
    changed = changed_scoring_settings(store, ctx.settings)
    todo = unscored_texts(store, everything=bool(changed))
    newly = int(todo.count().execute())
    if changed:  # scores made under other settings would no longer match what the settings say
        ctx.console.print(f"  text: {'; '.join(changed)} since the texts were scored: rescoring all {newly:,} texts",
                          markup=False, highlight=False)
    if not newly and not store.has_result(SCORES):
        raise NotEnoughDataError("the store holds no free text (feedback comments, reviews, conversation turns, "
                                 "values answers, employee comments); ingest some with `empathica listen`.")
    if newly:
        distinct = todo.select("text").distinct().order_by("text").to_pandas()["text"].tolist()
        analyzer = TextAnalyzer.from_settings(ctx.settings, names=brand_names(store)).load()
        if ctx.settings.text_adapt_priors:  # the store's own class balance, from a sample of all its texts
            analyzer.adapt(corpus_sample(store, seed=ctx.settings.seed), seed=ctx.settings.seed)
        if ctx.settings.text_adapt_ratings:  # the store's own ratings label its texts (ratings.py)
            fit_to_ratings(ctx, analyzer)
        adaptation = analyzer.adaptation_ if ctx.settings.text_adapt_priors else \
            pd.DataFrame(columns=["lang", "class", "training_prior", "corpus_prior", "texts", "cue_override"])
        store.write_result(PRIORS, adaptation.assign(scored_at=datetime.now(UTC)), step="text",
                           description="Per language and sentiment class: the heads' training share and the share "
                                       "estimated for this store's customer texts (EM), used to score this run's new texts; "
                                       "cue_override: whether emotion cues may overrule the head's unsure neutral verdicts (setting text_cue_override).")
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=ctx.console, disable=not ctx.progress) as progress:
            scores = analyzer.analyze(distinct, progress=progress)
        scores["aspects"] = scores["aspects"].map(lambda a: json.dumps(list(a), ensure_ascii=False))
        scores.insert(0, "scored_text", distinct)
        lookup = store.scratch_table("text_scores", scores)
        del scores, distinct
        rows = todo.inner_join(lookup, todo.text == lookup.scored_text).select(
            todo.source_table, todo.source_id, *[lookup[c] for c in SCORE_COLUMNS[2:-1]],
            scored_at=ibis.literal(datetime.now(UTC)))
        save = store.write_result if changed else store.append_result
        save(SCORES, rows, step="text", description="One row per scored text: language, sentiment, emotion, aspects (JSON list).")
        store.drop_scratch("text_scores")
    if changed or not store.has_result(SCORING):  # a store scored before this record existed: assume today's
        store.write_result(SCORING, scoring_settings(ctx.settings), step="text",
                           description="The settings the stored text scores were made with; a change rescores every text.")
    return store.result(SCORES), newly


def fit_to_ratings(ctx: RunContext, analyzer) -> None:
    """Fit ``analyzer``'s sentiment heads to the store's rated texts where that helps; store what was done."""
    from empathica.understand.text.ratings import adapt_to_ratings, rated_texts

    found = adapt_to_ratings(analyzer, rated_texts(ctx.store), seed=ctx.settings.seed)
    ctx.store.write_result(RATINGS, found.table.round(4), step="text",
                           description="Per language: held-out accuracy on the store's own rated texts (NPS/CSAT comments, "
                                       "reviews' stars) with the shipped head and with one fitted to the other rated texts; "
                                       "kept: which head scored this run's texts.")
    for row in found.table.itertuples():
        ctx.console.print(f"  text: {row.lang} head {row.kept} ({row.reason})", markup=False, highlight=False)


def nps_by_language(store, scores: ibis.Table) -> pd.DataFrame:
    """Per language of the survey comments: responses, NPS, detractor share and the share of comments
    scored negative (the language comparison a reader checks against NPS)."""
    fb = store.table("feedback")
    fb = fb.filter(fb.nps.notnull())
    s = scores.filter(scores.source_table == "feedback")
    joined = fb.inner_join(s, fb.response_id.cast("string") == s.source_id)
    table = joined.group_by("lang").aggregate(
        comments=joined.count(),
        nps=((joined.nps >= 9).cast("float64").mean() - (joined.nps <= 6).cast("float64").mean()) * 100,
        detractor_share=(joined.nps <= 6).cast("float64").mean(),
        negative_share=(joined.sentiment == "negative").cast("float64").mean(),
        positive_share=(joined.sentiment == "positive").cast("float64").mean())
    return table.order_by("lang").to_pandas().round(4)


def text_context(store, *, with_time: bool = False) -> ibis.Table:
    """Where, when and by whom each text was written: source_table, source_id, touchpoint, channel, month,
    speaker, customer_id (null for reviews and employees) and unit (the item a mention counts once for: the
    conversation of a turn, else the row itself); ``with_time``: also ``at``, when it was written."""
    tp = store.table("touchpoints").select("touchpoint_id", tp_channel="channel")
    fb = store.table("feedback")
    fb = fb.left_join(tp, fb.touchpoint_id == tp.touchpoint_id).select(
        source_table=ibis.literal("feedback"), source_id=fb.response_id.cast("string"),
        touchpoint=fb.touchpoint_id.fill_null("(unknown)"), channel=tp.tp_channel.fill_null("survey"),
        at=fb.timestamp, speaker=ibis.literal("customer"), customer_id=fb.customer_id.cast("string"),
        unit=ibis.literal("feedback:") + fb.response_id.cast("string"))
    rv = store.table("reviews")
    rv = rv.select(source_table=ibis.literal("reviews"), source_id=rv.review_id.cast("string"),
                   touchpoint=ibis.literal("public reviews"), channel=rv.source.fill_null("reviews"), at=rv.timestamp,
                   speaker=ibis.ifelse(rv.is_own.fill_null(True), "customer", "competitor customer"),
                   customer_id=ibis.null("string"), unit=ibis.literal("reviews:") + rv.review_id.cast("string"))
    tu, cv = store.table("turns"), store.table("conversations")
    tu = tu.left_join(cv, tu.conversation_id == cv.conversation_id).select(
        source_table=ibis.literal("turns"), source_id=tu.turn_id.cast("string"),
        touchpoint=cv.touchpoint_id.fill_null("conversations"), channel=cv.channel.fill_null("(unknown)"),
        at=tu.timestamp.fill_null(cv.started_at), speaker=tu.speaker, customer_id=cv.customer_id.cast("string"),
        unit=ibis.literal("conversation:") + tu.conversation_id.cast("string"))
    va = store.table("values_answers")
    va = va.select(source_table=ibis.literal("values_answers"), source_id=va.answer_id.cast("string"),
                   touchpoint=ibis.literal("values survey"), channel=ibis.literal("survey"), at=va.timestamp,
                   speaker=ibis.literal("customer"), customer_id=va.customer_id.cast("string"),
                   unit=ibis.literal("values_answers:") + va.answer_id.cast("string"))
    es = store.table("employee_surveys")
    es = es.select(source_table=ibis.literal("employee_surveys"), source_id=es.response_id.cast("string"),
                   touchpoint=ibis.literal("employee survey"), channel=ibis.literal("internal"), at=es.timestamp,
                   speaker=ibis.literal("employee"), customer_id=ibis.null("string"),
                   unit=ibis.literal("employee_surveys:") + es.response_id.cast("string"))
    ctx = ibis.union(fb, rv, tu, va, es)
    ctx = ctx.mutate(month=ctx.at.strftime("%Y-%m").fill_null("(unknown)"))
    return ctx if with_time else ctx.drop("at")


def scored_texts(store, scores: ibis.Table, *, context: ibis.Table | None = None, with_text: bool = True) -> ibis.Table:
    """Every scored text with its context (touchpoint, channel, month, speaker, unit) and its text. ``context``:
    only the texts of these rows of :func:`text_context` (e.g. one team's customers'); ``with_text=False``: without
    the text itself (for counts and shares)."""
    narrowed = context is not None
    context = (text_context(store) if context is None else context).rename(c_table="source_table", c_id="source_id")
    on = (scores.source_table == context.c_table) & (scores.source_id == context.c_id)
    joined = scores.inner_join(context, on) if narrowed else scores.left_join(context, on)
    joined = joined.select(*scores.columns, *[context[c] for c in ("touchpoint", "channel", "month", "speaker", "unit")])
    if not with_text:
        return joined
    texts = all_texts(store).rename(t_table="source_table", t_id="source_id")
    joined = joined.left_join(texts, (joined.source_table == texts.t_table) & (joined.source_id == texts.t_id))
    return joined.select(*[joined[c] for c in joined.columns if c not in ("t_table", "t_id", "text")],
                         text=texts.text.fill_null(""))


DIMENSIONS = ("touchpoint", "channel", "lang", "month")


def customer_texts(scored: ibis.Table) -> ibis.Table:
    """The scored texts customers wrote about their experience (not survey answers about values, not employees'):
    the texts behind the breakdowns by touchpoint, channel, language and month."""
    return scored.filter((scored.speaker == "customer") & ~scored.source_table.isin(["employee_surveys", "values_answers"]))


def breakdown(scored: ibis.Table, dimension: str) -> tuple[ibis.Table, ibis.Table]:
    """Sentiment, and emotion shares, of ``scored`` customer texts by one of :data:`DIMENSIONS` (expressions with
    the columns of ``text_sentiment_by`` and ``text_emotion_by``); the dashboard recomputes them on a team's scope."""
    value = scored[dimension].cast("string").fill_null("(unknown)")
    table = scored.group_by(value=value).aggregate(
        texts=scored.count(), mean_score=scored.sentiment_score.mean(),
        negative_share=(scored.sentiment == "negative").cast("float64").mean(),
        positive_share=(scored.sentiment == "positive").cast("float64").mean())
    counts = scored.group_by(value=value, emotion=scored.emotion).aggregate(n=scored.count())
    shares = counts.mutate(share=counts.n / counts.n.sum().over(group_by=counts.value))
    return (table.mutate(dimension=ibis.literal(dimension)).order_by("value"),
            shares.mutate(dimension=ibis.literal(dimension)).order_by(["value", ibis.desc("share"), "emotion"]))


def _breakdowns(scored: ibis.Table) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sentiment and emotion shares by touchpoint, channel, language and month (customer texts)."""
    rows, emotions = [], []
    for dimension in DIMENSIONS:
        table, shares = breakdown(scored, dimension)
        rows.append(table.to_pandas())
        emotions.append(shares.to_pandas())
    by = pd.concat(rows, ignore_index=True)[["dimension", "value", "texts", "mean_score", "negative_share", "positive_share"]]
    emo = pd.concat(emotions, ignore_index=True)[["dimension", "value", "emotion", "share"]]
    return by.round(4), emo.round(4)


def aspect_of_each_mention(aspects: ibis.Value) -> ibis.Value:
    """One row per aspect named in the stored ``aspects`` column (a JSON list of aspect ids), unnested."""
    return aspects.cast("json").unwrap_as("array<json>").unnest().unwrap_as("string")


def pain_points(scored: ibis.Table, *, quotes: int = 3) -> pd.DataFrame:
    """Aspects of customer texts that lean negative, most mentioned first, with the most negative quotes.

    A text leans negative when its sentiment score (P(positive) − P(negative)) is below zero: a
    complaint the model calls neutral with a tilt to negative still names a pain point, which matters
    where a language's model was trained on another domain. A mention counts once per unit (a whole
    conversation, a survey answer, a review), so a long conversation does not outweigh many customers.
    """
    columns = ["aspect", "negative_mentions", "share_of_negative_units", "all_mentions", "languages", "quotes"]
    mentions = scored.mutate(aspect=aspect_of_each_mention(scored.aspects))
    mentions = mentions.filter(mentions.aspect.notnull())
    negative = mentions.filter(mentions.sentiment_score < 0)
    per_unit = negative.group_by(["aspect", "unit"]).aggregate(langs=negative.lang.collect(distinct=True))
    counted = per_unit.group_by("aspect").aggregate(negative_mentions=per_unit.count())
    everywhere = mentions.select("aspect", "unit").distinct()
    everywhere = everywhere.group_by("aspect").aggregate(all_mentions=everywhere.count())
    langs = negative.select("aspect", "lang").distinct()
    langs = langs.group_by("aspect").aggregate(languages=langs.lang.collect(order_by=langs.lang))
    worst = negative.group_by(["aspect", "text"]).aggregate(score=negative.sentiment_score.min())
    worst = worst.mutate(rank=ibis.row_number().over(group_by=worst.aspect, order_by=[worst.score, worst.text]))
    worst = worst.filter(worst.rank < quotes).order_by(["aspect", "rank"]).to_pandas()
    table = counted.left_join(everywhere, "aspect").select(counted.aspect, counted.negative_mentions, everywhere.all_mentions)
    table = table.left_join(langs, table.aspect == langs.aspect).select(table.aspect, table.negative_mentions,
                                                                         table.all_mentions, langs.languages)
    frame = table.order_by([ibis.desc("negative_mentions"), "aspect"]).to_pandas()
    if frame.empty:
        return pd.DataFrame(columns=columns)
    negative_units = int(scored.filter(scored.sentiment_score < 0).select("unit").distinct().count().execute())
    frame["share_of_negative_units"] = (frame["negative_mentions"] / max(negative_units, 1)).round(4)
    frame["languages"] = frame["languages"].map(lambda v: ", ".join(v))
    frame["all_mentions"] = frame["all_mentions"].fillna(0).astype("int64")
    by_aspect = worst.groupby("aspect")["text"].apply(lambda t: [q[:240] for q in t])
    frame["quotes"] = frame["aspect"].map(by_aspect).map(lambda q: q if isinstance(q, list) else [])
    return frame[columns].reset_index(drop=True)


def _value_name(dimension: str, value, say: FigureWords) -> str:
    """A value of a breakdown as drawn: a language by its name, a month as it is, anything else as the data has it."""
    return say.name("language", value) if dimension == "lang" else say.data(value)


def _figure_breakdowns(by: pd.DataFrame, settings):
    return draw_figure(lambda say: _draw_breakdowns(by, say), Finding("text.figure.sentiment"),
                       languages=settings.figure_languages, dpi=settings.report_figure_dpi)


def _draw_breakdowns(by: pd.DataFrame, say: FigureWords):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 7.5))
    axes = fig.subplots(2, 2)
    for ax, dimension in zip(axes.ravel(), ("touchpoint", "channel", "lang", "month")):
        part = by[by["dimension"] == dimension]
        if dimension == "month":
            part = part.sort_values("value")
            ax.plot(part["value"], part["negative_share"], marker="o", color="#c0392b", label=say("figure.text.negative"))
            ax.plot(part["value"], part["positive_share"], marker="o", color="#27ae60", label=say("figure.text.positive"))
            ax.tick_params(axis="x", rotation=60, labelsize=7)
            ax.legend(fontsize=8)
        else:
            part = part.sort_values("texts", ascending=False).head(12).sort_values("negative_share")
            labels = [_value_name(dimension, v, say) for v in part["value"].astype(str)]
            ax.barh(labels, part["negative_share"], color="#c0392b", label=say("figure.text.negative"))
            ax.barh(labels, part["positive_share"], left=part["negative_share"], color="#27ae60", label=say("figure.text.positive"))
            ax.tick_params(axis="y", labelsize=7)
            ax.set_xlim(0, 1)
        ax.set_title(say(f"figure.text.by.{dimension}"), fontsize=10)
    fig.suptitle(say("figure.text.sentiment_title"))
    fig.tight_layout()
    return fig


#: Emotion colours, negative ones warm, the same in every panel.
_EMOTION_COLOURS = {"anger": "#c0392b", "frustration": "#e67e22", "anxiety": "#f1c40f", "sadness": "#8e44ad",
                    "neutral": "#bdc3c7", "joy": "#27ae60", "gratitude": "#16a085"}


def _figure_emotions(emo: pd.DataFrame, settings):
    return draw_figure(lambda say: _draw_emotions(emo, say), Finding("text.figure.emotions"),
                       languages=settings.figure_languages, dpi=settings.report_figure_dpi)


def _draw_emotions(emo: pd.DataFrame, say: FigureWords):
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    fig = Figure(figsize=(11, 7.5))
    axes = fig.subplots(2, 2)
    for ax, dimension in zip(axes.ravel(), ("touchpoint", "channel", "lang", "month")):
        part = emo[emo["dimension"] == dimension].pivot_table(index="value", columns="emotion", values="share", fill_value=0)
        part = part[[e for e in _EMOTION_COLOURS if e in part.columns] + [e for e in part.columns if e not in _EMOTION_COLOURS]]
        if dimension == "month":
            part = part.sort_index()
            ax.stackplot(part.index.astype(str), part.T.to_numpy(), labels=part.columns,
                         colors=[_EMOTION_COLOURS.get(e, "#7f8c8d") for e in part.columns])
            ax.tick_params(axis="x", rotation=60, labelsize=7)
            ax.set_ylim(0, 1)
        else:
            part = part.loc[part.index[:12]] if len(part) > 12 else part
            part.index = [_value_name(dimension, v, say) for v in part.index.astype(str)]
            part.plot(kind="barh", stacked=True, ax=ax, legend=False, width=0.8,
                      color=[_EMOTION_COLOURS.get(e, "#7f8c8d") for e in part.columns])
            ax.tick_params(axis="y", labelsize=7)
            ax.set_xlim(0, 1)
            ax.set_ylabel("")
        ax.set_xlabel("")
        ax.set_title(say(f"figure.text.by.{dimension}"), fontsize=10)
    present = [e for e in _EMOTION_COLOURS if e in set(emo["emotion"])]
    fig.legend([Patch(color=_EMOTION_COLOURS[e]) for e in present], [say.name("column", e) for e in present],
               fontsize=8, ncol=7, loc="lower center")
    fig.suptitle(say("figure.text.emotions_title"))
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def emotion_table(emo: pd.DataFrame) -> pd.DataFrame:
    """One row per dimension value, one column per emotion (share of that value's customer texts), and the
    dominant emotion: the table form of ``result_text_emotion_by``."""
    if emo.empty:
        return pd.DataFrame(columns=["dimension", "value", "dominant"])
    table = emo.pivot_table(index=["dimension", "value"], columns="emotion", values="share", fill_value=0.0)
    table = table[[e for e in _EMOTION_COLOURS if e in table.columns] + [e for e in table.columns if e not in _EMOTION_COLOURS]]
    table["dominant"] = table.idxmax(axis=1)
    order = {"touchpoint": 0, "channel": 1, "lang": 2, "month": 3}
    table = table.reset_index()
    table.columns.name = None  # the pivot's "emotion" axis label is not a column
    table = table.sort_values(["dimension", "value"], key=lambda c: c.map(order) if c.name == "dimension" else c.astype(str))
    return table.round(3).reset_index(drop=True)


@step("text", title="What customers say: sentiment, emotion and pain points", order=10,
      reads=("feedback", "reviews", "turns", "values_answers", "employee_surveys", "conversations", "touchpoints",
             TEXT_SCORES, TEXT_SCORING, TEXT_PRIORS))
def text(ctx: RunContext) -> Section:
    scores, newly = score_store(ctx)
    total = int(scores.count().execute())
    scored = scored_texts(ctx.store, scores)
    # values answers say what matters to a customer, not what went wrong: kept out of every complaint figure
    customer = customer_texts(scored)
    if not int(customer.count().execute()):
        customer = scored
    by, emo = _breakdowns(customer)
    pains = pain_points(customer.filter(customer.source_table != "values_answers"))  # values answers say what matters, not what went wrong
    ctx.store.write_result(TEXT_SENTIMENT_BY, by, step="text", description="Customer-text sentiment by touchpoint, channel, language, month.")
    ctx.store.write_result(TEXT_EMOTION_BY, emo, step="text", description="Customer-text emotion shares by touchpoint, channel, language, month.")
    ctx.store.write_result(TEXT_PAIN_POINTS, pains, step="text", description="Aspects of customer texts leaning negative (score < 0), with quotes.")
    section = Section(key="text", title="What customers say: sentiment, emotion and pain points")
    overall = customer.aggregate(texts=customer.count(),
                                 negative=(customer.sentiment == "negative").cast("float64").mean()).to_pandas().iloc[0]
    negative_share = float(overall["negative"])
    langs = customer.group_by("lang").aggregate(n=customer.count()).order_by([ibis.desc("n"), "lang"]).to_pandas()
    section.summary.append(Finding("text.headline", {"texts": total, "new": newly, "negative_share": negative_share}))
    if len(pains):
        top = list(pains.head(3).itertuples())
        values = {f"aspect{i}": display_name("aspect", r.aspect) for i, r in enumerate(top, 1)}
        values.update({f"n{i}": int(r.negative_mentions) for i, r in enumerate(top, 1)})
        section.summary.append(Finding(f"text.top_pain_points.{len(top)}", values))
    section.add(
        Metric(Finding("text.metric.scored"), Finding("value.int", {"v": total}), Finding("text.metric.new", {"n": newly})),
        Metric(Finding("text.metric.negative"), Finding("value.pct", {"v": negative_share}), Finding("text.metric.negative_note")),
        Metric(Finding("text.metric.languages"), Finding("value.text", {"v": name_list([
            {"id": "text.language_count", "values": {"lang": display_name("language", r.lang), "n": int(r.n)}}
            for r in langs.itertuples()])}), Finding("text.metric.languages_note")),
        Paragraph(Finding("text.method")),
        _figure_breakdowns(by, ctx.settings),
        _figure_emotions(emo, ctx.settings),
    )
    if ctx.store.has_result(PRIORS):
        priors = ctx.store.read_result(PRIORS)
        if len(priors):
            section.add(TableBlock(priors, Finding("text.caption.priors"), source=PRIORS.table_name))
    _add_language_comparison(ctx, section, scores)
    if len(pains):
        shown = pains.copy()
        shown["quotes"] = shown["quotes"].map(lambda q: " | ".join(q[:2]))
        section.add(TableBlock(shown, Finding("text.caption.pain_points"), source=TEXT_PAIN_POINTS.table_name))
    sentiment_table = by[by["dimension"] != "month"]  # every row shown: the languages come last and were cut at 25
    section.add(TableBlock(sentiment_table, Finding("text.caption.sentiment"), source=TEXT_SENTIMENT_BY.table_name,
                           max_rows=max(25, len(sentiment_table))))
    section.add(TableBlock(emotion_table(emo), Finding("text.caption.emotions"), source=TEXT_EMOTION_BY.table_name, max_rows=80))
    topics_table = _topics(ctx, customer)
    if topics_table is not None:
        shown = topics_table.copy()
        shown["quotes"] = shown["quotes"].map(lambda q: " | ".join(q[:2]))
        section.add(TableBlock(shown, Finding("text.caption.topics"), source=TEXT_TOPICS.table_name,
                               headers={"share": "column.topic_share"}))
    section.data = {"scores": SCORES.table_name,
                    "pain_points": pains["aspect"].tolist() if len(pains) else [],
                    "negative_share": negative_share}
    return section


def _add_language_comparison(ctx: RunContext, section: Section, scores: ibis.Table) -> None:
    """The ratings adaptation table and NPS beside the negative share of survey comments, per language."""
    if ctx.store.has_result(RATINGS) and ctx.settings.text_adapt_ratings:
        adapted = ctx.store.read_result(RATINGS)
        if "reason_message_id" in adapted:  # said in the report's language: which head was kept, and why
            adapted["kept_message_id"] = "text.ratings.kept." + adapted["kept"].astype(str)
            section.add(FindingsTable(adapted, RATINGS_COLUMNS, "text.caption.ratings", source=f"result_{RATINGS}",
                                      headers={"kept_message_id": "column.kept", "reason_message_id": "dashboard.column.reason"}))
        else:  # a store written before the reasons were findings
            section.add(TableBlock(adapted, Finding("text.caption.ratings"), source=f"result_{RATINGS}"))
    comparison = nps_by_language(ctx.store, scores)
    ctx.store.write_result(NPS_BY_LANG, comparison, step="text",
                           description="Per comment language: survey responses with NPS, NPS, detractor share, and the shares "
                                       "of their comments scored negative and positive.")
    if len(comparison):
        section.add(TableBlock(comparison, Finding("text.caption.languages"), source=f"result_{NPS_BY_LANG}"))


def all_texts(store) -> ibis.Table:
    """(source_table, source_id, text) of every text in the store (for quotes)."""
    return ibis.union(*[store.table(table).select(source_table=ibis.literal(table),
                                                  source_id=store.table(table)[key].cast("string"),
                                                  text=store.table(table)[column])
                        for table, (key, column) in TEXT_SOURCES.items()])


def _topics(ctx: RunContext, customer: ibis.Table) -> pd.DataFrame | None:
    """Topics of the negative customer texts, stored (None: too few texts in every language)."""
    topics = topics_of(customer, seed=ctx.settings.seed)
    if topics is not None:
        ctx.store.write_result(TEXT_TOPICS, topics, step="text", description="Topics of negative customer texts, per language.")
    return topics


def topics_of(customer: ibis.Table, *, seed: int) -> pd.DataFrame | None:
    """Topics of the negative ``customer`` texts (every customer's, or a team's: the dashboard's scope), found
    per language (vocabularies do not overlap across them), with the columns of ``text_topics``.

    At most ``TOPIC_SAMPLE`` texts per language: a seeded pseudo-random sample (rows ordered by a hash of
    their id and the seed), so runs repeat.
    """
    from empathica.understand.text import discover_topics

    negative = customer.filter((customer.sentiment == "negative") & (customer.text.length() > 0)
                               & customer.lang.isin(["en", "de", "zh"]))
    key = (negative.source_table + ":" + negative.source_id + f":{seed}").hash()
    ranked = negative.mutate(pick=ibis.row_number().over(group_by=negative.lang, order_by=[key, negative.source_id]))
    sample = ranked.filter(ranked.pick < TOPIC_SAMPLE).select("lang", "source_id", "text").order_by(["lang", "source_id"]).to_pandas()
    frames = []
    for lang, group in sample.groupby("lang"):
        try:
            found = discover_topics(group["text"].tolist(), k_range=(2, 8), seed=seed)
        except NotEnoughDataError:
            continue
        frames.append(found.topics.assign(lang=lang))
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True)[["lang", "topic", "size", "share", "label", "cohesion", "keywords", "quotes"]]


def brand_names(store) -> tuple[str, ...]:
    """The brands the store names (reviews.brand, customers.brand): masked before the heads read a text."""
    names: set[str] = set()
    for table in ("reviews", "customers"):
        if store.has_table(table) and "brand" in store.table(table).columns:
            t = store.table(table)
            names |= {b for b in t.select("brand").distinct().to_pandas()["brand"].dropna() if str(b).strip()}
    return tuple(sorted(names))
