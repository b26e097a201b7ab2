"""The frame every panel that reads the day at an instant shares: a title, what it counts,
the instant it shows (filled with its contents), a line of what its rules are, and its body."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import html


def timed_card(class_name: str, title: str, as_of_id: str, note: str, body,
               count_id: str | None = None) -> html.Div:
    head = [html.H3(title)]
    if count_id is not None:
        head.append(html.Span(id=count_id, className="gw-muted"))
    head.append(html.Span(id=as_of_id, className="gw-muted gw-lead-as-of"))
    return html.Div(className=f"gw-card {class_name}", children=[
        html.Div(className="gw-card-head", children=head),
        html.Small(note, className="gw-muted gw-lead-limits"), body])


def register_grid(grid_id: str, columns: list[dict], empty: str, row_id: str,
                  row_class: dict[str, str], class_name: str,
                  height: str = "300px") -> dag.AgGrid:
    """A register's AG Grid: rows keyed by ``row_id`` (a field of the row), ``empty`` when
    there is none, ``row_class`` (class → JS condition) marking rows, cell tooltips."""
    return dag.AgGrid(id=grid_id, columnDefs=columns, rowData=[],
                      dashGridOptions={"animateRows": False, "rowHeight": 30,
                                       "tooltipShowDelay": 300,
                                       "localeText": {"noRowsToShow": empty}},
                      getRowId=f"params.data.{row_id}", style={"height": height},
                      rowClassRules=row_class, className=f"ag-theme-alpine {class_name}")


def scroll_list(label: str, class_name: str = "", **props) -> html.Div:
    """A list that scrolls within its card (``gw-alert-list``): in the tab order and named, so
    that a keyboard user can scroll it too (axe: scrollable-region-focusable)."""
    return html.Div(className=f"gw-alert-list {class_name}".strip(), tabIndex="0",
                    role="region", **{"aria-label": label}, **props)
