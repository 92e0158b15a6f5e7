"""users: the channels alerts reach a person by (push, e-mail, SMS) and a phone number

Revision ID: b71c0d2e9f10
Revises: a3e9d1c47b62
Create Date: 2026-12-03 18:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b71c0d2e9f10'
down_revision = 'a3e9d1c47b62'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('channels', sa.JSON(), server_default='["push"]', nullable=False)
        )
        batch_op.add_column(sa.Column('phone', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone')
        batch_op.drop_column('channels')
