"""One typed settings object, read from the environment when the app is created.

Precedence: explicit argument > environment variable > default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

DEFAULT_PALETTE: dict[str, str] = {
    "red": "#e53935",
    "orange": "#fb8c00",
    "yellow": "#fdd835",
    "blue": "#1e88e5",
    "green": "#43a047",
}


@dataclass(frozen=True)
class Settings:
    """Everything the app can be configured with.

    Every field maps to an environment variable ``GRIDWATCH_<NAME>`` (upper case); the few
    listed in ``_ENV_ALIASES`` also answer to a shorter name (``DATABASE_URL``, ``TILE_URL``).
    """

    database_url: str = f"sqlite:///{REPO_ROOT / 'instance' / 'gridwatch.sqlite'}"
    geo_path: Path = REPO_ROOT / "data" / "geo" / "kaihua.gpkg"
    tile_url: str = ""
    tile_attribution: str = ""
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh"
    palette: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PALETTE))
    seed_demo: bool = True
    stale_after_minutes: int = 120
    wall_highlight_seconds: int = 600
    wall_rotate_seconds: int = 20
    wall_poll_seconds: float = 1.0
    host: str = "127.0.0.1"
    port: int = 8050
    debug: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> Settings:
        """Build settings from ``env`` (default ``os.environ``), then apply ``overrides``."""
        env = dict(os.environ if env is None else env)
        values: dict = {}
        for f in fields(cls):
            names = [f"GRIDWATCH_{f.name.upper()}", *_ENV_ALIASES.get(f.name, ())]
            raw = next((env[n] for n in names if env.get(n) not in (None, "")), None)
            if raw is not None:
                values[f.name] = _parse(f.name, raw)
        settings = cls(**values)
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **clean) if clean else settings


_ENV_ALIASES = {"database_url": ("DATABASE_URL",), "tile_url": ("TILE_URL",)}


def _parse(name: str, raw: str):
    if name in {"seed_demo", "debug"}:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if name in {"port", "stale_after_minutes", "wall_highlight_seconds", "wall_rotate_seconds"}:
        return int(raw)
    if name == "wall_poll_seconds":
        return float(raw)
    if name == "geo_path":
        return Path(raw)
    if name == "palette":
        # "red=#ff0000,orange=#..." overrides part of the default palette.
        palette = dict(DEFAULT_PALETTE)
        for pair in raw.split(","):
            key, _, value = pair.partition("=")
            if key.strip() not in palette:
                raise ValueError(f"GRIDWATCH_PALETTE: unknown colour {key.strip()!r}")
            palette[key.strip()] = value.strip()
        return palette
    return raw
