"""What an export is asked for: one immutable request, read from a URL query or the CLI."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode

from gridwatch.filters import Filters, parse_query
from gridwatch.i18n import normalise_language

MAP_KINDS = ("png", "pdf", "svg")
"""Single-page maps."""
DATA_KINDS = ("csv", "geojson", "gpkg")
"""Data downloads."""
KINDS = (*MAP_KINDS, "pack", *DATA_KINDS)
"""Everything the export endpoint and the ``export`` command can produce."""

PAPERS_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
"""Paper sizes in millimetres, portrait (width, height)."""
ORIENTATIONS = ("landscape", "portrait")
TABLES = ("grids", "tasks", "checkpoints", "colours")
"""What a CSV holds: the filtered grids (default) or one chart's data."""

MIME_TYPES = {
    "png": "image/png", "pdf": "application/pdf", "svg": "image/svg+xml",
    "pack": "application/pdf", "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3",
}
EXTENSIONS = {"png": "png", "pdf": "pdf", "svg": "svg", "pack": "pdf", "csv": "csv",
              "geojson": "geojson", "gpkg": "gpkg"}

MAX_TITLE = 80
MAX_UNIT = 40
"""Characters of a briefing's issuing unit (a county's epidemic command office's full name,
开化县新型冠状病毒感染的肺炎疫情防控工作领导小组办公室, has 27)."""
MAX_ISSUE = 9999
"""The highest issue number a briefing may carry."""


class ExportOptionError(ValueError):
    """An export option that cannot be used: ``param`` and ``value`` say which."""

    def __init__(self, param: str, value: str) -> None:
        super().__init__(f"invalid export option {param}={value!r}")
        self.param = param
        self.value = value


@dataclass(frozen=True)
class ExportRequest:
    """One export: what to produce, for which filters, in which language and layout.

    ``bbox`` is the map extent as (west, south, east, north) in degrees, or ``None`` for the
    whole county. ``title`` empty means the default title in ``lang``. ``since`` is the day the
    briefing pack's "what changed" page compares with (default: the day before ``as_of``).
    ``unit`` (the issuing unit) and ``issue`` (the issue number, "第 12 期") head a briefing
    pack's pages when given.
    """

    kind: str
    filters: Filters
    lang: str = "zh"
    paper: str = "A4"
    orientation: str = "landscape"
    bbox: tuple[float, float, float, float] | None = None
    title: str = ""
    since: date | None = None
    table: str = "grids"
    view: str = "full"
    """Whose eyes it is for (``gridwatch.visibility.view_of``): what is suppressed in it."""
    unit: str = ""
    issue: int | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def as_of(self) -> date:
        return self.filters.as_of

    @property
    def compare_day(self) -> date:
        return self.since or (self.as_of - timedelta(days=1))

    def canonical(self) -> dict:
        """The request as plain JSON values; what the export ID is computed from.

        Only what changes the output is included: the paper and orientation of a data
        download, or the table of a map, do not.
        """
        out: dict = {"kind": self.kind, "filters": self.filters.to_dict(), "lang": self.lang}
        if self.view != "full":  # full-view IDs stay as they were before views existed
            out["view"] = self.view
        if self.kind in (*MAP_KINDS, "pack"):
            out.update(paper=self.paper, orientation=self.orientation,
                       bbox=list(self.bbox) if self.bbox else None, title=self.title)
        if self.kind == "pack":
            out["since"] = self.compare_day.isoformat()
            if self.unit:  # packs without them keep the IDs they had before these existed
                out["unit"] = self.unit
            if self.issue is not None:
                out["issue"] = self.issue
        if self.kind == "csv":
            out["table"] = self.table
        return out

    def to_query(self) -> str:
        """The query string for ``/export/<kind>`` that asks for this request again."""
        params = dict(parse_qsl(self.filters.to_query(lang=self.lang).lstrip("?")))
        if self.kind in (*MAP_KINDS, "pack"):
            params.update(paper=self.paper, orientation=self.orientation)
            if self.bbox:
                params["bbox"] = ",".join(f"{v:.5f}" for v in self.bbox)
            if self.title:
                params["title"] = self.title
        if self.kind == "pack" and self.since:
            params["since"] = self.since.isoformat()
        if self.kind == "pack" and self.unit:
            params["unit"] = self.unit
        if self.kind == "pack" and self.issue is not None:
            params["issue"] = str(self.issue)
        if self.kind == "csv" and self.table != "grids":
            params["table"] = self.table
        return "?" + urlencode(params, safe=",")


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """``"west,south,east,north"`` in degrees, rounded to 5 decimals (about 1 m)."""
    if raw is None or not raw.strip() or raw.strip() == "county":
        return None
    try:
        west, south, east, north = (round(float(v), 5) for v in raw.split(","))
    except ValueError:
        raise ExportOptionError("bbox", raw) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ExportOptionError("bbox", raw)
    return (west, south, east, north)


def _shown(raw: str) -> str:
    """A refused value as a message may quote it: control characters escaped, cut short."""
    out = "".join(ch if unicodedata.category(ch)[0] != "C" else f"\\x{ord(ch):02x}"
                  for ch in raw[:60])
    return out + ("…" if len(raw) > 60 else "")


def parse_unit(raw: str | None) -> str:
    """A briefing's issuing unit: spaces collapsed, at most ``MAX_UNIT`` characters, no
    control or format characters; empty for none."""
    if raw is None:
        return ""
    if any(unicodedata.category(ch)[0] == "C" for ch in raw):
        raise ExportOptionError("unit", _shown(raw))
    unit = " ".join(raw.split())
    if len(unit) > MAX_UNIT:
        raise ExportOptionError("unit", _shown(raw))
    return unit


def parse_issue(raw: str | None) -> int | None:
    """A briefing's issue number: a whole number from 1 to ``MAX_ISSUE``; None for none."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ISSUE:
        raise ExportOptionError("issue", _shown(raw))
    return int(text)


def parse_since(raw: str | None, first_day: date, as_of: date) -> date | None:
    """The day the pack's "what changed" compares with: ISO ``YYYY-MM-DD``, within the
    history and before the as-of day; None for the default (the day before)."""
    if raw is None or not raw.strip():
        return None
    try:
        since = date.fromisoformat(raw.strip())
    except ValueError:
        raise ExportOptionError("since", _shown(raw)) from None
    if not first_day <= since < as_of:
        raise ExportOptionError("since", _shown(raw))
    return since


def request_from_params(kind: str, params: Mapping[str, str], townships, first_day: date,
                        last_day: date, default_lang: str = "zh") -> ExportRequest:
    """Read an export request from query parameters (the URL's or the CLI's).

    The filters follow the analyst view's URL exactly (``level``, ``township``, ``colour``,
    ``date``, ``lang``), so an export link is the view's link plus export options. Unlike the
    view, which ignores what it cannot read, an export refuses it: a scheduled export must
    never quietly produce a different picture.

    Raises
    ------
    ExportOptionError
        For an unknown kind, paper, orientation, table, a malformed bbox, date or filter.
    """
    if kind not in KINDS:
        raise ExportOptionError("format", kind)
    query = urlencode({k: v for k, v in params.items()
                       if k in ("level", "township", "colour", "date", "lang") and v})
    filters, problems, lang = parse_query(query, townships, first_day, last_day)
    if problems:
        raise ExportOptionError(problems[0].param, problems[0].value)
    paper = (params.get("paper") or "A4").upper()
    if paper not in PAPERS_MM:
        raise ExportOptionError("paper", paper)
    orientation = (params.get("orientation") or "landscape").lower()
    if orientation not in ORIENTATIONS:
        raise ExportOptionError("orientation", orientation)
    table = params.get("table") or "grids"
    if table not in TABLES:
        raise ExportOptionError("table", table)
    as_of = filters.as_of or last_day
    since = parse_since(params.get("since"), first_day, as_of)
    unit = parse_unit(params.get("unit"))
    issue = parse_issue(params.get("issue"))
    bbox = None if params.get("extent") == "county" else parse_bbox(params.get("bbox"))
    title = " ".join((params.get("title") or "").split())[:MAX_TITLE]
    return ExportRequest(kind=kind, filters=filters.with_day(as_of),
                         lang=normalise_language(lang or default_lang), paper=paper,
                         orientation=orientation, bbox=bbox, title=title, since=since,
                         table=table, unit=unit, issue=issue)
