"""Understand text: language, calibrated sentiment, emotion, aspects (pain points) and topics.

>>> from empathica.understand.text import TextAnalyzer, detect_language
>>> detect_language(["快递太慢了", "Where is my refund?"])
['zh', 'en']
>>> TextAnalyzer.default().analyze(["快递太慢了，退款也没到"]).loc[0, "aspects"]
['delivery_delay', 'refund']
"""

from empathica.understand.text.analyzer import COLUMNS, EMOTIONS, SENTIMENTS, TextAnalyzer, load_default
from empathica.understand.text.catalogue import PatternCatalogue, load_aspects
from empathica.understand.text.language import LANGUAGES, detect_language
from empathica.understand.text.static import static_embed
from empathica.understand.text.topics import Topics, discover_topics

__all__ = [
    "COLUMNS",
    "EMOTIONS",
    "LANGUAGES",
    "PatternCatalogue",
    "SENTIMENTS",
    "TextAnalyzer",
    "Topics",
    "detect_language",
    "discover_topics",
    "load_aspects",
    "load_default",
    "static_embed",
]
