"""Exports polished (issue 14): the locator inset, an empty selection, the English layout,
the hotspot pages, the issuing unit and issue number, the comparison day, colour-safe print
and the kept daily briefings. Files are opened and read as a reader would."""

from __future__ import annotations

import io
import itertools
import shutil
import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from alembic import command
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, inspect, select

from app import create_app
from callbacks.export import export_links
from gridwatch.__main__ import main as cli_main
from gridwatch.auth.accounts import create_user
from gridwatch.export import (
    ExportOptionError,
    ExportRequest,
    kept,
    request_from_params,
    run_export,
    tables,
)
from gridwatch.export.fonts import print_style
from gridwatch.export.hotspots import clusters
from gridwatch.export.ids import ExportLog
from gridwatch.export.options import MAX_UNIT
from gridwatch.export.pack import pack_pages
from gridwatch.export.render import DPI, Stamp, map_page, projected, render_map
from gridwatch.filters import Filters
from gridwatch.i18n import t
from gridwatch.metrics import township_levels
from gridwatch.service import DataSource
from gridwatch.settings import Settings, SettingsError
from gridwatch.store import models as m
from gridwatch.store.db import alembic_config, make_engine, migrate
from gridwatch.store.models import COLOURS
from tests.conftest import GEO_PATH

DAY = date(2020, 2, 2)  # the demo's busiest day: every colour is on the map
ORIGIN = {"Origin": "http://localhost"}
PASSWORD = "export-polish-password"


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> ExportLog:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('polish') / 'exports.sqlite'}")
    migrate(engine)
    yield ExportLog(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def stamp(source) -> Stamp:
    return Stamp(export_id="0123456789ab", data_version=source.snapshot().version,
                 generated=datetime(2020, 2, 3, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
                 synthetic=True)


def params(snap, kind: str, **given) -> ExportRequest:
    return request_from_params(kind, given, snap.region.townships["code"], snap.first_day,
                               snap.last_day)


def pdf_texts(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def no_grid_filter(snap) -> Filters:
    """A township with a control level it does not have on the day: the filters keep no
    grid (found from the data, not written down)."""
    levels = township_levels(snap, DAY)
    code = str(levels.index[0])
    other = next(level for level in (1, 2, 3) if level != int(levels.iloc[0]))
    return Filters(levels=(other,), townships=(code,), as_of=DAY)


# --- 1. the locator inset --------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_inset_names_counties_as_counties_and_provinces_in_its_key(source, stamp, lang):
    snap = source.snapshot()
    drawn = map_page(snap, ExportRequest(kind="png", filters=Filters(as_of=DAY), lang=lang),
                     source.settings.palette, stamp)
    fig = drawn.page.fig
    neighbours = snap.region.layer("neighbours")
    counties = set(neighbours[f"name_{lang}"])
    provinces = set(neighbours[f"province_{lang}" if lang == "en" else "province_zh"])
    # the inset is the axes that names the neighbours (the main map names them too, with
    # their province under the name)
    insets = [ax for ax in fig.axes if ax is not drawn.ax and
              {" ".join(x.get_text().split()) for x in ax.texts} & counties]
    assert len(insets) == 1
    named = {" ".join(x.get_text().split()) for x in insets[0].texts}
    assert counties <= named  # every neighbour by its own name
    assert not named & provinces  # no province name sits on a county
    key = [x.get_text() for x in fig.texts]
    assert t("export.locator.provinces", lang) in key
    assert provinces <= set(key)  # each province named once, in the key


# --- 2. an empty selection -------------------------------------------------------------------

def test_a_selection_that_keeps_no_grid_says_so_in_the_map_and_the_pack(source, log):
    snap = source.snapshot()
    empty = no_grid_filter(snap)
    for lang in ("zh", "en"):
        page = run_export(source, ExportRequest(kind="pdf", filters=empty, lang=lang), log)
        assert t("export.no_match", lang) in pdf_texts(page.content)[0]
    full = run_export(source, ExportRequest(kind="pdf", filters=Filters(as_of=DAY),
                                            lang="en"), log)
    assert t("export.no_match", "en") not in pdf_texts(full.content)[0]
    pack = pdf_texts(run_export(source, ExportRequest(kind="pack", filters=empty, lang="en"),
                                log).content)
    assert t("export.no_match", "en") in pack[0]  # the cover map
    hot = next(p for p in pack if t("export.pack.hotspots", "en") in p)
    assert t("export.no_match", "en") in hot


def test_the_export_card_says_when_the_filters_keep_no_grid(source):
    snap = source.snapshot()
    out = export_links(source, no_grid_filter(snap).to_dict(), None, "png", "A4",
                       "landscape", "county", None, lang="en")
    assert [n.children for n in out["note"]] == [t("export.panel.no_match", "en")]
    out = export_links(source, Filters(as_of=DAY).to_dict(), None, "png", "A4", "landscape",
                       "county", None, lang="en")
    assert out["note"] == []


# --- 3. layout without collisions or truncation ------------------------------------------------

def _boxes(page) -> list[tuple[str, np.ndarray]]:
    """Every figure-level text of a page with its drawn box (display units)."""
    fig = page.fig
    with print_style("layout-test"):  # text finds its font when drawn, as when saved
        fig.draw_without_rendering()
    out = []
    for text in fig.texts:
        if not text.get_text().strip() or not text.get_visible():
            continue
        with print_style("layout-test"):
            box = text.get_window_extent()
        out.append((text.get_text(), np.array([box.x0, box.y0, box.x1, box.y1])))
    return out


@pytest.mark.parametrize(("lang", "orientation"), [("en", "landscape"), ("zh", "landscape"),
                                                   ("en", "portrait")])
def test_no_text_on_any_pack_page_runs_into_another_or_off_the_paper(source, stamp, lang,
                                                                      orientation):
    snap = source.snapshot()
    request = ExportRequest(kind="pack", filters=Filters(as_of=DAY), lang=lang,
                            orientation=orientation, unit="开化县疫情防控工作领导小组办公室",
                            issue=12)
    pages = pack_pages(snap, request, source.settings.palette, stamp)
    continued = t("export.pack.continued", lang, heading="")
    assert any(continued.strip() in text for page in pages for text, _ in _boxes(page))
    for number, page in enumerate(pages, start=1):
        boxes = _boxes(page)
        width, height = page.fig.bbox.width, page.fig.bbox.height
        for text, (x0, y0, x1, y1) in boxes:
            assert 0 <= x0 and x1 <= width and 0 <= y0 and y1 <= height, (number, text)
        for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
            apart = (ba[2] <= bb[0] + 0.5 or bb[2] <= ba[0] + 0.5 or
                     ba[3] <= bb[1] + 0.5 or bb[3] <= ba[1] + 0.5)
            assert apart, (number, a, b)


def test_grid_codes_and_names_are_never_cut_in_the_english_pack(source, log):
    snap = source.snapshot()
    result = run_export(source, ExportRequest(kind="pack", filters=Filters(as_of=DAY),
                                              lang="en"), log)
    texts = pdf_texts(result.content)
    pages = " ".join(" ".join(p.split()) for p in texts
                     if t("export.pack.red_orange", "en") in p)
    grids = tables.red_orange_grids(snap, Filters(as_of=DAY), "full")
    assert len(grids) > 20
    for row in grids.to_dict("records"):
        assert row["code"] in pages
        assert row["name_en"] in pages, row["name_en"]  # "… Grid 13" keeps its number


# --- 4. hotspots, issuing unit and issue number ----------------------------------------------

def test_the_pack_has_a_hotspot_page_per_cluster_with_its_grids_numbered(source, stamp):
    snap = source.snapshot()
    request = ExportRequest(kind="pack", filters=Filters(as_of=DAY), lang="en")
    grids = tables.red_orange_grids(snap, request.filters, "full")
    found = clusters(projected(snap.region)["grids"],
                     dict(zip(grids["code"], grids["colour"], strict=True)))
    assert found and found[0].red >= found[-1].red
    pages = pack_pages(snap, request, source.settings.palette, stamp)
    hot = [p for p in pages if any(t("export.pack.hotspots", "en") in x.get_text()
                                   for x in p.fig.texts)]
    assert len(hot) == len(found)
    points = dict(zip(projected(snap.region)["grids"]["code"],
                      projected(snap.region)["grid_points"], strict=True))
    for page, cluster in zip(hot, found, strict=True):
        texts = {x.get_text() for x in page.fig.texts}
        assert set(cluster.codes) <= texts  # every grid of the cluster is listed
        ax = next(a for a in page.fig.axes if any(x.get_text() == "1" for x in a.texts))
        numbers = sorted(int(x.get_text()) for x in ax.texts  # the discs, not the scale's
                         if x.get_text().isdigit() and x.get_bbox_patch() is not None)
        assert numbers == list(range(1, len(cluster.codes) + 1))
        xmin, xmax = ax.get_xlim()
        ymin, ymax = ax.get_ylim()
        for code in cluster.codes:  # the map is zoomed to hold the whole cluster
            p = points[code]
            assert xmin < p.x < xmax and ymin < p.y < ymax
        width_km = (xmax - xmin) / 1000
        assert width_km < 25  # zoomed in: the county is about 60 km across


def test_the_issuing_unit_and_issue_number_head_every_page(source, log):
    snap = source.snapshot()
    for lang in ("zh", "en"):
        request = params(snap, "pack", date=DAY.isoformat(), lang=lang,
                         unit="开化县疫情防控办", issue="7")
        texts = pdf_texts(run_export(source, request, log).content)
        issue = t("export.issue_no", lang, n=7)
        assert all("开化县疫情防控办" in p and issue in p for p in texts)
    assert request.to_query().count("issue=7") == 1
    plain = params(snap, "pack", date=DAY.isoformat())
    assert "unit" not in plain.canonical() and "issue" not in plain.canonical()


@pytest.mark.parametrize(("name", "value"), [
    ("unit", "x" * (MAX_UNIT + 1)), ("unit", "办公室\x00"), ("unit", "a\nb"),
    ("unit", "a\u202eb"), ("issue", "0"), ("issue", "10000"), ("issue", "-1"),
    ("issue", "1.5"), ("issue", "七"), ("issue", "１２"), ("since", "2020-02-02"),
    ("since", "2020-01-01"), ("since", "yesterday"), ("since", "2020-02-30")])
def test_bad_pack_options_are_refused_with_the_option_named(source, name, value):
    snap = source.snapshot()
    with pytest.raises(ExportOptionError) as err:
        params(snap, "pack", date=DAY.isoformat(), **{name: value})
    assert err.value.param == name
    assert all(ord(c) >= 32 for c in err.value.value)  # quoted without control characters


def test_the_export_card_checks_the_pack_options_and_offers_the_days_before(source):
    snap = source.snapshot()
    filters = Filters(as_of=DAY).to_dict()
    out = export_links(source, filters, None, "png", "A4", "landscape", "county", None,
                       unit="开化县疫情防控办", issue=12, since="2020-01-28", lang="zh")
    assert "unit=" in out["pack"] and "issue=12" in out["pack"]
    assert "since=2020-01-28" in out["pack"] and out["note"] == []
    days = [o["value"] for o in out["since_options"]]
    assert days[0] == (DAY - timedelta(days=1)).isoformat()
    assert days[-1] == snap.first_day.isoformat()
    assert out["since_placeholder"] == t("export.since.default", "zh",
                                         day=(DAY - timedelta(days=1)).isoformat())
    bad = export_links(source, filters, None, "png", "A4", "landscape", "county", None,
                       unit="x" * 100, issue=3.5, since=DAY.isoformat(), lang="en")
    notes = [n.children for n in bad["note"]]
    assert notes == [t("export.panel.bad_unit", "en", n=MAX_UNIT),
                     t("export.panel.bad_issue", "en", n=9999),
                     t("export.panel.bad_since", "en")]
    assert "unit=" not in bad["pack"] and "issue=" not in bad["pack"]
    assert "since=" not in bad["pack"]


# --- 5. what changed since a chosen day --------------------------------------------------------

def test_the_pack_compares_with_the_chosen_day(source, log):
    snap = source.snapshot()
    since = date(2020, 1, 28)
    request = params(snap, "pack", date=DAY.isoformat(), lang="en", since=since.isoformat())
    texts = pdf_texts(run_export(source, request, log).content)
    heading = t("export.pack.changes", "en", since=since.isoformat())
    assert any(heading in p for p in texts)
    changes = tables.colour_changes(snap, request.filters, since)
    up = int((changes["direction"] == "up").sum())
    down = int((changes["direction"] == "down").sum())
    assert any(t("export.pack.changes_summary", "en", up=up, down=down) in p for p in texts)


# --- 6. colour-safe print --------------------------------------------------------------------

def test_the_five_colours_stay_apart_in_a_greyscale_copy_of_the_map(source, stamp):
    """The legend's swatches, cut from the rendered PNG and turned to grey as a photocopier
    would: every two colours differ clearly in grey level, texture or dark/light share."""
    snap = source.snapshot()
    request = ExportRequest(kind="png", filters=Filters(as_of=DAY), lang="en")
    drawn = map_page(snap, request, source.settings.palette, stamp)
    png = render_map(snap, request, source.settings.palette, stamp)
    grey = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    height = grey.shape[0]

    def px(mm: float) -> int:
        return round(mm / 25.4 * DPI)

    features = {}
    assert set(drawn.swatches) == set(COLOURS)
    for colour, (x, y, w, h) in drawn.swatches.items():
        cut = grey[height - px(y + h * 0.85):height - px(y + h * 0.15),
                   px(x + w * 0.1):px(x + w * 0.9)]
        assert cut.size > 500
        features[colour] = np.array([cut.mean(), cut.std(), 100 * (cut < 128).mean(),
                                     100 * (cut > 200).mean()])
    for a, b in itertools.combinations(COLOURS, 2):
        assert np.abs(features[a] - features[b]).max() >= 20, (a, b, features[a], features[b])


# --- 7. kept daily briefings -----------------------------------------------------------------

def test_the_schedule_time_setting():
    assert Settings().daily_pack_at == ""  # off by default
    assert Settings(daily_pack_at="7:30").daily_pack_at == "07:30"
    for bad in ("24:00", "07:60", "7", "07-30", "０７:３０", "7:30pm"):
        with pytest.raises(SettingsError, match="GRIDWATCH_DAILY_PACK_AT"):
            Settings.from_env({"GRIDWATCH_DAILY_PACK_AT": bad})
    tz = ZoneInfo("Asia/Shanghai")
    at = time(7, 30)
    assert kept.due_day(at, datetime(2020, 2, 3, 7, 29, tzinfo=tz)) is None
    assert kept.due_day(at, datetime(2020, 2, 3, 7, 30, tzinfo=tz)) == date(2020, 2, 2)
    assert kept.seconds_until(at, datetime(2020, 2, 3, 7, 0, tzinfo=tz)) == 1800
    assert kept.seconds_until(at, datetime(2020, 2, 3, 8, 0, tzinfo=tz)) == 23.5 * 3600


@pytest.mark.stores
def test_the_migration_adds_the_kept_briefings_table_and_takes_it_away(stores):
    engine = make_engine(stores.empty("kept-0008"))
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0008")
    assert "kept_briefings" not in inspect(engine).get_table_names()
    command.upgrade(cfg, "head")
    names = inspect(engine).get_table_names()
    assert "kept_briefings" in names
    unique = inspect(engine).get_unique_constraints("kept_briefings")
    assert [u["column_names"] for u in unique] == [["day"]]
    command.downgrade(cfg, "0008")
    assert "kept_briefings" not in inspect(engine).get_table_names()
    command.upgrade(cfg, "head")
    engine.dispose()


@pytest.mark.stores
def test_a_day_is_kept_once_even_when_two_hosts_make_it_at_once(fresh_source):
    # a day on which some townships have 1-4 red-proxy requests: a kept pack hides them
    day = date(2020, 2, 11)
    version = fresh_source.snapshot().version
    other = DataSource(fresh_source.settings)  # a second host on the same store
    other.open()
    results = []

    def make(src):
        results.append(kept.keep(src, day, actor="test"))

    threads = [threading.Thread(target=make, args=(s,)) for s in (fresh_source, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(made for _, made in results) == [False, True]
    with fresh_source.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(m.KeptBriefing)).scalar() == 1
    again, made = kept.keep(fresh_source, day)
    assert not made and again == results[0][0]
    body = kept.content(fresh_source.engine, day)
    assert body.startswith(b"%PDF") and len(body) == again.size
    texts = pdf_texts(body)
    zh = fresh_source.settings.default_language
    assert t("app.as_of", zh, day=day.isoformat()) in texts[0]
    assert again.view == kept.kept_view(fresh_source.settings.suppress_below)
    proxy = next(p for p in texts if f"· {t('export.pack.proxy', zh)}" in p)
    assert f"<{fresh_source.settings.suppress_below}" in proxy  # no household-level data
    assert fresh_source.snapshot().version == version  # keeping is not a data change
    assert [k.day for k in kept.listed(other.engine)] == [day]
    with pytest.raises(kept.NotInHistory):
        kept.keep(fresh_source, fresh_source.snapshot().last_day + timedelta(days=1))


@pytest.mark.stores
def test_the_daily_pack_command_keeps_the_day_once(fresh_source, monkeypatch, capsys):
    monkeypatch.setenv("GRIDWATCH_DATABASE_URL", fresh_source.settings.database_url)
    monkeypatch.setenv("GRIDWATCH_GEO_PATH", str(fresh_source.settings.geo_path))
    day = "2020-02-12"
    assert cli_main(["daily-pack", "--once", "--day", day]) == 0
    assert capsys.readouterr().out.startswith(f"kept\t{day}")
    assert cli_main(["daily-pack", "--once", "--day", day]) == 0
    assert capsys.readouterr().out.startswith(f"already kept\t{day}")
    assert cli_main(["daily-pack", "--once", "--day", "1999-01-01"]) == 1
    assert "history holds" in capsys.readouterr().err
    assert cli_main(["daily-pack", "--once", "--day", "not-a-day"]) == 2
    monkeypatch.delenv("GRIDWATCH_DAILY_PACK_AT", raising=False)
    assert cli_main(["daily-pack"]) == 2  # no schedule set: nothing to wait for
    assert "GRIDWATCH_DAILY_PACK_AT" in capsys.readouterr().err


@pytest.fixture(scope="module")
def site(seeded_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("polish-site") / "store.sqlite"
    shutil.copy(seeded_db, path)
    settings = Settings(database_url=f"sqlite:///{path}", geo_path=GEO_PATH,
                        daily_pack_at="07:30")
    source = DataSource(settings)
    source.open()
    return create_app(settings), source


def _client(site, role: str, name: str):
    app, source = site
    create_user(source.writer, name, role, None, password=PASSWORD)
    client = app.server.test_client()
    answer = client.post("/login", data={"username": name, "password": PASSWORD},
                         headers=ORIGIN)
    assert answer.status_code == 303
    return client


def test_kept_briefings_are_listed_and_given_to_who_may_export_and_audited(site):
    app, source = site
    day = date(2020, 2, 14)
    kept.keep(source, day)
    listed = export_links(source, Filters(as_of=DAY).to_dict(), None, "png", "A4",
                          "landscape", "county", None, lang="en")["kept"]
    html = str(listed)
    assert t("export.kept.schedule", "en", at="07:30") in html
    assert f"/export/kept/{day.isoformat()}" in html
    analyst = _client(site, "analyst", "polish-analyst")
    answer = analyst.get(f"/export/kept/{day.isoformat()}?lang=en")
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF")
    assert answer.headers["X-Export-Id"] == kept.find(source.engine, day).export_id
    with source.engine.connect() as conn:
        audited = conn.execute(select(m.AuditEntry.actor).where(
            m.AuditEntry.entity == "kept_briefing",
            m.AuditEntry.entity_key == day.isoformat())).scalars().all()
    assert audited and audited[-1].endswith("polish-analyst")
    viewer = _client(site, "viewer", "polish-viewer")
    assert viewer.get(f"/export/kept/{day.isoformat()}").status_code == 403
    assert app.server.test_client().get(f"/export/kept/{day.isoformat()}").status_code in (
        302, 303, 401)
    for missing in ("2020-02-15", "nope", "2020-99-99"):
        answer = analyst.get(f"/export/kept/{missing}?lang=en")
        assert answer.status_code == 404 and b"no briefing" in answer.data
    for query in ("unit=%00x", "issue=abc", "since=2030-01-01", "unit=" + "x" * 500):
        assert analyst.get(f"/export/pack?{query}").status_code == 400
