"""instants in UTC: IOC database

Revision ID: 7c1e0a9d2b44
Revises: ff99efca9988
Create Date: 2026-11-29 06:00:00

Every instant column becomes UTC (see migrations/utc_instants.py for the assumption made
about the naive values stored before).
"""
from typing import Sequence, Union

from migrations.utc_instants import convert

revision: str = '7c1e0a9d2b44'
down_revision: Union[str, Sequence[str], None] = 'ff99efca9988'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = {
    "city": ("updated_at",),
    "camera": ("last_seen",),
    "camera_status_sample": ("sampled_at",),
    "incident": ("reported_at", "resolved_at"),
    "citizen_report": ("received_at", "due_at", "answered_at"),
    "reading": ("measured_at",),
    "ingest_counter": ("updated_at",),
    "unit_boundary": ("imported_at",),
    "calendar_day": ("recorded_at",),
    "app_user": ("locked_until", "created_at", "last_login_at"),
    "audit_event": ("at",),
}


def upgrade() -> None:
    convert(COLUMNS, to_utc=True)


def downgrade() -> None:
    convert(COLUMNS, to_utc=False)
