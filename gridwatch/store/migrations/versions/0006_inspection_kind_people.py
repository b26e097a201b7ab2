"""inspection cases gain a kind and the names of the people involved

Revision ID: 0006
Revises: 0005

A case's ``kind`` (checkpoint_absent, isolation, screening, gathering, reporting) is
backfilled from its summary where the summary is one of the demo's wordings; other cases keep
no kind (shown as "other"). ``people_names`` (a JSON array of names, household-level data in
the trust model) stays empty for cases recorded before: nobody is named after the fact.
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

KINDS = {
    "卡口值守人员脱岗": "checkpoint_absent",
    "居家隔离管控不到位": "isolation",
    "未按要求开展入户排查": "screening",
    "聚集性活动劝阻不力": "gathering",
    "信息上报迟报漏报": "reporting",
}


def upgrade() -> None:
    with op.batch_alter_table('inspection_cases') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('people_names', sa.Text(), nullable=True))
    cases = sa.table('inspection_cases', sa.column('kind', sa.String),
                     sa.column('summary_zh', sa.Text))
    for summary, kind in KINDS.items():
        op.execute(cases.update().where(cases.c.summary_zh == summary).values(kind=kind))


def downgrade() -> None:
    with op.batch_alter_table('inspection_cases') as batch:
        batch.drop_column('people_names')
        batch.drop_column('kind')
