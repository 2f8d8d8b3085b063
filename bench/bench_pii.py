"""Personal-data redaction on the labelled evaluation set (bench/data/pii_tune.txt, pii_heldout.txt).

    python -m bench.bench_pii

Recall and precision per type and language, and the share of look-alike numbers kept, for Listen's
``redact`` (what ingestion, quarantine, ``empathy score`` and ``text topics`` apply). The table and its
headline are written from the same counts into the section "listen: personal data" of bench/results.md.
"""

from __future__ import annotations

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


def main(argv: list[str] | None = None) -> None:
    from empathica.listen.redaction import redact

    parts = {part: (load(part), None) for part in ("tune", "heldout")}
    results = {part: score(examples, redact) for part, (examples, _) in parts.items()}
    held = results["heldout"]
    rows = _rows(held)
    by_type = {kind: (sum(r[3] for r in rows if r[1] == kind), sum(r[2] for r in rows if r[1] == kind)) for kind in TYPES}
    decoys = sum(held["decoys"].values())
    headline = (f"Held-out set ({len(parts['heldout'][0])} texts, {sum(n for _, _, n, *_ in rows)} spans, {decoys} look-alikes): "
                + ", ".join(f"{k.lower()} {_pct(f, n)}" for k, (f, n) in by_type.items() if n)
                + f" recall; look-alikes kept {_pct(sum(held['kept'].values()), decoys)}.")
    md = "\n\n".join([
        headline,
        "Found: neither the span nor any of its Latin words of 4+ letters is left in the redacted text. "
        "Precision: placeholders of a type standing for a labelled span of that type / all placeholders "
        "of that type. The rules were adjusted against the tuning part only.",
        _table("heldout", held),
        _table("tune", results["tune"]),
    ])
    print(md)
    write_section("listen: personal data", md)


if __name__ == "__main__":
    main()
