"""Incidents: their categories, severities and statuses, and the time allowed to resolve
each severity (setting OPS_SLA_HOURS), shared by the live feed, the simulator and the pages."""
from __future__ import annotations

import settings

INCIDENT_CATEGORIES = ("traffic_accident", "public_order", "infrastructure", "flooding", "fire", "environment")
SEVERITIES = ("low", "medium", "high", "critical")
URGENT_SEVERITIES = ("high", "critical")
INCIDENT_STATUSES = ("open", "in_progress", "resolved")
SLA_DUE_SOON_SHARE = 0.75


def sla_hours() -> dict[str, float]:
    """Hours allowed to resolve an incident, by severity (setting OPS_SLA_HOURS); ValueError
    naming the setting when a severity is unknown or missing (checked at start)."""
    raw = settings.get("OPS_SLA_HOURS")
    try:
        hours = settings.parse_pairs(raw)
    except ValueError as exc:
        raise ValueError(f"OPS_SLA_HOURS: {exc}") from None
    unknown = set(hours) - set(SEVERITIES)
    if unknown:
        raise ValueError(f"OPS_SLA_HOURS: unknown severity {', '.join(sorted(unknown))} in {raw!r}")
    missing = set(SEVERITIES) - set(hours)
    if missing:
        raise ValueError(f"OPS_SLA_HOURS: no hours for {', '.join(sorted(missing))}")
    return hours


def sla_state(age_hours: float, severity: str, allowed: dict[str, float]) -> str:
    """'breached' past the allowed time, 'due_soon' after three quarters of it, else 'ok'."""
    limit = allowed[severity]
    if age_hours > limit:
        return "breached"
    if age_hours >= SLA_DUE_SOON_SHARE * limit:
        return "due_soon"
    return "ok"
