"""Every component ID in the app, in one place."""

from enum import StrEnum


class ID(StrEnum):
    # shell
    URL = "url"
    PAGE = "page"
    LANG = "lang-store"
    # analyst: header and filters
    PAGE_URL = "page-url"
    AS_OF_LABEL = "as-of-label"
    LANG_LINK = "lang-link"
    PROBLEMS = "url-problems"
    FILTERS = "filters-store"
    LEVEL = "filter-level"
    TOWNSHIP = "filter-township"
    COLOUR = "filter-colour"
    DATE = "filter-date"
    PREV_DAY = "filter-prev-day"
    NEXT_DAY = "filter-next-day"
    LATEST_DAY = "filter-latest-day"
    RESET = "filter-reset"
    FILTER_SUMMARY = "filter-summary"
    # map
    MAP = "map"
    NEIGHBOURS = "layer-neighbours"
    COUNTY = "layer-county"
    TOWNSHIPS = "layer-townships"
    GRIDS = "layer-grids"
    CHECKPOINTS = "layer-checkpoints"
    QUARANTINE = "layer-quarantine"
    TOWNSHIP_LABELS = "layer-township-labels"
    LEGEND = "map-legend"
    # KPIs, charts, table, detail
    KPIS = "kpis"
    TASK_CHART = "chart-tasks"
    CHECKPOINT_CHART = "chart-checkpoints"
    CHECKPOINT_PICK = "chart-checkpoints-pick"
    COLOUR_CHART = "chart-colours"
    TASK_CSV = "chart-tasks-csv"
    CHECKPOINT_CSV = "chart-checkpoints-csv"
    COLOUR_CSV = "chart-colours-csv"
    CHART_DOWNLOAD = "chart-download"
    GRID_TABLE = "grid-table"
    GRID_TABLE_COUNT = "grid-table-count"
    GRID_CSV = "grid-table-csv"
    DETAIL = "grid-detail"
    DETAIL_GRID = "grid-detail-code"
    DETAIL_CLOSE = "grid-detail-close"
    DETAIL_FILTER = "grid-detail-filter"
    VERSION_POLL = "version-poll"
    VERSION = "data-version"
    FOOTER_VERSION = "footer-version"
    # -- wall ids --
    # -- export ids --
    # -- ingest ids --
