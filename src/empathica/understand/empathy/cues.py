"""Language-aware text handling for empathy: language guess, sentence spans, empathic-cue lexicons.

The cue lexicons (``empathy_cues.toml``, data) map phrases of English, German and Chinese onto the same concepts (an emotional
reaction, showing understanding, asking about the person, a transactional formula, a stress cue), so a
model trained on English features of these concepts applies to German and Chinese text unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from empathica.understand.empathy.cue_files import load_cue_file

LANGUAGES = ("en", "de", "zh")

_CJK = re.compile(r"[\u3400-\u9fff]")
_GERMAN = re.compile(
    r"[äöüß]|\b(ich|nicht|und|der|die|das|ist|sie|ihnen|bitte|mein|meine|wir|haben|wurde|leider|danke|noch|auf|mit|für|"
    r"bei|ein|eine|wird|werden|sind|auch|oder|im|vom|zum|zur|sehr|gerne|ihr|ihre|dass|es|uns|nach|kein|keine|"
    r"angeben|lt|agb|gem|wie|was|geht|mir|dir|schon|wieder|heute|morgen)\b",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?。！？；;\n]+[.!?。！？；;\n]*")
_WORD = re.compile(r"\w+(?:'\w+)?")


def guess_language(text: str) -> str:
    """'zh', 'de' or 'en' from the script and common function words (fast; good enough for routing)."""
    if not text:
        return "en"
    cjk = len(_CJK.findall(text))
    if cjk >= 2 and cjk >= 0.15 * len(text.replace(" ", "")):
        return "zh"
    words = max(1, len(_WORD.findall(text)))
    return "de" if len(_GERMAN.findall(text)) / words >= 0.12 else "en"


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of ``text`` (Western and CJK punctuation)."""
    spans = []
    for m in _SENTENCE.finditer(text):
        chunk = m.group()
        if chunk.strip():
            lead = len(chunk) - len(chunk.lstrip())
            spans.append((m.start() + lead, m.end() - (len(chunk) - len(chunk.rstrip()))))
    return spans or ([(0, len(text))] if text.strip() else [])


def word_length(text: str, language: str) -> float:
    """Length in English-word equivalents: Chinese characters count 1/1.6 word (typical zh:en ratio)."""
    if language == "zh":
        return len(_CJK.findall(text)) / 1.6 + len(re.findall(r"[A-Za-z0-9]+", text))
    return float(len(_WORD.findall(text)))


def _rx(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


#: The shipped empathic-cue lexicons (data): concept → language → regular expressions.
EMPATHY_CUE_FILE = Path(__file__).with_name("empathy_cues.toml")

#: Concept → language → pattern (reaction, understanding, exploring, transactional). Every concept exists in
#: every language; the phrases are in ``empathy_cues.toml``.
CUES: dict[str, dict[str, re.Pattern]] = load_cue_file(EMPATHY_CUE_FILE)

#: Transactional / procedural questions, per language: they ask for a reference number, an email or
#: account detail, a confirmation, or whether a troubleshooting step was done, or offer a product choice
#: ("Purchase or refinance?"). They are not explorations of the person's feelings or situation: a reply
#: whose every question is one of these has explorations capped at level 0 (``procedural_only``).
PROCEDURAL_QUESTION: dict[str, re.Pattern] = {
    "en": _rx(r"\b(order|account|reference|ref|tracking|case|ticket|confirmation|booking|reservation|invoice|customer|member"
              r"|policy|serial|phone|membership|transaction|loan|card)\s*(no|number|num|id|#)\b",
              r"\be-?mail\b", r"\bconfirm\b", r"\bverify\b", r"\b(restart|reboot|reinstall|re-install|log(ged)? out|sign(ed)? out"
              r"|clear(ed)? (your |the )?(cache|cookies)|update(d)? (the|your) app)\w*", r"\brestarting\b|\brebooting\b",
              r"\btried (restart|reboot|reinstall|clear|log|sign|updat|turn|switch|unplug|reset)\w*",
              r"\bcheck(ed)? (your|the) (spam|junk|inbox|promotions)", r"\b(purchase|buy|lease|rent) or (a )?(refinanc|rent|lease|buy)\w*",
              r"\b(post ?code|zip ?code|date of birth|username|user name|password|shipping address|billing address)\b",
              r"\bscreenshot\b", r"\bwhich (plan|model|device|browser|version|product|size|colou?r|store|branch|option)\b"),
    "de": _rx(r"(bestell|kunden|vorgangs|referenz|sendungs|auftrags|rechnungs|ticket|vertrags|telefon|konto|buchungs|mitglieds)"
              r"[-\s]?(nummer|nr)", r"\be-?mail", r"bestätig", r"\bverifizier", r"neu ?start|neustart|neu installier",
              r"\b(ab|aus)gemeldet\b|\babmelden\b", r"\b(cache|cookies)\b", r"spam|junk-?ordner|posteingang",
              r"\b(kauf|kaufen) oder (umschuldung|anschlussfinanzierung|miete|mieten|leasing)", r"\bpostleitzahl\b|\bplz\b",
              r"\bgeburtsdatum\b|\bbenutzername\b|\bpasswort\b|\b(liefer|rechnungs)adresse\b", r"\bscreenshot\b",
              r"welche[nrs]? (tarif|modell|gerät|browser|version|produkt|größe|farbe|filiale)"),
    "zh": _rx(r"订单号|单号|订单编号|工单号|账号|帐号|账户|帐户|手机号|电话号码|会员号|卡号", r"邮箱|电子邮件|邮件地址", r"确认",
              r"验证", r"重启|重新启动|重新安装|重装|退出登录|重新登录|清除缓存|清理缓存", r"垃圾邮件", r"验证码|密码|用户名",
              r"(收货|送货|账单)?地址", r"出生日期", r"截图", r"购买还是|买还是|还是(再)?贷款|还是转贷",
              r"哪(个|款|种)(套餐|型号|设备|版本|产品|尺码|颜色|门店)"),
}
#: A question that asks about the person (their feelings, how they are, what happened) is never procedural.
_PERSONAL_QUESTION: dict[str, re.Pattern] = {
    "en": _rx(r"\bhow are you\b", r"\bhow (do|did) you feel", r"\bholding up\b", r"\bfeeling\b", r"\bwhat happened\b"),
    "de": _rx(r"wie geht es", r"wie fühl", r"was ist passiert"),
    "zh": _rx(r"还好吗", r"感觉", r"发生了什么", r"心情"),
}


def procedural_only(text: str, language: str) -> bool:
    """True when ``text`` asks at least one question and every question is transactional/procedural
    (``PROCEDURAL_QUESTION``) and none asks about the person, and no other sentence holds an exploring cue."""
    lang = language if language in PROCEDURAL_QUESTION else "en"
    questions = others = 0
    for a, b in sentence_spans(text):
        sentence = text[a:b]
        if _QUESTION.search(sentence):
            if not PROCEDURAL_QUESTION[lang].search(sentence) or _PERSONAL_QUESTION[lang].search(sentence):
                return False
            questions += 1
        elif CUES["exploring"][lang].search(sentence):
            others += 1
    return questions > 0 and others == 0


_YOU = {"en": re.compile(r"\b(you|your|yours|yourself|you're|you've|you'll|you'd)\b", re.I),
        "de": re.compile(r"\b(sie|ihnen|ihr|ihre|ihren|du|dich|dir|dein|deine|euch)\b"),
        "zh": re.compile(r"[你您]")}
_ME = {"en": re.compile(r"\b(i|me|my|mine|myself|i'm|i've|i'd|i'll)\b", re.I),
       "de": re.compile(r"\b(ich|mich|mir|mein|meine|meinen)\b", re.I),
       "zh": re.compile(r"我(?!们)")}
_QUESTION = re.compile(r"[?？]")

#: Names of the language-independent cue features, in column order.
CUE_FEATURES = ("log_length", "short", "questions", "you_rate", "me_rate", "reaction", "understanding", "exploring",
                "transactional", "reaction_any", "understanding_any", "exploring_any", "short_understanding")


def cue_counts(text: str, language: str) -> dict[str, int]:
    """How many phrases of each cue concept ``text`` holds."""
    return {concept: len(pats[language].findall(text)) for concept, pats in CUES.items()}


def cue_matrix(texts: Sequence[str], languages: Sequence[str]) -> np.ndarray:
    """The language-independent cue features of each text (rows) in ``CUE_FEATURES`` order."""
    out = np.zeros((len(texts), len(CUE_FEATURES)))
    for i, (text, lang) in enumerate(zip(texts, languages)):
        lang = lang if lang in LANGUAGES else "en"
        n = word_length(text, lang)
        norm = np.log1p(n + 1)
        c = cue_counts(text, lang)
        out[i] = (
            np.log1p(n), n < 12, len(_QUESTION.findall(text)),
            len(_YOU[lang].findall(text)) / norm, len(_ME[lang].findall(text)) / norm,
            c["reaction"], c["understanding"], c["exploring"], c["transactional"],
            c["reaction"] > 0, c["understanding"] > 0, c["exploring"] > 0, (c["understanding"] > 0) and n < 20,
        )
    return out
