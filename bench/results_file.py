"""Write one benchmark's figures into its own section of bench/results.md (other sections are kept)."""

from __future__ import annotations

import fcntl
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("results.md")
_HEADER = "# Benchmark results\n\nFigures written by the scripts in `bench/` (`python -m bench.<name>`); each section is replaced when its script runs again.\n"


def write_section(name: str, markdown: str) -> Path:
    """Replace (or add) the section called ``name`` in bench/results.md with ``markdown``."""
    stamp = f"_{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.machine()} · python {platform.python_version()}_"
    block = f"<!-- {name}:start -->\n## {name}\n\n{stamp}\n\n{markdown.strip()}\n<!-- {name}:end -->"
    RESULTS.touch()
    with RESULTS.open("r+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        text = handle.read() or _HEADER
        pattern = re.compile(rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->", re.S)
        text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
        handle.seek(0)
        handle.truncate()
        handle.write(text)
    return RESULTS
