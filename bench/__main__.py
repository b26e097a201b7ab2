"""Run every benchmark module in this package (each has ``run() -> None``) and print results."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(names: list[str] | None = None) -> int:
    package = Path(__file__).parent
    modules = [m.name for m in pkgutil.iter_modules([str(package)])
               if not m.name.startswith("_")]
    for name in sorted(modules):
        if names and name not in names:
            continue
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "run"):
            print(f"== bench.{name}")
            module.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
