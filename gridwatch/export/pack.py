"""The briefing pack: one multi-page PDF with the map, the figures, the charts and the tables.

Pages, in order: the map; the key figures; task completion and checkpoint throughput; the red
and orange grids; the overdue tasks; the checkpoint alerts; the six rings; the red proxy; the
inspections; what changed since the comparison day. Long tables run
on over a few pages and then say how many rows were left out (the CSV download has them all).
Every page has the same header (the filters, the data day) and footer (export ID, page).
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
from gridwatch.export.options import ExportRequest
from gridwatch.export.render import (
    GREY,
    INK,
    Page,
    Stamp,
    app_title,
    as_of_text,
    describe_filters,
    footer_left,
    generated_text,
    map_page,
    metadata,
    no_data_stamp,
    print_instant,
    wrap,
)
from gridwatch.filters import Filters
from gridwatch.i18n import county_name, duration, t
from gridwatch.leads import kpis_at
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
    ctx = PackContext(snap, request, palette, stamp, checks or Health())
    lang = request.lang
    with print_style(stamp.export_id):
        makers: list[PageMaker] = [
            lambda label: map_page(snap, request, palette, stamp, label, ctx.checks).page,
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
        buffer = io.BytesIO()
        title = f"{pack_title(lang, snap.region)} {request.as_of.isoformat()}"
        subject = describe_filters(request.filters, snap.region, lang, request.bbox is not None)
        figures = [make(t("export.page", lang, page=number, pages=total)).fig
                   for number, make in enumerate(makers, start=1)]
        with truetype_text(figures, int(stamp.generated.timestamp())), \
                PdfPages(buffer, metadata=metadata("pdf", stamp, title, subject)) as pdf:
            for fig in figures:
                pdf.savefig(fig)
    return buffer.getvalue()


def pack_title(lang: str, region) -> str:
    """The briefing pack's title, with the region's own name in it."""
    return t("export.pack.title", lang, county=county_name(region, lang))


def new_page(ctx: PackContext, heading: str, label: str) -> Page:
    """A pack page with its header and footer; ``heading`` follows the pack's title."""
    lang = ctx.lang
    page = Page(ctx.request.paper, ctx.request.orientation)
    title = f"{ctx.request.title or pack_title(lang, ctx.snap.region)} · {heading}"
    page.frame(title, describe_filters(ctx.filters, ctx.snap.region, lang),
               as_of_text(ctx.snap, ctx.request.as_of, lang),
               generated_text(ctx.stamp, lang), footer_left(ctx.stamp, lang),
               f"{app_title(lang, ctx.snap.region)}  ·  {label}")
    if no_history(ctx.snap):  # an empty region: every page says so, across its body
        no_data_stamp(page, page.body, ctx.snap.region, lang)
    return page


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
             ("swatch", ctx.palette[r["colour"]], t(f"colour.{r['colour']}", lang)),
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
            title = heading if index == 0 else heading + t("export.pack.continued", lang)
            page = new_page(ctx, title, label)
            bx, by, bw, bh = page.body
            top = by + bh - 4 * page.k
            if index == 0 and intro is not None:
                top = intro(page, top)
            if not chunk and index == 0:
                page.text(bx, top - 4 * page.k, t("export.pack.none", lang), 10, color=GREY,
                          va="top")
                return page
            bottom = draw_table(page, bx, top, bw, columns, chunk)
            if index == len(chunks) - 1 and left_out:
                page.text(bx, bottom - 3 * page.k,
                          t("export.pack.more_rows", lang, n=left_out), 8, color=GREY,
                          va="top")
            return page
        return make

    return [maker(i, chunk) for i, chunk in enumerate(chunks)]


def draw_table(page: Page, x: float, top: float, width: float, columns: list[Column],
               rows: list[list]) -> float:
    """Draw a table from ``top`` down; returns the y of its bottom edge (mm)."""
    k = page.k
    row_h = ROW_MM * k
    total = sum(c[1] for c in columns)
    widths = [width * c[1] / total for c in columns]
    starts = [x + sum(widths[:i]) for i in range(len(widths))]
    y = top - row_h
    page.rect(x, y, width, row_h, facecolor="#37474f", edgecolor="none")
    for (header, _, align), cx, cw in zip(columns, starts, widths, strict=True):
        tx = cx + cw - 1.5 * k if align == "right" else cx + 1.5 * k
        page.text(tx, y + row_h / 2, header, 7.5, color="white", fontweight="bold",
                  ha=align, va="center")
    for i, row in enumerate(rows):
        y -= row_h
        if i % 2:
            page.rect(x, y, width, row_h, facecolor="#f3f6f7", edgecolor="none")
        for value, (_, _, align), cx, cw in zip(row, columns, starts, widths, strict=True):
            tx = cx + cw - 1.5 * k if align == "right" else cx + 1.5 * k
            if isinstance(value, tuple) and value[0] == "swatch":
                page.rect(cx + 1.5 * k, y + row_h * 0.25, 3.2 * k, row_h * 0.5,
                          facecolor=value[1], edgecolor="#78909c", linewidth=0.3)
                page.text(cx + 6 * k, y + row_h / 2, value[2], 7.5, va="center")
                continue
            text = f"{value:,}" if isinstance(value, int) else _fit(str(value), cw, page)
            page.text(tx, y + row_h / 2, text, 7.5, ha=align, va="center")
    page.line(x, x + width, y, y, color="#90a4ae", linewidth=0.6)
    return y


def _fit(text: str, width_mm: float, page: Page) -> str:
    """Cut ``text`` with an ellipsis so it fits ``width_mm`` at the table's type size."""
    em = 7.5 * page.fs * 0.3528
    budget = (width_mm - 3 * page.k) / em
    used = 0.0
    for i, ch in enumerate(text):
        used += 1.0 if ord(ch) > 0x2e80 else 0.56
        if used > budget:
            return text[: max(i - 1, 1)] + "…"
    return text


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
             ("swatch", ctx.palette[r["before"]], t(f"colour.{r['before']}", lang)),
             ("swatch", ctx.palette[r["after"]], t(f"colour.{r['after']}", lang)),
             ("▲ " if r["direction"] == "up" else "▼ ") + t(f"export.pack.{r['direction']}",
                                                           lang)]
            for r in changes.to_dict("records")]
    heading = t("export.pack.changes", lang, since=since.isoformat())
    return table_pages(ctx, heading, columns, rows, intro=intro,
                       intro_height=30 + ROW_MM * (n_town + 1))
