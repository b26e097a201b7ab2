"""The column mapping step: the import says which column holds each field (``column_plan``),
``/data`` shows it as a choice per field (``layouts.boundaries.column_mapping``), and the
choices go back to ``POST /upload/boundaries`` as ``map`` entries, the CLI's ``--map``."""

from __future__ import annotations

import io

import pytest

from app import create_app
from gridwatch.geo.layers import load_region
from gridwatch.i18n import t
from gridwatch.ingest.boundaries import column_plan, import_boundaries, parse_mapping
from gridwatch.ingest.boundary_files import read_boundary_files
from layouts.boundaries import MAPPING_SELECT, column_mapping
from tests.conftest import GEO_PATH, signed_in_client

ORIGIN = {"Origin": "http://localhost"}
IMPORTED = ("townships", "villages", "grids", "checkpoints")
RENAMED = {"code": "WGBM", "name_zh": "WGMC", "village_code": "SSCJ"}
"""The grid layer's columns as a county's own file names them (no alias knows these)."""


@pytest.fixture(scope="module")
def region():
    return load_region(GEO_PATH)


@pytest.fixture(scope="module")
def files(region) -> list[tuple[str, bytes]]:
    """The demo boundaries as GeoJSON files, the grids' columns renamed."""
    out = []
    for name in IMPORTED:
        frame = region.layer(name)
        if name == "grids":
            frame = frame.rename(columns=RENAMED)
        out.append((f"{name}.geojson", frame.to_json(drop_id=True).encode()))
    return out


def walk(node):
    """Every component under ``node`` (a Dash component tree), ``node`` first."""
    yield node
    children = getattr(node, "children", None)
    if children is None:
        return
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child)


def grid_fields(plan: list[dict]) -> dict[str, dict]:
    (grids,) = [layer for layer in plan if layer["layer"] == "grids"]
    return {f["field"]: f for f in grids["fields"]}


def test_the_plan_names_each_fields_column_and_shows_the_files_columns_with_a_sample(files,
                                                                                     region):
    plan = column_plan(read_boundary_files(files), {})
    assert [layer["layer"] for layer in plan] == list(IMPORTED)
    fields = grid_fields(plan)
    assert fields["code"]["column"] is None and fields["code"]["required"] is True
    assert fields["name_zh"]["column"] is None
    assert fields["population"]["column"] == "population" == fields["population"]["auto"]
    assert fields["village_code"]["derived"] is True  # found from the geometry when absent
    (grids,) = [layer for layer in plan if layer["layer"] == "grids"]
    samples = {c["name"]: c["sample"] for c in grids["columns"]}
    first = region.layer("grids").iloc[0]
    assert samples["WGBM"] == first["code"] and samples["WGMC"] == first["name_zh"]


def test_a_mapping_fills_the_plan_and_the_aliases_own_match_is_kept_beside_it(files):
    mapping = parse_mapping([f"grids.{field}={column}" for field, column in RENAMED.items()])
    fields = grid_fields(column_plan(read_boundary_files(files), mapping))
    assert {f: fields[f]["column"] for f in RENAMED} == RENAMED
    assert all(fields[f]["auto"] is None for f in RENAMED)


def test_the_step_is_open_when_a_required_field_lacks_a_column_and_closed_when_not(files,
                                                                                   region):
    imported = import_boundaries(files, region)
    assert not imported.report.ok
    step = column_mapping(imported.columns, "en")
    assert step.open is True
    assert t("boundary.mapping_lacking", "en", n=2) in str(step.children[0].children)
    selects = [n for n in walk(step) if getattr(n, "className", None) == MAPPING_SELECT]
    assert len(selects) == sum(len(layer["fields"]) for layer in imported.columns)
    code = next(s for s in selects if s.to_plotly_json()["props"]["data-layer"] == "grids"
                and s.to_plotly_json()["props"]["data-field"] == "code")
    props = code.to_plotly_json()["props"]
    assert props["data-chosen"] == "" and props["data-auto"] == ""
    labels = [o.children for o in code.children]
    assert labels[0] == t("boundary.mapping_choose", "en")
    assert any(label.startswith("WGBM (e.g. “") for label in labels)

    as_shipped = region.layer("grids").to_json(drop_id=True).encode()
    whole = import_boundaries([(n, b) for n, b in files if n != "grids.geojson"]
                              + [("grids.geojson", as_shipped)], region)
    assert whole.report.ok
    closed = column_mapping(whole.columns, "zh")
    assert not closed.open
    assert t("boundary.mapping_found", "zh") in str(closed.children[0].children)


# --- through the route ------------------------------------------------------------------------

@pytest.fixture
def admin(fresh_source, spool):
    app = create_app(fresh_source.settings)
    return signed_in_client(app, fresh_source.writer, "mapper", "admin", None,
                            "a-known-password-1")


def post(client, files, **fields):
    data = dict(fields)
    data["file"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/upload/boundaries?lang=en&view=1", data=data, headers=ORIGIN,
                       content_type="multipart/form-data")


def test_the_page_sends_the_choices_and_the_files_check_clean(admin, files):
    first = post(admin, files, dry_run="1")
    assert first.status_code == 200
    assert first.json["report"]["ok"] is False
    missing = {(i["layer"], i["params"]["column"]) for i in first.json["report"]["issues"]
               if i["key"] == "missing_column"}
    assert missing == {("grids", "code"), ("grids", "name_zh")}
    shown = str(first.json["view"]["report"])
    assert MAPPING_SELECT in shown and "WGBM" in shown

    choices = [f"grids.{field}={column}" for field, column in RENAMED.items()]
    second = post(admin, files, dry_run="1", map=choices)
    assert second.status_code == 200, second.json
    assert second.json["report"]["ok"] is True
    assert second.json["report"]["counts"]["grids"] == 747
    noted = [i for i in second.json["report"]["issues"] if i["key"] == "columns_mapped"]
    assert len(noted) == 1 and "code ← WGBM" in noted[0]["message"]


@pytest.mark.parametrize("entries, key", [
    (["grids.code"], "boundary.map_bad"),
    (["streets.code=WGBM"], "boundary.map_unknown_layer"),
    (["grids.colour=WGBM"], "boundary.map_unknown_layer_field"),
    (["grids.code=WGBM", "grids.code=WGMC"], "boundary.map_twice"),
    (["grids.code=NOPE"], None),
])
def test_a_bad_choice_is_refused_with_its_reason_and_nothing_kept(admin, files, entries, key):
    answer = post(admin, files, dry_run="1", map=entries)
    if key is None:  # a column the file lacks: a finding naming it, not a refusal
        assert answer.status_code == 200
        (issue,) = [i for i in answer.json["report"]["issues"]
                    if i["key"] == "mapped_column_missing"]
        assert issue["params"]["column"] == "NOPE" and "WGBM" in issue["params"]["present"]
        return
    assert answer.status_code == 400
    assert answer.json["errors"][0]["key"] == key
    assert answer.json["version_id"] is None


def test_more_choices_than_fields_are_refused(admin, files):
    from web.boundary_upload import MAX_MAP_ENTRIES

    entries = [f"grids.code=C{i}" for i in range(MAX_MAP_ENTRIES + 1)]
    answer = post(admin, files, dry_run="1", map=entries)
    assert answer.status_code == 400
    assert answer.json["errors"][0]["key"] == "boundary.map_too_many"


def test_an_unknown_datum_is_refused(admin, files):
    answer = post(admin, files, dry_run="1", datum="tokyo")
    assert answer.status_code == 400
    assert answer.json["errors"][0]["key"] == "boundary.bad_datum"
    assert "wgs84" in answer.json["errors"][0]["message"]
