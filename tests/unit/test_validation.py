"""A callback that names a component no page lays out stops the app at start."""

import pytest
from dash import Dash, Input, Output, html

from app import create_app
from callbacks.validation import UnknownComponent, check_ids, validation_layout
from layouts.ids import ID


def test_the_app_starts_and_every_callback_finds_its_components(fresh_source):
    app = create_app(fresh_source.settings)
    # create_app ran the check; the union of pages is also Dash's own validation layout.
    check_ids(app, app.validation_layout)
    assert not app.config.suppress_callback_exceptions


@pytest.mark.parametrize(("output", "reason"), [
    (Output("no-such-panel", "children"), "no-such-panel"),
    (Output(ID.KPIS, "figure"), f"{ID.KPIS}.figure: Section has no such property"),
])
def test_an_unknown_id_or_property_is_refused(source, output, reason):
    app = Dash(__name__)
    app.callback(output, Input(ID.FILTERS, "data"))(lambda _filters: html.Div())
    with pytest.raises(UnknownComponent, match=reason):
        check_ids(app, validation_layout(source))
