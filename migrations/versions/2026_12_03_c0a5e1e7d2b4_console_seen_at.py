"""console: when a user last had the Today page open

Revision ID: c0a5e1e7d2b4
Revises: fb1eef3a4110
Create Date: 2026-12-03 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import grannsamverkan.models.types


# revision identifiers, used by Alembic.
revision = 'c0a5e1e7d2b4'
down_revision = 'fb1eef3a4110'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('console_seen_at', grannsamverkan.models.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('console_seen_at')
