"""The map's shareable state in the URL (`/map?layers=security,wifi&metric=...`).

Parsing never fails: unknown or hostile values are dropped and reported as a
notice, so a mangled link still opens a working map.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from urllib.parse import urlencode

LAYERS = ("wards", "security", "traffic", "wifi", "key_locations", "incidents", "sensors")
METRICS = ("camera_density", "ap_per_1000_households", "key_location_coverage", "online_dossier_rate",
           "open_incidents")
CAMERA_STATUSES = ("online", "offline", "maintenance")
OWNERS = ("city", "socialised")
PROVIDERS = ("VNPT", "Viettel", "FPT")
AP_KINDS = ("free_wifi", "public_internet_point")
MAX_VALUE_LENGTH = 200

LIST_FIELDS = {"layers": LAYERS, "status": CAMERA_STATUSES, "owner": OWNERS, "provider": PROVIDERS,
               "ap_kind": AP_KINDS}
DEFAULT_LAYERS = ("wards", "security", "wifi")


@dataclass
class MapState:
    layers: list[str] = field(default_factory=lambda: list(DEFAULT_LAYERS))
    metric: str = "camera_density"
    status: list[str] = field(default_factory=lambda: list(CAMERA_STATUSES))
    owner: list[str] = field(default_factory=lambda: list(OWNERS))
    provider: list[str] = field(default_factory=lambda: list(PROVIDERS))
    ap_kind: list[str] = field(default_factory=lambda: list(AP_KINDS))
    ward: str | None = None


def _one(query: dict, name: str) -> str | None:
    value = query.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    return str(value)[:MAX_VALUE_LENGTH]


def parse_map_state(query: dict, ward_codes: set[str]) -> tuple[MapState, list[str]]:
    """State from URL query values; the notices name what was ignored."""
    state, notices = MapState(), []
    for name, allowed in LIST_FIELDS.items():
        raw = _one(query, name)
        if raw is None:
            continue
        items = [item.strip() for item in raw.split(",") if item.strip()]
        kept = [item for item in dict.fromkeys(items) if item in allowed]
        dropped = [item for item in items if item not in allowed]
        if dropped:
            notices.append(f"{name}: {', '.join(d[:30] for d in dropped[:5])}")
        if kept or not items:
            setattr(state, name, kept)
    metric = _one(query, "metric")
    if metric is not None:
        if metric in METRICS:
            state.metric = metric
        else:
            notices.append(f"metric: {metric[:30]}")
    ward = _one(query, "ward")
    if ward is not None:
        if ward in ward_codes:
            state.ward = ward
        else:
            notices.append(f"ward: {ward[:30]}")
    return state, notices


def state_query(state: MapState) -> str:
    """The query string that restores `state` (defaults left out)."""
    default = asdict(MapState())
    values = {}
    for name, value in asdict(state).items():
        if value == default[name] or value is None:
            continue
        values[name] = ",".join(value) if isinstance(value, list) else value
    return urlencode(values, safe=",")
