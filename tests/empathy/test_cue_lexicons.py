"""The empathic-cue lexicons are data (empathy_cues.toml), and a German agent reply finds the cues its English
original finds (issue 24: German trailed English on the agent-reply check set)."""

from __future__ import annotations

import pytest

from empathica.understand.empathy.cues import CUES, EMPATHY_CUE_FILE, LANGUAGES, cue_counts

# an English agent reply and its German translation: the same concepts must be found in both
PAIRS = [
    ("We're sorry to hear that.", "Das tut uns leid zu hören.", "reaction"),
    ("Is it happening with all the projects?", "Passiert das bei allen Projekten?", "exploring"),
    ("Do you get any error?", "Bekommen Sie eine Fehlermeldung?", "exploring"),
    ("Could you share a video recording?", "Könnten Sie uns eine Bildschirmaufnahme schicken?", "exploring"),
    ("Unfortunately the item is sold out.", "Leider ist der Artikel ausverkauft.", "reaction"),
]


@pytest.mark.parametrize(("en", "de", "concept"), PAIRS)
def test_a_german_reply_finds_the_cues_of_its_english_original(en, de, concept):
    assert (cue_counts(en, "en")[concept] > 0) == (cue_counts(de, "de")[concept] > 0), (en, de, concept)


def test_the_lexicons_come_from_the_data_file_in_every_language():
    assert EMPATHY_CUE_FILE.name == "empathy_cues.toml" and EMPATHY_CUE_FILE.is_file()
    for concept in ("reaction", "understanding", "exploring", "transactional"):
        assert set(CUES[concept]) == set(LANGUAGES), concept
