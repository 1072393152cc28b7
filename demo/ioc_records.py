"""Demo records of the IOC database: wards, key locations, cameras, access points,
incidents, citizen reports, sensors and readings.

Stocks (cameras, access points) follow the profile's yearly series so that the
KPI engine, counting from these rows, finds the calibrated figures. Coverage is computed from
positions (`loaders.coverage`): each key location the profile says is covered in a year gets one
camera of that kind, installed that year, a few metres away, while key locations lie more than
the coverage radius apart and every other camera is kept out of every key location's radius, so
the computed coverage is the calibrated one. Every asset's `external_id` is its demo id.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import shapely

from demo.cities import CityProfile
from demo.timegen import add_working_days, any_times, elapsed_fraction, random_dates
from data_access.coverage import pairs_within
from geo.schematic import centre_of, sample_points_in
from loaders.coverage import largest_radius

KEY_LOCATION_CATEGORIES = {
    "intersection": (0.30, "Nút giao"),
    "school": (0.24, "Trường học"),
    "government_office": (0.14, "Trụ sở cơ quan"),
    "market": (0.08, "Chợ"),
    "hospital": (0.06, "Cơ sở y tế"),
    "tourist_site": (0.06, "Điểm du lịch"),
    "park": (0.08, "Công viên, quảng trường"),
    "bus_station": (0.04, "Bến xe"),
}
INCIDENT_CATEGORIES = {
    "traffic_accident": (0.34, "Va chạm giao thông"),
    "public_order": (0.22, "Mất trật tự công cộng"),
    "infrastructure": (0.16, "Hư hỏng hạ tầng đô thị"),
    "flooding": (0.10, "Ngập úng cục bộ"),
    "fire": (0.06, "Cháy, nổ"),
    "environment": (0.12, "Ô nhiễm môi trường"),
}
RESOLUTION_MEDIAN_HOURS = {"traffic_accident": 2, "public_order": 3, "infrastructure": 48,
                           "flooding": 24, "fire": 4, "environment": 36}
SEVERITIES = (("low", 0.5), ("medium", 0.3), ("high", 0.15), ("critical", 0.05))
REPORT_CHANNELS = (("hotline", 0.3), ("app", 0.3), ("portal", 0.2), ("zalo", 0.12), ("in_person", 0.08))
REPORT_CATEGORIES = (("urban_order", 0.25), ("environment", 0.2), ("traffic", 0.18),
                     ("land", 0.12), ("public_service", 0.15), ("other", 0.1))
PROVIDERS = (("VNPT", 0.45), ("Viettel", 0.40), ("FPT", 0.15))
# Share of citizen reports answered within the 15-working-day deadline, when the profile has no
# yearly `reports_in_time_rate` of its own.
REPORTS_IN_TIME_RATE = 93.0


def _choice(rng, pairs, n):
    names = [p[0] for p in pairs]
    weights = np.array([p[1] for p in pairs], dtype=float)
    return rng.choice(names, size=n, p=weights / weights.sum())


def ward_weights(wards: pd.DataFrame) -> np.ndarray:
    """Where things are: in proportion to population."""
    weights = wards["population"].to_numpy(dtype=float)
    return weights / weights.sum()


def points_by_ward(rng, wards: pd.DataFrame, polygons: dict, n: int, weights=None) -> pd.DataFrame:
    """n points spread over wards by weight, each inside its ward's polygon."""
    weights = ward_weights(wards) if weights is None else weights
    counts = rng.multinomial(n, weights)
    frames = []
    for code, count in zip(wards["gso_code"], counts):
        lons, lats = sample_points_in(polygons[code], int(count), rng)
        frames.append(pd.DataFrame({"ward_code": code, "lon": lons, "lat": lats}))
    out = pd.concat(frames, ignore_index=True)
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


def make_wards(rng, profile: CityProfile, ward_list: pd.DataFrame, polygons: dict) -> pd.DataFrame:
    import json

    from geo.schematic import area_km2, to_geojson_geometry

    urban = ward_list["type"].eq("Phường").to_numpy()
    weights = np.where(urban, 1.0, 0.55) * rng.lognormal(0, 0.25, size=len(ward_list))
    population = np.round(profile.population * weights / weights.sum()).astype(int)
    rows = []
    for (code, name, kind), pop in zip(ward_list[["gso_code", "name", "type"]].itertuples(index=False), population):
        polygon = polygons[code]
        lon, lat = centre_of(polygon)
        rows.append({
            "gso_code": code, "city_slug": profile.slug, "name": name, "type": kind,
            "geometry_geojson": json.dumps(to_geojson_geometry(polygon)), "is_schematic": True,
            "area_km2": round(area_km2(polygon), 3), "centre_lon": lon, "centre_lat": lat,
            "population": int(pop), "households": int(round(pop / 3.7)),
        })
    return pd.DataFrame(rows)


def make_key_locations(rng, profile, wards, polygons) -> pd.DataFrame:
    total = int(profile.yearly["key_locations"][2019])
    points = points_by_ward(rng, wards, polygons, total)
    names = list(KEY_LOCATION_CATEGORIES)
    shares = np.array([KEY_LOCATION_CATEGORIES[c][0] for c in names])
    points["category"] = rng.choice(names, size=total, p=shares / shares.sum())
    ward_names = dict(zip(wards["gso_code"], wards["name"]))
    points["name"] = [
        f"{KEY_LOCATION_CATEGORIES[c][1]} {i + 1} – {ward_names[w]}"
        for i, (c, w) in enumerate(zip(points["category"], points["ward_code"]))
    ]
    _spread(points, polygons, largest_radius() + KEY_LOCATION_SPACING_M, rng.spawn(1)[0])
    points["id"] = np.arange(1, total + 1)
    points["external_id"] = [f"{profile.gso_code}-KL{i:04d}" for i in range(1, total + 1)]
    points["city_slug"] = profile.slug
    return points


# Key locations lie at least the coverage radius plus this apart, so that the camera placed a few
# metres from one never covers another; other cameras keep the radius plus CAMERA_CLEARANCE_M away.
KEY_LOCATION_SPACING_M = 40.0
CAMERA_CLEARANCE_M = 20.0
MOVE_ROUNDS = 60


def _resample(rng, points: pd.DataFrame, rows: np.ndarray, polygons: dict) -> None:
    """New positions inside their ward for `rows` of `points` (ward_code, lon, lat)."""
    for code, group in points.loc[rows].groupby("ward_code"):
        lons, lats = sample_points_in(polygons[code], len(group), rng)
        points.loc[group.index, "lon"] = lons
        points.loc[group.index, "lat"] = lats


def _spread(points: pd.DataFrame, polygons: dict, metres: float, rng) -> None:
    """Move key locations until no two lie within `metres` of each other (the later one moves)."""
    for _ in range(MOVE_ROUNDS):
        close = pairs_within((points["lon"], points["lat"]), (points["lon"], points["lat"]), metres)
        movers = np.unique(close.loc[close["left"] < close["right"], "right"].to_numpy())
        if not len(movers):
            return
        _resample(rng, points, points.index[movers], polygons)


def _keep_clear(cameras: pd.DataFrame, key_locations: pd.DataFrame, polygons: dict, metres: float, rng) -> None:
    """Move every camera not placed for a key location until none lies within `metres` of one;
    one that its own ward cannot hold is moved to another ward."""
    free = cameras.index[cameras["key_location_id"].isna()]
    for attempt in range(MOVE_ROUNDS + 1):
        near = pairs_within((cameras.loc[free, "lon"], cameras.loc[free, "lat"]),
                            (key_locations["lon"], key_locations["lat"]), metres)
        movers = free[np.unique(near["left"].to_numpy())]
        if not len(movers):
            return
        if attempt >= MOVE_ROUNDS // 2:
            cameras.loc[movers, "ward_code"] = rng.choice(sorted(polygons), size=len(movers))
        _resample(rng, cameras, movers, polygons)
        free = movers


def _coverage_targets(profile, rate_key: str, total: int, now: datetime) -> dict[int, int]:
    """Key locations covered at the end of each year (interpolated for the current one)."""
    covered, previous = {}, 0
    for year, rate in sorted(profile.yearly[rate_key].items()):
        if year > now.year:
            break
        full = round(rate / 100 * total)
        covered[year] = previous + round((full - previous) * elapsed_fraction(year, now))
        previous = covered[year]
    return covered


def make_cameras(rng, profile, wards, polygons, key_locations, now: datetime) -> pd.DataFrame:
    frames = [
        _cameras_of_kind(rng, profile, wards, polygons, key_locations, now, "security"),
        _cameras_of_kind(rng, profile, wards, polygons, key_locations, now, "traffic"),
    ]
    cameras = pd.concat(frames, ignore_index=True)
    _keep_clear(cameras, key_locations, polygons, largest_radius() + CAMERA_CLEARANCE_M, rng.spawn(1)[0])
    cameras["external_id"] = cameras["id"]
    n = len(cameras)
    cameras["status"] = rng.choice(["online", "offline", "maintenance"], size=n, p=[0.93, 0.05, 0.02])
    hours_ago = np.select(
        [cameras["status"].eq("online"), cameras["status"].eq("offline")],
        [rng.uniform(0, 0.03, n), rng.uniform(1, 240, n)], rng.uniform(24, 120, n))
    cameras["last_seen"] = pd.Series(np.datetime64(now, "s") - (hours_ago * 3600).astype("timedelta64[s]")
                                     ).astype("datetime64[us]")
    cameras["city_slug"] = profile.slug
    return cameras


def _cameras_of_kind(rng, profile, wards, polygons, key_locations, now, kind) -> pd.DataFrame:
    """One kind of camera: stock before 2020, yearly installs, key locations covered."""
    installed = profile.yearly[f"{kind}_installed"]
    batches = [(2019, int(profile.yearly[f"{kind}_stock_before"][2019]))]
    for year, count in sorted(installed.items()):
        if year <= now.year:
            batches.append((year, round(count * elapsed_fraction(year, now))))
    frames = []
    for year, count in batches:
        if year == 2019:
            dates = random_dates(rng, count, date(2015, 1, 1), date(2020, 1, 1))
            owner = rng.choice(["socialised", "city"], size=count, p=[0.8, 0.2])
        else:
            end = min(date(year + 1, 1, 1), now.date())
            dates = random_dates(rng, count, date(year, 1, 1), end)
            city_share = 1.0 if (kind == "security" and year == 2022) else 0.6
            owner = rng.choice(["city", "socialised"], size=count, p=[city_share, 1 - city_share])
        frames.append(pd.DataFrame({"install_year": year, "installed_on": dates, "owner": owner}))
    cameras = pd.concat(frames, ignore_index=True)
    placed = points_by_ward(rng, wards, polygons, len(cameras))
    cameras[["ward_code", "lon", "lat"]] = placed[["ward_code", "lon", "lat"]]
    cameras["key_location_id"] = pd.array([pd.NA] * len(cameras), dtype="Int64")

    rate_key = "key_security_rate" if kind == "security" else "key_traffic_rate"
    order = rng.permutation(len(key_locations))
    if kind == "traffic":
        is_crossing = key_locations["category"].to_numpy()[order] == "intersection"
        order = np.concatenate([order[is_crossing], order[~is_crossing]])
    covered_before = 0
    for year, covered in _coverage_targets(profile, rate_key, len(key_locations), now).items():
        new_locations = key_locations.iloc[order[covered_before:covered]]
        eligible = cameras.index[(cameras["install_year"] <= year) if year == 2020
                                 else cameras["install_year"].eq(year)]
        eligible = eligible[cameras.loc[eligible, "key_location_id"].isna()]
        chosen = rng.choice(eligible, size=len(new_locations), replace=False)
        cameras.loc[chosen, "key_location_id"] = new_locations["id"].to_numpy()
        cameras.loc[chosen, "ward_code"] = new_locations["ward_code"].to_numpy()
        lons, lats = _near(rng, new_locations, polygons)
        cameras.loc[chosen, "lon"] = lons
        cameras.loc[chosen, "lat"] = lats
        covered_before = covered
    letter = "S" if kind == "security" else "T"
    cameras = cameras.sort_values("installed_on", kind="stable").reset_index(drop=True)
    cameras["id"] = [f"{profile.gso_code}-{letter}{i:06d}" for i in range(1, len(cameras) + 1)]
    cameras["kind"] = kind
    return cameras.drop(columns="install_year")


def _near(rng, locations: pd.DataFrame, polygons: dict) -> tuple[np.ndarray, np.ndarray]:
    """Positions a few metres from each location, kept inside the location's ward."""
    lons = locations["lon"].to_numpy() + rng.normal(0, 0.00003, len(locations))
    lats = locations["lat"].to_numpy() + rng.normal(0, 0.00003, len(locations))
    inside = np.array([shapely.contains_xy(polygons[code], x, y)
                       for code, x, y in zip(locations["ward_code"], lons, lats)], dtype=bool)
    return (np.where(inside, lons, locations["lon"].to_numpy()),
            np.where(inside, lats, locations["lat"].to_numpy()))


def make_camera_samples(rng, cameras: pd.DataFrame, now: datetime, days: int = 7) -> pd.DataFrame:
    """Daily status samples for the last `days` days: down since last seen, else mostly online."""
    day_starts = [datetime.combine(now.date() - timedelta(days=d), datetime.min.time())
                  for d in range(days, 0, -1)]
    frames = []
    last_seen = cameras["last_seen"].to_numpy()
    for moment in day_starts:
        down = last_seen < np.datetime64(moment)
        blip = rng.random(len(cameras)) < 0.01
        status = np.where(down, cameras["status"].to_numpy(), np.where(blip, "offline", "online"))
        frames.append(pd.DataFrame({"camera_id": cameras["id"], "sampled_at": pd.Timestamp(moment),
                                    "status": status}))
    out = pd.concat(frames, ignore_index=True)
    out["sampled_at"] = out["sampled_at"].astype("datetime64[us]")
    return out


def make_access_points(rng, profile, wards, polygons, now: datetime) -> pd.DataFrame:
    totals = profile.yearly["access_points"]
    free = profile.yearly["free_wifi"]
    batches = [(2019, round(totals[2020] * 0.9), max(0, free[2020] - 5))]
    previous_total, previous_free = batches[0][1], batches[0][2]
    for year in sorted(totals):
        if year > now.year:
            break
        fraction = elapsed_fraction(year, now)
        total_now = previous_total + round((totals[year] - previous_total) * fraction)
        free_now = previous_free + round((free[year] - previous_free) * fraction)
        batches.append((year, total_now - previous_total, free_now - previous_free))
        previous_total, previous_free = total_now, free_now
    frames = []
    for year, count, free_count in batches:
        start = date(2016, 1, 1) if year == 2019 else date(year, 1, 1)
        end = date(2020, 1, 1) if year == 2019 else min(date(year + 1, 1, 1), now.date())
        kinds = np.array(["free_wifi"] * free_count + ["public_internet_point"] * (count - free_count))
        frames.append(pd.DataFrame({"kind": rng.permutation(kinds),
                                    "installed_on": random_dates(rng, count, start, end)}))
    points = pd.concat(frames, ignore_index=True)
    placed = points_by_ward(rng, wards, polygons, len(points))
    points = pd.concat([points, placed], axis=1)
    n = len(points)
    points["provider"] = _choice(rng, PROVIDERS, n)
    points["status"] = rng.choice(["active", "offline"], size=n, p=[0.97, 0.03])
    points["status_at"] = pd.Series(pd.Timestamp(now), index=points.index).astype("datetime64[us]")  # the list's date
    ward_names = dict(zip(wards["gso_code"], wards["name"]))
    points["name"] = [
        f"{'Wifi miễn phí' if k == 'free_wifi' else 'Điểm truy cập'} {i + 1} – {ward_names[w]}"
        for i, (k, w) in enumerate(zip(points["kind"], points["ward_code"]))]
    points["id"] = [f"{profile.gso_code}-AP{i:05d}" for i in range(1, n + 1)]
    points["external_id"] = points["id"]
    points["city_slug"] = profile.slug
    return points


def _yearly_events(rng, profile, key: str, now: datetime) -> pd.Series:
    stamps = []
    for year, count in sorted(profile.yearly[key].items()):
        if year > now.year:
            break
        n = round(count * elapsed_fraction(year, now))
        stamps.append(any_times(rng, n, datetime(year, 1, 1), min(datetime(year + 1, 1, 1), now)))
    return pd.concat(stamps, ignore_index=True)


def make_incidents(rng, profile, wards, polygons, now: datetime) -> pd.DataFrame:
    reported = _yearly_events(rng, profile, "incidents", now)
    n = len(reported)
    incidents = points_by_ward(rng, wards, polygons, n)
    names = list(INCIDENT_CATEGORIES)
    shares = np.array([INCIDENT_CATEGORIES[c][0] for c in names])
    incidents["category"] = rng.choice(names, size=n, p=shares / shares.sum())
    incidents["severity"] = _choice(rng, SEVERITIES, n)
    incidents["reported_at"] = reported.to_numpy()
    median_hours = incidents["category"].map(RESOLUTION_MEDIAN_HOURS).to_numpy(dtype=float)
    hours = median_hours * rng.lognormal(0, 1.0, size=n)
    resolved = reported + pd.to_timedelta(hours, unit="h")
    still_open = resolved > pd.Timestamp(now)
    incidents["resolved_at"] = resolved.where(~still_open, pd.NaT).astype("datetime64[us]").to_numpy()
    incidents["status"] = np.where(still_open, np.where(hours > 12, "in_progress", "open"), "resolved")
    ward_names = dict(zip(wards["gso_code"], wards["name"]))
    incidents["summary"] = [f"{INCIDENT_CATEGORIES[c][1]} tại {ward_names[w]}"
                            for c, w in zip(incidents["category"], incidents["ward_code"])]
    incidents["city_slug"] = profile.slug
    incidents["id"] = np.arange(1, n + 1)
    return incidents


def make_citizen_reports(rng, profile, wards, now: datetime) -> pd.DataFrame:
    received = _yearly_events(rng, profile, "citizen_reports", now)
    n = len(received)
    due = add_working_days(received, 15)
    span = (due - received).to_numpy()
    in_time_rate = profile.yearly.get("reports_in_time_rate", {})
    in_time_share = received.dt.year.map(lambda year: in_time_rate.get(year, REPORTS_IN_TIME_RATE)).to_numpy() / 100
    fate = rng.random(n)
    answered = np.where(
        fate < in_time_share, received.to_numpy() + (span * rng.uniform(0.1, 0.95, n)).astype("timedelta64[us]"),
        due.to_numpy() + (rng.uniform(1, 10, n) * 86400e6).astype("timedelta64[us]"))
    answered = pd.Series(answered).astype("datetime64[us]")
    not_yet = answered > pd.Timestamp(now)
    answered = answered.where(~not_yet, pd.NaT)
    status = np.where(~not_yet, "answered", np.where(due < pd.Timestamp(now), "overdue", "open"))
    return pd.DataFrame({
        "id": np.arange(1, n + 1), "city_slug": profile.slug,
        "ward_code": rng.choice(wards["gso_code"].to_numpy(), size=n, p=ward_weights(wards)),
        "channel": _choice(rng, REPORT_CHANNELS, n), "category": _choice(rng, REPORT_CATEGORIES, n),
        "received_at": received.to_numpy(), "due_at": due.to_numpy(),
        "answered_at": answered.to_numpy(), "status": status,
    })


def make_sensors(rng, profile, wards, polygons) -> pd.DataFrame:
    air = int(profile.yearly["air_sensors"][2019])
    water = int(profile.yearly["water_sensors"][2019])
    urban = wards[wards["type"].eq("Phường")]
    pool = urban if len(urban) >= 3 else wards
    placed = points_by_ward(rng, pool, polygons, air + water, weights=ward_weights(pool))
    placed["kind"] = ["air"] * air + ["water"] * water
    ward_names = dict(zip(wards["gso_code"], wards["name"]))
    placed["name"] = [f"{'Trạm quan trắc không khí' if k == 'air' else 'Trạm quan trắc nước'} – "
                      f"{ward_names[w]}" for k, w in zip(placed["kind"], placed["ward_code"])]
    placed["id"] = [f"{profile.gso_code}-{'AQ' if k == 'air' else 'WQ'}{i:02d}"
                    for i, k in enumerate(placed["kind"], start=1)]
    placed["external_id"] = placed["id"]
    placed["installed_on"] = date(2019, 6, 1)
    placed["city_slug"] = profile.slug
    return placed


def make_readings(rng, profile, sensors: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """A reading every 6 hours since 2020: PM2.5/PM10 with a dry-season peak; pH, DO, COD."""
    times = pd.date_range(datetime(2020, 1, 1), now, freq="6h").astype("datetime64[us]")
    day_of_year = times.day_of_year.to_numpy()
    years = times.year.to_numpy()
    season = 1 + 0.35 * np.cos(2 * np.pi * (day_of_year - 15) / 365)
    improving = 1 - 0.03 * (years - 2020)
    base = float(profile.yearly["pm25_base"][2019])
    frames = []
    for sensor_id, kind in zip(sensors["id"], sensors["kind"]):
        k = len(times)
        if kind == "air":
            pm25 = base * season * improving * rng.lognormal(0, 0.3, k)
            values = {"pm25": pm25, "pm10": pm25 * rng.normal(1.6, 0.12, k)}
        else:
            values = {"ph": rng.normal(7.2, 0.3, k), "do": rng.normal(5.6, 0.7, k),
                      "cod": np.abs(rng.normal(12, 4, k))}
        for parameter, series in values.items():
            frames.append(pd.DataFrame({"sensor_id": sensor_id, "measured_at": times,
                                        "parameter": parameter, "value": np.round(series, 2)}))
    return pd.concat(frames, ignore_index=True)
