"""The contract between the Python that builds hideouts and the JavaScript that reads them."""

import re
from pathlib import Path
from typing import get_type_hints

from gridwatch import style
from layouts import map as screen

ASSETS = Path(__file__).resolve().parents[2] / "assets"
HIDEOUTS = (screen.GridHideout, screen.TownshipHideout, screen.LabelHideout,
            screen.CheckpointHideout, screen.NeighbourHideout, screen.CountyHideout,
            screen.QuarantineHideout, screen.HotspotHideout, screen.VillageHideout)


def read_keys(pattern: str, path: Path) -> set[str]:
    return set(re.findall(pattern, path.read_text(encoding="utf-8")))


def test_map_js_reads_exactly_the_typed_hideout_keys():
    js = ASSETS / "map.js"
    # `h` is always `context.hideout || {}` in map.js; gridState takes the hideout itself.
    read = (read_keys(r"\bh\.(\w+)", js) | read_keys(r"\bhideout\.(\w+)", js)
            | read_keys(r"\(context\.hideout \|\| \{\}\)\.(\w+)", js))
    typed = set().union(*(get_type_hints(h) for h in HIDEOUTS))
    assert read - typed == set(), "map.js reads keys no hideout type declares"
    assert typed - read == set(), "hideout types declare keys map.js never reads"


def test_the_wall_pulse_reads_the_typed_highlight_keys():
    read = read_keys(r"\bhl\.(\w+)", ASSETS / "wall.js")
    assert read == set(get_type_hints(screen.GridHighlight))


def test_style_asset_is_generated_from_the_style_module():
    committed = (ASSETS / "gridwatch-style.js").read_text(encoding="utf-8")
    assert committed == style.browser_asset(), \
        "regenerate: python -m gridwatch.style > assets/gridwatch-style.js"


def test_scripts_read_only_style_constants_that_exist():
    constants = style.browser_constants()
    for name in ("map.js", "wall.js"):
        path = ASSETS / name
        used = (read_keys(r"\bS\(\)\.(\w+)", path) | read_keys(r"\bst\.(\w+)", path)
                | read_keys(r"window\.gridwatchStyle\.(\w+)", path))
        assert used, name
        assert used <= set(constants), f"{name} reads {used - set(constants)}"
