"""tips: the reason a moderator gave for rejecting a tip (shown to its reporter)

Revision ID: 5b1d7e3c9a20
Revises: c0a5e1e7d2b4
Create Date: 2026-12-03 10:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1d7e3c9a20'
down_revision = 'c0a5e1e7d2b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rejection_reason', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.drop_column('rejection_reason')
