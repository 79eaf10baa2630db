"""stats: weekly digest occurrences

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "status IN ('claimed', 'open', 'closing', 'closed', 'missed')"


def upgrade() -> None:
    op.create_table(
        "stats_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("iso_week", sa.String(length=8), nullable=False),
        sa.Column("slot_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=32), nullable=True),
        sa.CheckConstraint(STATUSES, name=op.f("ck_stats_digests_status")),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_stats_digests_circle_id_circles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_digests")),
        sa.UniqueConstraint("circle_id", "iso_week", name=op.f("uq_stats_digests_circle_id_iso_week")),
    )
    with op.batch_alter_table("stats_digests", schema=None) as batch_op:
        batch_op.create_index("ix_stats_digests_status_slot", ["status", "slot_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stats_digests", schema=None) as batch_op:
        batch_op.drop_index("ix_stats_digests_status_slot")
    op.drop_table("stats_digests")
