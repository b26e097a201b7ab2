"""boundary versions

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('boundary_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=96), nullable=False),
    sa.Column('source_name', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.Column('report', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boundary_versions'))
    )
    with op.batch_alter_table('boundary_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_boundary_versions_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('boundary_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_boundary_versions_status'))

    op.drop_table('boundary_versions')
