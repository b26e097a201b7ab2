"""Boundary import of real files as they come (issue 13): findings counted once per kind, a
missing grid, and, through the CLI, reports instead of tracebacks."""

from __future__ import annotations

import geopandas as gpd

from gridwatch.__main__ import main
from gridwatch.ingest import boundaries
from gridwatch.ingest.boundaries import Report, import_boundaries

IMPORTED = ("townships", "villages", "grids", "checkpoints")


def layers_of(region) -> dict[str, gpd.GeoDataFrame]:
    return {name: region.layer(name).copy() for name in IMPORTED}


def gpkg(layers: dict[str, gpd.GeoDataFrame], folder, name="b.gpkg"):
    path = folder / name
    for layer, frame in layers.items():
        frame.to_file(path, layer=layer, driver="GPKG")
    return path


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main(["import-boundaries", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


# --- the report ---------------------------------------------------------------------------------

def test_findings_beyond_the_cap_are_counted_in_one_line_per_kind(monkeypatch):
    monkeypatch.setattr(boundaries, "MAX_LISTED", 3)
    report = Report()
    for i in range(10):
        report.add("error", "overlap", "grids", codes=[f"G{i}", "X"], a=f"G{i}", b="X", area=5e3)
    for i in range(4):
        report.add("error", "overlap", "villages", codes=[f"V{i}", "Y"], a=f"V{i}", b="Y",
                   area=5e3)
    more = [i for i in report.issues if i.key == "more_of_kind"]
    assert [(i.layer, i.params) for i in more] == [("grids", {"n": 7, "total": 10}),
                                                   ("villages", {"n": 1, "total": 4})]
    assert len(report.issues) == 3 + 1 + 3 + 1
    assert more[0].message("en") == "… 7 more findings of this kind are not listed (10 in all)"
    assert more[0].message("zh") == "……同类问题另有 7 条未列出（共 10 条）"
    assert report.issues[3] is more[0]  # right after the findings it continues
    assert len(report.errors) == 8
    assert Report.from_dict(report.to_dict()).issues[3].message("en") == more[0].message("en")


def test_missing_grids_are_gaps_in_the_report_not_a_crash(region, source, tmp_path, capsys,
                                                          monkeypatch):
    monkeypatch.setattr(boundaries, "MAX_LISTED", 2)
    layers = layers_of(region)
    grids = layers["grids"]
    gone = grids["code"].iloc[[5, 60, 120, 300, 500]].tolist()
    layers["grids"] = grids[~grids["code"].isin(gone)]
    path = gpkg(layers, tmp_path)
    url = source.settings.database_url
    for lang in ("en", "zh"):
        code, out, err = run_cli(capsys, path, "--dry-run", "--lang", lang, "--database-url",
                                 url)
        assert code == 0, err
        assert "Traceback" not in out + err
    assert out.count("同类问题另有 3 条未列出（共 5 条）") == 1
    assert out.count("网格编码不在新边界中") == 1
    one = layers_of(region)
    one["grids"] = grids[grids["code"] != gone[0]]
    report = import_boundaries([("b.gpkg", gpkg(one, tmp_path, "one.gpkg").read_bytes())],
                               region).report
    assert report.ok
    [gap] = [i for i in report.issues if i.key == "gap"]
    assert gap.layer == "grids" and "in none of the grids" in gap.message("en")
    assert "不属于任何网格" in gap.message("zh")
