"""The learned name tagger (listen/name_tagger.py): it finds names in frames and forms no rule covers, keeps the
ordinary capitalised words of the same frames, and has scikit-learn's estimator shape."""

from __future__ import annotations

import json
import random
from importlib import resources

import pytest

from empathica.listen.name_tagger import NameTagger
from empathica.listen.names import redact_names_and_addresses
from empathica.listen.redaction import redact

# Frames and names written for this test (no rule takes them, none in the tagger's training sets). The tagger does
# not find every such name (docs/listen.md: "Oyelaran after an hour", "邬海涛，很专业" pass); these it does.
UNRULED = [
    ("Our driver yesterday was Radomir, very careful with the boxes.", "Radomir"),
    ("Zoltan Abernathy promised me a refund in March.", "Zoltan Abernathy"),
    ("我记得处理这件事的是裘明轩，后来就没消息了。", "裘明轩"),
    ("送货的师傅叫鲍振东，人很好。", "鲍振东"),
]


@pytest.mark.parametrize(("text", "name"), UNRULED, ids=lambda v: v[:24] if isinstance(v, str) else v)
def test_the_tagger_finds_names_in_frames_the_rules_do_not_cover(text, name):
    assert redact_names_and_addresses(text, learned=False) == text  # no rule takes it
    out = redact(text)
    assert name not in out and not any(part in out for part in name.split()), out
    assert "[NAME]" in out


@pytest.mark.parametrize("text", [
    "Flights from Heathrow via Denver were late again, gate B17.",
    "Die Deutsche Bank und die Sparkasse Hannover haben beide abgelehnt.",
    "Der Mitarbeiter Schulung hat nichts gebracht.",
    "Best Burger In Town Is Closed Again Today",  # title case: capitals say nothing
    "李宁的鞋子质量越来越差了，还是华为手机好用。",
    "在北京的王府井店买的，张家界的风景不错。",
], ids=lambda v: v[:24])
def test_ordinary_capitalised_words_and_chinese_words_stay(text):
    assert redact(text) == text


def test_fit_follows_the_estimator_shape_and_learns_frames_not_names():
    """Fitted on template texts with one set of names, it finds other, unlisted names in the same frames."""
    rng = random.Random(3)
    frames = ["Our courier {} was late again.", "Please thank {} for me.", "I spoke to {} on Monday.",
              "The Apple store in Leeds was closed, so {} sent it by post.", "{} from billing never called back."]
    seen = ["Alvar", "Brunhild", "Casimir", "Dagna", "Eberhard", "Fenna", "Gorm", "Hedda", "Isolde", "Jorvik"]
    texts, names = [], []
    for _ in range(100):
        name = rng.choice(seen)
        texts.append(rng.choice(frames).format(name))
        names.append([name])
    texts += ["The Apple store in Leeds was closed on Monday.", "Billing never called back."] * 10
    names += [[], []] * 10
    tagger = NameTagger(threshold=0.5)
    assert tagger.fit(texts, names) is tagger
    assert tagger.weights_ and isinstance(tagger.intercept_, float)
    assert set(tagger.get_params()) == {"C", "hide", "name_weight", "threshold", "zh_threshold", "seed"}
    found = tagger.predict(["Please thank Quillon for me.", "I spoke to Maravel on Monday.",
                            "The Apple store in Leeds was closed on Monday."])
    assert found == [["Quillon"], ["Maravel"], []]
    clone = NameTagger.from_json(tagger.to_json({}))
    assert clone.predict(["Please thank Quillon for me."]) == [["Quillon"]]


def test_the_shipped_model_carries_its_card():
    data = json.loads(resources.files("empathica.listen").joinpath("name_tagger.json").read_text(encoding="utf-8"))
    card = data["card"]
    assert card["trained_by"] == "python -m bench.train_name_tagger"
    assert "bench/data/pii_fresh5.txt" in card["not_trained_on"]
    assert card["data"]["name_candidates"] > 1000 and data["weights"]
    readable = resources.files("empathica.listen").joinpath("name_tagger_card.md").read_text(encoding="utf-8")
    assert "Not trained on" in readable and "pii_fresh5.txt" in readable
