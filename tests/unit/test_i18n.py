"""One message catalogue, complete in both languages, and every key used exists."""

import re
from pathlib import Path

from gridwatch.i18n import LANGUAGES, MESSAGES, duration, t

ROOT = Path(__file__).resolve().parents[2]


def test_every_message_exists_in_every_language():
    for key, entry in MESSAGES.items():
        for lang in LANGUAGES:
            assert entry.get(lang), f"{key} has no {lang} text"


def test_placeholders_match_between_languages():
    for key, entry in MESSAGES.items():
        fields = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in entry.items()}
        assert fields["zh"] == fields["en"], key


def test_every_literal_key_in_the_code_is_in_the_catalogue():
    pattern = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z_.0-9-]+)["']""")
    used = set()
    for folder in ("layouts", "callbacks", "gridwatch", "web"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "the pattern found no keys: the test would pass vacuously"
    assert used - MESSAGES.keys() == set()


def test_values_fill_in():
    assert t("app.as_of", "zh", day="2020-02-01") == "数据截至 2020-02-01"
    assert t("app.as_of", "en", day="2020-02-01") == "Data as of 2020-02-01"


def test_durations_read_naturally():
    assert duration(25, "zh") == "25分钟"
    assert duration(185, "en") == "3 h 5 min"
    assert duration(3 * 1440 + 120, "zh") == "3天2小时"
    assert duration(None, "en") == "—"
