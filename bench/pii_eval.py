"""The labelled PII evaluation set (bench/data/pii_*.txt): parsing and scoring of a redaction function.

A line is ``lang<TAB>text`` where ``[[TYPE:span]]`` marks personal data and ``((span))`` a look-alike
(order, invoice, customer numbers, EANs, dates, amounts) that must stay. A span counts as found when
neither it nor any of its words of four or more characters (Latin) is left in the redacted text; a
look-alike counts as kept when it is still there, unchanged. Precision per type: the placeholders of a
type that stand for a labelled span of that type, over all placeholders of that type written.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).with_name("data")
TYPES = ("EMAIL", "PHONE", "IBAN", "CARD", "ID", "NAME", "ADDRESS")
_MARK = re.compile(r"\[\[([A-Z]+):(.+?)\]\]|\(\((.+?)\)\)")


@dataclass
class Example:
    lang: str
    text: str
    spans: list[tuple[str, str]] = field(default_factory=list)  # (type, text)
    decoys: list[str] = field(default_factory=list)


def load(part: str) -> list[Example]:
    """``part``: "tune", "heldout" (both seen while the rules were tuned), "fresh" (the third round's, tuned
    against in the fourth), "fresh2" (the fourth round's, written before its tuning), "fresh3" and "fresh4" (the
    fifth round's, each committed before its one unseen run), "fresh5" (the sixth round's, written before the learned
    name tagger and committed before its one unseen run)."""
    return parse((DATA / f"pii_{part}.txt").read_text(encoding="utf-8").splitlines())


def parse(lines: list[str]) -> list[Example]:
    """Examples from marked lines (``lang<TAB>text``, comments and blank lines skipped)."""
    examples = []
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        lang, marked = line.split("\t", 1)
        ex = Example(lang, _MARK.sub(lambda m: m.group(2) or m.group(3), marked))
        for m in _MARK.finditer(marked):
            if m.group(1):
                ex.spans.append((m.group(1), m.group(2)))
            else:
                ex.decoys.append(m.group(3))
        examples.append(ex)
    return examples


def _found(span: str, out: str, text: str) -> bool:
    """``span`` of ``text`` is gone from ``out``: neither it nor any of its Latin words of 4+ letters is left
    (a word the rest of the text also holds, "support" in "tech support", counts only beyond those)."""
    if span in out:
        return False
    rest = text.replace(span, "", 1)
    words = [w for w in re.findall(r"[A-Za-zÀ-ɏ]{4,}", span) if w.lower() not in {"straße", "strasse", "street", "road"}]
    return not any(out.count(w) > rest.count(w) for w in words)


def score(examples: list[Example], redact: Callable[[str], str]) -> dict:
    """Per language and type: spans, found, placeholders written, correct; decoys and decoys kept."""
    spans, found, written = Counter(), Counter(), Counter()
    decoys, kept = Counter(), Counter()
    missed: dict[str, list[str]] = defaultdict(list)
    for ex in examples:
        out = redact(ex.text)
        for kind, span in ex.spans:
            spans[ex.lang, kind] += 1
            if _found(span, out, ex.text):
                found[ex.lang, kind] += 1
            else:
                missed[kind].append(span)
        for kind in TYPES:
            written[ex.lang, kind] += out.count(f"[{kind}]")
        for decoy in ex.decoys:
            decoys[ex.lang] += 1
            kept[ex.lang] += decoy in out
    return {"spans": spans, "found": found, "written": written, "decoys": decoys, "kept": kept, "missed": missed}
