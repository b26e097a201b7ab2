"""The data upload page (``/data``): choose a file, read its validation report, then commit (as
the signed-in user, within its scope); and, for an admin, the boundary import below it
(``layouts.boundaries``)."""

from __future__ import annotations

from dash import dcc, html

from gridwatch.auth.policy import Principal, allows
from gridwatch.i18n import t
from gridwatch.ingest.batches import KINDS
from gridwatch.ingest.errors import IngestError
from gridwatch.ingest.tables import Table
from gridwatch.ingest.templates import FORMATS, UPLOAD_KINDS
from gridwatch.ingest.uploads import format_size, upload_limit_bytes
from gridwatch.settings import Settings
from layouts import boundaries
from layouts.ids import ID
from web.upload_templates import template_href

PREVIEW_ROWS = 10
"""Rows of a valid file shown before commit."""

MAX_LISTED_ERRORS = 50
"""Problems of an invalid file listed on the page."""


def columns_hint(kind: str, lang: str) -> str:
    fields = KINDS[kind].fields
    return t("upload.columns", lang,
             columns=", ".join(n for n, f in fields.items() if f.required),
             optional=", ".join(n for n, f in fields.items() if not f.required) or "—")


def empty_report(kind: str, lang: str) -> list:
    return [html.P(t("upload.empty", lang), className="gw-muted"),
            html.P(columns_hint(kind, lang), className="gw-muted"),
            *([html.P(t("upload.colour_hint", lang), className="gw-muted")]
              if "colour" in KINDS[kind].fields else [])]


def templates(lang: str) -> html.Div:
    """A CSV and an XLSX template link per kind (``web.upload_templates``, which asks
    ``write`` of the caller as the page does)."""
    return html.Div(className="gw-upload-templates", children=[
        html.Span(t("upload.templates", lang), className="gw-upload-templates-title"),
        html.Ul([html.Li(className="gw-upload-template", children=[
            html.Span(t(f"upload.kind.{kind}", lang)),
            html.Span(className="gw-upload-template-links", children=[
                html.A(fmt.upper(), href=template_href(kind, fmt, lang), download="",
                       className="gw-btn gw-btn-small", **{
                           "data-kind": kind, "data-format": fmt,
                           "aria-label": t("upload.template.link_label", lang,
                                           kind=t(f"upload.kind.{kind}", lang),
                                           fmt=fmt.upper())})
                for fmt in FORMATS]),
        ]) for kind in UPLOAD_KINDS]),
        html.Small(t("upload.templates_hint", lang), className="gw-hint"),
    ])


def upload_report(table: Table, filename: str, error: IngestError | None, lang: str) -> list:
    """The validation report: problems by file line and column, or a preview of the rows."""
    head = html.P(t("upload.file", lang, name=filename, n=len(table.rows)), className="gw-muted")
    if error is not None:
        first = table.first_line()
        rows = [html.Tr([html.Td(first + e.row if e.row is not None else "—"),
                         html.Td(e.field or "—"), html.Td(e.message(lang))])
                for e in error.errors[:MAX_LISTED_ERRORS]]
        return [head, html.P(t("upload.invalid", lang, n=len(error.errors)),
                             className="gw-upload-invalid", role="alert"),
                html.Table(className="gw-upload-errors", children=[
                    html.Thead(html.Tr([html.Th(t("upload.line", lang)),
                                        html.Th(t("upload.field", lang)),
                                        html.Th(t("upload.reason", lang))])),
                    html.Tbody(rows)])]
    shown = table.rows[:PREVIEW_ROWS]
    return [head, html.P(t("upload.valid", lang, n=len(table.rows)), className="gw-upload-valid"),
            html.H3(t("upload.preview", lang, n=len(shown))),
            html.Table(className="gw-upload-preview", children=[
                html.Thead(html.Tr([html.Th(c) for c in table.columns])),
                html.Tbody([html.Tr([html.Td("" if row.get(c) is None else str(row[c]))
                                     for c in table.columns]) for row in shown])])]


def unreadable_report(kind: str, reason: str, lang: str) -> list:
    """The report for a file that cannot be read at all, with the columns it should have."""
    return [html.P(t("upload.unreadable", lang, reason=reason), className="gw-upload-invalid",
                   role="alert"),
            html.P(columns_hint(kind, lang), className="gw-muted")]


def result(text: str, ok: bool) -> html.Div:
    """The line under a commit or activate button: what happened, or why nothing did."""
    return html.Div(text, className="gw-upload-valid" if ok else "gw-upload-invalid")


def serving_settings() -> Settings:
    """The settings of the app serving the current request, for a caller that does not pass
    them; outside a request, the defaults."""
    from flask import current_app, has_app_context

    from web.context import KEY

    if has_app_context():
        source = current_app.extensions.get(KEY)
        if source is not None:
            return source.settings
    return Settings()


def serving_principal() -> Principal | None:
    """The caller of the current request (``web.auth``), or None outside a request."""
    from flask import has_request_context

    if not has_request_context():
        return None
    from web.auth import current_principal

    return current_principal()


def layout(lang: str, lang_href: str, settings: Settings | None = None,
           who: Principal | None = None) -> html.Div:
    """The whole upload page; the size limits it states are ``settings``' (default: the
    serving app's). The boundary import (admin only; its callbacks refuse anyone else) is
    shown to an admin ``who`` (default: the caller of the current request; outside a request,
    shown)."""
    settings = settings or serving_settings()
    who = who or serving_principal()
    admin = who is None or allows(who, "admin")
    limit = upload_limit_bytes(settings)
    return html.Div(className="gw-analyst gw-upload-page", lang=lang, children=[
        html.Header(className="gw-header", children=[
            html.Div(className="gw-brand", children=[
                html.H1(t("app.title", lang)),
                html.Span(t("upload.link", lang), className="gw-subtitle"),
            ]),
            html.A(t("upload.back", lang), href="/" + ("?lang=en" if lang == "en" else ""),
                   className="gw-lang"),
            html.A(t("app.switch_language", lang), href=lang_href, className="gw-lang",
                   lang="en" if lang == "zh" else "zh"),
        ]),
        html.Main(className="gw-upload", children=[
            html.Section(className="gw-card gw-upload-form", children=[
                html.H2(t("upload.title", lang)),
                html.Label(t("upload.kind", lang), htmlFor=ID.UPLOAD_KIND),
                dcc.RadioItems(id=ID.UPLOAD_KIND, className="gw-chips", inline=True,
                               value=UPLOAD_KINDS[0],
                               options=[{"label": t(f"upload.kind.{k}", lang), "value": k}
                                        for k in UPLOAD_KINDS]),
                html.Small(t("upload.time_hint", lang), className="gw-hint"),
                html.Small(t("upload.writer_hint", lang), className="gw-hint gw-upload-writer"),
                templates(lang),
                dcc.Upload(id=ID.UPLOAD_FILE, accept=".csv,.xlsx", multiple=False,
                           max_size=limit, className="gw-dropzone",
                           children=html.Div(t("upload.drop_limit", lang,
                                               size=format_size(limit)))),
                html.Button(t("upload.commit", lang), id=ID.UPLOAD_COMMIT, disabled=True,
                            className="gw-btn gw-btn-wide"),
                html.Div(id=ID.UPLOAD_RESULT, className="gw-upload-result", role="status"),
            ]),
            html.Section(id=ID.UPLOAD_REPORT, className="gw-card gw-upload-report",
                         children=empty_report(UPLOAD_KINDS[0], lang)),
        ]),
        *([boundaries.section(lang, settings)] if admin else []),
    ])
