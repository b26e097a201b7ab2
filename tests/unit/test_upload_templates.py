"""Colours in any of their spellings, and the upload templates: what each holds (kind × format ×
language), that it passes the upload page's preview as it is downloaded, and who may have one."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date

import pytest
from openpyxl import load_workbook

from app import create_app
from callbacks.table_upload import preview_upload
from gridwatch.auth.policy import Principal, Scope
from gridwatch.auth.sessions import create_kiosk
from gridwatch.ingest import fields as f
from gridwatch.ingest.batches import KINDS, validate
from gridwatch.ingest.errors import IngestError
from gridwatch.ingest.scope import Places
from gridwatch.ingest.templates import (
    FORMATS,
    UPLOAD_KINDS,
    Examples,
    column_notes,
    template_file,
)
from layouts import upload as page
from tests.conftest import dispose, signed_in_client, source_for
from tests.unit.test_ingest import data_url

pytestmark = pytest.mark.stores

ORIGIN = {"Origin": "http://localhost"}
PASSWORD = "template-tests-password"
GRID = "33082400100101"
OTHER_TOWNSHIP = "330824218"  # a township whose grids do not come first in code order

# --- colours ------------------------------------------------------------------------------------

# fmt: off
SPELLINGS = [
    # written          stored
    ("red",            "red"),
    ("RED",            "red"),
    (" Orange ",       "orange"),
    ("yElLoW",         "yellow"),
    ("blue\t",         "blue"),
    ("green",          "green"),
    ("红",             "red"),
    ("橙",             "orange"),
    ("黄",             "yellow"),
    ("蓝",             "blue"),
    ("绿",             "green"),
    ("红色",           "red"),
    ("橙色",           "orange"),
    ("黄色",           "yellow"),
    ("蓝色",           "blue"),
    (" 绿色 ",         "green"),
    ("\u3000红\u3000", "red"),  # ideographic spaces, as a Chinese keyboard types them
]
# fmt: on

NOT_COLOURS = ["pink", "赤", "红红", "红 色", "r", "", 1, None, True, ["red"], {"red": 1}]

ACCEPTED = ("red", "orange", "yellow", "blue", "green", "红/橙/黄/蓝/绿",
            "红色/橙色/黄色/蓝色/绿色")


@pytest.mark.parametrize(("written", "stored"), SPELLINGS)
def test_a_colour_is_read_in_english_in_any_case_or_in_chinese(written, stored):
    assert f.colour(written) == stored


@pytest.mark.parametrize("value", NOT_COLOURS)
def test_anything_else_is_refused_listing_what_is_accepted(value):
    with pytest.raises(f.FieldError) as caught:
        f.colour(value)
    for lang in ("zh", "en"):
        message = caught.value.message(lang)
        assert all(word in message for word in ACCEPTED), (lang, message)
    assert caught.value.message("en").endswith(
        "is not one of the colours red, orange, yellow, blue, green (any case), 红/橙/黄/蓝/绿 "
        "or 红色/橙色/黄色/蓝色/绿色")
    assert "不区分大小写" in caught.value.message("zh")


def test_the_write_api_and_the_upload_read_colours_with_the_same_rule(source):
    """The JSON body the API validates and the rows of a file go through one field rule."""
    assert KINDS["risk-assessments"].fields["colour"].parse is f.colour
    ref = f.Reference.from_region(source.region())
    items = [{"grid_code": GRID, "colour": written, "observed_at": "2020-02-01T08:00:00+08:00",
              "source": "api"} for written, _ in SPELLINGS]
    rows = validate(KINDS["risk-assessments"], {"items": items}, ref)
    assert [r["colour"] for r in rows] == [stored for _, stored in SPELLINGS]
    with pytest.raises(IngestError) as caught:
        validate(KINDS["risk-assessments"], {"items": [{**items[0], "colour": "粉"}]}, ref)
    assert caught.value.errors[0].field == "colour"
    assert "红/橙/黄/蓝/绿" in caught.value.errors[0].message("zh")


UPLOADER = Principal("user", "operator", id=3, name="uploader")


def test_a_file_with_chinese_colours_passes_the_preview_and_is_stored_in_english(fresh_source):
    from sqlalchemy import select

    from callbacks.table_upload import commit_upload
    from gridwatch.store import models as m

    rows = "\n".join(f"{GRID},{written},2020-02-01T{i:02d}:00:00+08:00,file"
                     for i, (written, _) in enumerate(SPELLINGS) if "\t" not in written)
    data = data_url(f"grid_code,colour,observed_at,source\n{rows}\n".encode())
    out = preview_upload(fresh_source, contents=data, kind="risk-assessments",
                         filename="zh.csv", lang="zh", who=UPLOADER)
    assert out["commit_disabled"] is False, out["report"]
    done = commit_upload(fresh_source, clicks=1, kind="risk-assessments", filename="zh.csv",
                         contents=data, lang="en", who=UPLOADER)["result"]
    assert "Committed" in str(done)
    with fresh_source.engine.connect() as conn:
        stored = set(conn.execute(select(m.RiskAssessment.colour)
                                  .where(m.RiskAssessment.source == "file")).scalars())
    assert stored == {"red", "orange", "yellow", "blue", "green"}


def test_a_page_with_a_colour_column_says_which_colours_it_takes():
    for lang in ("zh", "en"):
        text = str(page.empty_report("risk-assessments", lang))
        assert "红" in text and "red" in text
        assert "红" not in str(page.empty_report("checkpoint-counts", lang))


# --- the templates ------------------------------------------------------------------------------

EXAMPLES = Examples(("33082400100101", "33082400100102"), ("CP01", "CP02"), date(2020, 2, 1))


@pytest.mark.parametrize(("kind", "lang"), list(itertools.product(UPLOAD_KINDS, ("zh", "en"))))
def test_each_template_has_the_importers_header_and_two_example_rows(kind, lang):
    columns = list(KINDS[kind].fields)
    made_csv = template_file(kind, "csv", lang, EXAMPLES)
    assert made_csv.content.startswith(b"\xef\xbb\xbf")  # Excel opens Chinese text right
    lines = list(csv.reader(io.StringIO(made_csv.content.decode("utf-8-sig"))))
    assert lines[0] == columns and len(lines) == 3
    book = load_workbook(io.BytesIO(template_file(kind, "xlsx", lang, EXAMPLES).content))
    sheet, notes = book.worksheets
    assert notes.title == {"zh": "说明", "en": "Notes"}[lang]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == columns and len(values) == 3
    assert [row[1:] for row in lines[1:]] == [
        ["" if v is None else str(v) for v in row[1:]] for row in values[1:]]
    code = values[1][0]
    assert isinstance(code, str) and code in ("33082400100101", "CP01")  # text, not a number
    assert sheet.cell(2, 1).number_format == "@"
    assert values[1][columns.index("hour_start" if kind == "checkpoint-counts"
                                   else "observed_at")] == "2020-02-01T08:00:00+08:00"


def test_the_examples_speak_the_templates_language():
    zh = template_file("risk-assessments", "csv", "zh", EXAMPLES).content.decode("utf-8-sig")
    en = template_file("risk-assessments", "csv", "en", EXAMPLES).content.decode("utf-8-sig")
    assert ",红," in zh and ",黄," in zh and "乡镇研判" in zh
    assert ",red," in en and ",yellow," in en and "township review" in en
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en)
    assert template_file("risk-assessments", "csv", "zh", EXAMPLES).filename == \
        "网格风险研判导入模板.csv"
    assert template_file("checkpoint-counts", "xlsx", "en", EXAMPLES).filename == \
        "Checkpoint hourly counts upload template.xlsx"


@pytest.mark.parametrize(("kind", "lang"), list(itertools.product(UPLOAD_KINDS, ("zh", "en"))))
def test_the_notes_sheet_lists_every_column_with_required_format_and_values(kind, lang):
    book = load_workbook(io.BytesIO(template_file(kind, "xlsx", lang, EXAMPLES).content))
    rows = [list(r) for r in book.worksheets[1].iter_rows(values_only=True)]
    head = {"zh": ["列名", "是否必填", "格式", "可填写的值"],
            "en": ["Column", "Required", "Format", "Accepted values"]}[lang]
    assert rows[0] == head
    listed = {r[0]: r[1:] for r in rows[1:len(KINDS[kind].fields) + 1]}
    assert list(listed) == list(KINDS[kind].fields)
    required = {"zh": "必填", "en": "required"}[lang]
    for name, spec in KINDS[kind].fields.items():
        assert (listed[name][0] == required) == spec.required, name
        assert listed[name][1] and listed[name][1] != "—", name
        assert listed[name][2] and not listed[name][2].startswith("upload."), name
    assert rows[1:len(listed) + 1] == [[*r] for r in column_notes(kind, lang, EXAMPLES)]
    text = str(rows)
    if kind == "risk-assessments":
        assert all(word in text for word in ACCEPTED)
        assert listed["grid_code"][2].endswith("33082400100101")
    else:
        assert "0–1000000" in text and listed["checkpoint_code"][2].endswith("CP01")
    assert ("只读取第一个工作表" if lang == "zh" else "Only the first sheet is read") in text


def test_an_unknown_kind_or_format_has_no_template():
    with pytest.raises(KeyError):
        template_file("leads", "csv", "zh", EXAMPLES)
    with pytest.raises(KeyError):
        template_file("risk-assessments", "ods", "zh", EXAMPLES)


# --- the route, and the round trip through the preview -------------------------------------------

@pytest.fixture(scope="module")
def site(stores):
    """The real app on a private copy of the demo store (signing in writes sessions)."""
    source = source_for(stores.seeded("templates"))
    yield create_app(source.settings), source
    dispose(source)


NAMES = itertools.count(1)


def signed_in(site, role: str, scope: Scope | None = None):
    app, source = site
    name = f"{role}-{next(NAMES)}"
    if role == "operator" and scope is None:
        scope = Scope()  # the county
    return signed_in_client(app, source.writer, name, role, scope, PASSWORD)


def download(client, kind: str, fmt: str, lang: str):
    return client.get(f"/data/template/{kind}?format={fmt}&lang={lang}")


CASES = list(itertools.product(UPLOAD_KINDS, FORMATS, ("zh", "en")))


@pytest.mark.parametrize(("kind", "fmt", "lang"), CASES)
def test_a_downloaded_template_passes_the_preview_as_it_is(site, kind, fmt, lang):
    _app, source = site
    answer = download(signed_in(site, "operator"), kind, fmt, lang)
    assert answer.status_code == 200, answer.data[:200]
    assert answer.headers["Content-Type"].startswith(FORMATS[fmt].split(";")[0])
    assert "attachment" in answer.headers["Content-Disposition"]
    assert f"{kind}-template-{lang}.{fmt}" in answer.headers["Content-Disposition"]
    assert answer.headers["Cache-Control"] == "no-store"
    who = Principal("user", "operator", id=99, name="round-trip")
    out = preview_upload(source, contents=data_url(answer.data), kind=kind,
                         filename=f"template.{fmt}", lang=lang, who=who)
    assert out["commit_disabled"] is False, str(out["report"])
    valid = {"zh": "校验通过：2 行可以导入", "en": "Valid: 2 rows ready to commit"}[lang]
    assert valid in str(out["report"])
    first = source.region().grids["code"].min() if kind == "risk-assessments" \
        else source.region().checkpoints["code"].min()
    assert first in str(out["report"])  # the region's real codes


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_scoped_operators_template_uses_its_own_places(site, fmt):
    _app, source = site
    scope = Scope("township", frozenset({OTHER_TOWNSHIP}))
    client = signed_in(site, "operator", scope)
    who = Principal("user", "operator", scope=scope, id=98, name="scoped")
    places = Places.of(source.region())
    for kind in UPLOAD_KINDS:
        answer = download(client, kind, fmt, "zh")
        assert answer.status_code == 200
        out = preview_upload(source, contents=data_url(answer.data), kind=kind,
                             filename=f"t.{fmt}", lang="zh", who=who)
        assert out["commit_disabled"] is False, str(out["report"])
    grids = Examples.for_writer(places, who, date(2020, 2, 1)).grids
    assert grids and all(places.grids[g][0] == OTHER_TOWNSHIP for g in grids)


def test_only_those_who_may_upload_get_a_template(site):
    app, _source = site
    url = "/data/template/risk-assessments?format=xlsx&lang=en"
    assert app.server.test_client().get(url).status_code == 401
    for role in ("viewer", "analyst"):
        answer = signed_in(site, role).get(url)
        assert answer.status_code == 403, role
        assert b"may not upload" in answer.data and b"PK" not in answer.data[:2]
    assert signed_in(site, "viewer").get(url.replace("lang=en", "lang=zh")).data.decode() \
        == "当前账户无权导入数据，因此不能下载导入模板。"
    kiosk = app.server.test_client()
    _info, secret = create_kiosk(site[1].writer, "template-wall")
    assert kiosk.get(f"/kiosk/{secret}").status_code == 303
    assert kiosk.get(url).status_code == 403
    assert signed_in(site, "admin").get(url).status_code == 200


def test_an_unknown_template_is_404(site):
    client = signed_in(site, "operator")
    assert download(client, "leads", "csv", "en").status_code == 404
    assert download(client, "risk-assessments", "ods", "en").status_code == 404
    assert client.get("/data/template/risk-assessments").status_code == 200  # CSV by default


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_links_each_kinds_csv_and_xlsx_template_in_its_language(site, lang):
    layout = page.layout(lang, "/data", who=Principal("user", "operator", id=1, name="o"))
    links = []
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
        elif hasattr(node, "children"):
            if type(node).__name__ == "A" and "/data/template/" in (node.href or ""):
                links.append(node.href)
            stack.append(node.children)
    assert sorted(links) == sorted(f"/data/template/{kind}?format={fmt}&lang={lang}"
                                   for kind in UPLOAD_KINDS for fmt in FORMATS)
    client = signed_in(site, "operator")
    assert all(client.get(href).status_code == 200 for href in links)


@pytest.mark.parametrize("fmt", FORMATS)
def test_codes_a_spreadsheet_would_read_as_formulas_never_reach_a_template(fmt):
    hostile = {"+HYPERLINK(x)": ("T", "V"), "=cmd|'/c calc'!A1": ("T", "V"),
               "-A1": ("T", "V"), "@SUM(1)": ("T", "V"), "Z9": ("T", "V")}
    places = Places(grids=hostile, checkpoints={"=1+1": "T", "CPX": "T"})
    ex = Examples.for_writer(places, None, date(2020, 2, 1))
    assert ex.grids == ("Z9",) and ex.checkpoints == ("CPX",)
    for kind in UPLOAD_KINDS:
        content = template_file(kind, fmt, "en", ex).content
        if fmt == "csv":
            cells = [c for row in csv.reader(io.StringIO(content.decode("utf-8-sig")))
                     for c in row]
        else:
            book = load_workbook(io.BytesIO(content))
            cells = [c.value for sheet in book for row in sheet.iter_rows() for c in row
                     if isinstance(c.value, str)]
        assert not [c for c in cells if c and c[0] in "=+-@"], kind
