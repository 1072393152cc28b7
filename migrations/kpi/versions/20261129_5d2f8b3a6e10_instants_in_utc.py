"""instants in UTC: KPI database

Revision ID: 5d2f8b3a6e10
Revises: 3b7e0c2d9a41
Create Date: 2026-11-29 06:00:00

Every instant column becomes UTC (see migrations/utc_instants.py for the assumption made
about the naive values stored before).
"""
from typing import Sequence, Union

from migrations.utc_instants import convert

revision: str = '5d2f8b3a6e10'
down_revision: Union[str, Sequence[str], None] = '3b7e0c2d9a41'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = {
    "observation": ("as_of",),
    "dossier": ("received_at", "promised_at", "finished_at"),
    "e_document": ("sent_at",),
    "deck": ("saved_at",),
}


def upgrade() -> None:
    convert(COLUMNS, to_utc=True)


def downgrade() -> None:
    convert(COLUMNS, to_utc=False)
