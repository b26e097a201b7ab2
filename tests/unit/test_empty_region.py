"""An empty region (issue 13): a new region just imported into a store without history. Every
page, the wall, the panels and every export say "no data yet" (naming the region, in zh and
en) instead of zeros, today's date as the data's day or an axis around nothing; nothing raises.
"""

from __future__ import annotations

import io
import json

import pytest
from dash import no_update
from pypdf import PdfReader

from callbacks.charts import update_checkpoint_chart, update_colour_chart, update_task_chart
from callbacks.kpis import update_kpis
from callbacks.map import update_map
from callbacks.panels import GROUPS, update_panels
from callbacks.router import render_page
from callbacks.wall import panel, refresh, rotation_views
from gridwatch.auth.policy import system
from gridwatch.empty import no_history
from gridwatch.export import run_export
from gridwatch.export.options import ExportRequest
from gridwatch.filters import Filters
from gridwatch.i18n import t
from tests.conftest import dispose, signed_in_client
from tests.unit.test_new_region import NAME_EN, NAME_ZH, moved, new_region_source, write_gpkg

ADMIN = system()
LANGS = ("zh", "en")


@pytest.fixture(scope="module")
def empty(region, stores, tmp_path_factory):
    """A store holding only a new region (the demo moved 3.5° east and renamed)."""
    folder = tmp_path_factory.mktemp("empty-region")
    path = write_gpkg(folder / "donghai.gpkg", {name: moved(region, name) for name in (
        "county", "townships", "villages", "grids", "checkpoints")})
    source = new_region_source(stores, "empty-region", path)
    yield source
    dispose(source)


def texts(component) -> str:
    """Every string inside a Dash component tree (or a list of them), joined."""
    if isinstance(component, str):
        return component
    if isinstance(component, (list, tuple)):
        return " ".join(texts(c) for c in component)
    children = getattr(component, "children", None)
    return texts(children) if children is not None else ""


def annotation(figure: dict) -> str:
    return " ".join(a["text"] for a in figure["layout"].get("annotations", []))


def test_the_store_of_a_new_region_has_no_history(empty):
    snap = empty.snapshot()
    assert no_history(snap)
    assert snap.region.county.iloc[0]["name_en"] == NAME_EN


@pytest.mark.parametrize("lang", LANGS)
def test_the_kpis_say_no_data_yet_with_the_region_s_name_and_how_to_send_records(empty, lang):
    filters = Filters(as_of=empty.snapshot().last_day).to_dict()
    tiles = update_kpis(empty, filters, None, lang, ADMIN)["tiles"]
    text = texts(tiles)
    assert t("nodata.title", lang) in text
    assert (NAME_ZH if lang == "zh" else NAME_EN) in text
    assert "/data" in text and "/api/v1" in text and "python -m gridwatch simulate" in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_charts_say_no_data_yet_without_axes(empty, lang):
    filters = Filters(as_of=empty.snapshot().last_day).to_dict()
    for figure in (update_task_chart(empty, filters, None, lang)["figure"],
                   update_checkpoint_chart(empty, filters, None, None, lang)["figure"],
                   update_colour_chart(empty, filters, None, lang)["figure"]):
        assert figure["data"] == []
        assert figure["layout"]["xaxis"] == {"visible": False}
        assert annotation(figure) == t("nodata.chart", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_the_header_says_no_data_yet_instead_of_a_day(empty, lang):
    day = empty.snapshot().last_day
    out = update_map(empty, filters=Filters(as_of=day).to_dict(), version=None, detail=None,
                     lang=lang, who=ADMIN)
    assert out["as_of"] == t("nodata.as_of", lang)
    assert day.isoformat() not in out["as_of"]


@pytest.mark.parametrize("lang", LANGS)
def test_every_panel_answers_and_the_tiles_and_dates_say_no_data_yet(empty, lang):
    filters = Filters(as_of=empty.snapshot().last_day).to_dict()
    out = update_panels(empty, filters=filters, version=None, checkpoint=None, lang=lang,
                        who=system("analyst"), in_view=list(GROUPS),
                        triggered={"gw-filters.data"})
    for key in ("rings", "proxy", "inspection", "figures"):
        assert texts(out[key]) == t("nodata.chart", lang), key
    for key in ("rings_as_of", "proxy_as_of", "inspection_as_of", "task_as_of",
                "lead_as_of", "alert_as_of", "directive_count"):
        assert out[key] == t("nodata.as_of", lang), key
    assert annotation(out["task_funnel"]) == t("nodata.chart", lang)
    assert len(out["rows"]) == len(empty.snapshot().region.grids)  # the geography is there
    assert out["lead_rows"] == [] and out["directive_rows"] == []


@pytest.mark.parametrize("path", ["/", "/wall", "/data", "/work"])
def test_every_page_renders(empty, path):
    for lang in LANGS:
        page, spoken = render_page(empty, path, f"?lang={lang}", ADMIN)
        assert spoken == lang and page is not None and page is not no_update


@pytest.mark.parametrize("lang", LANGS)
def test_the_wall_says_no_data_yet_and_shows_no_made_up_axis(empty, lang):
    out = refresh(empty, {}, lang)
    text = texts(out["kpis"])
    assert t("nodata.title", lang) in text and (NAME_ZH if lang == "zh" else NAME_EN) in text
    assert out["as_of"].startswith(t("nodata.as_of", lang))
    snap = empty.snapshot()
    assert snap.last_day.isoformat() not in out["as_of"]
    assert rotation_views(snap, ["checkpoints", "rings", "tasks", "focus"]) == ["checkpoints"]
    _title, body, _bounds, _town = panel(snap, "checkpoints", lang)
    [graph] = body
    figure = graph.figure.to_plotly_json() if hasattr(graph.figure, "to_plotly_json") \
        else graph.figure
    assert list(figure["data"]) == []
    assert [a["text"] for a in figure["layout"]["annotations"]] == [t("nodata.chart", lang)]


def export(source, kind: str, lang: str, **kw) -> bytes:
    snap = source.snapshot()
    request = ExportRequest(kind=kind, filters=Filters(as_of=snap.last_day), lang=lang, **kw)
    return run_export(source, request, snap=snap).content


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("lang", LANGS)
def test_the_map_and_the_briefing_pack_say_no_data_yet_on_every_page(empty, lang):
    note = t("nodata.export_note", lang, county=NAME_ZH if lang == "zh" else NAME_EN)
    day = empty.snapshot().last_day.isoformat()
    for kind in ("pdf", "pack"):
        pages = [p.extract_text() for p in PdfReader(io.BytesIO(export(empty, kind, lang)))
                 .pages]
        for text in pages:
            flat = text.replace("\n", "")
            assert t("nodata.title", lang) in flat, kind
            assert note.replace(" ", "")[:12] in flat.replace(" ", ""), kind
            assert t("app.as_of", lang, day=day) not in text, kind


@pytest.mark.parametrize("lang", LANGS)
def test_the_data_files_carry_the_no_data_note(empty, lang):
    note = t("nodata.export_note", lang, county=NAME_ZH if lang == "zh" else NAME_EN)
    for table in ("grids", "tasks", "checkpoints", "colours"):
        lines = export(empty, "csv", lang, table=table).decode("utf-8-sig").splitlines()
        assert lines[0].strip('"') == note, table
        assert lines[1].split(",")[0] in ("code", "township_code", "day"), table
    data = json.loads(export(empty, "geojson", lang))
    assert data["gridwatch"]["note"] == note


def test_the_export_route_answers_with_the_note_and_not_a_500(empty):
    from app import create_app

    app = create_app(empty.settings)
    client = signed_in_client(app, empty.writer, "empty-admin", "admin", None,
                              "empty-region-password")
    for kind in ("png", "pdf", "pack", "csv", "geojson", "gpkg"):
        answer = client.get(f"/export/{kind}?lang=en")
        assert answer.status_code == 200, (kind, answer.data[:200])
    answer = client.get("/export/csv?lang=zh")
    assert answer.data.decode("utf-8-sig").splitlines()[0].startswith(t("nodata.title", "zh"))
    for path in ("/", "/wall", "/data", "/api/v1/region"):
        assert client.get(path).status_code == 200, path
