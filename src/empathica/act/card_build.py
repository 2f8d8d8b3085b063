"""The card snapshot assembled in a child process and handed back as memory-mapped Arrow IPC files, so a full
rebuild never holds the serving interpreter: the server's DuckDB writes each part's rows to Parquet
(:meth:`CardSnapshot.build_apart`), this module's ``main`` — run as ``python -m empathica.act.card_build FOLDER
BUILT_AT`` at low priority — encodes them (dictionary-encoded text, offsets per customer, the best openers) and
writes them as IPC files, and :func:`load` maps those files: the server reads no row and builds no index.

Files in FOLDER: ``<part>.parquet`` (from DuckDB), ``rejected.json`` (openers agents turned down), then
``facts.arrow``, ``ids.arrow``, ``journey|texts|values.arrow`` with ``….offsets.npy``, ``openers.json``,
``built_at.txt``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from empathica.errors import StoreError

_LIST_PARTS = ("journey", "texts", "values")


def build_in_child(folder: Path, *, built_at: datetime, rejected: set[str], nice: int = 19) -> None:
    """Run :func:`main` on ``folder`` in a child process at ``nice`` priority and wait for it."""
    (folder / "rejected.json").write_text(json.dumps(sorted(rejected)), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "empathica.act.card_build", str(folder), built_at.isoformat(),
                           str(nice)], capture_output=True, text=True)
    if done.returncode:
        raise StoreError(f"building the card snapshot in {folder} failed (exit {done.returncode}): "
                             f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'no message'}")


def save(snapshot, folder: Path) -> None:
    """Write ``snapshot`` (a :class:`~empathica.act.card.CardSnapshot` without patches) as IPC files."""
    _write(folder / "facts.arrow", snapshot.facts)
    _write(folder / "ids.arrow", pa.table({"customer_id": snapshot.index.ids}))
    for name in _LIST_PARTS:
        rows = getattr(snapshot, name)
        _write(folder / f"{name}.arrow", rows.table)
        np.save(folder / f"{name}.offsets.npy", rows.offsets)
    openers = [[*key, entry] for key, entry in snapshot.openers.items()]
    (folder / "openers.json").write_text(json.dumps(openers, ensure_ascii=False), encoding="utf-8")
    (folder / "built_at.txt").write_text(snapshot.built_at.isoformat(), encoding="utf-8")


def _write(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _mapped(path: Path) -> pa.Table:
    """The table in an IPC file, memory-mapped (its buffers are the file's pages, not this process's heap)."""
    return pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()


def load(folder: Path):
    """The snapshot in ``folder`` (written by :func:`save`), its tables memory-mapped."""
    from empathica.act.card import CardSnapshot, CustomerIndex, CustomerRows

    lists = {name: CustomerRows(_mapped(folder / f"{name}.arrow"), np.load(folder / f"{name}.offsets.npy", mmap_mode="r"))
             for name in _LIST_PARTS}
    openers = {tuple(item[:3]): item[3] for item in json.loads((folder / "openers.json").read_text(encoding="utf-8"))}
    ids = _mapped(folder / "ids.arrow").column("customer_id").combine_chunks()
    return CardSnapshot(built_at=datetime.fromisoformat((folder / "built_at.txt").read_text(encoding="utf-8")),
                        index=CustomerIndex(ids), facts=_mapped(folder / "facts.arrow"), **lists, openers=openers)


def main(argv: list[str] | None = None) -> None:
    """Assemble the snapshot whose parts DuckDB wrote to FOLDER and save it there as IPC files."""
    from empathica.act.card import assemble

    folder, built_at, nice = (argv or sys.argv[1:])[:3]
    try:
        os.nice(int(nice))
    except (AttributeError, OSError):
        pass
    folder = Path(folder)
    parts = {path.stem: pq.read_table(path) for path in folder.glob("*.parquet")}
    rejected = set(json.loads((folder / "rejected.json").read_text(encoding="utf-8")))
    snapshot = assemble(parts, built_at=datetime.fromisoformat(built_at), rejected=rejected,
                        openers=None if "openers" in parts else {})
    save(snapshot, folder)
    for path in folder.glob("*.parquet"):
        path.unlink()


if __name__ == "__main__":
    main()
