"""Compact, columnar transfer of many map points.

20,000 cameras as GeoJSON are ~3 MB; as columns of delta-encoded integers
(coordinates in 1e-5°, about 1 m; times in minutes; sequential ids as numbers)
and small category codes they gzip to well under 200 KB. `assets/map.js`
decodes them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

SCALE = 100_000
_DIGITS = "0123456789"


def _deltas(values: np.ndarray) -> list[int]:
    return np.diff(values.astype(np.int64), prepend=0).tolist()


def _pack_text(values: pd.Series) -> dict:
    """Ids like '380-S000123' share a prefix: send the numbers as deltas, else the strings.
    The number is the trailing run of digits (str.rstrip, not a regular expression: 170,000 ids
    are packed on the first map visit after a change)."""
    strings = values.astype("string").fillna("").tolist()
    prefixes = {text.rstrip(_DIGITS) for text in strings}
    if strings and len(prefixes) == 1:
        prefix = prefixes.pop()
        widths = {len(text) - len(prefix) for text in strings}
        if len(widths) == 1 and widths != {0}:
            numbers = np.array([text[len(prefix):] for text in strings]).astype(np.int64)
            return {"prefix": prefix, "width": widths.pop(), "delta": _deltas(numbers)}
    return {"values": strings}


def pack_points(frame: pd.DataFrame, categories: tuple[str, ...] = (), texts: tuple[str, ...] = (),
                times: tuple[str, ...] = ()) -> dict:
    """Columns of a point frame: lon/lat, category codes, texts and times (epoch minutes, -1 = none)."""
    lon = np.round(frame["lon"].to_numpy(dtype=float) * SCALE)
    lat = np.round(frame["lat"].to_numpy(dtype=float) * SCALE)
    packed = {"n": int(len(frame)), "scale": SCALE, "lon": _deltas(lon), "lat": _deltas(lat),
              "cat": {}, "text": {}, "time": {}}
    for column in categories:
        codes, values = pd.factorize(frame[column].astype("string").fillna(""), sort=True)
        packed["cat"][column] = {"values": [str(v) for v in values], "codes": codes.tolist()}
    for column in texts:
        packed["text"][column] = _pack_text(frame[column])
    for column in times:
        stamps = pd.to_datetime(frame[column], utc=True).dt.tz_localize(None)  # instants, as UTC
        minutes = (stamps.astype("int64") // 60_000_000_000 if stamps.dt.unit == "ns" else
                   stamps.astype("datetime64[s]").astype("int64") // 60)
        packed["time"][column] = _deltas(np.where(stamps.isna(), -1, minutes))
    return packed


def unpack_points(packed: dict) -> pd.DataFrame:
    """The inverse of `pack_points` (tests and server-side consumers)."""
    scale = packed["scale"]
    frame = pd.DataFrame({"lon": np.cumsum(packed["lon"]) / scale, "lat": np.cumsum(packed["lat"]) / scale})
    for column, spec in packed["cat"].items():
        frame[column] = [spec["values"][code] for code in spec["codes"]]
    for column, spec in packed["text"].items():
        if "values" in spec:
            frame[column] = spec["values"]
        else:
            numbers = np.cumsum(spec["delta"])
            frame[column] = [f"{spec['prefix']}{n:0{spec['width']}d}" for n in numbers]
    for column, deltas in packed["time"].items():
        minutes = np.cumsum(deltas)
        frame[column] = pd.to_datetime(np.where(minutes < 0, np.nan, minutes * 60), unit="s", utc=True)
    return frame
