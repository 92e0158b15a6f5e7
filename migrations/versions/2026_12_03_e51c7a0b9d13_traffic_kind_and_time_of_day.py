"""tips: the kind of traffic problem (speeding, moped, A-traktor, ...) and the time of day

Revision ID: e51c7a0b9d13
Revises: c4f2a8e61d37
Create Date: 2026-12-03 18:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e51c7a0b9d13'
down_revision = 'c4f2a8e61d37'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.add_column(sa.Column('traffic_kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('time_of_day', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.drop_column('time_of_day')
        batch_op.drop_column('traffic_kind')
