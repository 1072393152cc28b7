"""Component ids used across files: one constant each, never retyped."""

URL = "shell-url"
CITY_SELECT = "shell-city-select"
LANG_SELECT = "shell-lang-select"
THEME_SELECT = "shell-theme-select"
NAV = "shell-nav"
BANNER = "shell-banner"
FOOTER = "shell-footer"
TITLE = "shell-title"
LOGOUT = "shell-logout"
USER_BOX = "shell-user-box"

OVERVIEW_YEAR = "overview-year"
OVERVIEW_YEAR_LABEL = "overview-year-label"
OVERVIEW_HEADING = "overview-heading"
OVERVIEW_CARDS = "overview-cards"
OVERVIEW_MAP = "overview-map"
OVERVIEW_WARDS = "overview-wards"
OVERVIEW_MAP_NOTE = "overview-map-note"
OVERVIEW_LEGEND = "overview-legend"
OVERVIEW_CHARTS = "overview-charts"
OVERVIEW_MESSAGE = "overview-message"

KPI_CARD = "kpi-card"
KPI_VALUE = "kpi-value"
TREND_CHART = "trend-chart"

MAP = "map-map"
MAP_WARDS = "map-wards"
MAP_POINT_LAYER = "map-point-layer"  # pattern: {"type": MAP_POINT_LAYER, "layer": name}
MAP_LAYERS = "map-layers"
MAP_METRIC = "map-metric"
MAP_STATUS = "map-status"
MAP_OWNER = "map-owner"
MAP_PROVIDER = "map-provider"
MAP_AP_KIND = "map-ap-kind"
MAP_WARD = "map-ward"
MAP_WARD_NAMES = "map-ward-names"
MAP_COUNTS = "map-counts"
MAP_COUNTS_STORE = "map-counts-store"
MAP_LEGEND = "map-legend"
MAP_SIDE = "map-side"
MAP_URL_SINK = "map-url-sink"
MAP_TITLE = "map-title"

WARD_BODY = "ward-body"


def period_ids(page: str) -> dict[str, str]:
    """Ids of the shared period controls on one page (kind, period, comparison)."""
    return {"kind": f"{page}-period-kind", "period": f"{page}-period", "to": f"{page}-period-to",
            "compare": f"{page}-compare", "sink": f"{page}-url-sink"}


SERVICES_CARDS = "services-cards"
SERVICES_WARD_CHART = "services-ward-chart"
SERVICES_MONTHLY = "services-monthly"
SERVICES_TABLE = "services-table"
SERVICES_EXPORT = "services-export"  # pattern: {"type": SERVICES_EXPORT, "format": "csv" | "xlsx"}
SERVICES_DOWNLOAD = "services-download"
SERVICES_HEADING = "services-heading"
CHART_SVG = "chart-svg"  # pattern: {"type": CHART_SVG, "graph": graph id}
TARGETS_BODY = "targets-body"
DIGITAL_BODY = "digital-body"
DIGITAL_UNITS = "digital-units"
DIGITAL_UNITS_TITLE = "digital-units-title"
DIGITAL_EXPORT = "digital-export"  # pattern: {"type": DIGITAL_EXPORT, "format": "csv" | "xlsx"}
DIGITAL_DOWNLOAD = "digital-download"

# Display modes: public kiosk, wall (shell-level, any page), presentation.
PUBLIC_BODY = "public-body"
PUBLIC_ROTATE = "public-rotate"
PUBLIC_PANELS = "public-panels"
PUBLIC_SINK = "public-sink"
WALL_BAR = "wall-bar"
WALL_STATE = "wall-state"
WALL_TICK = "wall-tick"
WALL_SINK = "wall-sink"
WALL_BODY = "wall-body"
PRESENT_PERIOD = "present-period"
PRESENT_SLIDES = "present-slides"
PRESENT_DECK = "present-deck"
PRESENT_NAME = "present-name"
PRESENT_SAVE = "present-save"
PRESENT_SAVED = "present-saved"
PRESENT_MESSAGE = "present-message"
PRESENT_PDF = "present-pdf"
PRESENT_DOWNLOAD = "present-download"
PRESENT_PNG = "present-png"  # pattern: {"type": PRESENT_PNG, "index": slide number}
PRESENT_SINK = "present-sink"

# Operations page (/operations): one store per panel holds its data fingerprint.
OPS_INTERVAL = "ops-interval"
OPS_UPDATED = "ops-updated"
OPS_STALE = "ops-stale"
OPS_LAST_GOOD = "ops-last-good"
OPS_VERSION = "ops-version"  # pattern: {"type": OPS_VERSION, "panel": name}
OPS_PANEL = "ops-panel"  # pattern: {"type": OPS_PANEL, "panel": name}
OPS_EVENTS = "ops-events"
OPS_EVENTS_SEEN = "ops-events-seen"
OPS_MAP = "ops-map"
OPS_MAP_MARKERS = "ops-map-markers"
OPS_URGENT_SEEN = "ops-urgent-seen"
OPS_HEADING = "ops-heading"
OPS_TITLE = "ops-title"  # pattern: {"type": OPS_TITLE, "panel": name}

# Import page (/admin/import, admin only): every id starts with "admin-import-".
IMPORT_KPI_UPLOAD = "admin-import-kpi-upload"
IMPORT_KPI_DRY = "admin-import-kpi-dry"
IMPORT_KPI_RUN = "admin-import-kpi-run"
IMPORT_KPI_REPORT = "admin-import-kpi-report"
IMPORT_TEMPLATE = "admin-import-template"  # pattern: {"type": IMPORT_TEMPLATE, "file": "vi" | "en" | "catalog"}
IMPORT_DOWNLOAD = "admin-import-download"
IMPORT_LINEAGE_UPLOAD = "admin-import-lineage-upload"
IMPORT_LINEAGE_DRY = "admin-import-lineage-dry"
IMPORT_LINEAGE_RUN = "admin-import-lineage-run"
IMPORT_LINEAGE_REPORT = "admin-import-lineage-report"
IMPORT_BOUNDARY_UPLOAD = "admin-import-boundary-upload"
IMPORT_BOUNDARY_LEVEL = "admin-import-boundary-level"
IMPORT_BOUNDARY_DRY = "admin-import-boundary-dry"
IMPORT_BOUNDARY_RUN = "admin-import-boundary-run"
IMPORT_BOUNDARY_REPORT = "admin-import-boundary-report"
IMPORT_FILE_NAME = "admin-import-file-name"  # pattern: {"type": IMPORT_FILE_NAME, "upload": upload id}
PRESENT_ORDER = "present-order"
PRESENT_UP = "present-up"  # pattern: {"type": PRESENT_UP, "index": position in the deck}
