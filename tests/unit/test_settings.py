"""Settings: argument > process environment > ./.env > default; errors name the variable."""

from pathlib import Path

import pytest

from gridwatch.settings import DEFAULT_PALETTE, REPO_ROOT, Settings, SettingsError

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No GRIDWATCH_/alias variables in the process environment, and a cwd without .env."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"GRIDWATCH_{name.upper()}", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("TILE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults():
    s = Settings.from_env({})
    assert s.port == 8050 and s.host == "127.0.0.1" and s.debug is False
    assert s.default_language == "zh" and s.timezone == "Asia/Shanghai"
    assert s.tile_url == "" and s.tile_attribution == "" and s.seed_demo is True
    assert s.palette == DEFAULT_PALETTE
    assert s.geo_path == REPO_ROOT / "data" / "geo" / "kaihua.gpkg"
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("gridwatch.sqlite")
    assert (s.stale_after_minutes, s.wall_highlight_seconds, s.wall_rotate_seconds,
            s.wall_poll_seconds) == (120, 600, 20, 1.0)
    assert Settings.from_env({}) == Settings()


def test_plain_construction_ignores_the_environment_and_dotenv(clean_env, tmp_path):
    clean_env.setenv("GRIDWATCH_PORT", "9999")
    clean_env.setenv("DATABASE_URL", "sqlite:////elsewhere.sqlite")
    (tmp_path / ".env").write_text("GRIDWATCH_DEBUG=true\n")
    s = Settings(geo_path=tmp_path / "region.gpkg")
    assert s.port == 8050 and s.debug is False and s.database_url == Settings().database_url
    assert s.geo_path == tmp_path / "region.gpkg"


def test_the_environment_overrides_defaults():
    env = {"GRIDWATCH_PORT": "9000", "GRIDWATCH_GEO_PATH": "/tmp/region.gpkg",
           "GRIDWATCH_SEED_DEMO": "false", "GRIDWATCH_DEBUG": "yes",
           "GRIDWATCH_WALL_POLL_SECONDS": "0.5", "GRIDWATCH_DEFAULT_LANGUAGE": "en",
           "GRIDWATCH_TIMEZONE": "Europe/Berlin", "GRIDWATCH_PALETTE": "red=#d50000, green=#2e7"}
    s = Settings.from_env(env)
    assert s.port == 9000 and s.geo_path == Path("/tmp/region.gpkg")
    assert s.seed_demo is False and s.debug is True and s.wall_poll_seconds == 0.5
    assert s.default_language == "en" and s.timezone == "Europe/Berlin"
    assert s.palette == {**DEFAULT_PALETTE, "red": "#d50000", "green": "#2e7"}


def test_arguments_override_the_environment_and_none_arguments_are_ignored():
    env = {"GRIDWATCH_PORT": "9000", "GRIDWATCH_HOST": "0.0.0.0"}
    s = Settings.from_env(env, port=8123, host=None, debug=None)
    assert s.port == 8123 and s.host == "0.0.0.0" and s.debug is False
    assert Settings.from_env({}, database_url="sqlite:////tmp/a.sqlite").database_url == \
        "sqlite:////tmp/a.sqlite"


def test_short_aliases_and_the_gridwatch_name_wins_over_them():
    env = {"DATABASE_URL": "sqlite:////tmp/x.sqlite", "TILE_URL": "http://tiles/{z}/{x}/{y}.png"}
    s = Settings.from_env(env)
    assert s.database_url == "sqlite:////tmp/x.sqlite" and s.tile_url.startswith("http://tiles")
    both = {**env, "GRIDWATCH_DATABASE_URL": "sqlite:////tmp/y.sqlite",
            "GRIDWATCH_TILE_URL": "http://local/{z}/{x}/{y}.png"}
    s = Settings.from_env(both)
    assert s.database_url == "sqlite:////tmp/y.sqlite" and s.tile_url.startswith("http://local")


def test_empty_values_mean_the_default():
    env = {"GRIDWATCH_PORT": "", "GRIDWATCH_PALETTE": "", "GRIDWATCH_SEED_DEMO": "",
           "GRIDWATCH_DATABASE_URL": "", "DATABASE_URL": "sqlite:////tmp/alias.sqlite"}
    s = Settings.from_env(env)
    assert s.port == 8050 and s.palette == DEFAULT_PALETTE and s.seed_demo is True
    assert s.database_url == "sqlite:////tmp/alias.sqlite"  # an empty GRIDWATCH_ name is unset


def test_the_process_environment_is_read_when_no_env_is_given(clean_env):
    clean_env.setenv("GRIDWATCH_PORT", "9100")
    clean_env.setenv("TILE_URL", "http://t/{z}/{x}/{y}.png")
    s = Settings.from_env()
    assert s.port == 9100 and s.tile_url == "http://t/{z}/{x}/{y}.png"
    assert Settings.from_env(port=9200).port == 9200
    # A given env replaces the process environment entirely.
    assert Settings.from_env({}).port == 8050


def test_dotenv_in_the_working_directory_is_read_and_the_environment_beats_it(clean_env,
                                                                              tmp_path):
    (tmp_path / ".env").write_text(
        "# copied from .env.example\n"
        "GRIDWATCH_PORT=9300\n"
        "GRIDWATCH_HOST=0.0.0.0\n"
        "GRIDWATCH_DATABASE_URL=sqlite:///from-dotenv.sqlite\n"
        "GRIDWATCH_TILE_URL=\n"
        'GRIDWATCH_PALETTE="red=#d50000"\n')
    s = Settings.from_env()
    assert s.port == 9300 and s.host == "0.0.0.0" and s.palette["red"] == "#d50000"
    assert s.database_url == "sqlite:///from-dotenv.sqlite" and s.tile_url == ""

    clean_env.setenv("GRIDWATCH_PORT", "9400")
    clean_env.setenv("DATABASE_URL", "sqlite:///from-environment.sqlite")
    s = Settings.from_env()
    assert s.port == 9400 and s.host == "0.0.0.0"
    # The process environment wins even through the short alias over .env's GRIDWATCH_ name.
    assert s.database_url == "sqlite:///from-environment.sqlite"
    assert Settings.from_env(port=9500).port == 9500
    # An explicit env mapping reads neither os.environ nor .env.
    assert Settings.from_env({"GRIDWATCH_DEBUG": "1"}).port == 8050


def test_a_bad_value_in_dotenv_says_so(clean_env, tmp_path):
    (tmp_path / ".env").write_text("GRIDWATCH_PORT=eighty\n")
    with pytest.raises(SettingsError, match=r"GRIDWATCH_PORT='eighty' \(in \./\.env\)"):
        Settings.from_env()


@pytest.mark.parametrize(("variable", "value", "why"), [
    ("GRIDWATCH_PORT", "abc", "valid integer"),
    ("GRIDWATCH_PORT", "0", "greater than or equal to 1"),
    ("GRIDWATCH_PORT", "70000", "less than or equal to 65535"),
    ("GRIDWATCH_STALE_AFTER_MINUTES", "-5", "greater than or equal to 0"),
    ("GRIDWATCH_WALL_HIGHLIGHT_SECONDS", "10m", "valid integer"),
    ("GRIDWATCH_WALL_ROTATE_SECONDS", "-1", "greater than or equal to 0"),
    ("GRIDWATCH_WALL_POLL_SECONDS", "fast", "valid number"),
    ("GRIDWATCH_WALL_POLL_SECONDS", "0", "greater than 0"),
    ("GRIDWATCH_SEED_DEMO", "maybe", "valid boolean"),
    ("GRIDWATCH_DEBUG", "2", "valid boolean"),
    ("GRIDWATCH_TIMEZONE", "Mars/Olympus", "IANA time zone"),
    ("GRIDWATCH_DEFAULT_LANGUAGE", "fr", "'zh' or 'en'"),
    ("GRIDWATCH_PALETTE", "purple=#800080", "unknown colour 'purple'"),
    ("GRIDWATCH_PALETTE", "red=crimson", "#rgb or #rrggbb"),
    ("GRIDWATCH_PALETTE", "red", "colour=#rrggbb"),
])
def test_a_bad_value_names_the_variable_the_value_and_why(variable, value, why):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({variable: value})
    message = str(caught.value)
    assert f"{variable}={value!r}" in message and why in message
    assert "\n" not in message and "pydantic" not in message  # one clear line


def test_a_bad_argument_is_named_as_an_argument():
    with pytest.raises(SettingsError, match=r"port=70000 \(argument\)"):
        Settings.from_env({"GRIDWATCH_PORT": "9000"}, port=70000)


def test_several_bad_values_are_all_reported():
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"GRIDWATCH_PORT": "x", "GRIDWATCH_DEFAULT_LANGUAGE": "de"})
    assert "GRIDWATCH_PORT='x'" in str(caught.value)
    assert "GRIDWATCH_DEFAULT_LANGUAGE='de'" in str(caught.value)


def test_a_bad_setting_exits_with_the_message_and_no_traceback():
    with pytest.raises(SystemExit) as caught:
        Settings.from_env_or_exit({"GRIDWATCH_TIMEZONE": "Nowhere"})
    assert "GRIDWATCH_TIMEZONE='Nowhere'" in str(caught.value.code)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_settings_are_immutable_and_validated_on_plain_construction():
    s = Settings()
    with pytest.raises(ValueError, match="frozen"):
        s.port = 1  # type: ignore[misc]
    with pytest.raises(ValueError, match="zh"):
        Settings(default_language="fr")
    with pytest.raises(ValueError, match="Extra inputs"):
        Settings(unknown_setting=1)  # type: ignore[call-arg]


def test_every_setting_is_documented_in_env_example():
    example = EXAMPLE.read_text()
    for name in Settings.model_fields:
        assert f"\nGRIDWATCH_{name.upper()}=" in example, name


def test_env_example_as_dotenv_gives_valid_settings(clean_env, tmp_path):
    (tmp_path / ".env").write_text(EXAMPLE.read_text())
    s = Settings.from_env()
    assert s.port == 8050 and s.default_language == "zh" and s.palette == DEFAULT_PALETTE
    assert s.database_url == "sqlite:///instance/gridwatch.sqlite"
