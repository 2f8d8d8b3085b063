"""How distressed a customer's turn is: negative emotion (from the text analyzer) and stress cues.

``distress = 0.5 · negativity + 0.5 · stress`` when the text analyzer
(``empathica.understand.text.TextAnalyzer``) is available, where negativity = max(0, −sentiment_score);
otherwise ``distress = stress`` alone. ``stress`` = 1 − exp(−0.7 · stress-cue hits) from the per-language
lexicon in :mod:`empathica.understand.empathy.cues`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from empathica.understand.empathy.cues import stress_score

#: A customer turn at or above this distress is a distress moment.
DISTRESS_THRESHOLD = 0.5


def _analyzer():
    try:
        from empathica.understand.text import TextAnalyzer  # built by the text analytics issue
    except ImportError:
        return None
    try:
        return TextAnalyzer.default()
    except Exception:  # noqa: BLE001 - a missing or untrained text model must not stop empathy scoring
        return None


def customer_distress(texts: Sequence[str], languages: Sequence[str], *, use_text_analyzer: bool = True,
                      sentiment: Sequence[float] | None = None, text_analyzer=None) -> pd.DataFrame:
    """Per text: ``sentiment_score`` (−1..1; NaN without the text analyzer), ``stress``, ``distress`` (0..1).

    ``sentiment``: scores already computed (e.g. the text step's ``text_scores``); the analyzer is then not run.
    ``text_analyzer``: the :class:`~empathica.understand.text.TextAnalyzer` that scores sentiment (e.g.
    ``TextAnalyzer.from_settings(settings)``); default: the shipped one.
    """
    texts = ["" if not isinstance(t, str) else t for t in texts]
    stress = np.array([stress_score(t, lang) for t, lang in zip(texts, languages)])
    given = sentiment is not None and np.isfinite(np.asarray(sentiment, dtype=float)).any()
    sentiment = np.asarray(sentiment, dtype=float) if given else np.full(len(texts), np.nan)
    analyzer = (text_analyzer or _analyzer()) if use_text_analyzer and texts and not given else None
    if analyzer is not None:
        try:
            result = analyzer.analyze(list(texts))
            sentiment = pd.to_numeric(pd.DataFrame(result)["sentiment_score"], errors="coerce").to_numpy(dtype=float)
        except Exception:  # noqa: BLE001 - contract not met yet: fall back to the stress lexicon
            sentiment = np.full(len(texts), np.nan)
    negativity = np.clip(-np.nan_to_num(sentiment, nan=0.0), 0, 1)
    distress = np.where(np.isnan(sentiment), stress, 0.5 * negativity + 0.5 * stress)
    return pd.DataFrame({"sentiment_score": sentiment, "stress": stress.round(4), "distress": np.round(distress, 4)})
