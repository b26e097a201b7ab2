"""The plain server-rendered HTML pages (login, account, administration): one page frame, form
fields, all styled by ``assets/login.css``. They work without JavaScript."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from flask import Response, request

from gridwatch.i18n import county_name, t
from web.context import data_source


def page(lang: str, title: str, body: str, status: int = 200, *, body_class: str = "gw-login",
         switch_path: str | None = None, switch_args: dict | None = None) -> Response:
    """A whole page: ``title`` as its heading, ``body`` (HTML) under it, a language switch.

    The switch links to the current path and query in the other language, or to
    ``switch_path`` with ``switch_args`` (a page to GET; used by pages answering a POST).
    """
    other = "en" if lang == "zh" else "zh"
    if switch_path is None:
        args = {k: v for k, v in request.args.items() if k != "lang"}
        switch = f"{request.path}?{urlencode({**args, 'lang': other})}"
    else:
        switch = f"{switch_path}?{urlencode({**(switch_args or {}), 'lang': other})}"
    html = (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            '<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f'<title>{escape(title)}</title>'
            '<link rel="stylesheet" href="/assets/login.css"></head>'
            f'<body class="{escape(body_class)}"><main class="gw-login-card">'
            f'<p class="gw-login-app">{escape(app_title(lang))}</p>'
            f'<h1>{escape(title)}</h1>{body}'
            f'<p class="gw-login-switch"><a href="{escape(switch)}">'
            f'{escape(t("app.switch_language", lang))}</a></p></main></body></html>')
    return Response(html, status=status, mimetype="text/html")


def app_title(lang: str) -> str:
    """The application's title, naming the region in force."""
    return t("app.title", lang, county=county_name(data_source().region(), lang))


def field(name: str, label: str, kind: str, autocomplete: str, value: str = "", *,
          required: bool = True, field_id: str | None = None) -> str:
    """A labelled ``<input>``; ``field_id`` when one page has several fields of one name."""
    field_id = field_id or name
    return (f'<label for="{escape(field_id)}">{escape(label)}</label>'
            f'<input id="{escape(field_id)}" name="{escape(name)}" type="{kind}" '
            f'autocomplete="{autocomplete}" value="{escape(value)}"'
            f'{" required" if required else ""}>')


def select(name: str, label: str, options: list[tuple[str, str]], selected: str = "", *,
           field_id: str | None = None) -> str:
    """A labelled ``<select>`` of ``(value, text)`` options."""
    field_id = field_id or name
    items = "".join(f'<option value="{escape(value)}"'
                    f'{" selected" if value == selected else ""}>{escape(text)}</option>'
                    for value, text in options)
    return (f'<label for="{escape(field_id)}">{escape(label)}</label>'
            f'<select id="{escape(field_id)}" name="{escape(name)}">{items}</select>')


def table(caption: str, columns: list[str], rows: list[list[str]], empty: str = "") -> str:
    """An accessible table: a caption, column headers; ``rows`` hold cell HTML (escaped
    already)."""
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in columns)
    if rows:
        body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                       for row in rows)
    else:
        body = f'<tr><td colspan="{len(columns)}">{escape(empty)}</td></tr>'
    return (f'<div class="gw-table-wrap"><table><caption>{escape(caption)}</caption>'
            f'<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')


def alert(message: str, ok: bool = False) -> str:
    """A message announced to screen readers: an error, or (``ok``) a success."""
    if not message:
        return ""
    cls = "gw-login-ok" if ok else "gw-login-error"
    return f'<p class="{cls}" role="alert">{escape(message)}</p>'
