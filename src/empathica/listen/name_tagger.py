"""A learned person-name tagger for free text (zh/de/en): a linear model over candidate tokens, beside the rules.

The rules (``names.py``, ``name_cues.py``) find a name by a cue they list; a name in a frame no cue covers
("Our waiter tonight was Fenwick", 要找的人是闵浩宇) passes them. The tagger scores every candidate — a
capitalised Latin word, or a Chinese surname (single or compound, from the shipped lists) with one or two
following characters — by features of the candidate itself (shape, affixes, membership of the shipped first-name,
surname and common-word lists, for Chinese the surname and given-name characters and how the candidate sits among
the words of jieba's dictionary) and of its neighbours (the words or characters before and after, punctuation,
sentence start). The candidate's own word is a feature too, but the names it is trained on are swapped for others
drawn from the shipped lists, so a name's own word carries little weight: the model judges a name by its form and
its frame, while the ordinary capitalised words of real texts (White, Rauch, Target) learn to stay.

The shipped model (``name_tagger.json``, with its card ``name_tagger_card.md``) is trained by
``python -m bench.train_name_tagger`` from data the repository ships or generates (the labelled hand-written sets
it names, names planted into the tuning domains' texts), with names swapped for others from the shipped lists.
Inference is plain Python (a dictionary of weights); scikit-learn is needed only to fit.

>>> NameTagger.shipped().predict(["Our waiter tonight was Fenwick, absolutely lovely guy."])
[['Fenwick']]
"""

from __future__ import annotations

import json
from collections import Counter
import math
import random
import re
from functools import cache
from importlib import resources

from empathica.listen.gazetteer import gazetteer
from empathica.listen.name_cues import _lists

__all__ = ["NameTagger", "tag_names"]

_TOKEN = re.compile(r"\[[A-Z]+\]|[^\W\d_]+(?:['’-][^\W\d_]+)*|\d+|\S")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_CAP = re.compile(r"[A-ZÄÖÜÀ-ÞĀ-Ž][^\W\d_]*[a-zäöüßà-ÿā-ž][^\W\d_]*(?:['’-][^\W\d_]+)*$")
_ENDS = ".!?。！？\n"
#: Words that make a text German (the features weigh capitalised words differently there).
_GERMAN = frozenset("der die das und ist nicht ich ein eine mit auf für von den dem sich auch wir sie es zu war hat "
                    "bei noch nur aber sehr schon wie".split())


def _shape(word: str) -> str:
    return re.sub(r"[a-zà-ÿ]+", "x", re.sub(r"[A-ZÀ-Þ]+", "X", word))


class _Lists:
    """The shipped lists the features look words up in (a membership may be hidden while fitting)."""

    def __init__(self, hide: float = 0.0, rng: random.Random | None = None):
        self.lists, self.hide, self.rng = _lists(), hide, rng

    def has(self, key: str, word: str) -> bool:
        if self.hide and self.rng.random() < self.hide:  # teaches the model that unlisted names exist
            return False
        return word in self.lists[key]


def _latin_features(tokens: list[str], i: int, lists: _Lists, lowered: frozenset[str], german: bool) -> dict[str, float]:
    word = tokens[i]
    lower = word.lower()
    prev = [tokens[j] if j >= 0 else "<s>" for j in (i - 1, i - 2)]
    nxt = [tokens[j] if j < len(tokens) else "</s>" for j in (i + 1, i + 2)]
    start = i == 0 or prev[0] in _ENDS or prev[0] in ("\"", "“", "-", "–", ":")
    f = {"bias": 1.0, "start": float(start), "len>" + str(min(len(word), 9) // 3): 1.0,
         "suf3=" + lower[-3:]: 1.0, "suf2=" + lower[-2:]: 1.0, "shape=" + _shape(word): 1.0,
         "first": float(lists.has("first", word)), "last": float(lists.has("last", word)),
         "common": float(lower in lists.lists["common"] or lower.rstrip("s") in lists.lists["common"]),
         "not_name": float(word in lists.lists["not_names"]),
         "noun_end": float(lower.endswith(lists.lists["noun_endings"])), "non_ascii": float(not word.isascii()),
         # the same word in lower case elsewhere in the text is a word ("White" ... "white")
         "lower_in_text": float(lower in lowered), "w=" + lower: 1.0}
    for k, tok in (("p1", prev[0]), ("p2", prev[1]), ("n1", nxt[0]), ("n2", nxt[1])):
        f[f"{k}={tok.lower()}"] = 1.0
        if _CAP.match(tok):
            f[k + "_cap"] = 1.0
            f[k + "_first"] = float(lists.has("first", tok))
            f[k + "_last"] = float(lists.has("last", tok))
    f["p1p2=" + prev[1].lower() + "_" + prev[0].lower()] = 1.0
    cues = _cue_words()["latin_before"]
    f["p1_cue"] = float(prev[0].lower() in cues)
    f["p2_cue"] = float(prev[1].lower() in cues and prev[0] in (",", ":"))
    if f["start"]:
        f["start_common"] = f["common"]
    if german:  # German capitalises every noun: the same evidence weighs differently there
        for key in ("bias", "common", "noun_end", "first", "last", "p1_cue", "suf3=" + lower[-3:], "p1=" + prev[0].lower()):
            f["de&" + key] = f.get(key, 1.0)
    return f


def _latin_candidates(text: str) -> list[tuple[int, int, list[str], int]]:
    """(start, end, tokens, index) of every capitalised Latin word."""
    matches = list(_TOKEN.finditer(text))
    tokens = [m.group(0) for m in matches]
    return [(m.start(), m.end(), tokens, i) for i, m in enumerate(matches) if _CAP.match(m.group(0))]


def _title_case(text: str) -> bool:
    """Whether most words of ``text`` (five or more) start with a capital, as in "Steady Drill Era Is Back"."""
    words = re.findall(r"[^\W\d_]{2,}", text)
    return len(words) >= 5 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def _lowered(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[^\W\d_]+", text) if w.islower())


@cache
def _zh_lexicon() -> dict[str, tuple[int, str]]:
    """jieba's dictionary (a dependency already), words of two to five characters: word → (frequency, part of speech)."""
    out = {}
    with resources.files("jieba").joinpath("dict.txt").open(encoding="utf-8") as f:
        for line in f:
            word, freq, pos = line.split()
            if 2 <= len(word) <= 5:
                out[word] = (int(freq), pos)
    return out


@cache
def _zh_chars() -> dict[str, tuple[int, int]]:
    """Per character that is a given-name character in the dictionary's three-character personal names (part of
    speech ``nr``) starting with a listed surname: (a bucket of how often it is, a bucket of the share of the
    dictionary's words holding it that are such names)."""
    lists = _lists()
    surnames = lists["zh_surnames"] | lists["zh_ambiguous"]
    lexicon = _zh_lexicon()
    total = Counter("".join(lexicon))
    counts = Counter("".join(w[1:] for w, (_, pos) in lexicon.items() if pos == "nr" and len(w) == 3 and w[0] in surnames))
    return {ch: (min(int(math.log2(1 + n)), 7), min(int(10 * n / (total[ch] + 5)), 5)) for ch, n in counts.items()}


def zh_given_counts() -> dict[str, int]:
    """The given-name characters of :func:`_zh_chars` with their count bucket (for training's name pools)."""
    return {ch: b for ch, (b, _) in _zh_chars().items()}


@cache
def _cue_words() -> dict[str, tuple[str, ...]]:
    """The gazetteer's cue words by where they stand: Latin words before a name (titles, roles, greetings, cues'
    last words), Chinese words before (roles, cues) and after (titles) a name."""
    names = gazetteer()["names"]
    latin = {w.lower().split()[-1] for lang in ("de", "en")
             for key in ("titles", "roles", "greetings", "cues", "signoffs", "strong_signoffs") for w in names[lang][key]}
    zh = names["zh"]
    return {"latin_before": tuple(sorted(latin)), "zh_before": tuple(zh["roles"] + zh["cues"] + zh["strong_cues"]),
            "zh_after": tuple(zh["titles"])}


def _zh_word_features(text: str, s: int, e: int) -> dict[str, float]:
    """How the candidate sits among the dictionary's words: a word itself (its frequency, part of speech), the start
    of a longer word (王府井), or its first character the end of a word before it (如何, 一张)."""
    lex = _zh_lexicon()
    f = {}
    freq, pos = lex.get(text[s:e], (0, ""))
    if freq:
        f["zh_lex_pos=" + pos] = 1.0
        f[f"zh_lex_freq={min(int(math.log10(freq)), 4)}"] = 1.0
    longer = max((n for n in (3, 4, 5) if e - s < n and text[s:s + n] in lex), default=0)
    f["zh_in_longer"] = float(longer > 0)
    f["zh_word_before"] = float(s > 0 and lex.get(text[s - 1:s + 1], (0, ""))[0] >= 50)
    f["zh_word_after"] = float(lex.get(text[e - 1:e + 1], (0, ""))[0] >= 50 if e < len(text) else 0.0)
    return f


def _zh_features(text: str, s: int, e: int, surname: str, lists: _Lists) -> dict[str, float]:
    given = text[s + len(surname):e]
    before, after = text[max(0, s - 2):s], text[e:e + 2]
    f = {"zh_bias": 1.0, f"zh_len={len(given)}": 1.0, "zh_sur=" + surname: 1.0,
         "zh_compound": float(len(surname) == 2), "zh_amb": float(surname in lists.lists["zh_ambiguous"]),
         "zh_b1=" + (before[-1:] or "<s>"): 1.0, "zh_b2=" + (before or "<s>"): 1.0,
         "zh_a1=" + (after[:1] or "</s>"): 1.0, "zh_a2=" + (after or "</s>"): 1.0,
         "zh_word": float(text[s:s + 2] in lists.lists["zh_words"] or text[s:e] in lists.lists["zh_words"]),
         "zh_given_word": float(given in lists.lists["zh_words"]),
         "zh_after_stop": float(after[:1] in "的了是在和说就都也很，。！？、 " or not after)}
    chars = _zh_chars()
    for j, ch in enumerate(given):  # how often a character is a given name's, not which one it is
        count, share = chars.get(ch, (0, -1))
        f[f"zh_g{j}_nr={count}"] = 1.0
        f[f"zh_g{j}_share={share}"] = 1.0
    cues = _cue_words()
    f["zh_after_cue"] = float(text[:s].endswith(cues["zh_before"]))
    f["zh_before_title"] = float(text[e:].startswith(cues["zh_after"]))
    f.update(_zh_word_features(text, s, e))
    return f


def _zh_candidates(text: str) -> list[tuple[int, int, str]]:
    """(start, end, surname) of every listed surname with one or two Han characters after it."""
    lists = _lists()
    surnames = lists["zh_surnames"] | lists["zh_ambiguous"]
    out = []
    for i, ch in enumerate(text):
        if not _HAN.match(ch):
            continue
        for surname in {text[i:i + 2], ch} & surnames:
            for n in (1, 2):
                end = i + len(surname) + n
                if end <= len(text) and all(_HAN.match(c) for c in text[i + len(surname):end]):
                    out.append((i, end, surname))
    return out


def _features(text: str, lists: _Lists, *, vetoed: bool = True) -> list[tuple[int, int, dict[str, float]]]:
    """Every candidate span of ``text`` with its features; ``vetoed=False`` (when tagging): not the Latin words
    :func:`_refused`, nor any Latin word of a text in title case."""
    candidates = _latin_candidates(text)
    lowered = _lowered(text) if candidates else frozenset()
    german = bool(candidates) and len(lowered & _GERMAN) >= 1
    title = bool(candidates) and _title_case(text)
    if not vetoed:
        candidates = [] if title else [c for c in candidates if not _refused(c[2][c[3]], lists.lists, german)]
    out = [(s, e, _latin_features(tokens, i, lists, lowered, german) | ({"title_case": 1.0} if title else {}))
           for s, e, tokens, i in candidates]
    if _HAN.search(text):
        out += [(s, e, _zh_features(text, s, e, sur, lists)) for s, e, sur in _zh_candidates(text)]
    return out


class NameTagger:
    """Scores candidate name spans with a logistic regression; ``spans(text)`` gives those at or over ``threshold``.

    Parameters follow scikit-learn's shape: ``C`` (inverse regularisation), ``hide`` (the share of list lookups
    hidden while fitting, so that an unlisted name in a name's frame still scores), ``name_weight`` (the weight of a
    name candidate against an other word's while fitting), ``threshold`` (Latin words) and ``zh_threshold`` (Chinese
    spans); the Latin one is set high for precision on real texts (docs/listen.md), the Chinese one on the hand-written
    sets left out of training in turn), ``seed``.
    """

    def __init__(self, *, C: float = 1.0, hide: float = 0.5, name_weight: float = 3.0, threshold: float = 0.85,
                 zh_threshold: float = 0.3, seed: int = 0):
        self.C, self.hide, self.name_weight, self.seed = C, hide, name_weight, seed
        self.threshold, self.zh_threshold = threshold, zh_threshold

    def get_params(self, deep: bool = True) -> dict:
        return {"C": self.C, "hide": self.hide, "name_weight": self.name_weight, "threshold": self.threshold,
                "zh_threshold": self.zh_threshold, "seed": self.seed}

    def fit(self, texts: list[str], names: list[list[str]]) -> NameTagger:
        """Fit on ``texts`` and, per text, the person names it holds (as they are written in it)."""
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        rows, labels = [], []
        lists = _Lists(self.hide, random.Random(self.seed))
        for text, held in zip(texts, names, strict=True):
            for s, e, feats in _features(text, lists):
                rows.append(feats)
                labels.append(int(_is_name(text, s, e, held)))
        if len(set(labels)) < 2:
            raise ValueError("NameTagger.fit: the texts need both names and other candidate words")
        vec = DictVectorizer()
        model = LogisticRegression(C=self.C, max_iter=3000, class_weight={0: 1.0, 1: self.name_weight}).fit(vec.fit_transform(rows), labels)
        # weights too small to move a score are left out of the shipped file
        self.weights_ = {f: round(float(w), 4) for f, w in zip(vec.get_feature_names_out(), model.coef_[0]) if abs(w) >= 0.01}
        self.intercept_ = float(model.intercept_[0])
        self.n_candidates_, self.n_names_ = len(labels), sum(labels)
        return self

    def score(self, feats: dict[str, float]) -> float:
        z = self.intercept_ + sum(self.weights_.get(f, 0.0) * v for f, v in feats.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The non-overlapping candidate spans of ``text`` scored at or over ``threshold``, best first taken."""
        scored = sorted(((self.score(f), s, e) for s, e, f in _features(text, _Lists(), vetoed=False)), reverse=True)
        taken: list[tuple[int, int]] = []
        for p, s, e in scored:
            if p < min(self.threshold, self.zh_threshold):
                break
            if p >= (self.zh_threshold if _HAN.match(text[s]) else self.threshold) and all(e <= a or s >= b for a, b in taken):
                taken.append((s, e))
        return sorted(taken)

    def predict(self, texts: list[str]) -> list[list[str]]:
        """The names found in each text."""
        return [[t[s:e] for s, e in self.spans(t)] for t in texts]

    def to_json(self, card: dict) -> str:
        return json.dumps({"params": self.get_params(), "intercept": self.intercept_, "weights": self.weights_,
                           "card": card}, ensure_ascii=False, indent=0, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> NameTagger:
        data = json.loads(text)
        tagger = cls(**data["params"])
        tagger.weights_, tagger.intercept_ = data["weights"], data["intercept"]
        return tagger

    @classmethod
    @cache
    def shipped(cls) -> NameTagger:
        """The model shipped with Empathica (``listen/name_tagger.json``)."""
        return cls.from_json(resources.files("empathica.listen").joinpath("name_tagger.json").read_text(encoding="utf-8"))


def _refused(word: str, lists: dict, german: bool) -> bool:
    """Whether a word the shipped lists call no name is never to be taken, whatever its score: a common word of
    the tuning corpora (Heathrow), an ordinary word of ``tagger_words.toml`` (Drill, Klasse), a country or language
    name (Babel's: Israel, English), a listed not-name (brands, places, days), a German noun by its ending
    (Schulung). (Nor is any word of a text written in title case, where capitals say nothing: :func:`_features`.)"""
    lower = word.lower()
    return (lower in lists["common"] or lower.rstrip("s") in lists["common"] or word in lists["not_names"]
            or (german and lower.endswith(lists["noun_endings"])) or lower in _ordinary_words())


@cache
def _ordinary_words() -> frozenset[str]:
    """Lower-cased words that are no names: ``tagger_words.toml`` and Babel's country and language names (en/de)."""
    import tomllib

    from babel import Locale

    data = tomllib.loads(resources.files("empathica.listen").joinpath("tagger_words.toml").read_text(encoding="utf-8"))
    words = {w for lang in ("en", "de") for w in data[lang]["words"]}
    for code in ("en", "de"):
        locale = Locale.parse(code)
        for name in list(locale.territories.values()) + list(locale.languages.values()):
            words |= {w.lower() for w in re.findall(r"[^\W\d_]+", name)}
    return frozenset(words)


def _is_name(text: str, s: int, e: int, held: list[str]) -> bool:
    """Whether the candidate ``text[s:e]`` is (a Latin word of) a held name; a Chinese candidate must be all of it."""
    span = text[s:e]
    if _HAN.match(span):
        return span in held
    return any(span in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", name) for name in held)


def tag_names(original: str, redacted: str) -> str:
    """``redacted`` (the rules' output for ``original``) with the names the shipped tagger finds in ``original``
    replaced by ``[NAME]`` too."""
    spans = NameTagger.shipped().spans(original)
    for word in sorted({original[s:e] for s, e in spans}, key=len, reverse=True):
        if _HAN.match(word):
            redacted = redacted.replace(word, "[NAME]")
        else:
            redacted = re.sub(rf"(?<![\w\[-]){re.escape(word)}(?![\w\]-])", "[NAME]", redacted)
    # a name's words found one by one become one placeholder
    return re.sub(r"\[NAME\](?:\s\[NAME\])+", "[NAME]", redacted)
