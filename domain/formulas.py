"""KPI formulas: pure functions over aggregates, no database, no Dash.

Every rate is a percentage. A rate over nothing (no dossiers, no documents) is
None, meaning "no data": never 0%, never a ZeroDivisionError.
"""
from __future__ import annotations

Number = int | float


def rate(part: Number | None, whole: Number | None) -> float | None:
    """100 × part ÷ whole, or None when there is nothing to divide by."""
    if part is None or whole is None or whole <= 0:
        return None
    if part < 0 or part > whole:
        raise ValueError(f"part {part} must lie between 0 and whole {whole}")
    return 100.0 * part / whole


def on_time_rate(finished_on_time: Number | None, processed: Number | None) -> float | None:
    """Decision 766 progress: dossiers finished on or before the promised date ÷ dossiers processed."""
    return rate(finished_on_time, processed)


def online_submission_rate(online: Number | None, received: Number | None) -> float | None:
    """Dossiers submitted online ÷ dossiers received."""
    return rate(online, received)


def procedures_online_rate(online: Number | None, total: Number | None) -> float | None:
    """Procedures offered online (level 3 or 4) ÷ procedures in force."""
    return rate(online, total)


def digitised_rate(digitised: Number | None, received: Number | None) -> float | None:
    """Dossiers whose files and results were digitised ÷ dossiers received."""
    return rate(digitised, received)


def online_payment_rate(paid_online: Number | None, fee_required: Number | None) -> float | None:
    """Fees paid online ÷ dossiers with a fee."""
    return rate(paid_online, fee_required)


def signed_rate(signed: Number | None, sent: Number | None) -> float | None:
    """E-documents signed by both the organisation and a leader ÷ e-documents sent."""
    return rate(signed, sent)


def coverage_rate(covered: Number | None, total: Number | None) -> float | None:
    """Key locations with at least one camera of a kind ÷ key locations."""
    return rate(covered, total)


def satisfaction_proxy(late: Number | None, complaints: Number | None,
                       processed: Number | None) -> float | None:
    """Decision 766 satisfaction: 100% − late rate − complaint share (floored at 0)."""
    late_rate = rate(late, processed)
    complaint_rate = rate(complaints, processed)
    if late_rate is None or complaint_rate is None:
        return None
    return max(0.0, 100.0 - late_rate - complaint_rate)


def change(current: Number | None, previous: Number | None) -> float | None:
    """Current minus previous; None when either is missing."""
    if current is None or previous is None:
        return None
    return current - previous


def target_progress(value: Number | None, target: Number | None, higher_is_better: bool = True
                    ) -> float | None:
    """How far the value has come to the target, as a percentage capped at 100."""
    if value is None or target is None:
        return None
    if higher_is_better:
        if target <= 0:
            return 100.0 if value >= target else 0.0
        return max(0.0, min(100.0, 100.0 * value / target))
    if value <= 0:
        return 100.0
    return max(0.0, min(100.0, 100.0 * target / value))


def linear_projection(series: dict[int, float | None], year: int) -> float | None:
    """Least-squares line through the yearly values, read at `year`; None with fewer than 2 points."""
    points = [(y, v) for y, v in sorted(series.items()) if v is not None]
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(y for y, _ in points) / n
    mean_y = sum(v for _, v in points) / n
    spread = sum((y - mean_x) ** 2 for y, _ in points)
    slope = sum((y - mean_x) * (v - mean_y) for y, v in points) / spread
    return mean_y + slope * (year - mean_x)


AT_RISK_MARGIN = 0.10


def target_status(projected: float | None, current: float | None, target: float, comparator: str = ">=",
                  higher_is_better: bool = True) -> str:
    """on_track when the projection reaches the target; at_risk when it falls short by at most 10%
    of the target; off_track otherwise; no_data without any value. With a single value the
    current value stands in for the projection."""
    value = projected if projected is not None else current
    if value is None:
        return "no_data"
    if not higher_is_better:
        reached = value <= target
        short = (value - target) / target if target else 1.0
    else:
        reached = value > target if comparator == ">" else value >= target
        short = (target - value) / target if target else 0.0
    if reached:
        return "on_track"
    return "at_risk" if short <= AT_RISK_MARGIN else "off_track"


def target_outlook(series: dict[int, float | None], target_year: int, target_value: float, comparator: str,
                   higher_is_better: bool, percent: bool, this_year: int) -> tuple[float | None, str]:
    """(value expected in the target year, status) of a target from its yearly series: the reported
    value once the target year is reported, else the least-squares projection (a percentage kept
    within 0..100); a target year gone by and missed is off track, not at risk. The /targets page
    and the target-forecast alerts judge a target with this one function."""
    known = [value for _, value in sorted(series.items()) if value is not None]
    current = known[-1] if known else None
    reported = series.get(target_year)
    projected = reported if reported is not None else linear_projection(series, target_year)
    if projected is not None and percent:
        projected = max(0.0, min(100.0, projected))
    status = target_status(projected, current, target_value, comparator, higher_is_better)
    if reported is not None and target_year < this_year and status == "at_risk":
        status = "off_track"
    return projected, status
