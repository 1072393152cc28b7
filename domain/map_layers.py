"""The map's layers, filters and choropleth metrics, declared once as data.

Every consumer reads this registry: the queries (`data_access/map_layers.py`,
each layer names its query in `source`), the point API (`/api/v1/map`, columns
and role), the URL state (`components/map_state.py`), the page (`pages/map.py`)
and, through a JSON the page hands it, the browser (`assets/map.js`: colours,
clustering, popups, filters). Labels are given in Vietnamese and English and
reach the one catalog (`domain/i18n.py` merges `catalog_text()`); popup field
labels and enum values are catalog keys, so popups follow the language.

Adding a layer means one `PointLayer` here, and a query in
`data_access/map_layers.py` if none of the existing ones answers it.
"""
from __future__ import annotations

from dataclasses import dataclass

# How a popup shows a column's value.
PLAIN = "plain"  # as sent
ENUM = "enum"  # translated through the catalog: key = prefix + value
WARD = "ward"  # a ward code shown as the ward's name
TIME = "time"  # a timestamp
YES_NO = "yes_no"  # "1" → yes, anything else → no
SHOW = (PLAIN, ENUM, WARD, TIME, YES_NO)

# Level needed to see a layer, as named by security/policy.py (LEVELS); the whole map needs "dashboard".
DASHBOARD = "dashboard"


@dataclass(frozen=True)
class Swatch:
    """One value of a colour-by column, its colour and its legend label (a catalog key)."""
    value: str
    colour: str  # "#rrggbb"
    label: str


@dataclass(frozen=True)
class ColourBy:
    """Points coloured by the value of one column (a value without a swatch: the layer's colour)."""
    column: str
    swatches: tuple[Swatch, ...]


@dataclass(frozen=True)
class PopupField:
    """One row of a point's popup: a column, its label (a catalog key) and how its value is shown."""
    column: str
    label: str
    show: str = PLAIN
    prefix: str = ""  # catalog prefix of an ENUM column's values, e.g. "status."


@dataclass(frozen=True)
class PointLayer:
    """A layer of points: where they come from, what is sent, how they are drawn, filtered and popped up."""
    name: str
    label: tuple[str, str]  # (vi, en) → catalog key map.layer.<name>
    source: str  # the query in data_access/map_layers.py
    source_args: tuple[str, ...] = ()  # arguments of the query after the city
    categories: tuple[str, ...] = ()  # columns sent as category codes
    texts: tuple[str, ...] = ()  # columns sent as texts
    times: tuple[str, ...] = ()  # columns sent as times
    colour: str = "#334155"
    colour_by: ColourBy | None = None
    clustered: bool = False
    radius: int = 5  # circle radius of an unclustered point, px
    # A clustered layer's ring shows the share of points whose alert column holds one of the alert values.
    alert_column: str | None = None
    alert_values: tuple[str, ...] = ()
    popup: tuple[PopupField, ...] = ()
    filters: tuple[tuple[str, str], ...] = ()  # (filter name, the layer's column it tests)
    access: str = DASHBOARD
    shown_by_default: bool = False
    ward_column: str = "ward_code"  # every layer can be narrowed to one ward

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.categories, *self.texts, *self.times)


@dataclass(frozen=True)
class Filter:
    """A checklist of the map page; layers say which of their columns it tests (`PointLayer.filters`)."""
    name: str  # also the URL parameter
    values: tuple[str, ...]
    heading: str  # catalog key
    option_prefix: str = ""  # catalog prefix of the option labels; "" shows values as they are


# How a metric is computed (see Metric).
RATIO, RATE, COUNT = "ratio", "rate", "count"


@dataclass(frozen=True)
class Metric:
    """A choropleth metric computed from one row of `ward_metrics`.

    RATIO: numerator ÷ denominator × scale, no value when the denominator is missing or ≤ 0.
    RATE: a percentage (domain.formulas.rate), no value when the denominator is missing.
    COUNT: the numerator itself.
    """
    name: str
    label: tuple[str, str]  # (vi, en) → catalog key map.metric.<name>
    kind: str
    numerator: str
    denominator: str | None = None
    scale: float = 1.0
    unit: str = ""  # for domain.formatting.format_value: "%" a percentage, "" a number (the label names it)


FILTERS: tuple[Filter, ...] = (
    Filter("status", ("online", "offline", "maintenance"), "map.camera_status", "status."),
    Filter("owner", ("city", "socialised"), "map.owner", "owner."),
    Filter("provider", ("VNPT", "Viettel", "FPT"), "map.provider"),
    Filter("ap_kind", ("free_wifi", "public_internet_point"), "map.ap_kind", "ap."),
)

_ID = PopupField("id", "popup.id")
_WARD = PopupField("ward_code", "popup.ward", WARD)
# What the security and traffic camera layers share (one query, `kind` as its argument).
_CAMERA = {
    "source": "camera_points",
    "categories": ("status", "owner", "ward_code"), "texts": ("id",), "times": ("last_seen",),
    "colour_by": ColourBy("status", (Swatch("online", "#16a34a", "status.online"),
                                     Swatch("offline", "#dc2626", "status.offline"),
                                     Swatch("maintenance", "#f59e0b", "status.maintenance"))),
    "clustered": True,
    "alert_column": "status", "alert_values": ("offline", "maintenance"),
    "popup": (_ID, PopupField("status", "popup.status", ENUM, "status."),
              PopupField("owner", "popup.owner", ENUM, "owner."),
              PopupField("last_seen", "popup.last_seen", TIME), _WARD),
    "filters": (("status", "status"), ("owner", "owner")),
}

POINT_LAYERS: tuple[PointLayer, ...] = (
    PointLayer("security", ("Camera an ninh", "Security cameras"), source_args=("security",),
               colour="#1d4ed8", shown_by_default=True, **_CAMERA),
    PointLayer("traffic", ("Camera giao thông", "Traffic cameras"), source_args=("traffic",),
               colour="#7c3aed", **_CAMERA),
    PointLayer(
        "wifi", ("Điểm truy cập Internet", "Internet access points"), "access_point_points",
        categories=("kind", "provider", "status", "ward_code"), texts=("id",),
        colour="#0891b2", clustered=True, shown_by_default=True,
        colour_by=ColourBy("kind", (Swatch("public_internet_point", "#0891b2", "ap.public_internet_point"),
                                    Swatch("free_wifi", "#db2777", "ap.free_wifi"))),
        alert_column="status", alert_values=("offline",),
        popup=(_ID, PopupField("kind", "popup.kind", ENUM, "ap."), PopupField("provider", "popup.provider"),
               PopupField("status", "popup.status", ENUM, "popup.ap_status."), _WARD),
        filters=(("provider", "provider"), ("ap_kind", "kind")),
    ),
    PointLayer(
        "key_locations", ("Điểm trọng yếu", "Key locations"), "key_location_points",
        categories=("category", "ward_code", "security", "traffic", "covered"), texts=("name",),
        colour="#dc2626", radius=6,
        colour_by=ColourBy("covered", (Swatch("1", "#16a34a", "map.key_covered"),
                                       Swatch("0", "#dc2626", "map.key_uncovered"))),
        popup=(PopupField("name", "popup.location"), PopupField("category", "popup.kind", ENUM, "popup.key_category."),
               PopupField("security", "popup.security_camera", YES_NO),
               PopupField("traffic", "popup.traffic_camera", YES_NO), _WARD),
    ),
    PointLayer(
        "incidents", ("Sự cố đang mở", "Open incidents"), "open_incident_points",
        categories=("category", "severity", "status", "ward_code"), texts=("id",), times=("reported_at",),
        colour="#dc2626", radius=8,
        popup=(PopupField("category", "popup.incident", ENUM, "ops.category."),
               PopupField("severity", "popup.severity", ENUM, "ops.severity."),
               PopupField("status", "popup.status", ENUM, "popup.incident_status."),
               PopupField("reported_at", "popup.reported_at", TIME), _WARD),
    ),
    PointLayer(
        "sensors", ("Trạm quan trắc", "Monitoring stations"), "sensor_points",
        categories=("kind", "ward_code"), texts=("id", "name"), colour="#059669",
        popup=(PopupField("name", "popup.station"), PopupField("kind", "popup.kind", ENUM, "popup.sensor_kind."),
               _WARD),
    ),
)

METRICS: tuple[Metric, ...] = (
    Metric("camera_density", ("Camera an ninh/km²", "Security cameras per km²"), RATIO, "cameras", "area_km2"),
    Metric("ap_per_1000_households", ("Điểm truy cập/1.000 hộ", "Access points per 1,000 households"), RATIO,
           "access_points", "households", scale=1000),
    Metric("key_location_coverage", ("% điểm trọng yếu có camera", "% key locations with cameras"), RATE,
           "key_covered", "key_locations", unit="%"),
    Metric("online_dossier_rate", ("% hồ sơ nộp trực tuyến", "% dossiers submitted online"), RATE,
           "online", "received", unit="%"),
    Metric("open_incidents", ("Sự cố đang mở", "Open incidents"), COUNT, "open_incidents"),
)


def point_layer(name: str) -> PointLayer:
    """The layer called `name`; KeyError when there is none."""
    for layer in POINT_LAYERS:
        if layer.name == name:
            return layer
    raise KeyError(name)


def metric(name: str) -> Metric:
    """The metric called `name`; KeyError when there is none."""
    for item in METRICS:
        if item.name == name:
            return item
    raise KeyError(name)


def catalog_text() -> dict[str, tuple[str, str]]:
    """The labels declared here, keyed as the catalog knows them (map.layer.<name>, map.metric.<name>)."""
    return {**{f"map.layer.{layer.name}": layer.label for layer in POINT_LAYERS},
            **{f"map.metric.{item.name}": item.label for item in METRICS}}
