"""outbound alerts: one row per alert and channel (gridwatch.notify)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=160), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('township_code', sa.String(length=16), nullable=True),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('channel', 'key', name='uq_notification_channel_key'),
    )


def downgrade() -> None:
    op.drop_table('notifications')
