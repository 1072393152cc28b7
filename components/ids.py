"""Component ids used across files: one constant each, never retyped."""

URL = "shell-url"
PAGES_LOCATION = "_pages_location"  # Dash's router: setting its pathname or search draws that page
CITY_SELECT = "shell-city-select"
CITY_MEMORY = "shell-city-memory"  # the city chosen, as the city cookie keeps it (components/shell.py)
LANG_SELECT = "shell-lang-select"
THEME_SELECT = "shell-theme-select"
NAV = "shell-nav"
NAV_SOURCE = "shell-nav-source"  # the links in the language, before they carry the tab's period
BANNER = "shell-banner"
FOOTER = "shell-footer"
TITLE = "shell-title"
LOGOUT = "shell-logout"
USER_BOX = "shell-user-box"
HEADER = "shell-header"
MENU_TOGGLE = "shell-menu-toggle"  # the phone's navigation menu button
MENU_LABEL = "shell-menu-label"
# The period chosen in this browser tab, {"period": "2022-Q3", "compare": "last_year"}, for every page.
PERIOD_STORE = "shell-period-store"
PERIOD_FROM_URL = "period-from-url"  # pattern: {"type": PERIOD_FROM_URL, "page": page}: what the address gave
PERIOD_CHOICES = "period-choices"  # pattern: {"type": PERIOD_CHOICES, "page": the period select's id}
PERIOD_TO_LABEL = "period-to-label"  # pattern: {"type": PERIOD_TO_LABEL, "page": the period select's id}

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
# A registry filter's checklist: this prefix + its name with "-" for "_" (map-status ... map-ap-kind above).
MAP_FILTER_PREFIX = "map-"
MAP_CONFIG = "map-config"  # the layer registry as JSON for assets/map.js, in the current language
MAP_LANG = "map-lang"  # the language the map page's texts are in (a language switch translates it in place)
MAP_HEADING_PREFIX = "map-heading-"  # + a control's name: the headings of the map's controls
MAP_NOTICE = "map-notice"  # what the address asked that the map ignored
MAP_NOTICES = "map-notices"  # store: the ignored values, to say again in another language
MAP_CITY = "map-city"  # a city whose map the browser asks for: the shell's, when not the one drawn
MAP_WARD = "map-ward"
MAP_COUNTS = "map-counts"
MAP_LEGEND = "map-legend"
MAP_SIDE = "map-side"
MAP_URL_SINK = "map-url-sink"
MAP_PREFETCH = "map-prefetch"  # store the layer prefetch writes nothing to (a callback needs an output on the page)
MAP_TITLE = "map-title"

WARD_BODY = "ward-body"
WARD_INCIDENTS_GRID = "ward-incidents-table"

# Data grids (components/grid.py): a grid is {"type": GRID, "name": name}, its quick filter
# {"type": GRID_QUICK_FILTER, "name": name}, both inside a box whose id is the name itself; a grid
# drawn before its rows also holds {"type": GRID_SHAPE, "name": name}, its columns and paging as sent.
GRID = "grid"
GRID_QUICK_FILTER = "grid-quick-filter"
GRID_SHAPE = "grid-shape"


def period_ids(page: str) -> dict[str, str]:
    """Ids of the shared period controls on one page (kind, period, comparison)."""
    return {"kind": f"{page}-period-kind", "period": f"{page}-period", "to": f"{page}-period-to",
            "compare": f"{page}-compare", "sink": f"{page}-url-sink"}


SERVICES_CARDS = "services-cards"
SERVICES_WARD_CHART = "services-ward-chart"
SERVICES_MONTHLY = "services-monthly"
SERVICES_TABLE_NOTE = "services-table-note"
SERVICES_EXPORT = "services-export"  # pattern: {"type": SERVICES_EXPORT, "format": "csv" | "xlsx"}
SERVICES_DOWNLOAD = "services-download"
SERVICES_HEADING = "services-heading"
SERVICES_WARD_GRID = "services-ward-table"
SERVICES_DRAWN = "services-drawn"  # what the charts and the ward table show (pages/services.py)
CHART_SVG = "chart-svg"  # pattern: {"type": CHART_SVG, "graph": graph id}
TARGETS_BODY = "targets-body"
DIGITAL_BODY = "digital-body"
DIGITAL_UNITS = "digital-units"
DIGITAL_UNITS_TITLE = "digital-units-title"
DIGITAL_EXPORT = "digital-export"  # pattern: {"type": DIGITAL_EXPORT, "format": "csv" | "xlsx"}
DIGITAL_DOWNLOAD = "digital-download"
DIGITAL_UNIT_GRID = "digital-unit-table"

# Display modes: public kiosk, wall (shell-level, any page), presentation.
PUBLIC_BODY = "public-body"
PUBLIC_ROTATE = "public-rotate"
PUBLIC_PANELS = "public-panels"
PUBLIC_SINK = "public-sink"
WALL_BAR = "wall-bar"
WALL_STATE = "wall-state"
WALL_ASK = "wall-ask"  # what the wall bar is asked with (components/shell.WALL_GATE_JS)
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
PRESENT_JOB = "present-job"  # the signed ticket of the export job asked for
PRESENT_JOB_BOX = "present-job-box"
PRESENT_PROGRESS = "present-progress"
PRESENT_PROGRESS_TEXT = "present-progress-text"
PRESENT_CANCEL = "present-cancel"

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
IMPORT_ASSET_UPLOAD = "admin-import-asset-upload"
IMPORT_ASSET_KIND = "admin-import-asset-kind"
IMPORT_ASSET_CRS = "admin-import-asset-crs"
IMPORT_ASSET_RETIRE = "admin-import-asset-retire"
IMPORT_ASSET_DRY = "admin-import-asset-dry"
IMPORT_ASSET_RUN = "admin-import-asset-run"
IMPORT_JOB = "admin-import-job"  # pattern: {"type": IMPORT_JOB, "import": kpi|lineage|boundary|asset}, its ticket
IMPORT_PROGRESS = "admin-import-progress"  # pattern: the running import's step
IMPORT_ASSET_REPORT = "admin-import-asset-report"
# Data quality of the imported assets (/admin/quality, admin only): the import family's prefix.
QUALITY_DAYS = "admin-import-quality-days"
QUALITY_BODY = "admin-import-quality-body"
QUALITY_EXPORT = "admin-import-quality-export"  # pattern: {"type": QUALITY_EXPORT, "table": name, "format": ...}
QUALITY_DOWNLOAD = "admin-import-quality-download"
# Administration (/admin, admin only): its grids.
ADMIN_USERS_GRID = "admin-users-table"
ADMIN_AUDIT_GRID = "admin-audit-table"
ADMIN_SESSIONS_GRID = "admin-sessions-table"
PRESENT_ORDER = "present-order"
PRESENT_UP = "present-up"  # pattern: {"type": PRESENT_UP, "index": position in the deck}
CALENDAR_DAY = "calendar-day"
CALENDAR_KIND = "calendar-kind"
CALENDAR_NOTE = "calendar-note"
CALENDAR_RECORD = "calendar-record"
CALENDAR_REMOVE = "calendar-remove"  # pattern: {"type": CALENDAR_REMOVE, "day": "2031-03-10"}
CALENDAR_RESULT = "calendar-result"
CALENDAR_BODY = "calendar-body"
# API tokens (/admin/tokens, admin only): every id starts with "admin-tokens-".
TOKENS_BODY = "admin-tokens-body"  # pattern: {"type": TOKENS_BODY, "part": "heading" | "intro" | "table"}
TOKENS_NAME = "admin-tokens-name"
TOKENS_SCOPES = "admin-tokens-scopes"
TOKENS_EXPIRES = "admin-tokens-expires"
TOKENS_CREATE = "admin-tokens-create"
TOKENS_REVOKE = "admin-tokens-revoke"  # pattern: {"type": TOKENS_REVOKE, "name": token name}
TOKENS_RESULT = "admin-tokens-result"
# Alert rule editor (/admin/alert-rules, admin only): every id starts with "admin-alert-rules-".
RULE_EDITOR_LIST = "admin-alert-rules-list"
RULE_EDITOR_GRID = "admin-alert-rules-table"
RULE_EDITOR_PICK = "admin-alert-rules-pick"
RULE_EDITOR_NEW = "admin-alert-rules-new"
RULE_EDITOR_EDITING = "admin-alert-rules-editing"  # the id of the rule in the form (None: a new one)
RULE_EDITOR_FIELD = "admin-alert-rules-field"  # pattern: {"type": RULE_EDITOR_FIELD, "field": rule column}
RULE_EDITOR_ROW = "admin-alert-rules-row"  # pattern: the field's label, input and problems
RULE_EDITOR_ERROR = "admin-alert-rules-error"  # pattern: the field's problems
RULE_EDITOR_SAVE = "admin-alert-rules-save"
RULE_EDITOR_DISABLE = "admin-alert-rules-disable"
RULE_EDITOR_DELETE = "admin-alert-rules-delete"
RULE_EDITOR_RESULT = "admin-alert-rules-result"
# Alerts (/alerts) and the header's count of open alerts (components/shell.py).
ALERT_BADGE = "shell-alert-badge"
ALERT_TICK = "shell-alert-tick"
ALERTS_STATUS = "alerts-status"
ALERTS_SEVERITY = "alerts-severity"
ALERTS_KIND = "alerts-kind"
ALERTS_TABLE = "alerts-table"
ALERTS_PICK = "alerts-pick"
ALERTS_NOTE = "alerts-note"
ALERTS_ACK = "alerts-ack"
ALERTS_SNOOZE_HOURS = "alerts-snooze-hours"
ALERTS_SNOOZE = "alerts-snooze"
ALERTS_RESULT = "alerts-result"
ALERTS_INTERVAL = "alerts-interval"
ALERTS_FOCUS = "alerts-focus"  # the alert a link (/alerts?alert=ID) points at
ALERTS_NOTICE = "alerts-notice"
WALL_ALERTS = "wall-alerts"  # the wall bar's panel of the city's open alerts
PUBLIC_ALERTS = "public-alerts"  # the kiosk's air-quality warnings (PUBLIC_AIR_ALERTS)
PUBLIC_ALERTS_TICK = "public-alerts-tick"
