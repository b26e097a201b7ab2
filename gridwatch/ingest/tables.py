"""CSV and XLSX files to rows, refusing files that are too large, not what their name says,
or archives that would expand without bound (an XLSX file is a zip archive: it goes through the
one zip guard, ``gridwatch.ingest.archives``, before the workbook reader sees it)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from gridwatch.ingest.archives import STRICT, unzip
from gridwatch.ingest.errors import LocalisedError

MAX_FILE_BYTES = 5 * 1024 * 1024
"""The largest table file accepted (bytes)."""

MAX_ROWS = 5000
MAX_COLUMNS = 64
"""A table upload has a handful of columns; a file with thousands is refused at its header
(a 100,000-column CSV once held a server thread for 14 s)."""


class TableError(LocalisedError):
    """The file cannot be read as a table; ``message(lang)`` says why (``str`` in English)."""


@dataclass(frozen=True)
class Table:
    """Rows read from a file: column names (lower case) and one dict per data row."""

    columns: list[str]
    rows: list[dict]

    def first_line(self) -> int:
        """The file line (or sheet row) of ``rows[0]``: the header is line 1."""
        return 2


def read_table(filename: str, data: bytes) -> Table:
    """Read a ``.csv`` or ``.xlsx`` file into rows of raw values.

    Parameters
    ----------
    filename : str
        The uploaded file's name; its extension picks the reader.
    data : bytes
        The file's content.

    Raises
    ------
    TableError
        When the file is too large, empty or not what its extension says.
    ArchiveError
        When an XLSX file is an unsafe archive.
    """
    if len(data) > MAX_FILE_BYTES:
        raise TableError("table.too_large", mb=MAX_FILE_BYTES // (1024 * 1024))
    name = (filename or "").lower()
    if name.endswith(".csv"):
        if data[:2] == b"PK" or b"\x00" in data[:4096]:
            raise TableError("table.csv_not_text")
        return _csv(data)
    if name.endswith(".xlsx"):
        if data[:4] != b"PK\x03\x04":
            raise TableError("table.xlsx_not_workbook")
        return _xlsx(data, filename)
    raise TableError("table.unsupported_type")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GB18030/GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("table.csv_encoding")


def _finish(header: list, records) -> Table:
    if len(header) > MAX_COLUMNS:
        raise TableError("table.too_many_columns", max=MAX_COLUMNS)
    columns = [str(c).strip().lower() if c is not None else "" for c in header]
    if not any(columns):
        raise TableError("table.no_header")
    _refuse_repeated(columns)
    rows = []
    for record in records:
        values = list(record)
        if len(values) > MAX_COLUMNS:
            raise TableError("table.too_many_columns", max=MAX_COLUMNS)
        if not any(v not in (None, "") for v in values):
            continue  # blank lines
        if len(rows) >= MAX_ROWS:
            raise TableError("table.too_many_rows", max=MAX_ROWS)
        row = {col: (values[i] if i < len(values) else None)
               for i, col in enumerate(columns) if col}
        extra = [v for v in values[len(columns):] if v not in (None, "")]
        if extra:
            row["(extra)"] = extra
        rows.append(row)
    if not rows:
        raise TableError("table.no_rows")
    return Table([c for c in columns if c], rows)


def _refuse_repeated(columns: list[str]) -> None:
    """Refuse a header that names a column twice (``source,source``, or ``Source,source``:
    names are compared as they are read, trimmed and in lower case), whichever the file type:
    one of the two would silently win.

    Raises
    ------
    TableError
        Naming the header line (1), the column and both positions.
    """
    first: dict[str, int] = {}
    for position, name in enumerate(columns, start=1):
        if not name:
            continue
        if name in first:
            raise TableError("table.repeated_column", column=name[:80], first=first[name],
                             second=position)
        first[name] = position


def _csv(data: bytes) -> Table:
    text = _decode(data)
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if header is None:
            raise TableError("table.empty")
        return _finish(header, ([v.strip() or None for v in record] for record in reader))
    except csv.Error as exc:
        raise TableError("table.csv_unreadable", detail=str(exc)) from None


def _xlsx(data: bytes, filename: str) -> Table:
    # Every member is decompressed once under the guard's caps; the workbook reader then reads
    # the same bytes, so what it can expand to is bounded too.
    members = unzip(data, filename, STRICT, keep=lambda _member: False)
    if "xl/workbook.xml" not in members:
        raise TableError("table.zip_not_workbook")
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error on a damaged file
        raise TableError("table.xlsx_unreadable", detail=type(exc).__name__) from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise TableError("table.sheet_empty")
        return _finish(list(header), ([v.strip() if isinstance(v, str) else v for v in r]
                                      for r in rows))
    finally:
        book.close()


def items_from(table: Table) -> list[dict]:
    """The table's rows as batch items; empty cells are left out (a missing value), and
    unknown columns stay in so the batch validation reports them."""
    return [{k: v for k, v in row.items() if v is not None} for row in table.rows]
