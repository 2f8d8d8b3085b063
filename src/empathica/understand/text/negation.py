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
_APOSTROPHES = "'’´‘"
_LITOTES_NEGATORS = {
    "en": rf"\w+n[{_APOSTROPHES}]t|not|no|never|nothing|nobody|cannot|cant|dont|didnt|doesnt|isnt|wasnt|werent|arent|"
          r"couldnt|wont|wouldnt|shouldnt|havent|hasnt|aint|hardly|without|zero",
    "de": r"nicht|nichts|kein|keine|keinen|keinem|keiner|keines|keinerlei|nie|niemals|ohne",
}
_LITOTES_FILLERS = {
    "en": r"a|an|any|too|that|so|all|had|have|has|ever|been|be|to|even|really|one|single|much|real|big|major|about|"
          r"of|with|them|it",
    "de": r"so|zu|allzu|besonders|mal|ein|einen|eine|mehr|wirklich|gerade|weiter|gro(?:ß|ss)e[ns]?|gro(?:ß|ss)es|"
          r"einzige[ns]?|geringste[nr]?|jemals|ganz|gar|daran|dran|grund|zur|zum|mich|uns",
}
_COMPLAINT_WORDS = {
    "en": r"bad|problems?|problemo|issues?|complain\w*|complaints?|disappoint\w*|regrets?|regretted|hassles?|"
          r"troubles?|fault|worries|fuss|shabby|qualms|hiccups?",
    "de": r"schlecht(?:e[nmrs]?)?|probleme?n?|beschwer\w*|beklag\w*|klagen?|beanstand\w*|meckern|enttäusch\w*|bereu\w*|"
          r"ärger|stress|auszusetzen|einzuwenden|mängel|übel",
    "zh": r"问题|失望|后悔|麻烦|毛病",
}
#: Never … so/such/much compares upwards ("never been so bad", "noch nie so großen Ärger"): no litotes.
_NEVER_SO = re.compile(r"(?<!\w)(?:never|nie|niemals)\s+(?:\w+\s+){0,2}?(?:so|such|much|that|viel|gro(?:ß|ss)\w*)(?!\w)",
                       re.IGNORECASE)
_LITOTES = {
    lang: re.compile(rf"(?<!\w)(?:{_LITOTES_NEGATORS[lang]})\s+(?:(?:{_LITOTES_FILLERS[lang]})\s+){{0,3}}"
                     rf"(?:{_COMPLAINT_WORDS[lang]})(?![\w-])", re.IGNORECASE)
    for lang in ("en", "de")
} | {"zh": re.compile(rf"(?:没有?|不|无)(?:什么|任何|太|啥|大|那么|怎么|让我|让人|会让你){{0,2}}(?:{_COMPLAINT_WORDS['zh']})"
                      r"|不差(?![钱多])|问题不大|一点问题都没有")}
#: "<complaint>-free" ("hassle-free delivery") is no complaint word: a complaint word is never followed by a hyphen.
_COMPLAINT = {lang: re.compile(rf"(?<!\w)(?:{words})(?![\w-])" if lang != "zh" else words + r"|(?<![出相偏误时落])差", re.IGNORECASE)
              for lang, words in _COMPLAINT_WORDS.items()}
#: A contrast or a question keeps a litotes from speaking for the whole text ("not bad, but …", "kein Problem,
#: aber …", "I want to make sure there isn't a problem?").
_CONTRAST_OR_QUESTION = re.compile(
    r"\b(?:but|however|though|although|except|aber|sondern|doch|jedoch|trotzdem|allerdings)\b|[?？]|但|可是|不过|然而|却",
    re.IGNORECASE)
#: Words beside a litotes that turn it into sarcasm, a condition, a "so far" or a complaint about something
#: else ("Not bad for the worst airline", "Never had a problem until now", "No problem, I'll just wait",
#: "other than that no problems", "其它问题不大" — the other problems are small, so there is a main one,
#: "Kein Stress, wir warten gern drei Stunden", "没问题才怪", "客服一直说没问题，结果还是坏了").
_LITOTES_SPOILERS = {
    "en": re.compile(r"(?<!\w)(?:until|till|before|now|anymore|if|unless|for|only|just|lol|lmao|again|still|yet|"
                     r"because|since|enough|said|says|say|apparently|idea|fix|late|delay\w*|broken|crash\w*|cancel\w*|"
                     r"wait\w*|hold|who|when|other|otherwise|apart|besides|(?!(?:every|some|any)thing)\w{2,}ing)(?!\w)", re.IGNORECASE),
    "de": re.compile(r"(?<!\w)(?:bis|bisher\s+noch|jetzt|wenn|falls|für|nur|erst|schon\s+wieder|wieder|noch\s+immer|"
                     r"immer\s+noch|weil|sagen|sagt|sagte|heißt|angeblich|spät\w*|kaputt\w*|defekt\w*|warte\w*|"
                     r"gewartet|wer|katastroph\w*|furchtbar\w*|schrecklich\w*|miserabel\w*|grauenhaft\w*|mies\w*|"
                     r"unzumutbar\w*|sonst|ansonsten|abgesehen|außer)(?!\w)", re.IGNORECASE),
    "zh": re.compile(r"其它|其他|除了|才怪|要是|如果|有没有|是不是|结果|还是|一直|说好|怎么能|没法|不得|坏|吗|呢|啊|吧"),
}
#: Mentions and links (tweets) are not words of the comment.
_MENTION_OR_LINK = re.compile(r"@\w+|https?://\S+|www\.\S+")
#: Words beside the litotes: at most this many ("No complaints, delivery on time" has four), so the litotes
#: is the comment's point and not one clause among others. zh: characters.
LITOTES_MAX_OTHER_WORDS = 5
LITOTES_MAX_OTHER_CHARS_ZH = 6
_COUNTED_WORDS = re.compile(rf"[\w{_APOSTROPHES}]+")
#: A negator beside a litotes makes it a double negation or a complaint of its own ("no problems, never again").
_OTHER_NEGATORS = frozenset(NEGATORS["en"] | NEGATORS["de"] | {"nobody", "keinerlei", "zero"})
_NT = re.compile(rf"n[{_APOSTROPHES}]t$")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _negative_word(word: str) -> bool:
    """An English word VADER's lexicon (shipped in its wheel) rates clearly negative ("terrible", "rude")."""
    from empathica.understand.text.heads import vader_valence

    return vader_valence(word.lower()) <= -1.0


def litotes(text: str, lang: str) -> tuple[int, int]:
    """``(praise, complaints)``: complaint words negated as litotes, and complaint words that are not.

    A litotes that is itself negated ("not without problems", "没法不失望") or follows "never … so"
    ("never been so bad") is no praise and counts as a complaint.
    """
    if lang not in _LITOTES:
        return 0, 0
    spans, false = [], []
    for m in _LITOTES[lang].finditer(text):
        doubled = (is_negated(text, m.start(), lang) if lang != "zh"
                   else bool(re.search(r"[不没无非][^，。！？,.!?]{0,2}$", text[max(0, m.start() - 3):m.start()])))
        (false if doubled or _NEVER_SO.match(m.group(0)) else spans).append(m.span())
    words = [m.span() for m in _COMPLAINT[lang].finditer(text)]
    plain = sum(1 for s, e in words if not any(a <= s and e <= b for a, b in spans))
    return len(spans), plain


def reads_as_litotes(text: str, lang: str) -> bool:
    """Whether a short comment is a litotes and nothing else: "Not bad at all", "No complaints, delivery on
    time", "Kann nicht klagen", "没什么问题". Its complaint words are all negated (:func:`litotes`), and
    beside the litotes there are at most :data:`LITOTES_MAX_OTHER_WORDS` words, none a negator, a contrast,
    a question, a spoiler (:data:`_LITOTES_SPOILERS`) or, in English, a word VADER rates negative."""
    if lang not in _LITOTES:
        return False
    body = _MENTION_OR_LINK.sub(" ", text)
    if _CONTRAST_OR_QUESTION.search(body):
        return False
    praise, complaints = litotes(body, lang)
    if not praise or complaints:
        return False
    rest = _LITOTES[lang].sub(" ", body)
    if _LITOTES_SPOILERS[lang].search(rest):
        return False
    if lang == "zh":
        return len(_HAN.findall(rest)) <= LITOTES_MAX_OTHER_CHARS_ZH and not re.search("[不没无非]", rest)
    others = [w.lower() for w in _COUNTED_WORDS.findall(rest) if not w.isdigit()]
    if len(others) > LITOTES_MAX_OTHER_WORDS:
        return False
    if any(w in _OTHER_NEGATORS or _NT.search(w) for w in others):
        return False
    return lang != "en" or not any(_negative_word(w) for w in others)
