"""Run the benchmark modules of this package (each has ``run() -> None``) and print results.

``python -m bench`` runs every section; ``python -m bench load`` or ``python -m bench
exports,wall`` (``make bench ONLY=...``) only the ones named, given as one comma- or
space-separated list. An unknown name is an error (exit 2) that lists the known sections.
The run's wall-clock duration is printed at the end.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def sections() -> list[str]:
    """The benchmark modules (``bench/<name>.py`` with a ``run``), in name order."""
    package = Path(__file__).parent
    found = []
    for info in pkgutil.iter_modules([str(package)]):
        if info.name.startswith("_"):
            continue
        text = (package / f"{info.name}.py").read_text(encoding="utf-8") \
            if (package / f"{info.name}.py").exists() else ""
        if "\ndef run(" in text:
            found.append(info.name)
    return sorted(found)


def parse_names(args: list[str]) -> list[str]:
    """``["exports,wall", "load"]`` → ``["exports", "wall", "load"]`` (order kept, no repeats)."""
    names: list[str] = []
    for arg in args:
        for part in arg.replace(",", " ").split():
            if part not in names:
                names.append(part)
    return names


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def main(args: list[str] | None = None) -> int:
    known = sections()
    names = parse_names(args or [])
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"make bench: unknown section{'s' if len(unknown) > 1 else ''} "
              f"{', '.join(unknown)}; known sections: {', '.join(known)}", file=sys.stderr)
        return 2
    chosen = [n for n in known if n in names] if names else known
    start = time.perf_counter()
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        print(f"== bench.{name}", flush=True)
        module.run()
        sys.stdout.flush()
    print(f"make bench: {len(chosen)} section{'s' if len(chosen) != 1 else ''} in "
          f"{_duration(time.perf_counter() - start)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
