"""Templates for the table upload: for each kind a file can hold, a CSV and an XLSX file with
the header the importer reads, example rows with the region's own codes, and (in the XLSX) a
"说明"/"Notes" sheet describing each column, in Chinese or English.

The header stays the importer's own column names in both languages (``tables.read_table``
matches canonical names only); what changes with the language is the example values (``红`` or
``red``, a Chinese or English source) and the notes. The examples pass the importer as they
are (``tests/unit/test_upload_templates.py`` uploads every template through the preview).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from gridwatch.auth.policy import Principal, covers
from gridwatch.i18n import t
from gridwatch.ingest import fields as f
from gridwatch.ingest.batches import KINDS, Field
from gridwatch.ingest.scope import Places

UPLOAD_KINDS = ("risk-assessments", "checkpoint-counts")
"""The batch kinds a table file can hold (the ``/data`` page offers these)."""

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
"""Template file formats and their media types."""

TEXT_FORMAT = "@"
"""Excel's number format for text: codes and times typed in a template column stay text (a
14-digit grid code would otherwise turn into 3.30824E+13, a time into a date cell)."""


@dataclass(frozen=True)
class TemplateFile:
    """A template ready to send: its file name (localised), media type and bytes."""

    filename: str
    mimetype: str
    content: bytes


@dataclass(frozen=True)
class Examples:
    """What the example rows are made of: grid and checkpoint codes of the region (the
    writer's own first) and the day their times fall on, in the county's time zone."""

    grids: tuple[str, ...]
    checkpoints: tuple[str, ...]
    day: date
    timezone: str = "Asia/Shanghai"

    @classmethod
    def for_writer(cls, places: Places, who: Principal | None, day: date,
                   timezone: str = "Asia/Shanghai") -> Examples:
        """Codes of ``places`` in code order, only those ``who`` may write when there are
        any, so that the template's rows pass the writer's scope check as they are."""

        def mine(codes: dict, where: Callable) -> tuple[str, ...]:
            # Only codes the importer accepts as they are and that no spreadsheet reads as a
            # formula (a boundary file may name a grid "+HYPERLINK(...)" or "-A1").
            ordered = [c for c in sorted(codes) if f.CODE.match(c) and c[0].isalnum()]
            return tuple([c for c in ordered if who is None or where(codes[c])] or ordered)

        grids = mine(places.grids, lambda tv: covers(who, "write", tv[0], tv[1]))
        checkpoints = mine(places.checkpoints, lambda town: covers(who, "write", town))
        return cls(grids, checkpoints, day, timezone)

    def at(self, hour: int) -> str:
        """``hour`` o'clock on the day, as the importer wants a time: ISO 8601 with offset."""
        moment = datetime.combine(self.day, time(hour), tzinfo=ZoneInfo(self.timezone))
        return moment.isoformat(timespec="seconds")

    def grid(self, i: int) -> str:
        return self.grids[i % len(self.grids)] if self.grids else "33082400100101"

    def checkpoint(self, i: int) -> str:
        return self.checkpoints[i % len(self.checkpoints)] if self.checkpoints else "CP01"


def example_rows(kind: str, lang: str, ex: Examples) -> list[dict]:
    """Two example rows of ``kind`` in ``lang`` (values the importer accepts as they are)."""
    if kind == "risk-assessments":
        return [
            {"grid_code": ex.grid(0), "colour": "红" if lang == "zh" else "red",
             "observed_at": ex.at(8), "source": t("upload.template.example.source", lang),
             "note": t("upload.template.example.note", lang)},
            {"grid_code": ex.grid(1), "colour": "黄" if lang == "zh" else "yellow",
             "observed_at": ex.at(9), "source": t("upload.template.example.source", lang),
             "note": None},
        ]
    if kind == "checkpoint-counts":
        return [
            {"checkpoint_code": ex.checkpoint(0), "hour_start": ex.at(8), "vehicles": 120,
             "people": 180, "qr_registrations": 150, "flagged": 2},
            {"checkpoint_code": ex.checkpoint(0), "hour_start": ex.at(9), "vehicles": 95,
             "people": 140, "qr_registrations": 121, "flagged": 0},
        ]
    raise KeyError(kind)


def column_format(spec: Field, lang: str) -> str:
    """How a column's value is written, from its parser (the rule the importer applies)."""
    if spec.parse is f.colour:
        return t("upload.template.format.colour", lang)
    schema = getattr(spec.parse, "schema", {})
    if schema.get("format") == "date-time":
        return t("upload.template.format.time", lang)
    if "pattern" in schema:
        return t("upload.template.format.code", lang)
    if schema.get("type") == "integer":
        return t("upload.template.format.integer", lang, low=schema["minimum"],
                 high=schema["maximum"])
    if "maxLength" in schema:
        return t("upload.template.format.text", lang, max=schema["maxLength"])
    return "—"


def column_notes(kind: str, lang: str, ex: Examples) -> list[list[str]]:
    """The notes sheet's rows: column, required or optional, format, accepted values."""
    rows = []
    for name, spec in KINDS[kind].fields.items():
        accepted = t(f"upload.template.about.{name}", lang,
                     grid=ex.grid(0), checkpoint=ex.checkpoint(0), example=ex.at(8),
                     **f.colour_options())
        rows.append([name, t("upload.template.required" if spec.required
                             else "upload.template.optional", lang),
                     column_format(spec, lang), accepted])
    return rows


def template_file(kind: str, fmt: str, lang: str, ex: Examples) -> TemplateFile:
    """The template of ``kind`` as ``fmt`` ("csv" or "xlsx") in ``lang``.

    Raises
    ------
    KeyError
        When ``kind`` is not one of ``UPLOAD_KINDS`` or ``fmt`` not one of ``FORMATS``.
    """
    if kind not in UPLOAD_KINDS or fmt not in FORMATS:
        raise KeyError((kind, fmt))
    columns = list(KINDS[kind].fields)
    rows = [[row[c] for c in columns] for row in example_rows(kind, lang, ex)]
    content = _csv(columns, rows) if fmt == "csv" else _xlsx(kind, lang, ex, columns, rows)
    return TemplateFile(t("upload.template.filename", lang, name=t(f"upload.kind.{kind}", lang))
                        + "." + fmt, FORMATS[fmt], content)


def _csv(columns: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)  # \r\n line ends, as Excel writes them
    writer.writerow(columns)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")  # the BOM tells Excel the file is UTF-8


def _xlsx(kind: str, lang: str, ex: Examples, columns: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = t(f"upload.kind.{kind}", lang)[:31]
    sheet.append(columns)
    for row in rows:
        sheet.append(row)
    texts = {i for i, name in enumerate(columns, start=1)
             if KINDS[kind].fields[name].parse in (f.code, f.timestamp)}
    for i, name in enumerate(columns, start=1):
        letter = get_column_letter(i)
        sheet[f"{letter}1"].font = Font(bold=True)
        width = max(len(name), *(len(str(r[i - 1] or "")) * (2 if lang == "zh" else 1)
                                 for r in rows))
        sheet.column_dimensions[letter].width = min(60, width + 4)
        if i in texts:
            sheet.column_dimensions[letter].number_format = TEXT_FORMAT
            for cell in sheet[letter]:
                cell.number_format = TEXT_FORMAT
    sheet.freeze_panes = "A2"

    notes = book.create_sheet(t("upload.template.notes_sheet", lang))
    notes.append([t(f"upload.template.notes.{h}", lang)
                  for h in ("column", "required", "format", "accepted")])
    for row in column_notes(kind, lang, ex):
        notes.append(row)
    for line in notes.iter_rows(min_row=2, max_col=4):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    notes.append([])
    for key in ("upload.template.hint.sheet", "upload.template.hint.header",
                "upload.template.hint.examples"):
        notes.append([t(key, lang)])
        notes.merge_cells(start_row=notes.max_row, start_column=1, end_row=notes.max_row,
                          end_column=4)
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (20, 10, 44, 70), strict=True):
        notes.column_dimensions[letter].width = width
    notes.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
