"""One typed settings object, read from the environment when the app is created.

Precedence: explicit argument > process environment > ``./.env`` > default.

``Settings(**values)`` is a plain immutable model: it takes the given values, the defaults for
the rest, and never looks at the environment (tests are not affected by a developer's shell).
``Settings.from_env()`` reads ``GRIDWATCH_<NAME>`` variables (and the short aliases
``DATABASE_URL``, ``TILE_URL``) through pydantic-settings and names the variable in any error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    SettingsConfigDict,
)

REPO_ROOT = Path(__file__).resolve().parents[1]

DEFAULT_PALETTE: dict[str, str] = {
    "red": "#e53935",
    "orange": "#fb8c00",
    "yellow": "#fdd835",
    "blue": "#1e88e5",
    "green": "#43a047",
}

ENV_PREFIX = "GRIDWATCH_"
ENV_FILE = ".env"
# Short names also accepted; the GRIDWATCH_ name wins when both are set in the same place.
ENV_ALIASES: dict[str, tuple[str, ...]] = {"database_url": ("DATABASE_URL",),
                                           "tile_url": ("TILE_URL",)}

_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_HINTS = {"bool_parsing": " (use true/false, yes/no, on/off or 1/0)"}


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable, the value and why."""


class Settings(BaseModel):
    """Everything the app can be configured with (immutable).

    Every field maps to an environment variable ``GRIDWATCH_<NAME>`` (upper case); the fields
    in ``ENV_ALIASES`` also answer to a shorter name (``DATABASE_URL``, ``TILE_URL``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str = f"sqlite:///{REPO_ROOT / 'instance' / 'gridwatch.sqlite'}"
    # Connections each engine of a process keeps to a server database (not SQLite).
    db_pool_size: int = Field(5, ge=1, le=100)
    geo_path: Path = REPO_ROOT / "data" / "geo" / "kaihua.gpkg"
    tile_url: str = ""
    tile_attribution: str = ""
    # An offline basemap: a local .mbtiles or .pmtiles file of raster tiles, served by the app
    # itself at /basemap/{z}/{x}/{y}.<format> (gridwatch.basemap, web.tiles); wins over
    # tile_url. Checked when the settings are read.
    basemap_file: Path | None = None
    timezone: str = "Asia/Shanghai"
    default_language: Literal["zh", "en"] = "zh"
    palette: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_PALETTE))
    seed_demo: bool = True
    stale_after_minutes: int = Field(120, ge=0)
    wall_highlight_seconds: int = Field(600, ge=0)
    wall_rotate_seconds: int = Field(20, ge=0)
    wall_poll_seconds: float = Field(1.0, gt=0, allow_inf_nan=False)
    # A chime when the wall enters its alarm state (a grid turned red); off by default, and a
    # wall's browser asks for one click before it may sound (``?sound=on|off`` overrides).
    wall_sound: bool = False
    # A lead's service levels, in minutes after its report (issue 12, gridwatch.leads).
    lead_sla_acknowledge_minutes: int = Field(5, ge=1)
    lead_sla_dispatch_minutes: int = Field(15, ge=1)
    lead_sla_close_minutes: int = Field(60, ge=1)
    # Checkpoint health (issue 12, gridwatch.checkpoints): an hour's count is due this long
    # after the hour; this many overdue in a row is "quiet"; over this share of capacity alerts.
    checkpoint_report_grace_minutes: int = Field(30, ge=0, le=24 * 60)
    checkpoint_quiet_hours: int = Field(3, ge=1, le=72)
    checkpoint_capacity_percent: int = Field(100, ge=1, le=1000)
    # Outbound alerts (gridwatch.notify): a JSON list of channels, each {"name", "kind":
    # "dingtalk" | "wecom" | "email", "url" (webhooks), "secret" (DingTalk signing, optional),
    # "to" (e-mail addresses), "townships" (codes; empty: the whole county)}; e-mail goes
    # through this SMTP server.
    notify_channels: str = ""
    smtp_host: str = ""
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_from: str = "gridwatch@localhost"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    # Trust: who may see what, and for how long (issue 9).
    suppress_below: int = Field(5, ge=1)
    session_idle_minutes: int = Field(60, ge=1)
    session_absolute_hours: int = Field(12, ge=1)
    cookie_secure: bool = False
    max_request_bytes: int = Field(4 * 1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(100 * 1024 * 1024, ge=1024)
    retention_days: int = Field(0, ge=0)
    # The daily briefing pack (gridwatch.export.kept): at this local time (HH:MM, 24-hour)
    # ``python -m gridwatch daily-pack`` makes the pack of the day before and keeps it in the
    # store; empty: no schedule.
    daily_pack_at: str = ""
    # Log lines as text (make run) or one JSON object per line (a log collector).
    log_format: Literal["text", "json"] = "text"
    host: str = "127.0.0.1"
    port: int = Field(8050, ge=1, le=65535)
    debug: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone (e.g. Asia/Shanghai, UTC)") from None
        return value

    @field_validator("daily_pack_at")
    @classmethod
    def _daily_pack_time(cls, value: str) -> str:
        from gridwatch.export.kept import parse_at

        at = parse_at(value)  # a ValueError says what is wrong
        return "" if at is None else at.strftime("%H:%M")

    @field_validator("basemap_file")
    @classmethod
    def _tile_file(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        from gridwatch.basemap import inspect

        inspect(value)  # BasemapError (a ValueError) says what is wrong with the file
        return value

    @field_validator("palette", mode="before")
    @classmethod
    def _palette(cls, value: Any) -> dict[str, str]:
        """A partial override of the default palette: ``"red=#d50000,green=#2e7d32"`` or a dict."""
        if isinstance(value, str):
            pairs = []
            for item in filter(None, (part.strip() for part in value.split(","))):
                key, sep, colour = item.partition("=")
                if not sep:
                    raise ValueError(f"{item!r} is not colour=#rrggbb")
                pairs.append((key.strip(), colour.strip()))
        elif isinstance(value, Mapping):
            pairs = list(value.items())
        else:
            raise ValueError("expected colour=#rrggbb pairs separated by commas")
        palette = dict(DEFAULT_PALETTE)
        for key, colour in pairs:
            if key not in palette:
                raise ValueError(f"unknown colour {key!r} (known: {', '.join(DEFAULT_PALETTE)})")
            if not isinstance(colour, str) or not _COLOUR.fullmatch(colour):
                raise ValueError(f"{key}={colour!r} is not a #rgb or #rrggbb colour")
            palette[key] = colour
        return palette

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``overrides`` (None ignored) over the environment over the defaults.

        The environment is ``env`` if given (then nothing else is read), else the process
        environment over a ``.env`` file in the current directory. Raises ``SettingsError``.
        """
        unknown = sorted(set(overrides) - set(cls.model_fields))
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(unknown)}")
        given = {name: value for name, value in overrides.items() if value is not None}
        found, origins = _read_environment(env)
        origins.update({name: (name, " (argument)") for name in given})
        try:
            return cls(**{**found, **given})
        except ValidationError as exc:
            raise SettingsError(_describe(exc, origins)) from None

    @classmethod
    def from_env_or_exit(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """``from_env``, but a bad setting ends the process with its message (no traceback)."""
        try:
            return cls.from_env(env, **overrides)
        except SettingsError as exc:
            raise SystemExit(f"gridwatch: {exc}") from None


def env_names(name: str) -> tuple[str, ...]:
    """The environment variables of field ``name``, the winning one first."""
    return (f"{ENV_PREFIX}{name.upper()}", *ENV_ALIASES.get(name, ()))


class _EnvironmentBase(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=ENV_FILE,
                                      env_file_encoding="utf-8", env_ignore_empty=True,
                                      dotenv_filtering="only_existing", extra="ignore")


def _raw_field(name: str) -> tuple[Any, Any]:
    alias = AliasChoices(*env_names(name)) if name in ENV_ALIASES else None
    return (str | None, Field(None, validation_alias=alias))


# The raw text of every setting (validated by Settings, not here), read by pydantic-settings.
_Environment: type[BaseSettings] = create_model(
    "_Environment", __base__=_EnvironmentBase,
    **{name: _raw_field(name) for name in Settings.model_fields})


class _MappingSource(EnvSettingsSource):
    """The environment source over a given mapping instead of ``os.environ``."""

    def __init__(self, settings_cls: type[BaseSettings], mapping: Mapping[str, str]) -> None:
        self._mapping = dict(mapping)
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key if self.case_sensitive else key.lower(): value
                for key, value in self._mapping.items()
                if not (self.env_ignore_empty and value == "")}


def _read_environment(
        env: Mapping[str, str] | None) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """The raw values found for each field, and where each came from (for error messages).

    A source wins as a whole over the next one (the process environment over ``.env``, even
    when one uses the alias and the other the GRIDWATCH_ name); inside one source the
    GRIDWATCH_ name wins over the alias.
    """
    if env is not None:
        sources = [("", _MappingSource(_Environment, env))]
    else:
        sources = [("", EnvSettingsSource(_Environment)),
                   (f" (in ./{ENV_FILE})", DotEnvSettingsSource(_Environment))]
    values: dict[str, str] = {}
    origins: dict[str, tuple[str, str]] = {}
    for where, source in sources:
        data = source()  # keyed by field name, or by the alias that matched
        for name in Settings.model_fields:
            if name in values:
                continue
            for key in (name, *env_names(name)):
                if data.get(key) not in (None, ""):
                    values[name] = data[key]
                    variable = env_names(name)[0] if key == name else key
                    origins[name] = (variable, where)
                    break
    return values, origins


def _describe(exc: ValidationError, origins: Mapping[str, tuple[str, str]]) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        name = str(error["loc"][0]) if error["loc"] else ""
        variable, where = origins.get(name, (name, ""))
        why = error["msg"].removeprefix("Value error, ") + _HINTS.get(error["type"], "")
        problems.append(f"{variable}={error['input']!r}{where}: {why}")
    if len(problems) == 1:
        return f"invalid setting {problems[0]}"
    return "invalid settings:\n  " + "\n  ".join(problems)
