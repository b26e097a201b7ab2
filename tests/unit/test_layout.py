"""Every component ID is declared once in ``layouts.ids`` and used once in a page."""

import re
from collections import Counter
from pathlib import Path

from callbacks.router import PAGES, render_page
from gridwatch.auth.policy import system
from layouts import shell
from layouts.ids import ID

ROOT = Path(__file__).resolve().parents[2]


def all_ids(component) -> list[str]:
    ids, stack = [], [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if node is None or isinstance(node, (str, int, float)):
            continue
        if getattr(node, "id", None) is not None:
            ids.append(str(node.id))
        for prop in ("children", "label"):
            stack.append(getattr(node, prop, None))
        for option in getattr(node, "options", None) or []:
            if isinstance(option, dict):
                stack.append(option.get("label"))
    return ids


# Every page the router renders (callbacks.router.PAGES): each is checked on its own, together
# they use every ID.


def test_ids_are_unique_and_declared(source):
    declared = {str(i) for i in ID}
    used: set[str] = set()
    for path in PAGES:
        page, _ = render_page(source, path, "", system())
        ids = all_ids([shell.layout(), page])
        duplicates = [i for i, n in Counter(ids).items() if n > 1]
        assert duplicates == [], path
        assert set(ids) <= declared, path
        used |= set(ids)
    assert declared <= used, f"declared but never laid out: {declared - used}"


def test_enum_values_are_unique():
    values = [str(i) for i in ID]
    assert len(values) == len(set(values))


PASSED_THROUGH = {"__init__.py": {"table", "chosen", "search"}}
"""Parameters of a shared helper (``callbacks.pick_and_search``) that carry an ``ID`` from
their callers (the helper checks that they are)."""


def test_callbacks_use_only_declared_ids():
    pattern = re.compile(r"(?:Input|Output|State)\(\s*([^,]+),")
    for path in (ROOT / "callbacks").glob("*.py"):
        for ref in pattern.findall(path.read_text(encoding="utf-8")):
            if ref in PASSED_THROUGH.get(path.name, ()):
                continue
            assert ref.startswith("ID."), f"{path.name}: literal ID {ref}"
            assert hasattr(ID, ref[3:]), f"{path.name}: {ref} is not declared"
