"""Personal-data redaction on the labelled evaluation set (bench/data/pii_tune.txt, pii_heldout.txt, pii_fresh*.txt).

    python -m bench.bench_pii

Recall and precision per type and language, and the share of look-alike numbers kept, for Listen's
``redact`` (what ingestion, quarantine, ``empathy score`` and ``text topics`` apply). The table and its
headline are written from the same counts into the section "listen: personal data" of bench/results.md.
"""

from __future__ import annotations

from collections import Counter

from bench.pii_eval import TYPES, load, score
from bench.results_file import write_section

LANGS = ("de", "en", "zh")


def _rows(result: dict) -> list[tuple[str, str, int, int, int, int]]:
    """(lang, type, spans, found, written, correct) for every type present in a language."""
    rows = []
    for lang in LANGS:
        for kind in TYPES:
            n, f, w = result["spans"][lang, kind], result["found"][lang, kind], result["written"][lang, kind]
            if n or w:
                rows.append((lang, kind, n, f, w, min(f, w)))
    return rows


def _pct(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "—"


def _table(part: str, result: dict) -> str:
    rows = _rows(result)
    lines = [f"| {part} | type | spans | recall | placeholders | precision |", "|---|---|---:|---:|---:|---:|"]
    lines += [f"| {lang} | {kind} | {n} | {_pct(f, n)} | {w} | {_pct(c, w)} |" for lang, kind, n, f, w, c in rows]
    kept = " · ".join(f"{lang} {result['kept'][lang]}/{result['decoys'][lang]}" for lang in LANGS)
    lines.append(f"\nLook-alike numbers kept ({part}): {kept}.")
    missed = "; ".join(f"{kind}: {', '.join(spans)}" for kind, spans in sorted(result["missed"].items()))
    lines.append(f"Missed ({part}): {missed or 'none'}.")
    return "\n".join(lines)


#: Real customer texts without labels: how often a placeholder appears shows what redaction does to them.
REAL = {
    "zh": ("../shared/data/zh/ChnSentiCorp_htl_all.csv", "review"),
    "de": ("../shared/data/de/germeval2017_dev.tsv", 1),
    "en": ("../shared/data/en/airline_tweets.csv", "text"),
}


def _real_texts(lang: str, n: int = 1500) -> list[str]:
    import csv
    import random
    from pathlib import Path

    import pandas as pd

    path, column = REAL[lang]
    path = Path(__file__).resolve().parents[1] / path
    if not path.exists():
        return []
    frame = (pd.read_csv(path, sep="\t", header=None, quoting=csv.QUOTE_NONE, on_bad_lines="skip") if path.suffix == ".tsv"
             else pd.read_csv(path))
    texts = frame[column].dropna().astype(str).tolist()
    return random.Random(15).sample(texts, min(n, len(texts)))


def _real_table(redact) -> str:
    import re

    lines = ["| real texts | texts | " + " | ".join(TYPES) + " |", "|---|---:|" + "---:|" * len(TYPES)]
    for lang in LANGS:
        texts = _real_texts(lang)
        if not texts:
            continue
        counts = {k: 0 for k in TYPES}
        for t in texts:
            for kind in set(re.findall(r"\[([A-Z]+)\]", redact(t))) & set(TYPES):
                counts[kind] += 1
        lines.append(f"| {lang} ({REAL[lang][0].split('/')[-1]}) | {len(texts)} | "
                     + " | ".join(f"{counts[k] / len(texts):.1%}" for k in TYPES) + " |")
    return ("Share of real, unlabelled customer texts (1,500 sampled per language) that get each placeholder; "
            "read by hand, the names found are mostly real (agents in airline tweets, politicians in GermEval's "
            "news items), with false ones such as 'Logan' (an airport) and 'Victoria Unternehmens' (a company).\n\n"
            + "\n".join(lines))


def _planted(part: str, redact) -> tuple[dict, dict]:
    """Scores on real texts with planted personal data (bench/pii_plant.py), and the placeholders redaction
    writes into the same host texts with nothing planted (real names, numbers, addresses the texts hold)."""
    from collections import Counter

    from bench.pii_eval import parse
    from bench.pii_plant import build

    rows = build(part)
    result = score(parse([line for _, line, _ in rows]), redact)
    host = Counter()
    for _, line, text in rows:
        out = redact(text)
        for kind in TYPES:
            host[line.split("\t", 1)[0], kind] += out.count(f"[{kind}]")
    # placeholders the host texts get anyway are not counted against the planted spans' precision
    result["written"] = Counter({k: max(0, v - host[k]) for k, v in result["written"].items()})
    return result, host


def _planted_section(redact) -> str:
    from bench.pii_plant import TEST, TUNE

    out = [("Real texts from ../shared/data with personal data planted by `bench/pii_plant.py` (150 texts per domain, "
            "seed 15; one or two planted pieces per text in customer-written sentences, a look-alike number in half). "
            "Tuning domains (the patterns may be, and were, looked at against these): "
            + ", ".join(f"{d} ({v[1]})" for d, v in TUNE.items())
            + ". Test domains (only measured): " + ", ".join(f"{d} ({v[1]})" for d, v in TEST.items()) + ". "
            "Placeholders that the host texts get with nothing planted (real names in tweets, real numbers) are "
            "listed apart and left out of precision; national ids planted are Chinese resident ids (zh), US social "
            "security numbers (en) and German tax ids (de). The first run on the test domains (before the US SSN, "
            "the German tax id, 'card no' and 'Chloe.' at a sentence end were handled) gave: card en 0.53, id de "
            "0.07 / en 0.00, name en 0.86, phone precision de 0.93; the same misses showed on the tuning domains, "
            "but the fixes were made after seeing the test figures, so these are no longer unseen. Accuracy only "
            "(no timing); measured on the shared, loaded machine (load ≈ 11).")]
    for part in ("test", "tune"):
        result, host = _planted(part, redact)
        out.append(_table(f"planted {part}", result))
        out.append(f"Placeholders in the {part} host texts without planting: "
                   + ", ".join(f"{lang} {kind} {n}" for (lang, kind), n in sorted(host.items()) if n) + ".")
    return "\n\n".join(out)


def _fresh2_section(redact) -> str:
    """The second hand-written fresh set: written before the fourth round's tuning, unseen until its first run."""
    return "\n\n".join([
        "**Second fresh set** `bench/data/pii_fresh2.txt`: 90 texts written by hand (30 per language; "
        "provenance in the file) before the fourth round's tuning against `pii_fresh.txt` began (new names, frames, "
        "streets, German phones with slashes and digit pairs, look-alikes such as serial, meter and parcel numbers "
        "and brands holding surnames). Its first measurement, at the end of that round, is kept verbatim in the "
        "section \"listen: personal data — the unseen measurement\" (names de 0.77, en 0.79, zh 0.50; every other type, "
        "look-alikes and precision 1.00). The figures below are after the general fixes that measurement showed "
        "('This is X' at a message's start, roles in a row such as 销售经理, a name alone before a German workplace, "
        "Kontoinhaber, 小哥/小姐姐/联系人 as roles): no longer unseen.",
        _table("fresh2 hand-written", score(load("fresh2"), redact)),
    ])


def _fresh34_section(redact) -> str:
    """The third and fourth hand-written fresh sets (fifth round), after the fixes their unseen runs led to."""
    return "\n\n".join([
        "**Third and fourth fresh sets** `bench/data/pii_fresh3.txt` (90 texts, written before the fifth round's "
        "changes) and `pii_fresh4.txt` (45 texts, written after its first fixes), each committed before its one "
        "run. Their unseen measurements are kept verbatim in the section \"listen: personal data — the unseen "
        "measurement\" (names fresh3 de 0.64, en 0.93, zh 0.82; fresh4 de 0.57, en 0.57, zh 0.14). The figures below "
        "are after the general fixes those measurements showed: no longer unseen.",
        _table("fresh3 hand-written", score(load("fresh3"), redact)),
        _table("fresh4 hand-written", score(load("fresh4"), redact)),
        "**Fifth fresh set** `bench/data/pii_fresh5.txt` (70 texts, written before the learned name tagger, committed "
        "before its one run; that unseen measurement is kept verbatim in the section \"listen: personal data — the "
        "unseen measurement\": names de 0.50, en 0.78, zh 0.47 with the tagger at Latin threshold 0.5). Below: the "
        "shipped settings (Latin threshold 0.85, ordinary-word and title-case vetoes, set after that run): no longer unseen.",
        _table("fresh5 hand-written", score(load("fresh5"), redact)),
    ])


def _fresh_section(redact) -> str:
    """The fresh sets (hand-written, and planted with the FRESH vocabulary): unseen until their first measurement."""
    fresh = score(load("fresh"), redact)
    planted, host = _planted("fresh", redact)
    return "\n\n".join([
        "**Fresh sets, after the fixes that followed their one unseen measurement and the fourth round, which tuned "
        "the name, phone and street rules against them** (that measurement is kept "
        "verbatim in the section \"listen: personal data — the unseen measurement\"; the figures below are no "
        "longer unseen; `tests/listen/test_redaction.py::test_fresh_hand_written_set_meets_the_targets` holds the "
        "issue's targets on the hand-written one). `bench/data/pii_fresh.txt`: 90 texts written by hand (30 per language; provenance in the "
        "file) before the third round's changes began; 24 of them hold no personal data (15 only look-alike numbers, "
        "9 only capitalised places, brands, months and Chinese place names), where any placeholder counts against "
        "precision. `planted fresh`: the TEST domains' real texts (150 per domain, seed 2026) with the FRESH "
        "vocabulary of bench/pii_plant.py planted — names, streets, cities, sentence frames and look-alike wordings "
        "that none of the earlier sets holds (e-mail, phone, card, IBAN and id values come from the same generators "
        "as before).",
        _table("fresh hand-written", fresh),
        _table("planted fresh", planted),
        "Placeholders in the fresh host texts without planting: "
        + ", ".join(f"{lang} {kind} {n}" for (lang, kind), n in sorted(host.items()) if n) + ".",
    ])


def _tagger_added(n: int = 300, seed: int = 77) -> dict[str, tuple[int, int, int, Counter]]:
    """Per TEST domain (real texts, never trained on): (texts, texts with a name by the rules alone, texts with one
    by rules + tagger, the words and Chinese spans the tagger adds beyond the rules)."""
    import random
    import re

    from bench.pii_plant import TEST, _hosts
    from empathica.listen.names import redact_names_and_addresses

    from empathica.listen.name_tagger import NameTagger

    rng, out, tagger = random.Random(seed), {}, NameTagger.shipped()
    for domain, (lang, rel, column) in TEST.items():
        texts = _hosts(lang, rel, column, n, rng)
        rules = [redact_names_and_addresses(t, learned=False) for t in texts]
        added = Counter()
        for text, r in zip(texts, rules):  # the tagger's spans that the rules' output still holds
            left = set(re.findall(r"[^\W\d_]+", r))
            added.update(w for w in (text[s:e] for s, e in tagger.spans(text)) if w in left or w in r)
        both = sum("[NAME]" in redact_names_and_addresses(t) for t in texts)
        out[domain] = (len(texts), sum("[NAME]" in r for r in rules), both, added)
    return out


def _tagger_real_section() -> str:
    lines = ["| real texts (TEST domains) | texts | with a name, rules | with a name, rules + tagger | words the tagger adds |",
             "|---|---:|---:|---:|---|"]
    for domain, (n, rules, both, added) in _tagger_added().items():
        words = ", ".join(f"{w}" + (f" ×{k}" if k > 1 else "") for w, k in added.most_common())
        lines.append(f"| {domain} | {n} | {rules} | {both} | {words or '—'} |")
    return ("**The learned name tagger on real texts** (bench/pii_plant.py's TEST domains, 300 texts each, seed 77; "
            "never trained on): texts that get a [NAME] from the rules alone and from rules + tagger, and every word "
            "(Chinese: the span's characters) the tagger takes beyond the rules, to be read by hand for false "
            "redactions (docs/listen.md gives the count read).\n\n" + "\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    from empathica.listen.redaction import redact

    parts = {part: (load(part), None) for part in ("tune", "heldout")}
    results = {part: score(examples, redact) for part, (examples, _) in parts.items()}
    held = results["heldout"]
    rows = _rows(held)
    by_type = {kind: (sum(r[3] for r in rows if r[1] == kind), sum(r[2] for r in rows if r[1] == kind)) for kind in TYPES}
    decoys = sum(held["decoys"].values())
    headline = (f"Held-out set, seen ({len(parts['heldout'][0])} texts, {sum(n for _, _, n, *_ in rows)} spans, {decoys} look-alikes): "
                + ", ".join(f"{k.lower()} {_pct(f, n)}" for k, (f, n) in by_type.items() if n)
                + f" recall; look-alikes kept {_pct(sum(held['kept'].values()), decoys)}.")
    md = "\n\n".join([
        "Accuracy only (no timing); measured on the shared, loaded machine.",
        _fresh34_section(redact),
        _tagger_real_section(),
        _fresh2_section(redact),
        _fresh_section(redact),
        "**Seen sets** (the rules were tuned while these were in view):",
        headline,
        "Found: neither the span nor any of its Latin words of 4+ letters is left in the redacted text. "
        "Precision: placeholders of a type standing for a labelled span of that type / all placeholders "
        "of that type. The rules were written against the tuning part; the first held-out run (commit 9267dad: "
        "name 0.92, look-alikes kept 0.94 — an order number after 'ist', a customer number after 'Customer ID', "
        "'Auf der Rechnung 2024/0457' taken for an address, 我姓孙) led to four general fixes, each with a new "
        "tuning line; the figures below are after them and after the third round's name and address rules.",
        _table("heldout", held),
        _table("tune", results["tune"]),
        _planted_section(redact),
        _real_table(redact),
    ])
    print(md)
    write_section("listen: personal data", md)


if __name__ == "__main__":
    main()
