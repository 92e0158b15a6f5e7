"""deliveries: the request id of the request that wrote the row (logs follow a tip to its pushes)

Revision ID: b6f2c8d41e07
Revises: b8f2c6d41e93
Create Date: 2026-12-03 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b6f2c8d41e07'
down_revision = 'b8f2c6d41e93'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('request_id')
