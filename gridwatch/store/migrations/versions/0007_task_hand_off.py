"""task assignments gain the township's hand-off (交办)

Revision ID: 0007
Revises: 0006

``handed_off_at`` is when the grid's township handed the county's task down to the grid, the
stage between the county's publication and the grid's acknowledgement. An assignment recorded
before has no hand-off of its own; where its grid had acknowledged, the hand-off is backfilled
as the earliest acknowledgement of that task in the same township (a grid cannot acknowledge
what has not reached it, so the township had handed it off by then). Unacknowledged ones stay
without a hand-off.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task_assignments') as batch:
        batch.add_column(sa.Column('handed_off_at', sa.DateTime(), nullable=True))
    a = sa.table('task_assignments', sa.column('task_id', sa.Integer),
                 sa.column('township_code', sa.String), sa.column('handed_off_at', sa.DateTime),
                 sa.column('acknowledged_at', sa.DateTime))
    b = a.alias('b')
    earliest = (sa.select(sa.func.min(b.c.acknowledged_at))
                .where(b.c.task_id == a.c.task_id, b.c.township_code == a.c.township_code)
                .scalar_subquery())
    op.execute(a.update().where(a.c.acknowledged_at.is_not(None)).values(handed_off_at=earliest))


def downgrade() -> None:
    with op.batch_alter_table('task_assignments') as batch:
        batch.drop_column('handed_off_at')
