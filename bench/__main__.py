"""Run every benchmark script in bench/ in turn (``python -m bench``)."""

import importlib
import pkgutil
import sys
from pathlib import Path

if __name__ == "__main__":
    names = [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_")]
    for name in sorted(names):
        print(f"== {name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        module.main(sys.argv[1:])
