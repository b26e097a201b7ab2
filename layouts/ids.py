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
    HOTSPOTS = "layer-hotspots"
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
    GRID_TABLE_DIGEST = "grid-table-digest"  # which rows the table holds (not sent twice)
    GRID_CSV = "grid-table-csv"
    DETAIL = "grid-detail"
    DETAIL_GRID = "grid-detail-code"
    DETAIL_CONTEXT = "grid-detail-context"  # the filters and version, while a grid is open
    DETAIL_CLOSE = "grid-detail-close"
    DETAIL_FILTER = "grid-detail-filter"
    LEAD_TABLE = "lead-table"  # the lead register
    LEAD_COUNT = "lead-table-count"
    LEAD_AS_OF = "lead-as-of"  # the instant the clocks show
    LEAD_CLOCK = "lead-clock"  # ticks while the chosen day runs (the clocks run)
    LEAD_TIMELINE = "lead-timeline"
    LEAD_CHOSEN = "lead-chosen"  # {"code": ...} of the lead whose timeline is open
    LEAD_CONTEXT = "lead-context"  # the filters and version, while a lead is open
    CHECKPOINT_ALERTS = "checkpoint-alerts"  # the alert list (gridwatch.checkpoints)
    CHECKPOINT_ALERT_COUNT = "checkpoint-alert-count"
    CHECKPOINT_ALERT_AS_OF = "checkpoint-alert-as-of"
    DIRECTIVE_TABLE = "directive-table"  # the register of orders and notices
    DIRECTIVE_COUNT = "directive-count"
    DIRECTIVE_SEARCH = "directive-search"
    DIRECTIVE_CHOSEN = "directive-chosen"  # {"code": ref} of the one whose detail is open
    DIRECTIVE_DETAIL = "directive-detail"
    FIGURES = "headline-figures"  # the article's figures up to the day's instant
    PROXY = "proxy-panel"  # the red proxy's figures and townships (gridwatch.proxy)
    PROXY_AS_OF = "proxy-as-of"
    INSPECTION = "inspection-panel"  # the inspection teams' findings (gridwatch.inspection)
    INSPECTION_AS_OF = "inspection-as-of"
    RINGS = "rings-panel"  # the six rings per township (gridwatch.rings)
    RINGS_AS_OF = "rings-as-of"
    VERSION_POLL = "version-poll"
    VERSION = "data-version"
    FOOTER_VERSION = "footer-version"
    # -- wall ids --
    WALL = "wall"
    WALL_TICK = "wall-tick"
    WALL_HEALTH = "wall-health"
    WALL_LIVE = "wall-live"
    WALL_CLOCK_TICK = "wall-clock-tick"
    WALL_CLOCK = "wall-clock"
    WALL_AS_OF = "wall-as-of"
    WALL_BANNER = "wall-banner"
    WALL_CONFIG = "wall-config"
    WALL_SEEN = "wall-seen"
    WALL_KPIS = "wall-kpis"
    WALL_CHANGES = "wall-changes"
    WALL_TICKER = "wall-ticker"
    WALL_ROTATE = "wall-rotate"
    WALL_STEP = "wall-step"
    WALL_PANEL = "wall-panel"
    WALL_PANEL_TITLE = "wall-panel-title"
    WALL_PANEL_STEP = "wall-panel-step"
    WALL_LEGEND = "wall-legend"
    WALL_MAP = "wall-map"
    WALL_NEIGHBOURS = "wall-layer-neighbours"
    WALL_GRIDS = "wall-layer-grids"
    WALL_TOWNSHIPS = "wall-layer-townships"
    WALL_COUNTY = "wall-layer-county"
    WALL_CHECKPOINTS = "wall-layer-checkpoints"
    WALL_QUARANTINE = "wall-layer-quarantine"
    WALL_LABELS = "wall-layer-township-labels"
    WALL_HOTSPOTS = "wall-layer-hotspots"
    WALL_ALARM = "wall-alarm"
    # -- export ids --
    EXPORT_TITLE = "export-title"
    EXPORT_FORMAT = "export-format"
    EXPORT_PAPER = "export-paper"
    EXPORT_ORIENTATION = "export-orientation"
    EXPORT_EXTENT = "export-extent"
    EXPORT_DOWNLOAD = "export-download"
    EXPORT_PACK = "export-pack"
    # -- ingest ids --
    BOUNDARY_FILE = "boundary-file"
    BOUNDARY_REPORT = "boundary-report"
    BOUNDARY_MAP = "boundary-map"
    BOUNDARY_CURRENT = "boundary-current"
    BOUNDARY_TOWNSHIPS = "boundary-townships"
    BOUNDARY_GRIDS = "boundary-grids"
    BOUNDARY_ACTIVATE = "boundary-activate"
    BOUNDARY_RESULT = "boundary-result"
    BOUNDARY_VERSIONS = "boundary-versions"
    BOUNDARY_REACTIVATE = "boundary-reactivate"
    UPLOAD_KIND = "upload-kind"
    UPLOAD_FILE = "upload-file"
    UPLOAD_REPORT = "upload-report"
    UPLOAD_COMMIT = "upload-commit"
    UPLOAD_RESULT = "upload-result"
