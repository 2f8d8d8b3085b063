"""Make docs/img/summary.png: the executive summary of the demo world's report, as a reader sees it (1,400 × 900).

    python docs/make_summary_image.py STORE.duckdb [--lang en]

STORE is a store the flywheel ran on (e.g. ``make demo``'s, or a bench world of ``python -m bench.bench_decide``,
/tmp/empathica-bench-decide/s1_c2000.duckdb). The report is rendered again from the store alone (``empathica
report``, no step runs) into a temporary folder and its first screen photographed with Debian's Chromium
(``/usr/bin/chromium``, through the ``playwright`` package; never ``playwright install``).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

IMAGE = Path(__file__).with_name("img") / "summary.png"
CHROMIUM = "/usr/bin/chromium"


def main(argv: list[str]) -> Path:
    if not argv or argv[0].startswith("-"):
        raise SystemExit(__doc__)
    store, options = Path(argv[0]), dict(zip(argv[1::2], argv[2::2]))
    if not store.exists():
        raise SystemExit(f"{store}: no such store; give the path of a store the flywheel ran on (e.g. make demo's).")
    from playwright.sync_api import sync_playwright

    from empathica.cli import main as report

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "demo.duckdb"
        shutil.copy(store, copy)  # the report reads a copy: the store in use is left alone
        report(["report", "--db", str(copy), "--out", str(Path(folder) / "report"), "--lang", options.get("--lang", "en")],
               standalone_mode=False)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto((Path(folder) / "report" / "index.html").as_uri())
            page.screenshot(path=str(IMAGE))
            browser.close()
    print(IMAGE)
    return IMAGE


if __name__ == "__main__":
    main(sys.argv[1:])
