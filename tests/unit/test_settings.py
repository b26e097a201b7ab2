"""Settings: argument > environment > default."""

from pathlib import Path

import pytest

from gridwatch.settings import DEFAULT_PALETTE, Settings


def test_defaults():
    s = Settings.from_env({})
    assert s.port == 8050 and s.default_language == "zh" and s.tile_url == ""
    assert s.palette == DEFAULT_PALETTE


def test_environment_overrides_defaults_and_arguments_override_environment():
    env = {"GRIDWATCH_PORT": "9000", "DATABASE_URL": "sqlite:////tmp/x.sqlite",
           "GRIDWATCH_GEO_PATH": "/tmp/region.gpkg", "TILE_URL": "http://tiles/{z}/{x}/{y}.png",
           "GRIDWATCH_SEED_DEMO": "false", "GRIDWATCH_PALETTE": "red=#d50000"}
    s = Settings.from_env(env)
    assert s.port == 9000 and s.database_url == "sqlite:////tmp/x.sqlite"
    assert s.geo_path == Path("/tmp/region.gpkg") and s.tile_url.startswith("http://tiles")
    assert s.seed_demo is False
    assert s.palette["red"] == "#d50000" and s.palette["green"] == DEFAULT_PALETTE["green"]
    assert Settings.from_env(env, port=8123).port == 8123
    assert Settings.from_env(env, port=None).port == 9000


def test_an_unknown_palette_colour_is_refused():
    with pytest.raises(ValueError, match="purple"):
        Settings.from_env({"GRIDWATCH_PALETTE": "purple=#800080"})


def test_every_setting_is_documented_in_env_example():
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    for name in Settings.__dataclass_fields__:
        assert f"GRIDWATCH_{name.upper()}=" in example, name
