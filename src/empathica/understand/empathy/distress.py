"""How distressed a customer's turn is: the customer's own words (anger, waiting, repeated contact, loss,
fear, grief, threats to leave, emphasis) in zh/de/en, combined with negative sentiment.

``cues = 1 − exp(−0.7 · max(0, hits))``, hits = the summed weights of the kinds of ``distress_cues.toml`` the
turn holds (each kind once; weight 1 unless the file says otherwise), so one kind alone (0.50) is a distress
moment; Chinese praise written twice or more (``praise``, weight −0.5: "房间不错，就是早餐一般，服务很热情") takes half a
kind off, so a mixed review with one complaint word is no longer distressed from its words alone. With the text analyzer's sentiment
(``empathica.understand.text.TextAnalyzer``), negativity = max(0, −sentiment_score), and the two are
combined as independent evidence: ``distress = 1 − (1 − negativity)·(1 − cues)``; without it,
``distress = cues``. So "Ich warte seit drei Wochen auf meine Rückerstattung!!" (waiting, loss, emphasis)
and "退款到现在还没到账，太过分了！" (loss, waiting, anger) are distressed whatever their sentiment score.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from empathica.understand.empathy.cue_files import kind_weights, kinds_in, load_cue_file

#: A customer turn at or above this distress is a distress moment.
DISTRESS_THRESHOLD = 0.5

#: The shipped cue file: kind → language → regular expressions.
DISTRESS_CUE_FILE = Path(__file__).with_name("distress_cues.toml")

def load_distress_cues(path: Path = DISTRESS_CUE_FILE) -> dict:
    """Kind → language → compiled pattern of a distress cue file (default: the shipped one)."""
    return load_cue_file(Path(path))


def distress_kinds(text: str, language: str, *, cues: dict | None = None) -> list[str]:
    """The kinds of distress cue ``text`` holds (anger, waiting, repeated_contact, loss, fear, grief …;
    kinds that count against distress, such as ``praise``, are left out)."""
    weights = kind_weights(DISTRESS_CUE_FILE)
    return [k for k in kinds_in(text, language, cues or load_distress_cues()) if weights.get(k, 1.0) > 0]


def cue_hits(text: str, language: str, *, cues: dict | None = None, weights: dict | None = None) -> float:
    """The summed weights of the cue kinds ``text`` holds, those that count against included (≥ 0)."""
    weights = weights if weights is not None else kind_weights(DISTRESS_CUE_FILE)
    found = kinds_in(text, language, cues or load_distress_cues())
    return max(0.0, sum(weights.get(k, 1.0) for k in found))


def cue_distress(hits: float) -> float:
    """Distress from the (weighted) number of cue kinds: 1 − exp(−0.7·hits)."""
    return float(1.0 - np.exp(-0.7 * hits))


def _analyzer():
    try:
        from empathica.understand.text import TextAnalyzer
    except ImportError:
        return None
    try:
        return TextAnalyzer.default()
    except Exception:  # noqa: BLE001 - a missing or untrained text model must not stop empathy scoring
        return None


def customer_distress(texts: Sequence[str], languages: Sequence[str], *, use_text_analyzer: bool = True,
                      sentiment: Sequence[float] | None = None, text_analyzer=None) -> pd.DataFrame:
    """Per text: ``sentiment_score`` (−1..1; NaN without the text analyzer), ``stress`` (distress from the
    cues, 0..1), ``distress_kinds`` (the cue kinds found) and ``distress`` (0..1).

    ``sentiment``: scores already computed (e.g. the text step's ``text_scores``); the analyzer is then not run.
    ``text_analyzer``: the :class:`~empathica.understand.text.TextAnalyzer` that scores sentiment (e.g.
    ``TextAnalyzer.from_settings(settings)``); default: the shipped one.
    """
    texts = ["" if not isinstance(t, str) else t for t in texts]
    cues = load_distress_cues()
    kinds = [distress_kinds(t, lang, cues=cues) for t, lang in zip(texts, languages)]
    stress = np.array([cue_distress(cue_hits(t, lang, cues=cues)) for t, lang in zip(texts, languages)])
    given = sentiment is not None and np.isfinite(np.asarray(sentiment, dtype=float)).any()
    sentiment = np.asarray(sentiment, dtype=float) if given else np.full(len(texts), np.nan)
    analyzer = (text_analyzer or _analyzer()) if use_text_analyzer and texts and not given else None
    if analyzer is not None:
        try:
            result = analyzer.analyze(list(texts))
            sentiment = pd.to_numeric(pd.DataFrame(result)["sentiment_score"], errors="coerce").to_numpy(dtype=float)
        except Exception:  # noqa: BLE001 - contract not met yet: fall back to the cues
            sentiment = np.full(len(texts), np.nan)
    negativity = np.clip(-np.nan_to_num(sentiment, nan=0.0), 0, 1)
    distress = 1.0 - (1.0 - negativity) * (1.0 - stress)
    return pd.DataFrame({"sentiment_score": sentiment, "stress": stress.round(4), "distress_kinds": kinds,
                         "distress": np.round(distress, 4)})
