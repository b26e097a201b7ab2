"""English names for places that have only a Chinese one: the stem in Hanyu Pinyin (from the
maintained ``pypinyin``), the kind of place in English.

``english_name("马金镇")`` is ``"Majin Town"``, ``"鼎湖社区第1网格"`` is ``"Dinghu Community
Grid 1"``, ``"开化县"`` is ``"Kaihua County"``: the way the shipped demo's English names are
written, so that an imported region whose files give Chinese names only reads the same in the
English UI. Pinyin is written as one word per name, capitalised, with an apostrophe before a
syllable that starts with a, o or e (``Xi'an``). Text without Chinese characters is kept as it
is. No Dash, no I/O.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

KINDS: tuple[tuple[str, str], ...] = (
    ("自治区", "Autonomous Region"), ("自治州", "Autonomous Prefecture"),
    ("自治县", "Autonomous County"), ("办事处", "Subdistrict"), ("街道", "Subdistrict"),
    ("大酒店", "Hotel"), ("酒店", "Hotel"), ("宾馆", "Hotel"), ("医院", "Hospital"),
    ("居委会", "Community"), ("村委会", "Village"), ("社区", "Community"),
    ("开发区", "Development Zone"), ("工业园", "Industrial Park"),
    ("集中隔离点", "Quarantine Site"), ("隔离点", "Quarantine Site"),
    ("检查站", "Checkpoint"), ("卡口", "Checkpoint"), ("网格", "Grid"),
    ("林场", "Forest Farm"), ("农场", "Farm"), ("小区", "Compound"),
    ("省", "Province"), ("县", "County"), ("市", "City"), ("区", "District"),
    ("镇", "Town"), ("乡", "Township"), ("村", "Village"), ("组", "Group"),
)
"""The kind of place a name ends with, and its English word, longest first where one ends
another (社区 before 区)."""

_NUMBERED = re.compile(r"^(?P<base>.*?)第?(?P<n>\d+)(?:号)?(?P<kind>网格|组|卡口|检查站)$")
"""A numbered part of a place: ``鼎湖社区第1网格``, ``上村3组``, ``大溪边1号卡口``."""

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{_HAN}]")
_RUNS = re.compile(f"[{_HAN}]+|[^{_HAN}]+")


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text or ""))


PLACE_READINGS = {"长": "chang"}
"""Characters read one way in place names whatever ``pypinyin`` picks out of a phrase it does
not know (长桥村 is Changqiao, not Zhangqiao)."""


def _word(run: str) -> str:
    """A run of Chinese characters as one pinyin word: ``开化`` → ``Kaihua``, ``西安`` →
    ``Xi'an``."""
    word = ""
    syllables = lazy_pinyin(run, style=Style.NORMAL)
    if len(syllables) == len(run):  # one syllable per character
        syllables = [PLACE_READINGS.get(ch, syl) for ch, syl in zip(run, syllables, strict=True)]
    for syllable in syllables:
        word += ("'" if word and syllable[:1] in ("a", "o", "e") else "") + syllable
    return word[:1].upper() + word[1:]


def romanise(text: str) -> str:
    """``text`` with each run of Chinese characters as one capitalised pinyin word; other
    characters (digits, Latin letters, punctuation) kept, runs parted by a space."""
    parts = [_word(run) if _CJK.match(run) else run.strip()
             for run in _RUNS.findall(text or "")]
    return " ".join(p for p in parts if p)


@lru_cache(maxsize=65536)
def english_name(name_zh: str) -> str:
    """The English name of a place called ``name_zh``: pinyin and the kind of place."""
    text = (name_zh or "").strip()
    if not has_chinese(text):
        return text
    numbered = _NUMBERED.match(text)
    if numbered and numbered["base"]:
        kind = dict(KINDS)[numbered["kind"]]
        return f"{english_name(numbered['base'])} {kind} {int(numbered['n'])}"
    for zh, en in KINDS:
        if text.endswith(zh) and len(text) > len(zh):
            return f"{romanise(text[:-len(zh)])} {en}"
    return romanise(text)
