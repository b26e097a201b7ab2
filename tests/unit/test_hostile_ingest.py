"""Hostile input at every door: CSV downloads that a spreadsheet would run, tampered callback
values, archives that lie, geometries that never end. Every refusal is a ``LocalisedError``
with a message in both languages, writes nothing and never ends in a traceback."""

from __future__ import annotations

import ast
import base64
import csv
import io
import json
import random
import re
import shutil
import stat
import string
import subprocess
import time
import warnings
import zipfile
from pathlib import Path

import pytest
import shapely

import gridwatch.ingest as ingest_package
from callbacks.boundary_import import reactivate_enabled, reactivate_version
from callbacks.charts import CHART_CSV, chart_csv, download_chart_csv
from callbacks.table import CSV_EXPORT_PARAMS, export_table, table_rows
from callbacks.table_upload import commit_upload, preview_upload
from gridwatch.__main__ import main
from gridwatch.auth.policy import system
from gridwatch.export.tables import FORMULA_PREFIXES, neutralise
from gridwatch.filters import Filters
from gridwatch.geo.layers import load_region
from gridwatch.i18n import LANGUAGES, MESSAGES
from gridwatch.ingest.archives import ArchiveError, unzip
from gridwatch.ingest.boundaries import Issue, Report, import_boundaries
from gridwatch.ingest.boundary_files import (
    MAX_FEATURE_VERTICES,
    BoundaryError,
    RawLayer,
    check_vertices,
)
from gridwatch.ingest.boundary_versions import list_versions
from gridwatch.ingest.errors import LocalisedError
from gridwatch.ingest.tables import MAX_FILE_BYTES, TableError, read_table
from gridwatch.ingest.uploads import (
    REQUEST_OVERHEAD_BYTES,
    UploadError,
    decode_uploads,
    format_size,
    upload_limit_bytes,
)
from gridwatch.settings import Settings
from gridwatch.store.db import data_version
from layouts import boundaries as boundary_panel
from layouts import upload as upload_page
from tests.unit import literal

pytestmark = pytest.mark.stores

ROOT = Path(__file__).resolve().parents[2]
GRID = "33082400100101"
CSV_OK = (f"grid_code,colour,observed_at,source\n"
          f"{GRID},red,2020-02-01T08:00:00+08:00,x\n").encode()
HOSTILE_TEXT = ['=HYPERLINK("http://evil.example","点我")', "+cmd|' /C calc'!A0", "-2+3",
                "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


def zipped(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def patched(data: bytes, member: str, local: tuple[int, bytes] | None = None,
            central: tuple[int, bytes] | None = None) -> bytes:
    """``data`` with bytes at an offset of ``member``'s local header and/or its central
    directory entry replaced (offsets as in the zip specification)."""
    out = bytearray(data)
    encoded = member.encode()
    for signature, name_at, length_at, change in ((b"PK\x03\x04", 30, 26, local),
                                                  (b"PK\x01\x02", 46, 28, central)):
        if change is None:
            continue
        start = out.find(signature)
        while start >= 0:
            length = int.from_bytes(out[start + length_at:start + length_at + 2], "little")
            if out[start + name_at:start + name_at + length] == encoded:
                offset, value = change
                out[start + offset:start + offset + len(value)] = value
            start = out.find(signature, start + 4)
    return bytes(out)


def u32(n: int) -> bytes:
    return n.to_bytes(4, "little")


def both_languages(error: LocalisedError) -> tuple[str, str]:
    zh, en = error.message("zh"), error.message("en")
    assert zh and en and zh != en
    assert "{" not in zh and "{" not in en
    return zh, en


# --- 1. every CSV a user can download is formula-safe ------------------------------------------

JS = ROOT / "assets" / "csv-safe.js"


def js_prefixes() -> tuple[str, ...]:
    match = re.search(r"FORMULA_PREFIXES\s*=\s*(\[[^\]]*\])", JS.read_text(encoding="utf-8"))
    assert match, "assets/csv-safe.js has no FORMULA_PREFIXES list"
    return tuple(json.loads(match.group(1)))


def run_js(values: list) -> list:
    """``csvSafeCell`` of assets/csv-safe.js applied to each value, in Node."""
    script = ("const window = {};\n" + JS.read_text(encoding="utf-8") + "\n"
              "const values = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
              "const f = window.dashAgGridFunctions.csvSafeCell;\n"
              "process.stdout.write(JSON.stringify(values.map((v) => f({value: v}))));\n")
    done = subprocess.run([shutil.which("node"), "-e", script], input=json.dumps(values),
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_the_browser_rule_lists_the_same_leading_characters_as_the_server_rule():
    assert js_prefixes() == FORMULA_PREFIXES


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_browser_rule_gives_what_the_server_rule_gives():
    values = [*HOSTILE_TEXT, "plain", "", "开化县", " =x", "'=x", "3", 5, -5, 2.5, None, True,
              *[p + "tail" for p in FORMULA_PREFIXES]]
    assert run_js(values) == [neutralise(v) for v in values]


def test_the_grid_tables_csv_button_exports_through_the_formula_rule():
    out = export_table(None, clicks=1)
    assert out["csv"] is True and out["params"] is CSV_EXPORT_PARAMS
    callback = CSV_EXPORT_PARAMS["processCellCallback"]["function"]
    name = callback.split("(")[0]
    assert f"functions.{name} = function (params)" in JS.read_text(encoding="utf-8")
    assert CSV_EXPORT_PARAMS["fileName"].endswith(".csv")


@pytest.fixture(scope="module")
def hostile_source(tmp_path_factory):
    """The literal county with formula text in every name a CSV shows."""
    folder = tmp_path_factory.mktemp("hostile-names")
    path = folder / "hostile.gpkg"
    for name, layer in literal.region_layers().items():
        if name in ("townships", "villages", "grids"):
            n = len(HOSTILE_TEXT)
            layer["name_zh"] = [HOSTILE_TEXT[i % n] for i in range(len(layer))]
            layer["name_en"] = [HOSTILE_TEXT[(i + 1) % n] for i in range(len(layer))]
        layer.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    region = load_region(path)
    return literal.FakeSource(literal.build_snapshot(region),
                              Settings(database_url=f"sqlite:///{folder / 'x.sqlite'}",
                                       geo_path=path, seed_demo=False))


def cells(download: dict) -> list[list[str]]:
    assert download["base64"] is True and download["type"] == "text/csv"
    text = base64.b64decode(download["content"]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("which", sorted(CHART_CSV.values()))
def test_chart_downloads_are_formula_safe(hostile_source, which):
    filters = {"as_of": literal.D3.isoformat()}
    rows = cells(chart_csv(hostile_source, which, filters, None, "zh"))
    assert len(rows) > 1
    flat = [c for row in rows for c in row]
    assert not [c for c in flat if c.startswith(FORMULA_PREFIXES) and not _number(c)]
    if which == "tasks":
        assert "'" + HOSTILE_TEXT[0] in flat  # the township's name, made inert


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_a_chart_csv_button_downloads_its_own_chart(hostile_source):
    for button, which in CHART_CSV.items():
        out = download_chart_csv(hostile_source, tasks=1, checkpoints=1, colours=1,
                                 filters={"as_of": literal.D3.isoformat()}, checkpoint=None,
                                 lang="en", triggered=button)
        assert out["download"]["filename"] == f"{which}_{literal.D3.isoformat()}.csv"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_grid_tables_rows_leave_the_browser_formula_safe(hostile_source):
    rows = table_rows(hostile_source.snapshot(), Filters(as_of=literal.D3), {}, "zh", system(),
                      5)
    values = [v for row in rows for v in row.values()]
    safe = run_js(values)
    assert any(isinstance(v, str) and v.startswith("'=HYPERLINK(") for v in safe)
    assert not [v for v in safe if isinstance(v, str) and v.startswith(FORMULA_PREFIXES)]


# --- 2. a header that names a column twice -----------------------------------------------------

def xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(("name", "data"), [
    ("a.csv", f"grid_code,colour,source,source\n{GRID},red,a,b\n".encode()),
    ("a.csv", f"grid_code,colour,Source, source \n{GRID},red,a,b\n".encode()),
    ("a.xlsx", xlsx([["grid_code", "colour", "source", "SOURCE"], [GRID, "red", "a", "b"]])),
])
def test_a_header_naming_a_column_twice_is_refused(name, data):
    with pytest.raises(TableError) as caught:
        read_table(name, data)
    assert caught.value.catalogue_key == "ingest.table.repeated_column"
    assert caught.value.params == {"column": "source", "first": 3, "second": 4}
    zh, en = both_languages(caught.value)
    assert "line 1 (the header)" in en and "“source” twice (columns 3 and 4)" in en
    assert "第 1 行" in zh and "“source”" in zh


def test_the_page_refuses_a_repeated_column_and_keeps_commit_off(source):
    csv_data = f"grid_code,colour,observed_at,source,source\n{GRID},red,x,a,b\n".encode()
    out = preview_upload(source, contents=data_url(csv_data), kind="risk-assessments",
                         filename="dup.csv", lang="en", who=OPERATOR)
    assert out["commit_disabled"] is True
    assert "names the column “source” twice" in str(out["report"])


# --- 3. a tampered upload kind -----------------------------------------------------------------

TAMPERED_KINDS = ["api-tokens", "tasks", None, "", 7, 1.5, True, ["risk-assessments"],
                  {"kind": "risk-assessments"}]


@pytest.mark.parametrize("kind", TAMPERED_KINDS)
def test_a_tampered_kind_gets_a_message_in_the_preview(source, kind):
    out = preview_upload(source, contents=data_url(CSV_OK), kind=kind, filename="a.csv",
                         lang="en", who=OPERATOR)
    assert out["commit_disabled"] is True
    text = str(out["report"])
    assert "choose what the file holds" in text or "is not one of risk-assessments" in text
    zh = str(preview_upload(source, contents=data_url(CSV_OK), kind=kind, filename="a.csv",
                            lang="zh", who=OPERATOR)["report"])
    assert "请选择文件的数据类型" in zh or "数据类型“" in zh


OPERATOR = system("operator")
"""The signed-in writer of the page (the refusals below come before any write)."""


@pytest.mark.parametrize("kind", TAMPERED_KINDS)
def test_a_tampered_kind_is_refused_at_commit_and_nothing_is_written(fresh_source,
                                                                     kind):
    before = data_version(fresh_source.engine)
    out = commit_upload(fresh_source, clicks=1, kind=kind, filename="a.csv",
                        contents=data_url(CSV_OK), who=OPERATOR, lang="en")
    text = str(out["result"])
    assert "Not committed:" in text
    assert "choose what the file holds" in text or "is not one of risk-assessments" in text
    assert data_version(fresh_source.engine) == before


@pytest.mark.parametrize(("filename", "contents"), [
    (7, data_url(CSV_OK)), (["a.csv"], data_url(CSV_OK)), ("a.csv", 7),
    ("a.csv", [data_url(CSV_OK)]), ("a.csv", {"x": 1}), ("a.csv", "data:;base64,@@@@"),
])
def test_a_tampered_file_name_or_content_gets_a_message(source, filename, contents):
    shown = preview_upload(source, contents=contents, kind="risk-assessments",
                           filename=filename, lang="en", who=OPERATOR)
    assert shown["commit_disabled"] is True
    assert "The file cannot be read" in str(shown["report"])
    done = commit_upload(source, clicks=1, kind="risk-assessments", filename=filename,
                         contents=contents, who=OPERATOR, lang="zh")
    assert "未导入：" in str(done["result"])


# --- 4. boundary uploads whose names and contents do not pair up --------------------------------

ONE = data_url(zipped({"checkpoints.shp": b"x"}))
MALFORMED = [
    ([ONE, ONE], ["a.zip"]),  # more contents than names
    ([ONE], ["a.zip", "b.zip"]),  # more names than contents
    (ONE, ["a.zip"]),  # a content that is not in a list, names that are
    ([ONE], "a.zip"),
    (7, "a.zip"),
    ({"a.zip": ONE}, ["a.zip"]),
    ([None], ["a.zip"]),  # a missing content
    ([7], ["a.zip"]),
    ([ONE], [7]),
    ([ONE], None),
]


def test_too_many_boundary_files_are_refused():
    with pytest.raises(UploadError) as caught:
        decode_uploads(["a.zip"] * 21, [ONE] * 21, 1024 * 1024)
    assert caught.value.catalogue_key == "ingest.upload.too_many_files"
    both_languages(caught.value)


def test_a_missing_name_still_pairs_with_its_content():
    assert decode_uploads([None], ["data:;base64,eA=="], 100) == [("", b"x")]


@pytest.mark.parametrize("version_id", [None, "", "abc", [1], {"id": 1}, 1.5, float("inf"),
                                        float("nan"), True, -1, 0, 10 ** 30, "9" * 5000])
def test_a_tampered_version_to_switch_back_to_gets_a_message(fresh_source,
                                                              version_id):
    out = reactivate_version(fresh_source, clicks=1, version_id=version_id, who=system(),
                             lang="en")["result"]
    text = str(out.children)
    assert text.startswith("Not activated: ")
    assert "choose a boundary version first" in text or "there is no boundary version" in text


@pytest.mark.parametrize("options", [None, 7, "x", [1, "a", None], [{"label": "x"}]])
def test_tampered_version_options_leave_switch_back_off(source, options):
    assert reactivate_enabled(source, value=1, options=options) == {"disabled": True}


# --- 5-7. archives that lie, are encrypted, or hold links and devices --------------------------

def test_a_member_that_declares_more_bytes_than_it_holds_is_refused():
    archive = zipped({"a.txt": b"x" * 3000})
    lying = patched(archive, "a.txt", local=(22, u32(5000)), central=(24, u32(5000)))
    with pytest.raises(ArchiveError) as caught:
        unzip(lying, "t.zip")
    assert caught.value.catalogue_key == "ingest.zip.member_unreadable"
    assert "“a.txt”" in both_languages(caught.value)[1]


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_member_that_declares_fewer_bytes_than_it_holds_is_refused(method):
    archive = zipped({"a.txt": b"x" * 3000}, method)
    lying = patched(archive, "a.txt", local=(22, u32(1000)), central=(24, u32(1000)))
    with pytest.raises(ArchiveError) as caught:
        unzip(lying, "t.zip")
    assert caught.value.catalogue_key in ("ingest.zip.member_unreadable", "ingest.zip.bomb")


def test_a_member_whose_crc_or_compressed_size_lies_is_refused():
    archive = zipped({"a.txt": b"hello world " * 300})
    for lie in (dict(local=(14, u32(12345)), central=(16, u32(12345))),  # CRC
                dict(local=(18, u32(7)), central=(20, u32(7)))):  # compressed size: truncated
        with pytest.raises(ArchiveError) as caught:
            unzip(patched(archive, "a.txt", **lie), "t.zip")
        assert caught.value.catalogue_key == "ingest.zip.member_unreadable"


@pytest.mark.parametrize("where", ["both", "central", "local"])
def test_an_encrypted_member_is_refused(where):
    archive = zipped({"xl/workbook.xml": b"<x/>", "xl/s.xml": b"secret " * 100})
    flag = (b"\x01\x00",)
    changes = {"local": (6, *flag), "central": (8, *flag)}
    given = {k: v for k, v in changes.items() if where in (k, "both")}
    encrypted = patched(archive, "xl/s.xml", **given)
    with pytest.raises(ArchiveError) as caught:
        unzip(encrypted, "t.zip")
    assert caught.value.catalogue_key == "ingest.zip.encrypted"
    zh, en = both_languages(caught.value)
    assert "encrypted member “xl/s.xml”" in en and "已加密" in zh


def special(kind: int, name: str = "checkpoints.shp") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.create_system = 3  # Unix
        info.external_attr = (kind | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    return out.getvalue()


@pytest.mark.parametrize(("kind", "word_en", "word_zh"), [
    (stat.S_IFLNK, "symbolic link", "符号链接"), (stat.S_IFCHR, "device file", "设备文件"),
    (stat.S_IFBLK, "device file", "设备文件"), (stat.S_IFIFO, "named pipe", "命名管道"),
    (stat.S_IFSOCK, "socket", "套接字"), (0o030000, "special file", "特殊文件"),
])
def test_links_devices_and_other_special_members_are_refused(kind, word_en, word_zh):
    with pytest.raises(ArchiveError) as caught:
        unzip(special(kind), "t.zip")
    assert caught.value.catalogue_key == "ingest.zip.special_member"
    zh, en = both_languages(caught.value)
    assert f"is a {word_en}, not a plain file" in en and word_zh in zh


def test_plain_files_and_folders_with_or_without_a_unix_mode_pass():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, mode in (("a.txt", stat.S_IFREG | 0o644), ("b.txt", 0), ("d/", stat.S_IFDIR)):
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            archive.writestr(info, "" if name.endswith("/") else "x")
    assert unzip(out.getvalue(), "t.zip") == {"a.txt": b"x", "b.txt": b"x"}


def test_a_member_given_twice_is_refused():
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w") as archive:
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate name
        archive.writestr("checkpoints.shp", b"one")
        archive.writestr("checkpoints.shp", b"two")
    with pytest.raises(ArchiveError) as caught:
        unzip(out.getvalue(), "t.zip")
    assert caught.value.catalogue_key == "ingest.zip.duplicate_member"


def test_an_unknown_zip_version_is_a_damaged_archive_not_a_traceback():
    archive = zipped({"a.txt": b"x"})
    newer = patched(archive, "a.txt", central=(6, (99).to_bytes(2, "little")))
    with pytest.raises(ArchiveError) as caught:
        unzip(newer, "t.zip")
    assert caught.value.catalogue_key == "ingest.zip.damaged"


def test_damaged_archives_only_ever_raise_the_archive_error():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", b"hello world " * 200)
        archive.writestr("b/c.txt", b"x" * 4000)
        archive.writestr("s.txt", b"abc", compress_type=zipfile.ZIP_STORED)
    base = out.getvalue()
    rng = random.Random(20200201)
    for _ in range(400):
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            unzip(bytes(data), "t.zip")
        except ArchiveError as exc:
            both_languages(exc)


LYING = {
    "a member that lies about its size": patched(
        zipped({"checkpoints.shp": b"\0" * 3000}), "checkpoints.shp",
        local=(22, u32(5000)), central=(24, u32(5000))),
    "an encrypted member": patched(zipped({"checkpoints.shp": b"\0" * 3000}), "checkpoints.shp",
                                   local=(6, b"\x01\x00"), central=(8, b"\x01\x00")),
    "a symbolic link": special(stat.S_IFLNK),
    "a device": special(stat.S_IFCHR),
}


@pytest.mark.parametrize("case", sorted(LYING))
def test_hostile_archives_are_refused_on_the_page_and_in_the_cli(case, fresh_source, tmp_path,
                                                                 capsys):
    data = LYING[case]
    with pytest.raises(ArchiveError):
        import_boundaries([("checkpoints.zip", data)], fresh_source.region())
    with pytest.raises(ArchiveError):
        read_table("marks.xlsx", data)
    report = preview_upload(fresh_source, contents=data_url(data), kind="risk-assessments",
                            filename="marks.xlsx", lang="en", who=OPERATOR)["report"]
    assert "The file cannot be read: the archive marks.xlsx" in str(report)
    path = tmp_path / "checkpoints.zip"
    path.write_bytes(data)
    url = fresh_source.settings.database_url
    assert main(["import-boundaries", str(path), "--activate", "--database-url", url]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("error: ") and "Traceback" not in err
    assert list_versions(fresh_source.engine) == []


# --- 8. geometries with too many vertices --------------------------------------------------------

def test_a_million_vertex_grid_is_refused_early_naming_layer_feature_and_count(region, tmp_path):
    layers = {n: region.layer(n) for n in ("townships", "villages", "grids", "checkpoints")}
    grids = layers["grids"].copy()
    geom = grids.geometry.iloc[0]
    grids.loc[grids.index[0], "geometry"] = shapely.segmentize(geom, geom.length / 1_000_000)
    layers["grids"] = grids
    path = tmp_path / "dense.gpkg"
    for name, frame in layers.items():
        frame.to_file(path, layer=name, driver="GPKG")
    started = time.monotonic()
    with pytest.raises(BoundaryError) as caught:
        import_boundaries([("dense.gpkg", path.read_bytes())], region)
    assert time.monotonic() - started < 10  # refused after reading, before any check
    error = caught.value
    assert error.catalogue_key == "boundary.too_many_vertices"
    n = int(shapely.get_num_coordinates(grids.geometry.iloc[0]))
    assert error.params["row"] == 1 and error.params["code"] == grids["code"].iloc[0]
    assert error.params["n"] == n > MAX_FEATURE_VERTICES
    zh, en = both_languages(error)
    assert f"grids feature 1 ({grids['code'].iloc[0]}) has {n:,} vertices" in en
    assert f"{MAX_FEATURE_VERTICES:,}" in en and "网格" in zh and "第 1 个要素" in zh


def test_a_file_with_too_many_vertices_in_all_is_refused(region):
    layers = [RawLayer(n, f"b.gpkg:{n}", region.layer(n), True)
              for n in ("townships", "villages", "grids")]
    check_vertices("b.gpkg", layers)  # the demo county is far below both caps
    with pytest.raises(BoundaryError) as caught:
        check_vertices("b.gpkg", layers, per_file=10_000)
    assert caught.value.catalogue_key == "boundary.too_many_vertices_file"
    assert caught.value.params["n"] > 10_000
    both_languages(caught.value)
    with pytest.raises(BoundaryError) as caught:
        check_vertices("b.gpkg", layers, per_feature=200)
    assert caught.value.params["layer"] == "townships"


# --- 9. a gap is a finding, not a crash; every message gets the values it names -------------------

def test_a_region_with_one_grid_removed_yields_a_report(region, tmp_path):
    path = tmp_path / "gap.gpkg"
    for name in ("townships", "villages", "grids", "checkpoints"):
        frame = region.layer(name)
        if name == "grids":
            frame = frame.iloc[1:]
        frame.to_file(path, layer=name, driver="GPKG")
    imported = import_boundaries([("gap.gpkg", path.read_bytes())], region)
    gaps = [i for i in imported.report.issues if i.key == "gap"]
    assert gaps and all(i.layer == "grids" for i in gaps)
    for lang in LANGUAGES:
        for issue in imported.report.issues:
            assert "{" not in issue.message(lang)
        boundary_panel.report(imported, lang)
    assert "is in none of the grids" in gaps[0].message("en")
    assert "不属于任何网格" in gaps[0].message("zh")
    stored = Report.from_dict(json.loads(json.dumps(imported.report.to_dict())))
    assert [i.message("en") for i in stored.issues] == [i.message("en")
                                                         for i in imported.report.issues]


def test_an_issue_stored_without_its_layer_value_still_renders():
    issue = Issue("warning", "gap", {"parent": "V1", "parent_layer": "villages", "area": 5000.0,
                                     "lon": "118.4", "lat": "29.1"}, "grids")
    assert issue.message("en") == "5,000 m² of villages V1 is in none of the grids " \
                                  "(near 118.4, 29.1)"


def _error_classes() -> dict[str, str]:
    """Every ``LocalisedError`` class of ``gridwatch.ingest`` by name, with its namespace."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(ingest_package.__path__):
        importlib.import_module(f"gridwatch.ingest.{module.name}")
    found, stack = {}, [LocalisedError]
    while stack:
        cls = stack.pop()
        found[cls.__name__] = cls.namespace
        stack.extend(cls.__subclasses__())
    return found


def _placeholders(text: str) -> set[str]:
    return {re.split(r"[.\[]", name)[0] for _, name, _, _ in string.Formatter().parse(text)
            if name}


def _dict_keys(node: ast.AST | None, scope: ast.AST, tree: ast.Module) -> set[str] | None:
    """The keys a ``**name`` splat gives: the dict literals assigned to ``name`` in ``scope``,
    or returned by the module function it is assigned from (the keys all of them give)."""
    if isinstance(node, ast.Dict):
        if any(k is None or not isinstance(k, ast.Constant) for k in node.keys):
            return None
        return {k.value for k in node.keys}
    if isinstance(node, ast.DictComp) and len(node.generators) == 1:
        loop = node.generators[0]
        if isinstance(loop.target, ast.Name) and isinstance(node.key, ast.Name) \
                and node.key.id == loop.target.id and isinstance(loop.iter, (ast.Tuple, ast.List)) \
                and all(isinstance(e, ast.Constant) for e in loop.iter.elts):
            return {e.value for e in loop.iter.elts}
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        function = next((f for f in tree.body if isinstance(f, ast.FunctionDef)
                         and f.name == node.func.id), None)
        if function is None:
            return None
        returned = [_dict_keys(r.value, function, tree) for r in ast.walk(function)
                    if isinstance(r, ast.Return)]
        return set.intersection(*returned) if returned and None not in returned else None
    if isinstance(node, ast.Name):
        assigned = [_dict_keys(a.value, scope, tree) for a in ast.walk(scope)
                    if isinstance(a, ast.Assign) and any(isinstance(t, ast.Name)
                                                         and t.id == node.id for t in a.targets)]
        return set.intersection(*assigned) if assigned and None not in assigned else None
    return None


def message_calls():
    """(where, full key, values given) for every call in ``gridwatch.ingest`` that names a
    catalogue message with a literal key."""
    classes = _error_classes()
    # callable name → (namespace or None for the class's, key position, values dict position)
    shapes = {**{name: (space, 0, None) for name, space in classes.items()},
              "say": ("ingest.", 0, None), "Phrase": ("ingest.", 0, 1),
              "refuse": ("ingest.", 1, None), "RowError": ("ingest.", 2, 3),
              "conflict": ("ingest.", 2, None), "invalid_row": ("ingest.", 2, None),
              "add": ("boundary.", 1, None), "t": ("", 0, None)}
    for path in sorted((ROOT / "gridwatch" / "ingest").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef,
                                                              ast.AsyncFunctionDef))]
        for scope in [tree, *scopes]:
            for call in ast.walk(scope):
                if not isinstance(call, ast.Call):
                    continue
                func = call.func
                name = func.id if isinstance(func, ast.Name) else \
                    func.attr if isinstance(func, ast.Attribute) else None
                if name not in shapes:
                    continue
                space, key_at, values_at = shapes[name]
                if len(call.args) <= key_at or not isinstance(call.args[key_at], ast.Constant) \
                        or not isinstance(call.args[key_at].value, str):
                    continue
                inner = min((s for s in scopes if s.lineno <= call.lineno <= s.end_lineno),
                            key=lambda s: s.end_lineno - s.lineno, default=tree)
                if inner is not scope and scope is not tree:
                    continue  # counted once, in its innermost function
                if scope is tree and inner is not tree:
                    continue
                given: set[str] | None = set()
                for keyword in call.keywords:
                    if keyword.arg is not None:
                        given.add(keyword.arg)
                    else:
                        keys = _dict_keys(keyword.value, inner, tree)
                        given = None if keys is None or given is None else given | keys
                if values_at is not None:
                    keys = _dict_keys(call.args[values_at], inner, tree) \
                        if len(call.args) > values_at else set()
                    given = None if keys is None or given is None else given | keys
                if name == "add" and (len(call.args) > 2 or any(k.arg == "layer"
                                                                  for k in call.keywords)):
                    given = given | {"layer"} if given is not None else None  # Issue.message
                where = f"{path.name}:{call.lineno}"
                yield where, (space or "") + call.args[key_at].value, given


def test_every_message_raised_in_ingest_gets_every_value_it_names():
    calls = list(message_calls())
    assert len(calls) > 150, "the scan found too few calls: the test would pass vacuously"
    unresolved = [where for where, _key, given in calls if given is None]
    assert unresolved == [], "values given through ** that the test cannot resolve"
    missing = []
    for where, key, given in calls:
        assert key in MESSAGES, f"{where}: {key} is not in the catalogue"
        for lang in LANGUAGES:
            have = given | {g[:-len(lang) - 1] for g in given if g.endswith(f"_{lang}")}
            lacking = _placeholders(MESSAGES[key][lang]) - have
            if lacking:
                missing.append(f"{where} {key} ({lang}) lacks {sorted(lacking)}")
    assert missing == []


# --- 10. the page states the limit it enforces -------------------------------------------------

def test_the_upload_limit_fits_one_request_once_base64_encoded():
    settings = Settings()
    limit = upload_limit_bytes(settings)
    assert limit == (settings.max_request_bytes - REQUEST_OVERHEAD_BYTES) * 3 // 4
    assert format_size(limit) == "2.9 MiB"  # of the default 4 MiB request cap
    url = "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64," + \
        base64.b64encode(b"\0" * limit).decode()
    body = json.dumps({"output": "..upload-report.children...upload-commit.disabled..",
                       "inputs": [{"id": "upload-file", "property": "contents", "value": url}],
                       "state": [{"id": "upload-file", "property": "filename",
                                  "value": "网格风险研判" * 20 + ".xlsx"}]}, ensure_ascii=False)
    assert len(body.encode()) <= settings.max_request_bytes
    assert upload_limit_bytes(Settings(max_request_bytes=100 * 1024 * 1024)) == MAX_FILE_BYTES
    assert format_size(100 * 1024 * 1024) == "100 MiB" and format_size(1536 * 1024) == "1.5 MiB"


def test_the_upload_page_states_the_limits_it_enforces():
    settings = Settings(max_request_bytes=2 * 1024 * 1024, max_upload_bytes=80 * 1024 * 1024)
    for lang, table_text, boundary_text in (("en", "(up to 1.4 MiB)", "up to 80 MiB in all"),
                                            ("zh", "（不超过 1.4 MiB）", "合计不超过 80 MiB")):
        page = upload_page.layout(lang, "/data", settings)
        text = str(page)
        assert table_text in text and boundary_text in text
        assert "50 MB" not in text and "5 MB" not in text
        upload = _find(page, "upload-file")
        assert upload.max_size == upload_limit_bytes(settings)


def test_the_page_states_the_serving_apps_limits_when_the_caller_does_not_pass_them():
    from types import SimpleNamespace

    from flask import Flask

    from web.context import attach

    server = Flask("limits")
    attach(server, SimpleNamespace(settings=Settings(max_request_bytes=2 * 1024 * 1024,
                                                     max_upload_bytes=80 * 1024 * 1024)))
    with server.app_context():
        text = str(upload_page.layout("en", "/data"))
    assert "(up to 1.4 MiB)" in text and "up to 80 MiB in all" in text
    assert "(up to 2.9 MiB)" in str(upload_page.layout("en", "/data"))  # no app: the defaults


def _find(node, component_id):
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif hasattr(item, "children"):
            if getattr(item, "id", None) == component_id:
                return item
            stack.append(item.children)
    raise AssertionError(f"no {component_id}")


def test_a_file_over_the_stated_limit_gets_a_message(source):
    limit = upload_limit_bytes(source.settings)
    too_big = CSV_OK + b"#" * (limit + 1 - len(CSV_OK))
    for lang, words in (("en", f"the file big.csv is larger than {format_size(limit)}"),
                        ("zh", f"文件 big.csv 超过 {format_size(limit)}")):
        out = preview_upload(source, contents=data_url(too_big), kind="risk-assessments",
                             filename="big.csv", lang=lang, who=OPERATOR)
        assert out["commit_disabled"] is True and words in str(out["report"])
    fits = CSV_OK + b"\n" * (limit - len(CSV_OK))
    out = preview_upload(source, contents=data_url(fits), kind="risk-assessments",
                         filename="fits.csv", lang="en", who=OPERATOR)
    assert "larger than" not in str(out["report"])


def test_the_new_keys_read_differently_in_each_language():
    keys = [k for k in MESSAGES if k.startswith(("ingest.zip.", "ingest.table.", "ingest.upload.",
                                                 "boundary.too_many", "boundary.choose"))]
    assert len(keys) > 20
    assert [k for k in keys if MESSAGES[k]["zh"] == MESSAGES[k]["en"]] == []


def test_a_table_with_thousands_of_columns_is_refused_at_its_header():
    from gridwatch.ingest.tables import MAX_COLUMNS

    wide = ",".join(f"c{i}" for i in range(100_000)).encode() + b"\n" + b"1," * 99_999 + b"1\n"
    with pytest.raises(TableError) as caught:
        read_table("wide.csv", wide)
    assert caught.value.catalogue_key == "ingest.table.too_many_columns"
    narrow_header = b"grid_code,colour\n" + b"x," * (MAX_COLUMNS + 1) + b"x\n"
    with pytest.raises(TableError):
        read_table("ragged.csv", narrow_header)
    both_languages(caught.value)
