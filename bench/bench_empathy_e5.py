"""German and Chinese empathy from a model: the multilingual e5 heads (issue 24, item 5).

    python -m bench.bench_empathy_e5 [--train] [--demo]

``--train`` fits the heads on the English EPITOME training split (``training.train_e5_heads``; e5
embeddings cached in ``$EMPATHICA_CACHE_DIR``) and writes ``models/epitome_e5_heads.joblib`` (its card,
``models/epitome_e5_heads.md``, is kept by hand).
Then it measures the German/Chinese path (e5 heads blended with the cue model, ``e5_heads.E5_WEIGHT``)
against the cue model alone and the English model:

* EPITOME held-out (616 English replies, the path forced with ``multilingual=True``): macro-F1 and
  evidence token F1 per mechanism beside the whole-reply evidence baseline;
* EmpatheticPersonas (550 row-aligned en/zh replies): per-mechanism agreement of the levels in en and zh;
* the check set ``bench/data/empathy_agent_replies_check.csv`` (103 real customer-care agent replies, their
  German and Chinese translations, hand labels; docs/empathy.md): macro-F1 in en, de and zh, over all rows and
  each round (German cues were chosen on round 1; round 2 is held out from that choice).

``--demo`` times the flywheel's empathy step on the demo world (2,000 customers, seed 7) with the e5 path
(all distinct German/Chinese replies) and without it (CPU and wall time).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

from bench.results_file import write_section  # noqa: E402
from empathica.understand.empathy import EmpathyModel  # noqa: E402
from empathica.understand.empathy.corpora import evidence_token_f1, load_epitome, load_personas  # noqa: E402
from empathica.understand.empathy.e5_heads import E5_HEADS_PATH, default_heads  # noqa: E402
from empathica.understand.empathy.model import MECHANISMS  # noqa: E402
from empathica.understand.empathy.training import _markdown, train_e5_heads  # noqa: E402

CHECK_SET = Path(__file__).with_name("data") / "empathy_agent_replies_check.csv"


def _levels(model: EmpathyModel, texts: list[str], lang: str, path: str, *, evidence: bool = True) -> dict:
    kw = {"cue_only": path == "cues", "multilingual": path == "e5 + cues", "evidence": evidence}
    return model.predict_proba(texts, languages=[lang] * len(texts), **kw)


def _evidence_f1(texts, result, frame, mech, *, whole: bool = False) -> float:
    tp = n_pred = n_gold = 0
    for i, (text, rat, level) in enumerate(zip(texts, frame[f"{mech}_rationales"], frame[mech])):
        if level > 0:
            a, b, c = evidence_token_f1(text, [text] if whole else result[mech]["evidence"][i], rat)
            tp, n_pred, n_gold = tp + a, n_pred + b, n_gold + c
    p, r = tp / max(n_pred, 1), tp / max(n_gold, 1)
    return round(2 * p * r / max(p + r, 1e-9), 3)


def _prime(name: str, texts: list[str]) -> None:
    """Load (or make) the disk-cached embeddings of ``texts`` into the shared embedder's cache."""
    from empathica.understand.text.embeddings import corpus_embeddings

    corpus_embeddings(name, texts)


def epitome_table(model: EmpathyModel) -> pd.DataFrame:
    from empathica.understand.empathy.cues import sentence_spans

    ep = load_epitome()
    test = ep[ep["is_test"]]
    texts = test["response_post"].astype(str).tolist()
    _prime("epitome_responses", ep["response_post"].astype(str).tolist())
    _prime("epitome_test_sentences", [t[a:b] for t in texts for a, b in sentence_spans(t)])
    runs = {path: _levels(model, texts, "en", path) for path in ("English model", "cues", "e5 + cues")}
    rows = []
    for mech in MECHANISMS:
        row = {"mechanism": mech}
        for path, res in runs.items():
            row[f"macro-F1 {path}"] = round(f1_score(test[mech], res[mech]["proba"].argmax(1), average="macro"), 3)
        for path in ("cues", "e5 + cues"):
            row[f"evidence F1 {path}"] = _evidence_f1(texts, runs[path], test, mech)
        row["whole-reply evidence"] = _evidence_f1(texts, None, test, mech, whole=True)
        rows.append(row)
    return pd.DataFrame(rows)


def personas_table(model: EmpathyModel) -> pd.DataFrame:
    p = load_personas()
    _prime("personas_en", p["en"].tolist())
    _prime("personas_zh", p["zh"].tolist())
    rows = []
    for path in ("cues", "e5 + cues"):
        en = _levels(model, p["en"].tolist(), "en", path, evidence=False)
        zh = _levels(model, p["zh"].tolist(), "zh", path, evidence=False)
        rows.append({"path": path, **{m: round(float((en[m]["proba"].argmax(1) == zh[m]["proba"].argmax(1)).mean()), 3)
                                      for m in MECHANISMS}})
    return pd.DataFrame(rows)


#: The check set's parts: all rows, the first round (the dev part German cues were chosen on) and the second
#: round (held out from that choice).
CHECK_PARTS = {"all": None, "round 1 (dev)": "dialogue agent turn", "round 2 (held out)": "linked-document reply"}


def check_set_table(model: EmpathyModel) -> pd.DataFrame:
    check = pd.read_csv(CHECK_SET)
    for lang in ("en", "de", "zh"):
        _prime(f"check_{lang}", check[lang].tolist())
    runs = {("en", "English model"): _levels(model, check["en"].tolist(), "en", "English model", evidence=False)}
    for lang in ("en", "de", "zh"):
        for path in ("cues", "e5 + cues"):
            runs[(lang, path)] = _levels(model, check[lang].tolist(), lang, path, evidence=False)
    rows = []
    for part, source in CHECK_PARTS.items():
        keep = np.ones(len(check), bool) if source is None else check["source"].eq(source).to_numpy()
        for (lang, path), res in runs.items():
            f1 = {m: round(f1_score(check[m][keep], res[m]["proba"].argmax(1)[keep], average="macro"), 3) for m in MECHANISMS}
            rows.append({"rows": f"{part}, {int(keep.sum())}", "language": lang, "path": path, **f1,
                         "mean": round(float(np.mean(list(f1.values()))), 3)})
    return pd.DataFrame(rows)


def demo_timing(seed: int = 7, customers: int = 2000) -> pd.DataFrame:
    import shutil
    import tempfile

    from empathica.demo import generate_world
    from empathica.flywheel import run_flywheel
    from empathica.listen import ingest_files
    from empathica.settings import Settings
    from empathica.store import Store

    scratch = Path(tempfile.mkdtemp(prefix="empathica-e5-demo-"))
    rows = []
    try:
        world = generate_world(scratch / "data", customers=customers, seed=seed)
        for replies in (0, 100_000):
            settings = Settings.load(config_file=scratch / "none.toml", progress=False, empathy_e5_replies=replies)
            with Store.open(scratch / f"demo{replies}.duckdb", settings=settings) as store:
                ingest_files(store, [p for p, _ in world.files], kinds=[k for _, k in world.files])
                run_flywheel(store, only=["text"])
                wall, cpu = time.perf_counter(), time.process_time()
                run_flywheel(store, only=["empathy"])
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                agents = store.read_result("empathy_agents").sort_values("rank")
            rows.append({"e5 replies allowed": replies, "empathy step wall s": round(wall, 1), "CPU s": round(cpu, 1),
                         "top 3 agents": " ".join(agents["agent_id"].head(3)),
                         "bottom 2": " ".join(agents["agent_id"].tail(2))})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", action="store_true")
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args(argv)
    if args.train:
        heads = train_e5_heads(load_epitome())
        heads.save(E5_HEADS_PATH)
        default_heads.cache_clear()
        print(f"wrote {E5_HEADS_PATH} ({E5_HEADS_PATH.stat().st_size} bytes)")
    model = EmpathyModel.default().with_e5()
    measures = {"EPITOME held-out (en), macro-F1 and evidence token F1": epitome_table,
                "EmpatheticPersonas: en↔zh agreement of each mechanism's level (550 replies)": personas_table,
                "check set: real agent replies in en and translated to de/zh, macro-F1": check_set_table}
    if args.demo:
        measures["demo world (seed 7, 2,000 customers): empathy step with and without e5"] = lambda _: demo_timing()
    text = "German and Chinese mechanisms from the multilingual e5 heads blended with the cue model " \
           "(`python -m bench.bench_empathy_e5`; shared 2-core machine under load from other engineers).\n"
    for title, measure in measures.items():
        table = measure(model)
        print(title, flush=True)
        print(table.to_string(index=False), flush=True)
        text += f"\n**{title}**\n\n" + _markdown(table) + "\n"
    write_section("empathy: de/zh from e5", text)


if __name__ == "__main__":
    main()
