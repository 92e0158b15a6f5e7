"""audit_events: the request id of the request the action came in (log line to audit event)

Revision ID: 5c7e9a1b3d24
Revises: b6f2c8d41e07
Create Date: 2026-12-03 19:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c7e9a1b3d24'
down_revision = 'b6f2c8d41e07'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('request_id')
