"""What the dashboards put first, declared once as data: the headline KPI lists of each
view, the series of the trend charts, and the first year they report on.

Every page, slide and kiosk panel that shows one of these lists reads it from here, so
adding an indicator to a headline list touches this file only. Each code must exist in
the catalog (`domain.indicators`); tests/unit/test_kpi_pages.py checks it.
"""
from __future__ import annotations

# The first year the dashboards report on (period pickers, trend charts, target series).
# Not domain.periods.FIRST_YEAR, the earliest year the period parser accepts at all.
FIRST_DATA_YEAR = 2020

# Headline cards of each pillar: the overview's cards and the deck's `kpi.<pillar>` slides.
PILLAR_CODES: dict[str, tuple[str, ...]] = {
    "governance": ("services.level3_on_time_rate", "services.level4_on_time_rate", "services.digitised_rate",
                   "services.procedures_online", "docs.signed_rate", "meetings.electronic_rate"),
    "living": ("camera.security_total", "wifi.access_points", "camera.key_locations_security_rate",
               "internet.household_rate", "infra.fibre_km", "health.facilities_linked_rate"),
    "environment": ("env.pm25_mean", "env.air_stations", "env.water_stations"),
    "economy": ("internet.business_rate", "economy.ecommerce_business_rate", "economy.online_shopping_rate"),
}
# The deck's public-services table (`services.table`).
SERVICE_CODES = ("services.on_time_rate", "services.procedures_online_rate", "services.online_submission_rate",
                 "services.digitised_rate", "services.online_payment_rate", "services.feedback_on_time_rate",
                 "services.level3_dossiers", "services.level4_dossiers")
# The deck's digital-transformation table (`digital.table`).
DIGITAL_CODES = ("internet.household_rate", "infra.fibre_km", "docs.sent", "docs.signed_rate",
                 "meetings.electronic_rate", "citizens.e_account_rate", "health.facilities_linked_rate")
# The only KPIs the public kiosk shows (data_access.public whitelists exactly these):
# counts and rates of services offered to everyone.
PUBLIC_KPI_CODES = (
    "services.procedures_online_rate", "services.online_submission_rate", "services.on_time_rate",
    "services.digitised_rate", "services.online_payment_rate", "services.feedback_on_time_rate",
    "camera.security_total", "wifi.access_points", "wifi.free_stations",
)
# Yearly trend charts since FIRST_DATA_YEAR: the overview's charts and the deck's `trend.<name>` slides.
TREND_CODES: dict[str, tuple[str, ...]] = {
    "dossiers": ("services.level3_dossiers", "services.level4_dossiers"),
    "assets": ("camera.security_total", "wifi.access_points"),
    "rates": ("services.digitised_rate", "docs.signed_rate", "meetings.electronic_rate"),
}


def headline_lists() -> dict[str, tuple[str, ...]]:
    """Every list above by a name ('pillar.governance', 'public', 'trend.rates', ...)."""
    lists = {f"pillar.{pillar}": codes for pillar, codes in PILLAR_CODES.items()}
    lists.update({"services": SERVICE_CODES, "digital": DIGITAL_CODES, "public": PUBLIC_KPI_CODES})
    lists.update({f"trend.{name}": codes for name, codes in TREND_CODES.items()})
    return lists
