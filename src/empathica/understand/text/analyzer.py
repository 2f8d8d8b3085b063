"""``TextAnalyzer``: language, calibrated sentiment, emotion and aspects for any batch of texts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from empathica.errors import InputError, NotEnoughDataError
from empathica.understand.text.catalogue import load_aspects, load_emotion_lexicon
from empathica.understand.text.heads import NgramHead
from empathica.understand.distinct import score_distinct
from empathica.understand.text.language import LANGUAGES, UNDETERMINED, languages_of_cleaned
from empathica.understand.text.negation import is_negated, reads_as_litotes
from empathica.understand.text.normalize import clean, mask_names
from empathica.understand.text.priors import MAX_RATIO, MIN_TEXTS, estimate_priors, shift_priors

SHIPPED_MODELS = Path(__file__).resolve().parent / "models"
SENTIMENTS = ("negative", "neutral", "positive")
EMOTIONS = ("anger", "frustration", "anxiety", "sadness", "joy", "gratitude", "neutral")
COLUMNS = ["lang", "sentiment", "sentiment_score", "confidence", "emotion", "emotion_confidence", "aspects", "note"]
#: A two-class head (zh) calls a text neutral when neither polarity reaches this probability.
NEUTRAL_BAND = 0.6
_NEGATIVE_EMOTIONS = {"anger": 0, "frustration": 1, "anxiety": 2, "sadness": 3}


class TextAnalyzer:
    """Scores texts in English, German and Chinese: language, sentiment, emotion and aspects.

    ``model_dir`` holds heads retrained by ``empathica text train`` (``sentiment_<lang>.joblib``,
    ``emotion_<lang>.joblib``); a head not found there comes from the shipped models.
    ``aspects_file`` extends the aspect catalogue. ``cue_override`` names the languages whose
    'neutral' verdicts clear single-polarity emotion cues may overrule. ``embed_budget`` caps how many
    texts of one ``analyze`` call a cascade head may send to e5 (about 30 texts/s on 2 cores): the least
    sure texts of each batch go first, the rest keep the n-gram stack's calibrated verdict. ``None``: no cap.
    ``names`` (brand names: the store's own and its competitors') are masked before the sentiment and emotion
    heads read a text: a name carries no opinion, and one that is a word of a head's training domain reads as
    that domain does (the German head learnt from rail feedback, where "Express" is a train and 70 % is neutral).

    >>> analyzer = TextAnalyzer.default()
    >>> analyzer.analyze(["Die Lieferung kam zwei Wochen zu spät!"]).loc[0, ["lang", "sentiment"]].tolist()
    ['de', 'negative']
    """

    def __init__(self, *, model_dir: str | Path | None = None, aspects_file: str | Path | None = None,
                 batch_size: int = 1000, cue_override: tuple[str, ...] = ("de",), override_below: float = 0.9,
                 embed_budget: int | None = None, names: tuple[str, ...] = ()) -> None:
        self.embed_budget = embed_budget
        self.names = names
        self.model_dir = model_dir
        self.cue_override = cue_override
        self.override_below = override_below
        self.aspects_file = aspects_file
        self.batch_size = batch_size

    # -- loading and training ----------------------------------------------------------------------
    @classmethod
    def default(cls) -> "TextAnalyzer":
        """The shared analyzer with the shipped models and default parameters (loaded once per process)."""
        return _default_analyzer()

    @classmethod
    def from_settings(cls, settings, **overrides) -> "TextAnalyzer":
        """An analyzer configured by ``settings`` (``text_model_dir``, ``text_aspects_file``,
        ``text_embed_budget``, ``text_cue_override``), not loaded yet (the first ``analyze`` or ``adapt``
        loads it); ``overrides`` replace any of those parameters."""
        params = {"model_dir": settings.text_model_dir or None, "aspects_file": settings.text_aspects_file or None,
                  "embed_budget": settings.text_embed_budget, "cue_override": settings.cue_override_languages}
        return cls(**{**params, **overrides})

    def _load_head(self, name: str) -> NgramHead | None:
        for folder in (self.model_dir, SHIPPED_MODELS):
            if folder is None or str(folder) == "":
                continue
            path = Path(folder) / f"{name}.joblib"
            if path.is_file():
                try:
                    return joblib.load(path)
                except Exception as exc:  # a corrupt or foreign file
                    raise InputError(f"{path}: cannot load the model ({exc}); retrain it with `empathica text train`.") from None
        return None

    def load(self) -> "TextAnalyzer":
        """Load the heads and catalogues (done on first use)."""
        if self.model_dir and not Path(self.model_dir).is_dir():
            raise InputError(f"model folder {self.model_dir} does not exist; train one with `empathica text train ... --out {self.model_dir}`.")
        self.sentiment_heads_ = {lang: self._load_head(f"sentiment_{lang}") for lang in LANGUAGES}
        self.emotion_heads_ = {lang: self._load_head(f"emotion_{lang}") for lang in LANGUAGES}
        missing = [lang for lang, head in self.sentiment_heads_.items() if head is None]
        if missing:
            raise InputError(f"no sentiment model for {missing} in {self.model_dir or SHIPPED_MODELS}; run `python -m empathica.understand.text.training`.")
        self.aspects_ = load_aspects(self.aspects_file)
        self.emotion_lexicon_ = load_emotion_lexicon()
        self.target_priors_: dict[str, np.ndarray] = {}  # none until adapt(): the training balance
        return self

    def fit(self, texts: Sequence[str], labels: Sequence[str], *, task: str = "sentiment",
            lang: str | None = None, seed: int = 7) -> "TextAnalyzer":
        """Retrain the ``task`` head of each language present in ``texts`` (or of ``lang``) on these labels."""
        if not hasattr(self, "sentiment_heads_"):
            self.load()
        langs = [lang] * len(texts) if lang else self.languages(texts)
        frame = pd.DataFrame({"text": [clean(t).text for t in texts], "label": list(labels), "lang": langs})
        trained = 0
        for code, group in frame[frame.lang.isin(LANGUAGES)].groupby("lang"):
            head = NgramHead(lang=code, seed=seed).fit(group.text.tolist(), group.label.astype(str).tolist())
            (self.sentiment_heads_ if task == "sentiment" else self.emotion_heads_)[code] = head
            if task == "sentiment":  # a corpus balance estimated with the old sentiment head does not apply
                self.target_priors_.pop(code, None)
                if hasattr(self, "adaptation_"):
                    self.adaptation_ = self.adaptation_[self.adaptation_["lang"] != code].reset_index(drop=True)
            trained += 1
        if not trained:
            raise NotEnoughDataError("none of the texts is in English, German or Chinese; nothing to train on.")
        return self

    # -- the corpus's class balance (label shift, priors.py) ------------------------------------------
    def adapt(self, texts: Sequence[object], *, max_texts: int = 5000, seed: int = 7) -> "TextAnalyzer":
        """Estimate, per language, the class priors of the corpus ``texts`` comes from, so that ``analyze``
        scores it with that corpus's base rates instead of the training data's (GermEval is 70 % neutral,
        customer feedback is not). Up to ``max_texts`` distinct texts of each language (a seeded sample) are
        scored once for the estimate (EM on the head's posteriors, :func:`priors.estimate_priors`); a
        language with fewer than :data:`priors.MIN_TEXTS` texts, or whose head has no recorded training
        priors, keeps the head's. ``adaptation_`` says what was estimated, per language and class.
        """
        if not hasattr(self, "sentiment_heads_"):
            self.load()
        distinct = list(dict.fromkeys(clean(t).text for t in texts if isinstance(t, str)))
        langs = np.asarray(languages_of_cleaned(distinct)) if distinct else np.array([], dtype=object)
        rng = np.random.default_rng(seed)
        self.target_priors_, rows = {}, []
        for lang in LANGUAGES:
            idx = np.flatnonzero(langs == lang)
            head = self.sentiment_heads_[lang]
            train = getattr(head, "class_priors_", None)
            if len(idx) > max_texts:
                idx = np.sort(rng.choice(idx, size=max_texts, replace=False))
            if train is None or len(idx) < MIN_TEXTS:
                continue
            batch = mask_names([distinct[i] for i in idx], self.names)
            # n-gram posteriors only (no e5): the estimate needs no embedding and spends none of the run's e5 budget
            proba = head.predict_proba_within(batch, 0)[0] if hasattr(head, "predict_proba_within") else head.predict_proba(batch)
            target = estimate_priors(proba, train)
            self.target_priors_[lang] = target
            rows += [{"lang": lang, "class": str(c), "training_prior": round(float(a), 4), "corpus_prior": round(float(b), 4),
                      "texts": len(idx)} for c, a, b in zip(head.classes_, train, target)]
        self.adaptation_ = pd.DataFrame(rows, columns=["lang", "class", "training_prior", "corpus_prior", "texts"])
        # whether cues may overrule the head's unsure neutral verdicts in that language (recorded with the shares)
        self.adaptation_["cue_override"] = [self.overrides(lang) for lang in self.adaptation_["lang"]]
        return self

    def overrides(self, lang: str) -> bool:
        """Whether cues may overrule the ``lang`` head's unsure neutral verdicts (``cue_override``). The
        override corrects a head that learnt neutral from a neutral-heavy source (GermEval rail feedback,
        70 %) and calls most complaints in other corpora neutral. It is the user's choice, not estimated:
        a head out of its domain calls a corpus of complaints neutral too, so a corpus's estimated neutral
        share cannot tell the two apart (docs/text.md, "German cue override")."""
        return lang in self.cue_override

    # -- scoring -----------------------------------------------------------------------------------
    def languages(self, texts: Sequence[object]) -> list[str]:
        cleaned = [clean(t).text for t in texts]
        return languages_of_cleaned(cleaned)

    def analyze(self, texts: Sequence[object], *, progress=None) -> pd.DataFrame:
        """One row per text: lang, sentiment, sentiment_score, confidence, emotion, emotion_confidence,
        aspects (list of catalogue ids) and note (what was done to a malformed text, '' otherwise).

        ``progress``: a ``rich.progress.Progress`` to advance, or ``None``.
        """
        if not hasattr(self, "sentiment_heads_"):
            self.load()
        texts = list(texts)
        keys = [t if isinstance(t, str) else repr(t) for t in texts]
        return score_distinct(keys, lambda positions: self._analyze_all([texts[i] for i in positions], progress))

    def _analyze_all(self, texts: list[object], progress) -> pd.DataFrame:
        task = progress.add_task("Scoring texts", total=len(texts)) if progress is not None else None
        frames = []
        left = self.embed_budget
        for start in range(0, len(texts), self.batch_size):
            frame, embedded = self._analyze_batch(texts[start:start + self.batch_size], left)
            frames.append(frame)
            left = None if left is None else left - embedded
            if progress is not None:
                progress.advance(task, min(self.batch_size, len(texts) - start))
        if not frames:
            numeric = ("sentiment_score", "confidence", "emotion_confidence")
            return pd.DataFrame({c: pd.Series(dtype="float64" if c in numeric else object) for c in COLUMNS})
        return pd.concat(frames, ignore_index=True)

    def _analyze_batch(self, texts: list[object], embed_budget: int | None = None) -> tuple[pd.DataFrame, int]:
        """Scores of one batch, and how many of its texts went to e5 (at most ``embed_budget``)."""
        cleaned = [clean(t) for t in texts]
        plain = [c.text for c in cleaned]
        langs = languages_of_cleaned(plain)
        n = len(plain)
        sentiment = np.array(["neutral"] * n, dtype=object)
        score = np.zeros(n)
        confidence = np.zeros(n)
        emotion = np.array(["neutral"] * n, dtype=object)
        emotion_conf = np.zeros(n)
        notes = [c.note for c in cleaned]
        langs_arr = np.asarray(langs)
        embedded = 0
        for lang in LANGUAGES:
            idx = np.flatnonzero(langs_arr == lang)
            if not len(idx):
                continue
            batch = mask_names([plain[i] for i in idx], self.names)
            head = self.sentiment_heads_[lang]
            if hasattr(head, "predict_proba_within"):  # a cascade: e5 for the texts it is unsure of
                proba, used = head.predict_proba_within(batch, embed_budget)
                embedded += used
                embed_budget = None if embed_budget is None else embed_budget - used
            else:
                proba = head.predict_proba(batch)
            if lang in getattr(self, "target_priors_", {}):  # the corpus's base rates (adapt)
                proba = shift_priors(proba, head.class_priors_, self.target_priors_[lang], max_ratio=MAX_RATIO)
            classes = list(head.classes_)
            p_pos = proba[:, classes.index("positive")] if "positive" in classes else 0.0
            p_neg = proba[:, classes.index("negative")] if "negative" in classes else 0.0
            score[idx] = p_pos - p_neg
            confidence[idx] = proba.max(axis=1)
            labels = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
            if "neutral" not in classes:  # two-class head: weak polarity reads as neutral
                labels = np.where(proba.max(axis=1) < NEUTRAL_BAND, "neutral", labels)
            sentiment[idx] = labels
            emotion_head = self.emotion_heads_[lang]
            if emotion_head is not None:
                emotion[idx], emotion_conf[idx] = _emotion_given_polarity(
                    emotion_head.predict_proba(batch), np.asarray(emotion_head.classes_, dtype=object), labels,
                    proba.max(axis=1))
        aspects = []
        for i, text in enumerate(plain):
            aspects.append(self.aspects_.match(text, langs[i]) if text else [])
            self._resolve_emotion(i, text, langs[i], sentiment, score, confidence, emotion, emotion_conf)
            if not text:
                continue
            if langs[i] == UNDETERMINED and not notes[i]:
                notes[i] = "language undetermined"
        return pd.DataFrame({
            "lang": langs, "sentiment": sentiment, "sentiment_score": np.round(score, 4),
            "confidence": np.round(confidence, 4), "emotion": emotion, "emotion_confidence": np.round(emotion_conf, 4),
            "aspects": aspects, "note": notes,
        }), embedded

    def _resolve_emotion(self, i, text, lang, sentiment, score, confidence, emotion, emotion_conf) -> None:
        """Emotion from the lexicon cues (en/de, gratitude everywhere, emoji), else from the sentiment.

        Cue-based emotions are rules, not calibrated models: their confidence is a fixed 0.5–0.8 by the
        number of cues, scaled by the sentiment confidence when the emotion is inferred from polarity.
        """
        cues = emotion_cues(self.emotion_lexicon_, text, lang) if text else {}
        polarity = sentiment[i]
        unsure_praise = polarity == "positive" and confidence[i] < 0.5  # a head out of its domain, barely leaning positive
        if self.overrides(lang) and (polarity == "neutral" or unsure_praise) and cues and confidence[i] < self.override_below:
            # The German head knows one domain (rail feedback, 70 % neutral) and calls most out-of-domain
            # complaints neutral; clear emotion cues with a single polarity overrule it (docs/text.md).
            negative = sum(v for k, v in cues.items() if k in _NEGATIVE_EMOTIONS)
            positive = sum(v for k, v in cues.items() if k in ("joy", "gratitude"))
            if bool(negative) != bool(positive):
                sentiment[i] = polarity = "negative" if negative else "positive"
                score[i] = -0.5 if negative else 0.5
                confidence[i] = 0.5
        overridable = self.overrides(lang) and polarity == "neutral" and confidence[i] < self.override_below
        weak = lang == "zh" and polarity == "neutral"  # the two-class head's band of weak polarity ("没问题")
        if ((polarity == "negative" or overridable or weak) and lang in LANGUAGES
                and not any(k in _NEGATIVE_EMOTIONS for k in cues) and reads_as_litotes(text, lang)):
            # "not bad", "no complaints", "kann nicht klagen": the heads learnt the complaint word from
            # complaints and miss the negator (the German head calls it neutral, like most of its rail
            # feedback); a short text whose only complaint words are negated praises (docs/text.md, "Litotes")
            sentiment[i] = polarity = "positive"
            score[i], confidence[i] = LITOTES_SCORE, LITOTES_CONFIDENCE
            emotion_conf[i] = 0.0  # a trained emotion head chose under the negative reading
        if lang == UNDETERMINED and text and cues:  # emoji-only and similar: polarity from the cues
            negative = sum(v for k, v in cues.items() if k in _NEGATIVE_EMOTIONS)
            positive = sum(v for k, v in cues.items() if k in ("joy", "gratitude"))
            if negative != positive:
                sentiment[i] = "negative" if negative > positive else "positive"
                score[i] = 0.5 if positive > negative else -0.5
                confidence[i] = 0.5
                polarity = sentiment[i]
        if cues.get("gratitude") and polarity != "negative":
            emotion[i], emotion_conf[i] = "gratitude", min(0.5 + 0.1 * cues["gratitude"], 0.8)
            return
        named = {k: v for k, v in cues.items() if k in _NEGATIVE_EMOTIONS}
        head_says_negative = emotion_conf[i] > 0 and emotion[i] in _NEGATIVE_EMOTIONS and "anger" not in named
        if named and polarity != "positive" and not head_says_negative and not any(k in ("joy", "gratitude") for k in cues):
            # a negative feeling the customer names ("非常生气", "sehr verärgert", "really angry") is never joy or
            # neutral, in any language: the cue overrules the zh head (Weibo-trained) where it chose no negative
            # emotion or the customer names anger; otherwise the head keeps its negative emotion (letting every
            # cue overrule it cost CLUE accuracy 0.546 → 0.522; docs/text.md)
            best = max(named, key=lambda k: (named[k], -_NEGATIVE_EMOTIONS[k]))
            emotion[i], emotion_conf[i] = best, min(0.5 + 0.1 * named[best], 0.8)
            return
        if emotion_conf[i] > 0:  # a trained head (zh) already decided (consistent with a sure polarity)
            if polarity == "positive" and emotion[i] in _NEGATIVE_EMOTIONS and emotion_conf[i] < 0.5:
                emotion[i], emotion_conf[i] = "joy", confidence[i] * 0.5
            return
        wanted = _NEGATIVE_EMOTIONS if polarity == "negative" else ({"joy": 0} if polarity == "positive" else {})
        hits = {k: v for k, v in cues.items() if k in wanted}
        if hits:
            best = max(hits, key=lambda k: (hits[k], -wanted[k]))
            emotion[i], emotion_conf[i] = best, min(0.5 + 0.1 * hits[best], 0.8)
        elif polarity == "negative":
            emotion[i], emotion_conf[i] = "frustration", 0.4 * confidence[i]
        elif polarity == "positive":
            emotion[i], emotion_conf[i] = "joy", 0.5 * confidence[i]
        else:
            emotion[i], emotion_conf[i] = "neutral", confidence[i] if text else 0.0


#: Sentiment of a text that reads as litotes (:func:`~empathica.understand.text.negation.reads_as_litotes`)
#: where a head called it negative (or, under the German cue override or in the Chinese weak-polarity
#: band, neutral): mildly positive, with a rule's fixed confidence, like the cue override's. Real labelled
#: data has too few bare litotes to measure it (bench "text: litotes"): the evidence is the probes and tests.
LITOTES_SCORE = 0.5
LITOTES_CONFIDENCE = 0.5


def emotion_cues(lexicon, text: str, lang: str) -> dict[str, int]:
    """Hits per emotion of the cue lexicon in ``text``, negation-aware: a negated joy or gratitude cue
    ("nicht zufrieden", "not happy") counts as frustration, the opposite polarity; a negated negative cue
    ("not worried", "kein Stress") counts for nothing, since its absence says nothing about joy. Emoji
    cues are never negated."""
    langs = (lang, "emoji") if lang in LANGUAGES else ("en", "de", "zh", "emoji")
    counts: dict[str, int] = {}
    for key, by_lang in lexicon.patterns.items():
        for code in langs:
            if code not in by_lang:
                continue
            for match in by_lang[code].finditer(text):
                target = key
                if code != "emoji" and is_negated(text, match.start(), code):
                    if key not in ("joy", "gratitude"):
                        continue
                    target = "frustration" if key == "joy" else None
                if target:
                    counts[target] = counts.get(target, 0) + 1
    return counts


#: The emotions a text of each polarity may carry (a neutral text may carry any).
_EMOTIONS_OF_POLARITY = {"negative": set(_NEGATIVE_EMOTIONS), "positive": {"joy", "gratitude", "neutral"}}
#: Sentiment confidence from which the emotion must agree with the polarity. Measured on the held-out rows
#: (docs/text.md, "Emotion"): restricting every text cuts CLUE emotion accuracy from 0.572 to 0.525 (the
#: sentiment head is out of its domain on CLUE's social-media posts); from 0.8 on it costs 0.005 and leaves
#: 106 of 1,941 ChnSentiCorp reviews with an emotion against their polarity instead of 477.
EMOTION_POLARITY_FLOOR = 0.8


def _emotion_given_polarity(proba: np.ndarray, classes: np.ndarray, polarity: np.ndarray,
                            sentiment_confidence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The emotion head's choice and its probability; where the sentiment is sure (confidence ≥
    :data:`EMOTION_POLARITY_FLOOR`), the choice among the emotions consistent with the polarity, with its
    probability given that set, ``p(e) / Σ p(e')`` over the allowed ``e'``: a clearly negative review is
    never "joy" because the emotion head, trained on other data, leans that way."""
    allowed = np.ones(proba.shape, dtype=bool)
    sure = np.asarray(sentiment_confidence) >= EMOTION_POLARITY_FLOOR
    for name, emotions in _EMOTIONS_OF_POLARITY.items():
        rows = (np.asarray(polarity) == name) & sure
        allowed[rows] = np.isin(classes, list(emotions))
    masked = np.where(allowed, proba, 0.0)
    total = masked.sum(axis=1, keepdims=True)
    conditional = np.where(total > 0, masked / np.where(total > 0, total, 1.0), proba)
    return classes[conditional.argmax(axis=1)], conditional.max(axis=1)


@lru_cache(maxsize=1)
def _default_analyzer() -> TextAnalyzer:
    return TextAnalyzer().load()


def load_default() -> TextAnalyzer:
    """The analyzer with the shipped models (the same instance as :meth:`TextAnalyzer.default`)."""
    return TextAnalyzer.default()
