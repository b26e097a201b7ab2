"""English names from Chinese ones (``gridwatch.names``): pinyin and the kind of place, the way
the demo's names are written, and filled in by the boundary import wherever a file gives a
Chinese name only, so the English UI never shows a Chinese one."""

from __future__ import annotations

import pytest

from gridwatch.ingest.boundaries import import_boundaries
from gridwatch.names import english_name, has_chinese, romanise


@pytest.mark.parametrize("chinese, english", [
    ("马金镇", "Majin Town"),
    ("芹阳办事处", "Qinyang Subdistrict"),
    ("天宁街道", "Tianning Subdistrict"),
    ("长虹乡", "Changhong Township"),
    ("长桥村", "Changqiao Village"),  # 长 in a place name is chang
    ("鼎湖社区第1网格", "Dinghu Community Grid 1"),
    ("上村3组", "Shang Village Group 3"),
    ("开化县", "Kaihua County"),
    ("浙江省", "Zhejiang Province"),
    ("西安", "Xi'an"),  # an apostrophe before a syllable that starts with a vowel
    ("钱江源大酒店", "Qianjiangyuan Hotel"),
    ("G60出口卡口", "G60 Chukou Checkpoint"),
    ("Qinyang", "Qinyang"),
    ("", ""),
])
def test_a_chinese_name_reads_as_pinyin_and_the_kind_of_place(chinese, english):
    assert english_name(chinese) == english
    assert not has_chinese(english_name(chinese))


def test_other_characters_are_kept_between_words():
    assert romanise("城东2区") == "Chengdong 2 Qu"
    assert romanise("A区·北") == "A Qu · Bei"


def test_the_demo_s_place_names_are_written_the_same_way(region):
    """Every township, village, grid, county and neighbour name of the demo: one way of
    writing names, whether the generator or the import wrote them."""
    for layer in ("county", "neighbours", "townships", "villages", "grids"):
        frame = region.layer(layer)
        differ = [(zh, en) for zh, en in zip(frame["name_zh"], frame["name_en"], strict=True)
                  if english_name(zh) != en]
        assert differ == [], layer


def test_an_import_without_english_names_gets_them_in_pinyin_with_a_note(region):
    files = []
    for name in ("townships", "villages", "grids", "checkpoints"):
        frame = region.layer(name).drop(columns="name_en")
        if name == "villages":  # a column with some cells empty
            frame["name_en"] = [""] * 3 + list(region.layer(name)["name_en"].iloc[3:])
        files.append((f"{name}.geojson", frame.to_json(drop_id=True).encode()))
    imported = import_boundaries(files, region)
    assert imported.report.ok
    layers = imported.layers
    for name in ("townships", "villages", "grids"):
        assert list(layers[name]["name_en"]) == list(region.layer(name).set_index("code").loc[
            layers[name]["code"], "name_en"]), name
    assert not any(has_chinese(n) for n in layers["checkpoints"]["name_en"])
    notes = {i.layer: i for i in imported.report.issues if i.key == "names_pinyin"}
    assert set(notes) == {"townships", "villages", "grids", "checkpoints"}
    assert notes["villages"].params["n"] == 3
    assert notes["townships"].params["n"] == 15
    first = region.layer("townships").iloc[0]
    assert notes["townships"].params["example"] == f"{first['name_zh']} → {first['name_en']}"
    assert notes["townships"].message("en").startswith("townships.geojson: 15 features have no "
                                                       "name_en: made from the Chinese names")
