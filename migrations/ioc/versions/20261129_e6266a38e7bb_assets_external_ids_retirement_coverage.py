"""assets: external ids, retirement, names, status time, optional ward, stored coverage

Every asset table gets `external_id` (the source system's id, unique per city: existing rows keep
their own id as it), `retired_at` and an optional `ward_code`; cameras a `name` and `status_at`,
access points `status_at`, sensors `parameters`. `key_location_coverage` holds the cameras within
the coverage radius of each key location: run `python manage.py coverage` after upgrading to fill it.

Revision ID: e6266a38e7bb
Revises: 7577ad10da64
Create Date: 2026-11-29 06:57:26.522521

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'e6266a38e7bb'
down_revision: Union[str, Sequence[str], None] = '7577ad10da64'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Columns each asset table gains besides external_id (retired_at, and its own).
ADDED = {
    "access_point": ("status_at", "retired_at"),
    "camera": ("name", "status_at", "retired_at"),
    "key_location": ("retired_at",),
    "sensor": ("parameters", "retired_at"),
}
TEXT_COLUMNS = {"name": 160, "parameters": 60}


def _column(name: str) -> sa.Column:
    if name in TEXT_COLUMNS:
        return sa.Column(name, sa.String(length=TEXT_COLUMNS[name]), nullable=True)
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('key_location_coverage',
    sa.Column('key_location_id', sa.Integer(), nullable=False),
    sa.Column('camera_id', sa.String(length=24), nullable=False),
    sa.Column('distance_m', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['camera_id'], ['camera.id'], name=op.f('fk_key_location_coverage_camera_id_camera')),
    sa.ForeignKeyConstraint(['key_location_id'], ['key_location.id'], name=op.f('fk_key_location_coverage_key_location_id_key_location')),
    sa.PrimaryKeyConstraint('key_location_id', 'camera_id', name=op.f('pk_key_location_coverage'))
    )
    with op.batch_alter_table('key_location_coverage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_location_coverage_camera_id'), ['camera_id'], unique=False)

    for table, added in ADDED.items():
        # external_id: added empty, filled with the row's own id, then required.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('external_id', sa.String(length=64), nullable=True))
        rows = sa.table(table, sa.column("id"), sa.column("external_id"))
        op.execute(rows.update().values(external_id=sa.cast(rows.c.id, sa.String(64))))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('external_id', existing_type=sa.String(length=64), nullable=False)
            for name in added:
                batch_op.add_column(_column(name))
            batch_op.alter_column('ward_code', existing_type=sa.VARCHAR(length=10), nullable=True)
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_city_slug_external_id'),
                                              ['city_slug', 'external_id'])


def downgrade() -> None:
    """Downgrade schema (assets without a ward cannot go back: give them one first)."""
    for table, added in reversed(ADDED.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_city_slug_external_id'), type_='unique')
            batch_op.alter_column('ward_code', existing_type=sa.VARCHAR(length=10), nullable=False)
            for name in (*reversed(added), 'external_id'):
                batch_op.drop_column(name)

    with op.batch_alter_table('key_location_coverage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_location_coverage_camera_id'))

    op.drop_table('key_location_coverage')
