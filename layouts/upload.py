"""The data upload page (``/data``): choose a file, read its validation report, then commit."""

from __future__ import annotations

from dash import dcc, html

from gridwatch.i18n import t
from gridwatch.ingest.batches import KINDS
from gridwatch.ingest.tables import MAX_FILE_BYTES
from layouts.ids import ID

UPLOAD_KINDS = ("risk-assessments", "checkpoint-counts")
"""The batch kinds a file can hold."""


def columns_hint(kind: str, lang: str) -> str:
    fields = KINDS[kind].fields
    return t("upload.columns", lang,
             columns=", ".join(n for n, f in fields.items() if f.required),
             optional=", ".join(n for n, f in fields.items() if not f.required) or "—")


def empty_report(kind: str, lang: str) -> list:
    return [html.P(t("upload.empty", lang), className="gw-muted"),
            html.P(columns_hint(kind, lang), className="gw-muted")]


def layout(lang: str, lang_href: str) -> html.Div:
    """The whole upload page."""
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
                html.Label(t("upload.token", lang), htmlFor=ID.UPLOAD_TOKEN),
                dcc.Input(id=ID.UPLOAD_TOKEN, type="password", autoComplete="off",
                          className="gw-input", debounce=False),
                html.Small(t("upload.token_hint", lang), className="gw-hint"),
                dcc.Upload(id=ID.UPLOAD_FILE, accept=".csv,.xlsx", multiple=False,
                           max_size=MAX_FILE_BYTES, className="gw-dropzone",
                           children=html.Div(t("upload.drop", lang))),
                html.Button(t("upload.commit", lang), id=ID.UPLOAD_COMMIT, disabled=True,
                            className="gw-btn gw-btn-wide"),
                html.Div(id=ID.UPLOAD_RESULT, className="gw-upload-result", role="status"),
            ]),
            html.Section(id=ID.UPLOAD_REPORT, className="gw-card gw-upload-report",
                         children=empty_report(UPLOAD_KINDS[0], lang)),
        ]),
    ])
