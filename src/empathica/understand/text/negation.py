"""Negation in the text rules: how far a negator reaches, and litotes ("not bad", "no complaints").

The emotion cues and the sentiment rules of :mod:`empathica.understand.text.analyzer` read a cue after a
negator differently (:func:`is_negated`); a complaint word after a negator is praise by understatement
(:func:`litotes`), which the n-gram heads, trained on complaints, read as a complaint.
"""

from __future__ import annotations

import re

#: Negators that turn an emotion cue after them around ("nicht zufrieden", "not happy", "不满意").
NEGATORS = {
    "en": {"not", "no", "never", "nor", "neither", "hardly", "barely", "without", "nothing", "dont", "didnt", "doesnt",
           "isnt", "wasnt", "werent", "arent", "cant", "cannot", "couldnt", "wont", "wouldnt", "havent", "hasnt", "aint"},
    "de": {"nicht", "nichts", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals", "ohne",
           "weder", "kaum"},
}
#: Words before a cue in which a negator negates it ("nicht besonders zufrieden", "gar nicht zufrieden").
NEGATION_WINDOW = 3
#: "Never … so <cue>" and "nothing as/but <cue>" compare upwards: "Ich war noch nie so zufrieden", "I have never
#: been so happy", "nichts als zufrieden" praise. A cue right after one of these words, with one of the
#: negators of _NEVER before it, is not negated ("nie so richtig zufrieden" and "not so happy" still are).
_COMPARISON_WORDS = {"so", "als"}
_NEVER = {"nie", "niemals", "never", "nichts", "nothing"}
#: Chinese: a negator among the characters just before a cue ("不满意", "不太满意", "没有很开心").
_ZH_NEGATION = re.compile(r"(?:不|没)[有太很是够怎么那么]{0,3}$")
#: A negation does not reach past a clause: punctuation or a contrast ("nicht billig, aber super").
_CLAUSE_BREAK = re.compile(r"[,.;:!?()\n，。；：！？]|\b(?:but|aber|sondern|doch|jedoch|though|however|trotzdem)\b", re.IGNORECASE)
_WORDS = re.compile(r"[\w']+")


def is_negated(text: str, start: int, lang: str) -> bool:
    """Whether the cue at ``text[start:]`` is negated: a negator within :data:`NEGATION_WINDOW` words before
    it in the same clause (en/de; any word ending in "n't" counts), or just before it in Chinese."""
    before = text[max(0, start - 80):start].replace("’", "'")
    breaks = list(_CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end():]
    if lang == "zh":
        return bool(_ZH_NEGATION.search(before))
    negators = NEGATORS.get(lang, NEGATORS["en"] | NEGATORS["de"])
    words = [w.lower() for w in _WORDS.findall(before)[-NEGATION_WINDOW:]]
    if words and words[-1] in _COMPARISON_WORDS and _NEVER & set(words[:-1]):
        return False  # "noch nie so zufrieden", "never been so happy", "nichts als zufrieden": praise, not negation
    return any(w in negators or w.endswith("n't") for w in words)



#: Litotes: a complaint word right after a negator, with at most three filler words between ("not bad",
#: "not too bad", "no complaints", "never had a problem", "can't complain", "nothing to complain about",
#: "nicht schlecht", "keine Probleme", "nichts auszusetzen", "nicht zu beanstanden", "没问题", "不差").
#: Articles are no fillers: "not the issue", "nicht das Problem" deflect, they do not praise.
_LITOTES_NEGATORS = {
    "en": r"\w+n[’']t|not|no|never|nothing|nobody|cannot|cant|dont|didnt|doesnt|isnt|wasnt|werent|arent|couldnt|wont|"
          r"wouldnt|havent|hasnt|aint|without|zero",
    "de": r"nicht|nichts|kein|keine|keinen|keinem|keiner|keines|nie|niemals|ohne",
}
_LITOTES_FILLERS = {
    "en": r"a|an|any|too|that|so|all|had|have|has|ever|been|be|to|even|really|one|single|much|real|big|major|about|"
          r"of|with|them|it",
    "de": r"so|zu|allzu|besonders|mal|ein|einen|eine|mehr|wirklich|gerade|weiter|große[ns]?|großes|einzige[ns]?|"
          r"geringste[nr]?|jemals|ganz|gar|daran|dran",
}
_COMPLAINT_WORDS = {
    "en": r"bad|problems?|issues?|complain\w*|complaints?|disappoint\w*|regrets?|regretted|hassles?|troubles?|fault|"
          r"worries|fuss",
    "de": r"schlecht(?:e[nmrs]?)?|probleme?n?|beschwer\w*|beanstand\w*|klagen|enttäusch\w*|bereu\w*|ärger|stress|"
          r"auszusetzen|einzuwenden|mängel|übel",
    "zh": r"问题|差|失望|后悔|麻烦|毛病",
}
_LITOTES = {
    lang: re.compile(rf"(?<!\w)(?:{_LITOTES_NEGATORS[lang]})\s+(?:(?:{_LITOTES_FILLERS[lang]})\s+){{0,3}}"
                     rf"(?:{_COMPLAINT_WORDS[lang]})(?!\w)", re.IGNORECASE)
    for lang in ("en", "de")
} | {"zh": re.compile(rf"(?:没有?|不|无)(?:什么|任何|太|啥|大|那么|怎么)?(?:{_COMPLAINT_WORDS['zh']})")}
_COMPLAINT = {lang: re.compile(rf"(?<!\w)(?:{words})(?!\w)" if lang != "zh" else words, re.IGNORECASE)
              for lang, words in _COMPLAINT_WORDS.items()}
#: A contrast or a question keeps a litotes from speaking for the whole text ("not bad, but …", "kein Problem,
#: aber …", "I want to make sure there isn't a problem?").
_CONTRAST_OR_QUESTION = re.compile(
    r"\b(?:but|however|though|although|except|aber|sondern|doch|jedoch|trotzdem|allerdings)\b|[?？]|但|可是|不过|然而|却",
    re.IGNORECASE)


def litotes(text: str, lang: str) -> tuple[int, int]:
    """``(praise, complaints)``: complaint words negated as litotes, and complaint words that are not.

    A text with litotes, no plain complaint word and no contrast or question (``praise and not
    complaints``, see :func:`reads_as_litotes`) praises by understatement: "Not bad at all", "No
    complaints, delivery on time", "Kann nicht klagen", "没问题".
    """
    if lang not in _LITOTES:
        return 0, 0
    spans = [m.span() for m in _LITOTES[lang].finditer(text)]
    words = [m.span() for m in _COMPLAINT[lang].finditer(text)]
    plain = sum(1 for s, e in words if not any(a <= s and e <= b for a, b in spans))
    return len(spans), plain


#: Longest text a litotes speaks for: in a short comment ("No complaints, delivery on time") it is the
#: point; in a longer one it is one clause among others ("… Guess all delays are not a bad thing"), and
#: the heads' reading of the whole stands. Words for en/de, characters for zh.
LITOTES_MAX_WORDS = 12
LITOTES_MAX_CHARS_ZH = 20


def reads_as_litotes(text: str, lang: str) -> bool:
    """Whether a short text's only complaint words are negated (litotes) and nothing contrasts or asks."""
    size = len(text.strip()) if lang == "zh" else len(_WORDS.findall(text))
    if size > (LITOTES_MAX_CHARS_ZH if lang == "zh" else LITOTES_MAX_WORDS):
        return False
    praise, complaints = litotes(text, lang)
    return bool(praise) and not complaints and not _CONTRAST_OR_QUESTION.search(text)
