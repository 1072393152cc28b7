"""Demo records of the KPI database: procedures, dossiers, e-documents, meetings,
observations and targets.

Each yearly count and rate of the profile is met exactly (late dossiers,
digitised dossiers, signed documents and electronic meetings are drawn as exact
numbers, not probabilities), so computing the KPIs back gives the profile's
figures.
"""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from demo.cities import CityProfile
from demo.timegen import add_working_days, elapsed_fraction, random_dates, working_times, year_bounds

FIELDS = ("Đất đai", "Hộ tịch", "Xây dựng", "Kinh doanh", "Lao động - Thương binh và Xã hội",
          "Văn hóa", "Giáo dục", "Y tế", "Tài nguyên và Môi trường", "Giao thông")
ISSUING_UNITS = ("Văn phòng HĐND và UBND", "Phòng Nội vụ", "Phòng Tài chính - Kế hoạch",
                 "Phòng Quản lý đô thị", "Phòng Tài nguyên và Môi trường", "Phòng Văn hóa và Thông tin",
                 "Phòng Giáo dục và Đào tạo", "Phòng Y tế", "Phòng Tư pháp", "Phòng Kinh tế",
                 "Phòng Lao động - TB&XH", "Thanh tra thành phố")
MEETING_TITLES = ("Họp giao ban tuần", "Hội nghị trực tuyến với phường, xã", "Họp chuyên đề chuyển đổi số",
                  "Họp UBND thường kỳ", "Hội nghị sơ kết quý")


def _year_counts(profile: CityProfile, key: str, now: datetime) -> list[tuple[int, int]]:
    """(year, count) for each year up to now, the current year pro rata."""
    return [(year, round(value * elapsed_fraction(year, now)))
            for year, value in sorted(profile.yearly[key].items()) if year <= now.year]


def _exact_flags(rng, n: int, true_count: int) -> np.ndarray:
    flags = np.zeros(n, dtype=bool)
    flags[rng.choice(n, size=min(n, max(0, true_count)), replace=False)] = True
    return flags


def _stock_increments(profile, key: str, now: datetime) -> list[tuple[int, int]]:
    """New items per year so that the cumulative count matches the year-end stock."""
    out, previous = [], 0
    for year, stock in sorted(profile.yearly[key].items()):
        if year > now.year:
            break
        current = previous + round((stock - previous) * elapsed_fraction(year, now))
        out.append((year, current - previous))
        previous = current
    return out


def make_procedures(rng, profile: CityProfile, now: datetime) -> pd.DataFrame:
    frames = []
    for year, count in _stock_increments(profile, "procedures_total", now):
        start = date(2016, 1, 1) if year == 2020 else date(year, 1, 1)
        end = min(date(year + 1, 1, 1), now.date())
        frames.append(pd.DataFrame({"active_from": random_dates(rng, count, start, end)}))
    procedures = pd.concat(frames, ignore_index=True)
    n = len(procedures)
    procedures["online_from"] = pd.Series([None] * n, dtype=object)
    for year, count in _stock_increments(profile, "procedures_online", now):
        year_end = min(date(year + 1, 1, 1), now.date())
        candidates = procedures.index[procedures["online_from"].isna()
                                      & (procedures["active_from"] < year_end)]
        chosen = rng.choice(candidates, size=count, replace=False)
        start = date(2018, 1, 1) if year == 2020 else date(year, 1, 1)
        for index in chosen:
            first = max(start, procedures.at[index, "active_from"])
            span = max(1, (year_end - first).days)
            procedures.at[index, "online_from"] = first + pd.Timedelta(days=int(rng.integers(0, span)))
    online = procedures["online_from"].notna().to_numpy()
    level4 = rng.random(n) < 0.45
    procedures["online_level"] = np.where(online, np.where(level4, 4, 3), 2)
    procedures["field"] = rng.choice(FIELDS, size=n)
    procedures["id"] = np.arange(1, n + 1)
    procedures["code"] = [f"{profile.gso_code}.TTHC.{i:04d}" for i in range(1, n + 1)]
    procedures["name"] = [f"Thủ tục {f.lower()} số {i}" for i, f in zip(procedures["id"], procedures["field"])]
    procedures["city_slug"] = profile.slug
    return procedures


def _pick_procedures(rng, procedures: pd.DataFrame, received: pd.Series, levels: list[int]) -> np.ndarray:
    """A procedure for each dossier, among those active (and online at `levels`) by then."""
    year_start = received.min().date()
    mask = procedures["active_from"] <= year_start
    if levels != [2]:
        mask &= procedures["online_from"].notna() & procedures["online_level"].isin(levels)
        mask &= procedures["online_from"].map(lambda d: d is not None and d <= year_start)
    pool = procedures.loc[mask, "id"].to_numpy()
    if len(pool) == 0:
        pool = procedures.loc[procedures["online_level"].isin(levels), "id"].to_numpy()
    return rng.choice(pool, size=len(received))


def make_dossiers(rng, profile: CityProfile, procedures, wards: pd.DataFrame, now: datetime) -> pd.DataFrame:
    weights = wards["population"].to_numpy(dtype=float)
    weights /= weights.sum()
    frames = []
    totals = dict(_year_counts(profile, "dossiers_total", now))
    for year, total in totals.items():
        fraction = elapsed_fraction(year, now)
        start, end = year_bounds(year, now)
        n3 = round(profile.yearly["level3"][year] * fraction)
        n4 = round(profile.yearly["level4"][year] * fraction)
        parts = []
        for level, count, late in ((3, n3, profile.yearly["level3_late"][year]),
                                   (4, n4, profile.yearly["level4_late"][year]),
                                   (None, total - n3 - n4, None)):
            received = working_times(rng, count, start, end)
            if late is None:
                late = round(count * profile.yearly["offline_late_rate"][year] / 100)
            part = pd.DataFrame({"received_at": received, "level": level,
                                 "channel": "offline" if level is None else "online",
                                 "late": _exact_flags(rng, count, round(late * min(1, fraction * 1.2)))})
            part["procedure_id"] = _pick_procedures(rng, procedures, received, [2, 3, 4] if level is None
                                                    else ([3, 4] if level == 3 else [4]))
            parts.append(part)
        year_frame = pd.concat(parts, ignore_index=True)
        year_frame["digitised"] = _exact_flags(
            rng, len(year_frame), round(len(year_frame) * profile.yearly["digitised_rate"][year] / 100))
        frames.append(year_frame)
    dossiers = pd.concat(frames, ignore_index=True)
    n = len(dossiers)
    days_allowed = rng.choice([3, 5, 7, 10, 15], size=n, p=[0.25, 0.3, 0.2, 0.15, 0.1])
    dossiers["promised_at"] = add_working_days(dossiers["received_at"], days_allowed)
    span = (dossiers["promised_at"] - dossiers["received_at"]).to_numpy()
    on_time = dossiers["received_at"].to_numpy() + (span * rng.uniform(0.2, 0.95, n)).astype("timedelta64[us]")
    late = dossiers["promised_at"].to_numpy() + (rng.uniform(1, 6, n) * 86400e6).astype("timedelta64[us]")
    finished = pd.Series(np.where(dossiers["late"].to_numpy(), late, on_time)).astype("datetime64[us]")
    dossiers["finished_at"] = finished.where(finished <= pd.Timestamp(now), pd.NaT)
    dossiers["fee_required"] = rng.random(n) < 0.35
    dossiers["paid_online"] = dossiers["fee_required"] & dossiers["level"].eq(4).fillna(False).to_numpy()
    dossiers["level"] = dossiers["level"].astype("Int64")
    dossiers["ward_code"] = rng.choice(wards["gso_code"].to_numpy(), size=n, p=weights)
    dossiers["city_slug"] = profile.slug
    dossiers["id"] = np.arange(1, n + 1)
    return dossiers.drop(columns="late")


def make_documents(rng, profile: CityProfile, now: datetime) -> pd.DataFrame:
    frames = []
    for year, count in _year_counts(profile, "documents", now):
        start, end = year_bounds(year, now)
        signed = _exact_flags(rng, count, round(count * profile.yearly["documents_signed_rate"][year] / 100))
        leader_missing = rng.random(count) < 0.7
        frames.append(pd.DataFrame({
            "sent_at": working_times(rng, count, start, end),
            "signed_by_organisation": signed | leader_missing,
            "signed_by_leader": signed,
        }))
    documents = pd.concat(frames, ignore_index=True)
    documents["issuing_unit"] = rng.choice(ISSUING_UNITS, size=len(documents))
    documents["city_slug"] = profile.slug
    documents["id"] = np.arange(1, len(documents) + 1)
    return documents


def make_meetings(rng, profile: CityProfile, wards: pd.DataFrame, now: datetime) -> pd.DataFrame:
    frames = []
    for year, count in _year_counts(profile, "meetings", now):
        start, end = year_bounds(year, now)
        rate = profile.yearly["meetings_electronic_rate"][year]
        frames.append(pd.DataFrame({
            "held_on": working_times(rng, count, start, end).dt.date,
            "electronic": _exact_flags(rng, count, round(count * rate / 100)),
        }))
    meetings = pd.concat(frames, ignore_index=True)
    n = len(meetings)
    ward_level = rng.random(n) < 0.4
    meetings["ward_code"] = np.where(ward_level, rng.choice(wards["gso_code"].to_numpy(), size=n), None)
    meetings["title"] = rng.choice(MEETING_TITLES, size=n)
    meetings["city_slug"] = profile.slug
    meetings["id"] = np.arange(1, n + 1)
    return meetings


def make_observations(profile: CityProfile, now: datetime) -> pd.DataFrame:
    rows = []
    for code, series in profile.observed.items():
        for year, (value, source) in sorted(series.items()):
            as_of = datetime(2023, 4, 1) if year == 2022 and "Báo" in source else datetime(year + 1, 3, 31)
            if as_of > now:
                continue
            rows.append({"city_slug": profile.slug, "indicator_code": code, "period": str(year),
                         "period_start": date(year, 1, 1), "period_end": date(year, 12, 31),
                         "ward_code": None, "value": float(value), "source": source, "as_of": as_of})
    frame = pd.DataFrame(rows)
    frame["as_of"] = frame["as_of"].astype("datetime64[us]")
    return frame


def make_targets(profile: CityProfile) -> pd.DataFrame:
    rows = [{"city_slug": profile.slug, "indicator_code": code, "year": year, "value": float(value),
             "comparator": comparator, "source": source}
            for code, by_year in profile.targets.items()
            for year, (value, comparator, source) in sorted(by_year.items())]
    return pd.DataFrame(rows, columns=["city_slug", "indicator_code", "year", "value", "comparator", "source"])
