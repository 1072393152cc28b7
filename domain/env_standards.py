"""Air and water quality against the Vietnamese national standards, as pure functions.

- Air quality index: VN_AQI of the Viet Nam Environment Administration's technical
  guidance (Decision 1459/QĐ-TCMT, 2019): the daily index of each pollutant is a
  linear interpolation between breakpoints of its 24-hour mean, the station's index
  is the highest of them.
- Air limits: QCVN 05:2023/BTNMT, 24-hour means of PM2.5 ≤ 50 µg/m³ and PM10 ≤ 100 µg/m³.
- Surface water: QCVN 08:2023/BTNMT, Table 2 classes A (best) to D for pH, dissolved
  oxygen (DO) and COD; a station takes the worst class of its parameters.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

AIR_STANDARD = "QCVN 05:2023/BTNMT"
AQI_METHOD = "Quyết định 1459/QĐ-TCMT"
WATER_STANDARD = "QCVN 08:2023/BTNMT"

AQI_BREAKS = (0, 50, 100, 150, 200, 300, 400, 500)
POLLUTANT_BREAKS = {
    "pm25": (0, 25, 50, 80, 150, 250, 350, 500),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
}
AIR_LIMITS_24H = {"pm25": 50.0, "pm10": 100.0}


@dataclass(frozen=True)
class AqiBand:
    code: str
    upper: int
    colour: str
    icon: str


# Colours of the guidance; the icon lets the band read without colour (greyscale, colour-blind).
AQI_BANDS = (
    AqiBand("good", 50, "#00e400", "●"),
    AqiBand("moderate", 100, "#ffff00", "◐"),
    AqiBand("poor", 150, "#ff7e00", "▲"),
    AqiBand("bad", 200, "#ff0000", "◆"),
    AqiBand("very_bad", 300, "#8f3f97", "✖"),
    AqiBand("hazardous", 500, "#7e0023", "☠"),
)

WATER_CLASSES = ("A", "B", "C", "D")
_PH_RANGES = {"A": (6.5, 8.5), "B": (6.0, 8.5), "C": (6.0, 8.5)}
_DO_MIN = {"A": 6.0, "B": 5.0, "C": 4.0}
_COD_MAX = {"A": 10.0, "B": 15.0, "C": 20.0}


def _valid(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value >= 0


def pollutant_aqi(parameter: str, mean_24h: float | None) -> int | None:
    """Daily sub-index of one pollutant; None without a usable mean. Above the last
    breakpoint the index is capped at 500 (the scale's end)."""
    if not _valid(mean_24h):
        return None
    breaks = POLLUTANT_BREAKS[parameter]
    if mean_24h >= breaks[-1]:
        return AQI_BREAKS[-1]
    for i in range(len(breaks) - 1):
        low, high = breaks[i], breaks[i + 1]
        if mean_24h <= high:
            value = (AQI_BREAKS[i + 1] - AQI_BREAKS[i]) / (high - low) * (mean_24h - low) + AQI_BREAKS[i]
            return int(Decimal(str(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return AQI_BREAKS[-1]


def station_aqi(means_24h: dict[str, float | None]) -> int | None:
    """The station's VN_AQI: the highest sub-index of the pollutants it measures."""
    values = [pollutant_aqi(p, v) for p, v in means_24h.items() if p in POLLUTANT_BREAKS]
    values = [v for v in values if v is not None]
    return max(values) if values else None


def aqi_band(aqi: int | None) -> AqiBand | None:
    if aqi is None:
        return None
    return next(band for band in AQI_BANDS if aqi <= band.upper or band is AQI_BANDS[-1])


def air_exceedances(means_24h: dict[str, float | None]) -> list[str]:
    """Pollutants whose 24-hour mean is above the QCVN 05:2023/BTNMT limit."""
    return [p for p, limit in AIR_LIMITS_24H.items() if _valid(means_24h.get(p)) and means_24h[p] > limit]


def water_parameter_class(parameter: str, value: float | None) -> str | None:
    """QCVN 08:2023/BTNMT class (A best … D) of one parameter's value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    for grade in WATER_CLASSES[:-1]:
        if parameter == "ph":
            low, high = _PH_RANGES[grade]
            if low <= value <= high:
                return grade
        elif parameter == "do":
            if value >= _DO_MIN[grade]:
                return grade
        elif parameter == "cod":
            if value <= _COD_MAX[grade]:
                return grade
        else:
            raise ValueError(f"no QCVN 08:2023 class for parameter {parameter!r}")
    return "D"


def water_class(means: dict[str, float | None]) -> str | None:
    """The station's class: the worst class of its measured parameters."""
    grades = [water_parameter_class(p, v) for p, v in means.items() if p in ("ph", "do", "cod")]
    grades = [g for g in grades if g is not None]
    return max(grades, key=WATER_CLASSES.index) if grades else None
