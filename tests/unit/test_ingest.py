"""Files in (CSV/XLSX), the upload page's steps called directly, and the token commands."""

from __future__ import annotations

import base64
import dataclasses
import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from callbacks.table_upload import commit_upload, preview_upload
from gridwatch.__main__ import main
from gridwatch.auth.policy import ACTIONS, Principal
from gridwatch.auth.tokens import authenticate
from gridwatch.i18n import MESSAGES
from gridwatch.ingest.archives import STRICT, ArchiveError, unzip
from gridwatch.ingest.batches import LEAD_STAGES, TASK_EVENTS, unknown_code
from gridwatch.ingest.errors import LocalisedError, RowError
from gridwatch.ingest.jsonsafe import depth
from gridwatch.ingest.tables import MAX_FILE_BYTES, TableError, read_table
from gridwatch.store import models as m

pytestmark = pytest.mark.stores

ROOT = Path(__file__).resolve().parents[2]
GRID = "33082400100101"
HEADER = "grid_code,colour,observed_at,source\n"


def data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zipped(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


# --- reading files ------------------------------------------------------------------------------

def test_a_csv_reads_as_rows_of_text():
    table = read_table("a.csv", (HEADER + f"{GRID},red,2020-02-01T08:00:00+08:00,x\n\n").encode())
    assert table.columns == ["grid_code", "colour", "observed_at", "source"]
    assert table.rows == [{"grid_code": GRID, "colour": "red",
                           "observed_at": "2020-02-01T08:00:00+08:00", "source": "x"}]


def test_a_gb18030_csv_from_chinese_excel_reads():
    table = read_table("a.csv", (HEADER + f"{GRID},red,2020-02-01T08:00:00+08:00,乡镇研判\n")
                       .encode("gb18030"))
    assert table.rows[0]["source"] == "乡镇研判"


def test_an_xlsx_reads_and_keeps_numbers_as_numbers():
    table = read_table("a.xlsx", xlsx([["Grid_Code", "colour"], [int(GRID), "red"]]))
    assert table.rows == [{"grid_code": int(GRID), "colour": "red"}]


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("a.csv", zipped({"x": b"1"}), "not a text file"),
    ("a.xlsx", b"grid_code,colour\n", "not an Excel workbook"),
    ("a.xlsx", zipped({"word/document.xml": b"<x/>"}), "not an Excel workbook"),
    ("a.exe", b"MZ", "only .csv and .xlsx"),
    ("a.csv", b"", "empty"),
    ("a.csv", b"grid_code,colour\n", "no data rows"),
    ("a.csv", b"x" * (MAX_FILE_BYTES + 1), "larger than"),
    ("a.csv", HEADER.encode() + b"1,red,\xff\xff\xff,x\n" * 3, "neither UTF-8"),
    ("a.csv", HEADER.encode() + b"1,red,t,x\n" * 5001, "more than 5000 rows"),
])
def test_files_that_are_not_what_they_say_are_refused(name, data, reason):
    with pytest.raises(TableError, match=reason):
        read_table(name, data)


def understated(name: str, size: int, declared: int, extra: dict | None = None) -> bytes:
    """A zip archive whose member ``name`` holds ``size`` zero bytes while both of its headers
    declare ``declared``: a bomb that a check of the declared sizes alone lets through."""
    data = bytearray(zipped({**(extra or {}), name: b"\0" * size}))
    encoded = name.encode()
    # (signature, offset of the uncompressed size, of the name length, of the name)
    for signature, size_at, length_at, name_at in ((b"PK\x03\x04", 22, 26, 30),
                                                   (b"PK\x01\x02", 24, 28, 46)):
        start = data.find(signature)
        while start >= 0:
            length = int.from_bytes(data[start + length_at:start + length_at + 2], "little")
            if data[start + name_at:start + name_at + length] == encoded:
                data[start + size_at:start + size_at + 4] = declared.to_bytes(4, "little")
            start = data.find(signature, start + 4)
    return bytes(data)


def test_a_zip_bomb_is_refused_before_it_is_expanded():
    bomb = zipped({"xl/workbook.xml": b"<x/>", "xl/big.xml": b"\0" * (80 * 1024 * 1024)})
    assert len(bomb) < 200_000
    with pytest.raises(ArchiveError, match="zip bomb") as caught:
        read_table("a.xlsx", bomb)
    assert caught.value.catalogue_key == "ingest.zip.bomb"
    assert "a.xlsx" in caught.value.message("zh") and "压缩炸弹" in caught.value.message("zh")


def test_a_zip_bomb_that_understates_its_size_is_refused_while_it_is_read():
    bomb = understated("xl/worksheets/sheet1.xml", 80 * 1024 * 1024, 1000,
                       {"xl/workbook.xml": b"<x/>"})
    assert len(bomb) < 200_000
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:  # the headers look harmless
        assert sum(i.file_size for i in archive.infolist()) < 2000
    with pytest.raises(ArchiveError, match="zip bomb") as caught:
        read_table("a.xlsx", bomb)
    assert caught.value.catalogue_key == "ingest.zip.member_unreadable"
    assert "xl/worksheets/sheet1.xml" in str(caught.value)


def test_the_zip_guard_caps_what_it_really_reads_per_caller():
    archive = zipped({"a.txt": b"x" * 3000, "b.txt": b"y" * 3000})
    assert unzip(archive, "t.zip", STRICT) == {"a.txt": b"x" * 3000, "b.txt": b"y" * 3000}
    assert unzip(archive, "t.zip", STRICT, keep=lambda n: n == "b.txt")["a.txt"] is None
    tight = dataclasses.replace(STRICT, total_bytes=5000)
    with pytest.raises(ArchiveError, match=r"expand to 0 MiB \(at most 0 MiB\)"):
        unzip(archive, "t.zip", tight)
    with pytest.raises(ArchiveError, match="holds 2 files"):
        unzip(archive, "t.zip", dataclasses.replace(STRICT, members=1))
    with pytest.raises(ArchiveError, match="not a readable zip archive"):
        unzip(b"PK\x03\x04 broken", "t.zip")


def test_archive_members_escaping_the_archive_are_refused():
    for name in ("../evil.txt", "/etc/passwd", "a/../../b", "C:/x"):
        with pytest.raises(ArchiveError, match="outside the archive"):
            read_table("a.xlsx", zipped({name: b"x"}))


def test_every_refusal_is_the_one_localised_error_type():
    for error in (TableError("table.empty"), ArchiveError("zip.bomb", name="a.zip")):
        assert isinstance(error, LocalisedError)
        assert error.to_dict("zh") == {"errors": [{"row": None, "field": None,
                                                   "reason": error.message("zh")}]}
    assert TableError("table.empty").to_dict()["errors"][0]["reason"] == "the file is empty"


def test_depth_counts_without_recursion():
    nested: list = []
    for _ in range(50_000):
        nested = [nested]
    assert depth(nested) == 50_000
    assert depth({"items": [{"a": 1}]}) == 3  # the value 1 sits inside three containers


# --- the upload page's steps --------------------------------------------------------------------

UPLOADER = Principal("user", "operator", id=3, name="uploader")
"""The signed-in user the page's callbacks get as ``who``: an operator of the whole county."""


def preview(source, kind: str, filename: str, contents: str, lang: str) -> tuple[list, bool]:
    """The report and whether commit stays disabled, as the page gets them."""
    out = preview_upload(source, contents=contents, kind=kind, filename=filename, lang=lang,
                         who=UPLOADER)
    assert out["result"] is None  # a new file clears the last commit's result
    return out["report"], out["commit_disabled"]


def commit(source, kind: str, filename: str, contents: str, lang: str,
           who: Principal = UPLOADER):
    """What the page shows after a click on commit by ``who``."""
    return commit_upload(source, clicks=1, kind=kind, filename=filename, contents=contents,
                         lang=lang, who=who)["result"]


def test_preview_reports_problems_by_file_line_and_disables_commit(source):
    csv = (HEADER + f"{GRID},red,2020-02-01T08:00:00+08:00,x\n"
           f"{GRID},pink,2020-02-01T08:00:00,x\n").encode()
    children, disabled = preview(source, "risk-assessments", "a.csv", data_url(csv), "en")
    assert disabled
    text = str(children)
    assert "pink" in text and "no time zone offset" in text
    assert "Td(3)" in text.replace("children=", "")  # line 3 of the file (header is line 1)


def test_preview_refuses_a_zip_bomb_saying_so(source):
    bomb = zipped({"xl/workbook.xml": b"<x/>", "xl/big.xml": b"\0" * (80 * 1024 * 1024)})
    children, disabled = preview(source, "risk-assessments", "marks.xlsx", data_url(bomb), "zh")
    assert disabled
    assert "压缩包 marks.xlsx 解压后远大于其本身（疑似压缩炸弹）" in str(children)


def test_preview_reports_problems_in_the_pages_language(source):
    csv = (HEADER + f"{GRID},pink,2020-02-01T08:00:00,x\n"
           f"99999999999999,red,2020-02-01T08:00:00+08:00,x\n").encode()
    children, disabled = preview(source, "risk-assessments", "a.csv", data_url(csv), "zh")
    text = str(children)
    assert disabled
    assert ("“pink”不是可选颜色之一，应为 red, orange, yellow, blue, green（不区分大小写）、"
            "红/橙/黄/蓝/绿 或 红色/橙色/黄色/蓝色/绿色") in text
    assert "“2020-02-01T08:00:00”没有时区偏移" in text
    assert "网格编码“99999999999999”不存在" in text
    assert "no time zone offset" not in text and "is not one of" not in text


def test_an_unreadable_file_and_a_refused_commit_say_why_in_the_pages_language(fresh_source):
    children, _ = preview(fresh_source, "checkpoint-counts", "a.xlsx", data_url(b"hello"), "zh")
    assert "文件扩展名为 .xlsx，但不是 Excel 工作簿" in str(children)
    counts = (b"checkpoint_code,hour_start,vehicles,people,qr_registrations,flagged\n"
              b"CP01,2020-03-01T08:00:00+08:00,10,20,5,0\n")
    assert "已导入" in str(commit(fresh_source, "checkpoint-counts", "c.csv",
                                 data_url(counts), "zh"))
    changed = counts.replace(b",10,20,", b",11,20,")  # the same hour, another count: a conflict
    refused = str(commit(fresh_source, "checkpoint-counts", "c.csv", data_url(changed), "zh"))
    assert "未导入：已存储卡口每小时查验量 CP01/" in refused
    assert "already stored" not in refused
    unreadable = str(commit(fresh_source, "checkpoint-counts", "c.exe", data_url(b"MZ"), "zh"))
    assert "只能上传 .csv 和 .xlsx 文件" in unreadable


def test_reasons_keep_their_english_text_and_render_in_chinese():
    with pytest.raises(TableError) as caught:
        read_table("a.csv", b"")
    assert str(caught.value) == "the file is empty" and caught.value.message("zh") == "文件是空的"
    error = RowError(2, "colour", "field.not_option", {"value": "pink", "options": "red, blue"})
    assert error.reason == "“pink” is not one of red, blue"
    assert error.to_dict() == {"row": 2, "field": "colour", "reason": error.reason}
    assert error.to_dict("zh")["reason"] == "“pink”不是可选值（red, blue）之一"
    nested = RowError.of(0, "task_code", unknown_code("task", "T1"))
    assert (nested.reason, nested.message("zh")) == ("no task has the code “T1”",
                                                     "任务编码“T1”不存在")


REASON_CALL = re.compile(
    r"""(?:(?:FieldError|TableError|JSONError|ArchiveError|LocalisedError|say)\(\s*"""
    r"""|refuse\(\s*[\w .]+,\s*"""
    r"""|RowError\(\s*\w+,\s*None,\s*|(?:invalid_row|conflict)\(\s*\w+,\s*[\w"-]+,\s*)"""
    r"""["']([a-z_]+\.[a-z_.0-9]+)["']""")


def test_every_ingest_reason_is_in_the_catalogue_in_both_languages():
    files = [p for p in (ROOT / "gridwatch" / "ingest").glob("*.py")
             if not p.name.startswith("boundar")] + [ROOT / "web" / "api.py",
                                                     ROOT / "callbacks" / "table_upload.py"]
    used = set()
    for path in files:
        used |= set(REASON_CALL.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 60, "the pattern found too few keys: the test would pass vacuously"
    # Keys built at run time: nouns, lead stages and task events, permissions.
    used |= {f"noun.{n}" for n in ("grid", "township", "checkpoint", "task", "lead", "directive",
                                   "checkpoint_hour")}
    used |= {f"state.{s}" for s in (*LEAD_STAGES, *TASK_EVENTS)}
    used |= {f"action.{a}" for a in ACTIONS}
    missing = {key for key in used if f"ingest.{key}" not in MESSAGES}
    assert missing == set()
    untranslated = {key for key in used if MESSAGES[f"ingest.{key}"]["zh"]
                    == MESSAGES[f"ingest.{key}"]["en"]}
    assert untranslated == {"what.record"}  # "{entity} {label}" reads the same in both


def test_preview_of_a_valid_file_shows_rows_and_enables_commit(source):
    csv = (HEADER + f"{GRID},red,2020-02-01T08:00:00+08:00,x\n").encode()
    children, disabled = preview(source, "risk-assessments", "a.csv", data_url(csv), "zh")
    assert not disabled
    assert "校验通过" in str(children) and GRID in str(children)


def test_preview_of_an_unreadable_file_says_why(source):
    children, disabled = preview(source, "checkpoint-counts", "a.xlsx", data_url(b"hello"), "en")
    assert disabled and "not an Excel workbook" in str(children)


def test_commit_writes_once_as_the_signed_in_user(fresh_source):
    counts = (HEADER.replace("grid_code,colour,observed_at,source",
                             "checkpoint_code,hour_start,vehicles,people,qr_registrations,flagged")
              + "CP01,2020-03-01T08:00:00+08:00,10,20,5,0\n"
              + "CP02,2020-03-01T08:00:00+08:00,11,21,6,1\n").encode()
    url = data_url(counts)

    def stored() -> int:
        with fresh_source.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(m.CheckpointCount)).scalar()

    before = stored()
    done = str(commit(fresh_source, "checkpoint-counts", "c.csv", url, "en"))
    assert "2 new rows" in done
    again = str(commit(fresh_source, "checkpoint-counts", "c.csv", url, "en"))
    assert "already committed" in again
    assert stored() == before + 2
    # Idempotency keys are per writer: another user committing the same file is not answered
    # with the first one's result (its rows are duplicates instead).
    other = Principal("user", "operator", id=4, name="second")
    assert "0 new rows, 2 already stored" in str(commit(fresh_source, "checkpoint-counts",
                                                        "c.csv", url, "en", other))
    assert stored() == before + 2
    with fresh_source.engine.connect() as conn:
        actors = conn.execute(select(m.AuditEntry.actor).where(
            m.AuditEntry.entity == "checkpoint_hour")).scalars().all()
    assert actors == [UPLOADER.actor] * 2 == ["user:3:uploader"] * 2


# --- token commands -----------------------------------------------------------------------------

def test_token_commands_create_list_and_revoke(fresh_source, capsys):
    url = fresh_source.settings.database_url
    assert main(["token", "create", "--name", "field-app", "--database-url", url]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("gw_") and len(token) > 40
    assert authenticate(fresh_source.engine, f"Bearer {token}").name == "field-app"
    assert main(["token", "list", "--database-url", url]) == 0
    listing = capsys.readouterr().out
    assert "field-app" in listing and token not in listing and "live" in listing
    assert main(["token", "revoke", "field-app", "--database-url", url]) == 0
    assert authenticate(fresh_source.engine, f"Bearer {token}") is None
    assert main(["token", "revoke", "field-app", "--database-url", url]) == 1
    assert main(["token", "create", "--name", " ", "--database-url", url]) == 2
