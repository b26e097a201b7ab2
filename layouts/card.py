"""The frame every panel that reads the day at an instant shares: a title, what it counts,
the instant it shows (filled with its contents), a line of what its rules are, and its body."""

from __future__ import annotations

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
