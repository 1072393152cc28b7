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
