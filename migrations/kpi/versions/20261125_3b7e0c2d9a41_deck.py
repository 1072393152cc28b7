"""saved presentation decks

Revision ID: 3b7e0c2d9a41
Revises: 105956ffd95a
Create Date: 2026-11-25 09:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '3b7e0c2d9a41'
down_revision: Union[str, Sequence[str], None] = '105956ffd95a'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('deck',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_slug', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('slides', sa.Text(), nullable=False),
    sa.Column('saved_by', sa.String(length=64), nullable=False),
    sa.Column('saved_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deck')),
    sa.UniqueConstraint('city_slug', 'name', name=op.f('uq_deck_city_slug_name'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('deck')
