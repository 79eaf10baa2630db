"""shared claims: occurrence status as a checked enum, claim holders, process liveness

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "status IN ('claimed', 'open', 'closing', 'closed', 'missed')"


def upgrade() -> None:
    op.create_table('bot_processes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('alive_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bot_processes'))
    )
    with op.batch_alter_table('standup_occurrences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=32), nullable=True))
        batch_op.create_check_constraint(op.f('ck_standup_occurrences_status'), sa.text(STATUSES))


def downgrade() -> None:
    with op.batch_alter_table('standup_occurrences', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_standup_occurrences_status'), type_='check')
        batch_op.drop_column('claimed_by')
    op.drop_table('bot_processes')
