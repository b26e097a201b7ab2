"""The briefing pack: one multi-page PDF with the map, the figures, the charts and the tables.

Pages, in order: the map; the hotspots (a map zoomed to each cluster of red and orange
grids, its grids numbered and listed); the key figures; task completion and checkpoint
throughput; the red and orange grids; the overdue tasks; the checkpoint alerts; the six
rings; the red proxy; the inspections; what changed since the comparison day. Long tables
run on over a few pages and then say how many rows were left out (the CSV download has them
all). Every page has the same header (the filters, the data day, and the issuing unit and
issue number when given) and footer (export ID, page). Column widths, titles and cells are
measured in the print font: text is set smaller or wrapped before it is ever cut.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.dates import DateFormatter
from matplotlib.patches import FancyBboxPatch

from gridwatch import inspection, proxy, rings
from gridwatch.checkpoints import Health, on_snapshot
from gridwatch.checkpoints import detail as alert_detail
from gridwatch.checkpoints import state_text as alert_state
from gridwatch.empty import no_history
from gridwatch.export import tables
from gridwatch.export.fonts import print_style, truetype_text
from gridwatch.export.hotspots import Cluster, clusters, framed
from gridwatch.export.options import ExportRequest
from gridwatch.export.render import (
    GREY,
    INK,
    Page,
    Stamp,
    app_title,
    as_of_text,
    describe_filters,
    draw_map,
    ellipsize,
    footer_left,
    generated_text,
    graticule_ticks,
    issue_text,
    map_page,
    metadata,
    no_data_stamp,
    no_match_stamp,
    north_arrow,
    print_instant,
    projected,
    scale_bar,
    swatch,
    wrap,
)
from gridwatch.filters import Filters
from gridwatch.geo.crs import region_crs
from gridwatch.i18n import county_name, duration, t
from gridwatch.leads import kpis_at
from gridwatch.mapview import map_view
from gridwatch.metrics import (
    TASK_STATES,
    checkpoint_series,
    checkpoints_in,
    compute_kpis,
    kept_grids,
    selected_townships,
    task_completion_by_township,
    township_levels,
)
from gridwatch.snapshot import Snapshot
from gridwatch.store.models import COLOURS, CONTROL_LEVELS
from gridwatch.style import LEVEL_STROKE, TASK_COLOURS
from gridwatch.visibility import count_text, proxy_for_view, rings_for_view, view_kpis

MAX_TABLE_PAGES = 3
ROW_MM = 6.2


@dataclass(frozen=True)
class PackContext:
    snap: Snapshot
    request: ExportRequest
    palette: dict[str, str]
    stamp: Stamp
    checks: Health = field(default_factory=Health)

    @property
    def lang(self) -> str:
        return self.request.lang

    @property
    def filters(self) -> Filters:
        return self.request.filters


PageMaker = Callable[[str], Page]


def render_pack(snap: Snapshot, request: ExportRequest, palette: dict[str, str],
                stamp: Stamp, checks: Health | None = None) -> bytes:
    """The briefing pack for ``request`` as PDF bytes.

    Parameters
    ----------
    snap : Snapshot
        The data and the geography, read together.
    request : ExportRequest
        Filters, language, paper and orientation (all pages), map extent and title, and
        ``compare_day`` for the "what changed" page.
    palette : dict
        Colour name to hex, as on screen.
    stamp : Stamp
        Export ID, data version and generation time (footer and PDF metadata).
    checks : Health, optional
        The checkpoint-alert thresholds (the settings'); default: the defaults.
    """
    lang = request.lang
    with print_style(stamp.export_id):
        figures = [page.fig for page in pack_pages(snap, request, palette, stamp, checks)]
        buffer = io.BytesIO()
        title = f"{pack_title(lang, snap.region)} {request.as_of.isoformat()}"
        subject = describe_filters(request.filters, snap.region, lang, request.bbox is not None)
        with truetype_text(figures, int(stamp.generated.timestamp())), \
                PdfPages(buffer, metadata=metadata("pdf", stamp, title, subject)) as pdf:
            for fig in figures:
                pdf.savefig(fig)
    return buffer.getvalue()


def pack_pages(snap: Snapshot, request: ExportRequest, palette: dict[str, str],
               stamp: Stamp, checks: Health | None = None) -> list[Page]:
    """The pack's pages, laid out and numbered (not saved); drawn inside ``print_style``
    (their text takes its font when created)."""
    ctx = PackContext(snap, request, palette, stamp, checks or Health())
    lang = request.lang
    with print_style(stamp.export_id):
        makers: list[PageMaker] = [
            lambda label: map_page(snap, request, palette, stamp, label, ctx.checks).page,
            *hotspot_pages(ctx),
            lambda label: kpi_page(ctx, label),
            lambda label: chart_page(ctx, label),
        ]
        makers += table_pages(ctx, t("export.pack.red_orange", lang), *red_orange_rows(ctx))
        makers += table_pages(ctx, t("export.pack.overdue", lang), *overdue_rows(ctx))
        makers += table_pages(ctx, t("export.pack.checkpoint_alerts", lang),
                              *checkpoint_alert_rows(ctx))
        makers += table_pages(ctx, t("export.pack.rings", lang), *ring_rows(ctx))
        makers += table_pages(ctx, t("export.pack.proxy", lang), *proxy_rows(ctx))
        makers += table_pages(ctx, t("export.pack.inspection", lang), *inspection_rows(ctx))
        makers += change_pages(ctx)
        total = len(makers)
        return [make(t("export.page", lang, page=number, pages=total))
                for number, make in enumerate(makers, start=1)]


def pack_title(lang: str, region) -> str:
    """The briefing pack's title, with the region's own name in it."""
    return t("export.pack.title", lang, county=county_name(region, lang))


def new_page(ctx: PackContext, heading: str, label: str) -> Page:
    """A pack page with its header and footer; ``heading`` follows the pack's title."""
    lang = ctx.lang
    page = Page(ctx.request.paper, ctx.request.orientation)
    title = (f"{ctx.request.title or pack_title(lang, ctx.snap.region)} · {heading}", heading)
    page.frame(title, describe_filters(ctx.filters, ctx.snap.region, lang),
               as_of_text(ctx.snap, ctx.request.as_of, lang),
               generated_text(ctx.stamp, lang), footer_left(ctx.stamp, lang),
               f"{app_title(lang, ctx.snap.region)}  ·  {label}",
               issue_text(ctx.request, lang))
    if no_history(ctx.snap):  # an empty region: every page says so, across its body
        no_data_stamp(page, page.body, ctx.snap.region, lang)
    return page


# --- hotspots --------------------------------------------------------------------------------

def hotspot_pages(ctx: PackContext) -> list[PageMaker]:
    """One page per cluster of the day's red and orange grids (``gridwatch.export.hotspots``),
    or one page saying there are none (or that the filters keep no grid)."""
    table = tables.red_orange_grids(ctx.snap, ctx.filters, ctx.request.view)
    colours = dict(zip(table["code"], table["colour"], strict=True))
    found = clusters(projected(ctx.snap.region)["grids"], colours)
    if not found:
        return [lambda label: hotspot_none(ctx, label)]
    rows = {r["code"]: r for r in table.to_dict("records")}

    def maker(number: int, cluster: Cluster) -> PageMaker:
        return lambda label: hotspot_page(ctx, number, len(found), cluster, rows, label)
    return [maker(i, c) for i, c in enumerate(found, start=1)]


def hotspot_none(ctx: PackContext, label: str) -> Page:
    lang = ctx.lang
    page = new_page(ctx, t("export.pack.hotspots", lang), label)
    bx, by, _, bh = page.body
    kept = kept_grids(ctx.snap, ctx.filters)
    if not no_history(ctx.snap) and not kept.any():
        no_match_stamp(page, page.body, lang)
    else:
        page.text(bx, by + bh - 8 * page.k, t("export.pack.no_hotspots", lang), 10,
                  color=GREY, va="top")
    return page


def hotspot_page(ctx: PackContext, number: int, total: int, cluster: Cluster,
                 rows: dict[str, dict], label: str) -> Page:
    """A map zoomed to ``cluster`` with its grids numbered, beside (or above) the list of
    those grids: number, code, name, village and colour."""
    lang, snap = ctx.lang, ctx.snap
    heading = t("export.pack.hotspots", lang) + (f" {number}/{total}" if total > 1 else "")
    page = new_page(ctx, heading, label)
    k = page.k
    bx, by, bw, bh = page.body
    gap = 5 * k
    towns = list(dict.fromkeys(rows[c][f"township_{lang}"] for c in cluster.codes))
    sep = "、" if lang == "zh" else ", "
    caption = t("export.pack.hotspot_area", lang, n=number, townships=sep.join(towns),
                red=cluster.red, orange=cluster.orange)
    caption, size = page.fit(caption, bw, 10, 7, bold=True)
    top = by + bh - 2 * k
    page.text(bx, top, caption, size, fontweight="bold", va="top")
    page.text(bx, top - 6 * k, t("export.pack.hotspot_key", lang), 7.5, color=GREY, va="top")
    area_h = bh - 13 * k
    if page.landscape:
        list_w = 100 * k
        map_box = (bx, by, bw - list_w - gap, area_h)
        list_rect = (bx + bw - list_w, by, list_w, area_h)
    else:  # the map above the list: as tall as the list leaves, between 45% and 60%
        wanted = (len(cluster.codes) + 2.5) * 4.2 * k + gap
        map_h = min(area_h * 0.6, max(area_h * 0.45, area_h - wanted))
        map_box = (bx, by + area_h - map_h, bw, map_h)
        list_rect = (bx, by, bw, area_h - map_h - gap)
    extent = framed(cluster.bounds, map_box[2] / map_box[3])
    view = map_view(snap, ctx.filters, print_instant(ctx.stamp, ctx.filters.as_of), ctx.checks)
    ax = page.axes(*map_box)
    draw_map(ax, snap.region, view, ctx.palette, extent, lang, page.fs)
    crs = region_crs(snap.region)
    graticule_ticks(ax, extent, page.fs, crs)
    scale_bar(ax, extent, lang, page.fs)
    north_arrow(page, map_box, extent, lang, crs)
    layers = projected(snap.region)
    points = {code: (pt.x, pt.y) for code, pt in zip(layers["grids"]["code"],
                                                     layers["grid_points"], strict=True)}
    number_grids(page, ax, map_box, extent, cluster.codes, points)
    columns: list[Column] = [("#", 0.4, "right"), (t("table.code", lang), 1.5, "left"),
                             (t("table.name", lang), 1.8, "left"),
                             (t("table.colour", lang), 0.9, "left")]
    listed = [[i, code, rows[code][f"name_{lang}"],
               ("swatch", ctx.palette[rows[code]["colour"]],
                t(f"colour.{rows[code]['colour']}", lang), rows[code]["colour"])]
              for i, code in enumerate(cluster.codes, start=1)]
    lx, ly, lw, lh = list_rect
    row_mm = min(ROW_MM, max(4.2, lh / k / (len(listed) + 1.5)))
    fit = int(lh / (row_mm * k)) - 2
    shown = listed[:fit] if len(listed) > fit + 1 else listed
    bottom = draw_table(page, lx, ly + lh, lw, columns, shown, row_mm=row_mm)
    if len(shown) < len(listed):
        page.text(lx, bottom - 2 * k, t("export.pack.more_rows", lang,
                                        n=len(listed) - len(shown)), 7, color=GREY, va="top")
    return page


def number_grids(page: Page, ax, box, extent, codes: tuple[str, ...],
                 points: dict[str, tuple[float, float]]) -> None:
    """Number ``codes`` on the hotspot map at their grids' ``points`` (metric CRS), in white
    discs above every other symbol; a number that would cover one already placed moves aside
    on a leader line."""
    xmin, xmax, ymin, _ = extent
    w, h = box[2], box[3]
    per_mm = (xmax - xmin) / w
    radius = 2.0 * page.k  # mm
    placed: list[tuple[float, float]] = []
    steps = [(0.0, 0.0)] + [(dx * r, dy * r) for r in (2.4, 3.6, 4.8, 6.0)
                            for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1), (.7, .7),
                                           (-.7, .7), (.7, -.7), (-.7, -.7))]
    for i, code in enumerate(codes, start=1):
        px, py = points[code]
        mx, my = (px - xmin) / per_mm, (py - ymin) / per_mm
        spot = (mx, my)
        for dx, dy in steps:
            cx, cy = mx + dx * radius, my + dy * radius
            inside = radius < cx < w - radius and radius < cy < h - radius
            if inside and all((cx - ox) ** 2 + (cy - oy) ** 2 >= (2.05 * radius) ** 2
                              for ox, oy in placed):
                spot = (cx, cy)
                break
        placed.append(spot)
        lx, ly = xmin + spot[0] * per_mm, ymin + spot[1] * per_mm
        if spot != (mx, my):
            ax.plot([px, lx], [py, ly], color=INK, linewidth=0.5, zorder=8.4)
        ax.text(lx, ly, str(i), fontsize=6.2 * page.fs, fontweight="bold", color=INK,
                ha="center", va="center", zorder=8.6, clip_on=True,
                bbox={"boxstyle": "circle,pad=0.25", "facecolor": "white",
                      "edgecolor": INK, "linewidth": 0.6})


# --- key figures -----------------------------------------------------------------------------

def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else (f"−{-n}" if n < 0 else "±0")


def kpi_page(ctx: PackContext, label: str) -> Page:
    """The key figures as tiles: colours with their change, then six figure tiles."""
    lang = ctx.lang
    k = view_kpis(kpis_at(compute_kpis(ctx.snap, ctx.filters),
                          print_instant(ctx.stamp, ctx.filters.as_of)), ctx.request.view)
    page = new_page(ctx, t("export.pack.kpis", lang), label)
    s = page.k
    bx, by, bw, bh = page.body
    gap = 5 * s
    top = by + bh - 4 * s
    # Row 1: the five colours.
    colour_h = 38 * s
    page.text(bx, top - 1 * s, t("kpi.grids", lang), 10, fontweight="bold", va="top")
    page.text(bx + bw, top - 1 * s, t("kpi.selected", lang, n=k.grids_selected), 8,
              color=GREY, ha="right", va="top")
    cell_w = (bw - 4 * gap) / 5
    y0 = top - 8 * s - colour_h
    for i, colour in enumerate(COLOURS):
        x = bx + i * (cell_w + gap)
        _tile(page, x, y0, cell_w, colour_h)
        page.rect(x, y0 + colour_h - 3 * s, cell_w, 3 * s, facecolor=ctx.palette[colour],
                  edgecolor="none")
        page.text(x + 4 * s, y0 + colour_h - 9 * s, t(f"colour.{colour}", lang), 9,
                  color=GREY, va="top")
        page.text(x + 4 * s, y0 + 11 * s, f"{k.colour_counts[colour]:,}", 24,
                  fontweight="bold", va="baseline")
        page.text(x + 4 * s, y0 + 4 * s,
                  f"{t('kpi.vs_yesterday', lang)} {_signed(k.colour_deltas[colour])}", 7.5,
                  color=GREY, va="baseline")
    # Rows 2 and 3: six tiles.
    rows_top = y0 - gap
    tile_h = (rows_top - by - gap) / 2
    tile_w = (bw - 2 * gap) / 3
    rate = "—" if k.response_rate is None else f"{k.response_rate:.1%}"
    levels = "  ".join(f"{t(f'level.{lv}', lang)} {k.level_counts[lv]}"
                       for lv in CONTROL_LEVELS)
    tiles = [
        (t("kpi.levels", lang), str(sum(k.level_counts.values())), levels),
        (t("kpi.tasks", lang),
         f"{k.tasks_completed:,} / {k.tasks_issued:,}",
         f"{t('kpi.tasks_completed', lang)} / {t('kpi.tasks_issued', lang)} · "
         f"{t('kpi.tasks_overdue', lang)} {k.tasks_overdue} · "
         f"{t('kpi.tasks_today', lang, n=k.tasks_issued_today)}"),
        (t("kpi.response_rate", lang), rate, ""),
        (t("kpi.checkpoints", lang),
         f"{k.checkpoint_vehicles:,} / {k.checkpoint_people:,}",
         f"{t('kpi.vehicles', lang)} / {t('kpi.people', lang)} · "
         f"{t('kpi.flagged', lang, n=k.checkpoint_flagged)}"),
        (t("kpi.leads", lang), count_text(k.open_leads),
         f"{t('kpi.open_leads', lang)} · "
         f"{t('kpi.oldest', lang, age=duration(k.oldest_open_lead_minutes, lang))} · "
         f"{t('kpi.median_close', lang, age=duration(k.median_close_minutes, lang))}"),
        (t("kpi.home_isolation", lang), count_text(k.home_isolation), ""),
    ]
    for i, (name, value, note) in enumerate(tiles):
        col, row = i % 3, i // 3
        x = bx + col * (tile_w + gap)
        y = rows_top - (row + 1) * tile_h - row * gap
        _tile(page, x, y, tile_w, tile_h)
        page.text(x + 4 * s, y + tile_h - 5 * s, name, 9.5, color=GREY, va="top")
        page.text(x + 4 * s, y + tile_h * 0.42, value, 22, fontweight="bold", va="baseline")
        if note:
            page.text(x + 4 * s, y + tile_h * 0.42 - 5 * s,
                      wrap(note, tile_w - 8 * s, 7.5 * page.fs), 7.5, color=GREY, va="top",
                      linespacing=1.5)
        if i == 0:
            for j, lv in enumerate(CONTROL_LEVELS):
                page.rect(x + tile_w - (12 - j * 3.2) * s - 2 * s, y + tile_h - 8 * s, 2.6 * s,
                          2.6 * s, facecolor=LEVEL_STROKE[lv], edgecolor="none")
    return page


def _tile(page: Page, x: float, y: float, w: float, h: float) -> None:
    page.fig.add_artist(FancyBboxPatch((x, y), w, h, transform=page.mm,
                                       boxstyle=f"round,pad=0,rounding_size={1.5 * page.k}",
                                       facecolor="#f7f9fa", edgecolor="#cfd8dc",
                                       linewidth=0.6))


# --- charts ----------------------------------------------------------------------------------

def chart_page(ctx: PackContext, label: str) -> Page:
    """Task completion per township and checkpoint throughput per day, side by side (or
    stacked on portrait paper)."""
    lang = ctx.lang
    page = new_page(ctx, t("export.pack.charts", lang), label)
    s = page.k
    bx, by, bw, bh = page.body
    gap = 14 * s
    if page.landscape:
        w, h = (bw - gap) / 2 - 24 * s, bh - 34 * s
        boxes = [(bx + 24 * s, by + 22 * s, w, h), (bx + (bw + gap) / 2 + 14 * s, by + 22 * s,
                                                      w + 8 * s, h)]
    else:
        w, h = bw - 30 * s, (bh - gap) / 2 - 32 * s
        boxes = [(bx + 26 * s, by + bh / 2 + gap / 2 + 14 * s, w, h),
                 (bx + 18 * s, by + 22 * s, w + 8 * s, h)]
    tasks = task_completion_by_township(ctx.snap, ctx.filters)
    names = ctx.snap.region.names("townships", lang)
    ax = page.axes(*boxes[0])
    page.text(boxes[0][0] - 22 * s, boxes[0][1] + boxes[0][3] + 5 * s,
              t("chart.tasks.title", lang), 10, fontweight="bold", va="bottom")
    left = pd.Series(0, index=tasks.index, dtype=float)
    labels = [names.get(c, c) for c in tasks.index]
    for state in TASK_STATES:
        ax.barh(labels, tasks[state], left=left, color=TASK_COLOURS[state],
                label=t(f"chart.tasks.{state}", lang), height=0.7)
        left += tasks[state]
    ax.invert_yaxis()
    _style_axes(ax, page)
    if tasks.empty:
        _empty(ax, page, lang)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncols=4, frameon=False,
              fontsize=7.5 * page.fs)

    series = checkpoint_series(ctx.snap, ctx.filters)
    ax = page.axes(*boxes[1])
    page.text(boxes[1][0] - 14 * s, boxes[1][1] + boxes[1][3] + 5 * s,
              t("chart.checkpoints.title", lang), 10, fontweight="bold", va="bottom")
    days = pd.to_datetime(pd.Index(series.index))
    for col, colour, width, style in (("vehicles", "#37474f", 1.6, "-"),
                                      ("people", "#1e88e5", 1.6, "-"),
                                      ("qr_registrations", "#8e24aa", 1.0, ":"),
                                      ("flagged", "#e53935", 1.0, "-")):
        key = "qr" if col == "qr_registrations" else col
        ax.plot(days, series[col], color=colour, linewidth=width, linestyle=style,
                label=t(f"chart.checkpoints.{key}", lang))
    ax.xaxis.set_major_formatter(DateFormatter("%m-%d"))
    _style_axes(ax, page, grid_axis="y")
    ax.set_ylim(bottom=0)
    if series.to_numpy().sum() == 0:
        _empty(ax, page, lang)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncols=4, frameon=False,
              fontsize=7.5 * page.fs)
    return page


def _style_axes(ax, page: Page, grid_axis: str = "x") -> None:
    ax.tick_params(labelsize=7.5 * page.fs, colors=INK, length=2)
    ax.grid(axis=grid_axis, color="#eceff1", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#90a4ae")


def _empty(ax, page: Page, lang: str) -> None:
    ax.text(0.5, 0.5, t("chart.empty", lang), transform=ax.transAxes, ha="center",
            va="center", fontsize=11 * page.fs, color="#78909c")


# --- tables ----------------------------------------------------------------------------------

Column = tuple[str, float, str]  # header, relative width, alignment ("left"/"right")


def red_orange_rows(ctx: PackContext) -> tuple[list[Column], list[list]]:
    lang = ctx.lang
    table = tables.red_orange_grids(ctx.snap, ctx.filters, ctx.request.view)
    columns = [(t("table.code", lang), 1.5, "left"), (t("table.name", lang), 1.7, "left"),
               (t("table.village", lang), 1.5, "left"), (t("table.township", lang), 1.2, "left"),
               (t("table.colour", lang), 0.8, "left"), (t("table.since", lang), 1.3, "left"),
               (t("table.home_isolation", lang), 0.9, "right"),
               (t("table.open_tasks", lang), 0.9, "right"),
               (t("table.overdue_tasks", lang), 0.9, "right"),
               (t("table.open_leads", lang), 0.9, "right")]
    rows = [[r["code"], r[f"name_{lang}"], r[f"village_{lang}"], r[f"township_{lang}"],
             ("swatch", ctx.palette[r["colour"]], t(f"colour.{r['colour']}", lang),
              r["colour"]),
             r["since"], r["home_isolation"], r["open_tasks"], r["overdue_tasks"],
             r["open_leads"]] for r in table.to_dict("records")]
    return columns, rows


def overdue_rows(ctx: PackContext) -> tuple[list[Column], list[list]]:
    lang = ctx.lang
    table = tables.overdue_tasks(ctx.snap, ctx.filters)
    names = ctx.snap.region.names("townships", lang)
    sep = "、" if lang == "zh" else ", "
    columns = [(t("export.col.task", lang), 1.0, "left"),
               (t("export.col.task_title", lang), 3.4, "left"),
               (t("export.col.issued", lang), 1.3, "left"),
               (t("export.col.due", lang), 1.3, "left"),
               (t("export.col.overdue_grids", lang), 1.0, "right"),
               (t("export.col.townships", lang), 2.6, "left")]
    rows = [[r["code"], r[f"title_{lang}"], r["issued_at"].strftime("%m-%d %H:%M"),
             r["due_at"].strftime("%m-%d %H:%M"), r["grids_overdue"],
             sep.join(names.get(c, c) for c in r["townships"])]
            for r in table.to_dict("records")]
    return columns, rows


def checkpoint_alert_rows(ctx: PackContext) -> tuple[list[Column], list[list]]:
    """The day's checkpoint alerts of the filters' townships at the instant the pack was made
    (``gridwatch.checkpoints``): open first, as the analyst view lists them."""
    lang, snap = ctx.lang, ctx.snap
    day = ctx.filters.as_of
    instant = print_instant(ctx.stamp, day)
    towns = selected_townships(snap.region, township_levels(snap, day), ctx.filters)
    shown = set(checkpoints_in(snap.region, towns))
    found = [a for a in on_snapshot(snap, day, instant, ctx.checks) if a.checkpoint in shown]
    names = snap.region.names("checkpoints", lang)
    town_names = snap.region.names("townships", lang)
    town_of = dict(zip(snap.region.checkpoints["code"], snap.region.checkpoints["township_code"],
                       strict=True))
    columns = [(t(f"alerts.col.{c}", lang), width, "left") for c, width in (
        ("alert", 1.0), ("checkpoint", 2.6), ("township", 1.2), ("detail", 3.2),
        ("opened", 1.0), ("state", 1.6))]
    rows = [[t(f"checkpoint.alert.{a.kind}", lang), names.get(a.checkpoint, a.checkpoint),
             town_names.get(town_of.get(a.checkpoint, ""), ""), alert_detail(a, instant, lang),
             a.opened_at.strftime("%m-%d %H:%M"), alert_state(a, instant, lang)] for a in found]
    return columns, rows


def ring_rows(ctx: PackContext) -> tuple[list[Column], list[list]]:
    """The six rings per township of the filters on the day, the total first; household
    counts as the export's view may see them."""
    lang, snap = ctx.lang, ctx.snap
    day = ctx.filters.as_of
    kept = kept_grids(snap, ctx.filters)
    towns = selected_townships(snap.region, township_levels(snap, day), ctx.filters)
    table = rings.by_township(snap, kept.index[kept.to_numpy()], towns, day)
    table, total = rings_for_view(ctx.request.view, table, rings.totals(table))
    names = snap.region.names("townships", lang)
    columns = [(t("rings.col.township", lang), 1.5, "left"),
               *[(t(f"rings.{r}", lang), 1.15, "right") for r in rings.RINGS]]
    rows = [[t("export.total", lang), *[count_text(total[r]) for r in rings.RINGS]]]
    rows += [[names.get(r["code"], r["code"]), *[count_text(r[c]) for c in rings.RINGS]]
             for _, r in table.iterrows()]
    return columns, rows


def proxy_rows(ctx: PackContext) -> tuple[list[Column], list[list]]:
    """The red proxy per township of the filters' grids at the instant the pack was made, the
    total first; household counts as the export's view may see them."""
    lang, snap = ctx.lang, ctx.snap
    day = ctx.filters.as_of
    instant = print_instant(ctx.stamp, day)
    kept = kept_grids(snap, ctx.filters)
    codes = kept.index[kept.to_numpy()]
    towns, total = proxy_for_view(
        ctx.request.view, proxy.by_township(snap.proxy, snap.region.grid_table, codes, day,
                                            instant),
        proxy.figures(snap.proxy, codes, day, instant))
    names = snap.region.names("townships", lang)

    def wait(hours) -> str:
        return "—" if hours is None or pd.isna(hours) else duration(float(hours) * 60, lang)

    columns = [(t("proxy.col.township", lang), 1.6, "left"),
               *[(t(f"proxy.{c}", lang), 1.0, "right") for c in proxy.COUNTS],
               (t("proxy.col.oldest", lang), 1.2, "right")]
    rows = [[t("export.total", lang), *[count_text(total[c]) for c in proxy.COUNTS],
             wait(total["oldest_pending_hours"])]]
    rows += [[names.get(r["code"], r["code"]), *[count_text(r[c]) for c in proxy.COUNTS],
              wait(r["oldest_pending_hours"] if isinstance(r["pending"], int) else None)]
             for _, r in towns.iterrows()]
    return columns, rows


def inspection_rows(ctx: PackContext) -> tuple[list[Column], list[list]]:
    """The inspection teams' findings in the filters' townships up to the instant the pack was
    made, newest first. A printed briefing travels: it never names the people involved."""
    lang, snap = ctx.lang, ctx.snap
    day = ctx.filters.as_of
    towns = selected_townships(snap.region, township_levels(snap, day), ctx.filters)
    found = inspection.cases(snap, print_instant(ctx.stamp, day), towns)
    names = snap.region.names("townships", lang)
    columns = [(t(f"inspection.col.{c}", lang), w, a) for c, w, a in (
        ("opened", 0.9, "left"), ("township", 1.4, "left"), ("kind", 2.2, "left"),
        ("team", 1.4, "left"), ("people", 0.8, "right"), ("publicised", 1.0, "left"))]
    rows = [[r["opened_at"].strftime("%m-%d"), names.get(r["township_code"], ""),
             t(f"inspection.kind.{r['kind']}", lang), r[f"team_{lang}"] or "",
             str(r["people_involved"]),
             t("inspection.yes" if r["publicised"] else "inspection.no", lang)]
            for _, r in found.iterrows()]
    return columns, rows


def table_pages(ctx: PackContext, heading: str, columns: list[Column], rows: list[list],
                intro: Callable[[Page, float], float] | None = None,
                intro_height: float = 0.0) -> list[PageMaker]:
    """Page makers for one table, run on over at most ``MAX_TABLE_PAGES`` pages."""
    probe = Page(ctx.request.paper, ctx.request.orientation)
    body_h = probe.body[3] - 6 * probe.k
    row_h = ROW_MM * probe.k
    first = max(int((body_h - intro_height * probe.k) / row_h) - 1, 3)
    per_page = int(body_h / row_h) - 1
    chunks = [rows[:first]]
    rest = rows[first:]
    while rest and len(chunks) < MAX_TABLE_PAGES:
        chunks.append(rest[:per_page])
        rest = rest[per_page:]
    left_out = len(rest)

    def maker(index: int, chunk: list[list]) -> PageMaker:
        def make(label: str) -> Page:
            lang = ctx.lang
            title = heading if index == 0 else t("export.pack.continued", lang, heading=heading)
            page = new_page(ctx, title, label)
            bx, by, bw, bh = page.body
            top = by + bh - 4 * page.k
            if index == 0 and intro is not None:
                top = intro(page, top)
            if not chunk and index == 0:
                page.text(bx, top - 4 * page.k, t("export.pack.none", lang), 10, color=GREY,
                          va="top")
                return page
            bottom = draw_table(page, bx, top, bw, columns, chunk,
                                column_widths(page, bw, columns, rows))
            if index == len(chunks) - 1 and left_out:
                page.text(bx, bottom - 3 * page.k,
                          t("export.pack.more_rows", lang, n=left_out), 8, color=GREY,
                          va="top")
            return page
        return make

    return [maker(i, chunk) for i, chunk in enumerate(chunks)]


TABLE_PT = 7.5
"""The table's type size; a cell too long for its column is set smaller down to ``MIN_PT``,
then on two lines, and only then cut."""
MIN_PT = 6.0


def _cell_text(value) -> str:
    if isinstance(value, tuple) and value[0] == "swatch":
        return value[2]
    return f"{value:,}" if isinstance(value, int) else str(value)


def _cell_width(page: Page, value) -> float:
    """What a cell takes at the table's type size (mm), its swatch included."""
    extra = 4.5 * page.k if isinstance(value, tuple) and value[0] == "swatch" else 0.0
    return page.measure(_cell_text(value), TABLE_PT) + extra


def _header_width(page: Page, header: str) -> float:
    """The narrowest a header may be: its width on one line, or on two broken at a space."""
    best = page.measure(header, TABLE_PT, True)
    words = header.split(" ")
    for cut in range(1, len(words)):
        best = min(best, max(page.measure(" ".join(words[:cut]), TABLE_PT, True),
                             page.measure(" ".join(words[cut:]), TABLE_PT, True)))
    return best


def column_widths(page: Page, width: float, columns: list[Column],
                  rows: list[list]) -> list[float]:
    """Column widths (mm) from what the header and cells measure: every column gets what it
    needs and the spare width goes by the columns' weights; when the table is too wide, the
    widest columns are narrowed to one common cap (codes, dates and counts keep their width,
    long names wrap)."""
    pad = 3 * page.k
    need = [max([_header_width(page, header)]
                + [_cell_width(page, row[i]) for row in rows]) + pad
            for i, (header, _, _) in enumerate(columns)]
    if sum(need) <= width:
        spare = width - sum(need)
        total = sum(c[1] for c in columns)
        return [n + spare * c[1] / total for n, c in zip(need, columns, strict=True)]
    ordered = sorted(need)
    used, cap = 0.0, ordered[-1]
    for i, n in enumerate(ordered):
        rest = len(ordered) - i
        if used + n * rest >= width:
            cap = (width - used) / rest
            break
        used += n
    return [min(n, cap) for n in need]


def fit_cell(page: Page, text: str, width: float, size: float = TABLE_PT,
             bold: bool = False) -> tuple[str, float]:
    """``text`` set to fit a cell ``width`` mm wide: at ``size``, else smaller down to
    ``MIN_PT``, else on two lines at ``MIN_PT`` (the second cut if it must be)."""
    if page.measure(text, size, bold) <= width:
        return text, size
    smaller = max(MIN_PT, size * width / page.measure(text, size, bold) * 0.99)
    if page.measure(text, smaller, bold) <= width:
        return text, smaller
    lines = wrap(text, width, MIN_PT * page.fs, bold).split("\n")
    if len(lines) > 2:
        rest = " ".join(lines[1:]) if " " in text else "".join(lines[1:])
        lines = [lines[0], ellipsize(rest, width, MIN_PT * page.fs, bold)]
    return "\n".join(lines), MIN_PT


def draw_table(page: Page, x: float, top: float, width: float, columns: list[Column],
               rows: list[list], widths: list[float] | None = None,
               row_mm: float = ROW_MM) -> float:
    """Draw a table from ``top`` down; returns the y of its bottom edge (mm). ``widths``
    (default: measured from ``rows``) keeps the columns of one table the same on every page."""
    k = page.k
    row_h = row_mm * k
    widths = widths or column_widths(page, width, columns, rows)
    width = sum(widths)
    starts = [x + sum(widths[:i]) for i in range(len(widths))]
    pad = 1.5 * k
    y = top - row_h
    page.rect(x, y, width, row_h, facecolor="#37474f", edgecolor="none")
    for (header, _, align), cx, cw in zip(columns, starts, widths, strict=True):
        tx = cx + cw - pad if align == "right" else cx + pad
        text, size = fit_cell(page, header, cw - 2 * pad, bold=True)
        page.text(tx, y + row_h / 2, text, size, color="white", fontweight="bold",
                  ha=align, va="center", multialignment=align, linespacing=1.0)
    for i, row in enumerate(rows):
        y -= row_h
        if i % 2:
            page.rect(x, y, width, row_h, facecolor="#f3f6f7", edgecolor="none")
        for value, (_, _, align), cx, cw in zip(row, columns, starts, widths, strict=True):
            tx = cx + cw - pad if align == "right" else cx + pad
            if isinstance(value, tuple) and value[0] == "swatch":
                swatch(page, cx + pad, y + row_h * 0.25, 3.2 * k, row_h * 0.5, value[1],
                       value[3] if len(value) > 3 else None)
                text, size = fit_cell(page, value[2], cw - 2 * pad - 4.5 * k)
                page.text(cx + pad + 4.5 * k, y + row_h / 2, text, size, va="center")
                continue
            text, size = fit_cell(page, _cell_text(value), cw - 2 * pad)
            page.text(tx, y + row_h / 2, text, size, ha=align, va="center",
                      multialignment=align, linespacing=1.0)
    page.line(x, x + width, y, y, color="#90a4ae", linewidth=0.6)
    return y


# --- what changed ----------------------------------------------------------------------------

def change_pages(ctx: PackContext) -> list[PageMaker]:
    """"What changed since <day>": a count per township, then the grids that changed."""
    lang = ctx.lang
    since = ctx.request.compare_day
    changes = tables.colour_changes(ctx.snap, ctx.filters, since)
    by_town = tables.changes_by_township(changes, ctx.snap.region, lang)
    up, down = int((changes["direction"] == "up").sum()), int((changes["direction"] ==
                                                               "down").sum())
    town_rows = [[r["township"], int(r["up"]), int(r["down"]), int(r["up"] + r["down"])]
                 for r in by_town.to_dict("records")]
    town_rows.append([t("export.col.total", lang), up, down, up + down])
    town_cols: list[Column] = [(t("table.township", lang), 2.0, "left"),
                               (t("export.pack.up", lang), 1.0, "right"),
                               (t("export.pack.down", lang), 1.0, "right"),
                               (t("export.col.total", lang), 1.0, "right")]
    n_town = len(town_rows)

    def intro(page: Page, top: float) -> float:
        k = page.k
        bx, _, bw, _ = page.body
        page.text(bx, top - 1 * k, t("export.pack.changes_summary", lang, up=up, down=down),
                  11, fontweight="bold", va="top")
        page.text(bx, top - 9 * k, t("export.pack.changes_by_township", lang), 8.5,
                  color=GREY, va="top")
        bottom = draw_table(page, bx, top - 14 * k, min(bw, 120 * k), town_cols, town_rows)
        page.text(bx, bottom - 6 * k, t("export.pack.changes_list", lang), 8.5, color=GREY,
                  va="top")
        return bottom - 11 * k

    columns: list[Column] = [(t("table.code", lang), 1.6, "left"),
                             (t("table.name", lang), 1.8, "left"),
                             (t("table.township", lang), 1.3, "left"),
                             (t("export.pack.before", lang), 1.0, "left"),
                             (t("export.pack.after", lang), 1.0, "left"),
                             ("", 0.8, "left")]
    rows = [[r["code"], r[f"name_{lang}"], r[f"township_{lang}"],
             ("swatch", ctx.palette[r["before"]], t(f"colour.{r['before']}", lang),
              r["before"]),
             ("swatch", ctx.palette[r["after"]], t(f"colour.{r['after']}", lang), r["after"]),
             ("▲ " if r["direction"] == "up" else "▼ ") + t(f"export.pack.{r['direction']}",
                                                           lang)]
            for r in changes.to_dict("records")]
    heading = t("export.pack.changes", lang, since=since.isoformat())
    return table_pages(ctx, heading, columns, rows, intro=intro,
                       intro_height=30 + ROW_MM * (n_town + 1))
