"""alert rules, alerts and their outbox

Issue #19: rules that raise alerts, one open alert per rule and subject (unique `open_key`),
and the outbox that keeps every notification until it is delivered.

Revision ID: 438379d48846
Revises: a393c00d1b8f
Create Date: 2026-11-29 09:29:50.310647

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '438379d48846'
down_revision: Union[str, Sequence[str], None] = 'a393c00d1b8f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('alert_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('city_slug', sa.String(length=40), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('recipients', sa.String(length=500), nullable=False),
    sa.Column('escalate_after_min', sa.Integer(), nullable=True),
    sa.Column('message_vi', sa.String(length=500), nullable=False),
    sa.Column('message_en', sa.String(length=500), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_rule')),
    sa.UniqueConstraint('name', name=op.f('uq_alert_rule_name'))
    )
    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('open_key', sa.String(length=140), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('baseline', sa.Float(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_breach_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('clear_streak', sa.Integer(), nullable=False),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ack_note', sa.String(length=500), nullable=False),
    sa.Column('snoozed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['rule_id'], ['alert_rule.id'], name=op.f('fk_alert_rule_id_alert_rule')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert')),
    sa.UniqueConstraint('open_key', name=op.f('uq_alert_open_key'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_rule_id'), ['rule_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_status'), ['status'], unique=False)

    op.create_table('alert_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=300), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name=op.f('fk_alert_outbox_alert_id_alert')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_outbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_alert_outbox_dedupe_key'))
    )
    with op.batch_alter_table('alert_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_outbox_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_outbox_next_attempt_at'), ['next_attempt_at'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('alert_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_outbox_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_alert_outbox_alert_id'))

    op.drop_table('alert_outbox')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_status'))
        batch_op.drop_index(batch_op.f('ix_alert_rule_id'))

    op.drop_table('alert')
    op.drop_table('alert_rule')
