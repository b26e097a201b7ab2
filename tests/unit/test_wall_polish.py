"""The wall's polish (issue 14): sparklines of the KPI tiles' own figures, the "N more" line
the browser fills in, the rotation's dots, the task view's rows and the sound setting."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

from callbacks.wall import TREND_DAYS, kpi_trend, refresh, wall_config, with_today
from gridwatch.auth.policy import ANONYMOUS
from gridwatch.filters import Filters
from gridwatch.metrics import compute_kpis, tasks_on_day
from gridwatch.visibility import kpis as visible_kpis
from layouts.wall import (
    MIN_TEXT,
    SPARK_HEIGHT,
    SPARK_WIDTH,
    change_items,
    rotation_step,
    spark_paths,
    sparkline,
    task_rows,
    text_size,
)


def test_a_sparkline_scales_its_days_across_the_image_and_leaves_gaps():
    d, last = spark_paths([0, 5, None, 10], 0, 10)
    xs = [SPARK_WIDTH * i / 3 for i in range(4)]
    assert d == (f"M{xs[0]:g} {SPARK_HEIGHT - 2:g} L{round(xs[1], 1):g} {SPARK_HEIGHT / 2:g} "
                 f"M{xs[3]:g} 2")  # the missing day breaks the line
    assert last == (xs[3], 2)
    flat, _ = spark_paths([3, 3], 3, 3)
    assert flat == f"M0 {SPARK_HEIGHT / 2:g} L{SPARK_WIDTH:g} {SPARK_HEIGHT / 2:g}"
    assert spark_paths([None, "<5"], 0, 1) == ("", None)  # a suppressed figure is no point


def test_a_sparkline_is_an_svg_image_with_a_line_and_a_dot_per_series():
    url = sparkline([([1, 2, 3], "#ff0000"), ([3, 2, 1], "#00ff00"), ([None], "#0000ff")])
    assert url.startswith("data:image/svg+xml,")
    svg = unquote(url.removeprefix("data:image/svg+xml,"))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('stroke="#ff0000"') == 2 and svg.count('stroke="#00ff00"') == 2
    assert "#0000ff" not in svg  # nothing to draw: no line
    # one scale for both: the first ends where the second starts (the top)
    assert f'd="M0 {SPARK_HEIGHT - 2:g} L60 15 L120 2"' in svg
    assert f'd="M0 2 L60 15 L{SPARK_WIDTH} {SPARK_HEIGHT - 2:g}"' in svg


def test_the_trend_is_the_tiles_own_figures_on_each_earlier_day(source):
    snap = source.snapshot()
    day, threshold = snap.last_day, source.settings.suppress_below
    trend = kpi_trend(snap, day, threshold)
    assert len(trend) == TREND_DAYS - 1
    assert kpi_trend(snap, day, threshold) is trend  # once per snapshot and day
    for back, row in zip(range(TREND_DAYS - 1, 0, -1), trend, strict=True):
        d = day - timedelta(days=back)
        k = visible_kpis(compute_kpis(snap, Filters(as_of=d)), ANONYMOUS, threshold)
        assert row["colours"] == k.colour_counts
        assert row["checkpoints"] == {"vehicles": k.checkpoint_vehicles,
                                      "people": k.checkpoint_people}
        assert row["leads"] == (k.open_leads if isinstance(k.open_leads, int) else None)
        today = tasks_on_day(snap, d)
        assert row["tasks"] == {"issued": today["issued"], "completed": today["completed"]}
    # the latest day is the tiles' figure as shown now
    k = visible_kpis(compute_kpis(snap, Filters(as_of=day)), ANONYMOUS, threshold)
    series = with_today(trend, k, tasks_on_day(snap, day))
    assert series["colours"]["green"][-1] == k.colour_counts["green"]
    assert len(series["checkpoints"]["people"]) == TREND_DAYS
    assert series["checkpoints"]["people"][:-1] == [r["checkpoints"]["people"] for r in trend]


def test_the_trend_starts_with_the_history(lsnap):
    """The literal county has three days: two before the latest, none made up."""
    assert len(kpi_trend(lsnap, lsnap.last_day, 5)) == (lsnap.last_day - lsnap.first_day).days


def test_the_tiles_carry_their_sparklines(literal):
    out = refresh(literal, seen={}, lang="en", now_ms=1_000)
    kinds = [node.__dict__.get("data-spark") for node in _walk(out["kpis"])
             if getattr(node, "className", "") and "wall-spark" in node.className]
    assert sorted(kinds) == sorted(["tasks", "checkpoints", "leads"]
                                   + [f"colour-{c}" for c in
                                      ("red", "orange", "yellow", "blue", "green")])


def _walk(children):
    stack = list(children) if isinstance(children, list) else [children]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif node is not None and not isinstance(node, str | int | float):
            yield node
            stack.append(getattr(node, "children", None))


def test_the_changes_list_sends_its_total_and_the_words_for_the_rest():
    import pandas as pd

    live = [{"code": f"g{i}", "before": "green", "after": "red", "direction": 1,
             "township_code": "A", "live": True} for i in range(40)]
    items = change_items(live, pd.DataFrame(columns=["code"]), {}, {"A": "Dongling"},
                         {"red": "#f00", "green": "#0f0"}, "en")
    rows = [i for i in items if "wall-change " in i.className]
    assert len(rows) == 30  # what a wall may show; the browser keeps the whole rows that fit
    more = items[-1]
    assert more.hidden and more.__dict__["data-total"] == "40"
    assert more.__dict__["data-template"] == "{n} more grids"


def test_the_rotation_lights_its_current_dot():
    dots, count = rotation_step(1, 4, "zh")
    assert [d.className for d in dots.children] == [
        "wall-dot", "wall-dot is-current", "wall-dot", "wall-dot"]
    assert count.children == "2/4"


def test_wall_text_and_the_task_view_scale_with_the_screen():
    assert text_size(1080) >= 0.018 * 1080 and text_size(2160) >= 0.018 * 2160
    assert text_size(1080) == -(-1080 * MIN_TEXT // 1)
    # a 32:9 wall's panel is full height: more townships than at 16:9
    assert task_rows(3840, 1080) > task_rows(1920, 1080) >= 3
    assert task_rows(3840, 2160) == task_rows(1920, 1080)


def test_the_sound_is_off_unless_set_or_asked_for(literal):
    assert wall_config(literal, "", "zh")["sound"] is False
    assert wall_config(literal, "?sound=on", "zh")["sound"] is True
    assert wall_config(literal, "?sound=loud", "zh")["sound"] is False
    on = type("On", (), {"settings": literal.settings.model_copy(update={"wall_sound": True})})
    assert wall_config(on, "", "en")["sound"] is True
    assert wall_config(on, "?sound=off", "en")["sound"] is False
