"""Plotly figures built from the metrics' tables."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from gridwatch.i18n import t
from gridwatch.metrics import TASK_STATES
from gridwatch.store.models import COLOURS
from gridwatch.style import TASK_COLOURS

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"


def _base(fig: go.Figure, lang: str, empty: bool, height: int | None = None) -> go.Figure:
    fig.update_layout(
        margin={"l": 48, "r": 12, "t": 12, "b": 40}, height=height, autosize=True,
        font={"family": FONT, "size": 13}, legend={"orientation": "h", "y": -0.18},
        plot_bgcolor="#ffffff", paper_bgcolor="#ffffff", hovermode="x unified",
    )
    fig.update_xaxes(gridcolor="#eceff1")
    fig.update_yaxes(gridcolor="#eceff1", rangemode="tozero")
    if empty:
        fig.add_annotation(text=t("chart.empty", lang), showarrow=False, xref="paper",
                           yref="paper", x=0.5, y=0.5, font={"size": 15, "color": "#78909c"})
    return fig


def task_completion(table: pd.DataFrame, names: dict[str, str], lang: str) -> go.Figure:
    """Stacked horizontal bars per township; each bar carries its township code."""
    fig = go.Figure()
    labels = [names.get(code, code) for code in table.index]
    for state in TASK_STATES:
        fig.add_bar(y=labels, x=table[state] if state in table else [], orientation="h",
                    name=t(f"chart.tasks.{state}", lang), marker_color=TASK_COLOURS[state],
                    customdata=list(table.index), hovertemplate="%{y}: %{x}<extra>%{fullData.name}"
                    "</extra>")
    fig.update_layout(barmode="stack", hovermode="closest")
    fig = _base(fig, lang, table.empty)
    fig.update_layout(margin={"l": 96})
    fig.update_yaxes(autorange="reversed")
    return fig


def checkpoint_throughput(series: pd.DataFrame, lang: str) -> go.Figure:
    fig = go.Figure()
    x = [d.isoformat() for d in series.index]
    fig.add_scatter(x=x, y=series["vehicles"], name=t("chart.checkpoints.vehicles", lang),
                    mode="lines", line={"color": "#37474f", "width": 2.5})
    fig.add_scatter(x=x, y=series["people"], name=t("chart.checkpoints.people", lang),
                    mode="lines", line={"color": "#1e88e5", "width": 2.5})
    fig.add_scatter(x=x, y=series["qr_registrations"], name=t("chart.checkpoints.qr", lang),
                    mode="lines", line={"color": "#8e24aa", "width": 1.5, "dash": "dot"})
    fig.add_scatter(x=x, y=series["flagged"], name=t("chart.checkpoints.flagged", lang),
                    mode="lines+markers", line={"color": "#e53935", "width": 1.5},
                    marker={"size": 4}, yaxis="y2")
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "showgrid": False,
                              "rangemode": "tozero"})
    return _base(fig, lang, series.empty or int(series.to_numpy().sum()) == 0)


def colour_composition(table: pd.DataFrame, palette: dict[str, str], lang: str) -> go.Figure:
    fig = go.Figure()
    x = [d.isoformat() for d in table.index]
    for colour in reversed(COLOURS):
        if colour in table:
            fig.add_scatter(x=x, y=table[colour], name=t(f"colour.{colour}", lang),
                            stackgroup="grids", mode="lines", line={"width": 0.5,
                                                                     "color": palette[colour]},
                            fillcolor=palette[colour])
    return _base(fig, lang, table.empty or int(table.to_numpy().sum()) == 0)
