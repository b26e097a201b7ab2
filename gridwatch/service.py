"""The data source handed to the web layer: settings, the store and the region, nothing global."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine

from gridwatch.geo.layers import Region, load_region
from gridwatch.ingest.boundary_versions import active_region_path
from gridwatch.metrics import Frames, load_frames
from gridwatch.settings import Settings
from gridwatch.store.db import data_version, is_empty, make_engine, migrate

log = logging.getLogger(__name__)


@dataclass
class DataSource:
    """Read access to one deployment's region file and store."""

    settings: Settings
    engine: Engine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.settings.database_url)

    def region(self) -> Region:
        """The active boundary version's region, or the settings' region file when none is."""
        return load_region(active_region_path(self.engine, self.settings)
                           or self.settings.geo_path)

    def frames(self) -> Frames:
        return load_frames(self.engine, self.settings.timezone)

    def version(self) -> str:
        """Changes whenever the store or the region file changes."""
        return f"{data_version(self.engine)}-{self.region().fingerprint}"

    def prepare(self) -> None:
        """Migrate the schema; seed the demo history if the store is empty and seeding is on.

        An existing store is never overwritten.
        """
        migrate(self.engine)
        if self.settings.seed_demo and is_empty(self.engine):
            from gridwatch.simulate import seed_store

            log.info("seeding the demo store at %s", self.settings.database_url)
            seed_store(self.engine, self.region())
