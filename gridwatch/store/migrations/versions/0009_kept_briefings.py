"""kept daily briefings: one briefing pack per day, its bytes in the store
(gridwatch.export.kept)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'kept_briefings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('lang', sa.String(length=8), nullable=False),
        sa.Column('export_id', sa.String(length=32), nullable=False),
        sa.Column('data_version', sa.String(length=64), nullable=False),
        sa.Column('view', sa.String(length=160), nullable=False),
        sa.Column('filename', sa.String(length=160), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=96), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('day', name='uq_kept_briefing_day'),
    )


def downgrade() -> None:
    op.drop_table('kept_briefings')
