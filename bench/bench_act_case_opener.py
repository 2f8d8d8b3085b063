"""What choosing a case's opener adds to an evaluation that opens a case: CPU and wall time of
``act.card.case_openers`` for one customer, as the server's worker calls it (the candidate replies handed in from
its card snapshot), on the scaled stores of ``bench_act`` (built there, cached under /tmp).

    python -m bench.bench_act_case_opener --customers 200000 1000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from bench.bench_act import machine_load_note, scaled_store
from bench.results_file import write_section


def opener_cost(db, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of one customer's case opener (after one warm call)."""
    from empathica.act.card import case_openers
    from empathica.settings import Settings
    from empathica.store import Store

    walls, cpus = [], []
    with Store.open(db, settings=Settings.load(progress=False, db_path=str(db)), read_only=True) as store:
        ids = store.table("customers").customer_id.to_pandas().sample(repeats + 1, random_state=5).tolist()
        case_openers(store, ids[:1], openers={})
        for customer in ids[1:]:
            wall, cpu = time.perf_counter(), time.process_time()
            case_openers(store, [customer], openers={})
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args(argv)
    loads = [os.getloadavg()[0]]
    rows = []
    for customers in args.customers:
        wall, cpu = opener_cost(scaled_store(customers), args.repeats)
        loads.append(os.getloadavg()[0])
        rows.append(f"| {customers:,} | {wall:.2f} s | {cpu:.2f} s |")
    text = ("The work an evaluation adds when it opens a case for a customer: their language, the emotion of their "
            "latest conversation and their latest scored texts, read for them alone (`act.card.case_openers`, the "
            f"candidate replies handed in as the server does). Median of {args.repeats} customers, one at a time, "
            "after a warm call; CPU time counts DuckDB's threads.\n\n"
            "| customers | wall | CPU |\n|---|---|---|\n" + "\n".join(rows) + "\n\n" + machine_load_note(loads))
    print(text)
    write_section("act: a case's opener", text)


if __name__ == "__main__":
    main()
