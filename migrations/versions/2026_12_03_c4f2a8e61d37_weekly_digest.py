"""users: the weekly digest by e-mail (opt-in) and the week of the last one sent

Revision ID: c4f2a8e61d37
Revises: e4d2a6b81c37
Create Date: 2026-12-03 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4f2a8e61d37'
down_revision = 'e4d2a6b81c37'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('digest', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column('digest_week', sa.String(length=8), server_default='', nullable=False)
        )
        batch_op.create_index('ix_users_digest_week', ['digest', 'digest_week'], unique=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_digest_week')
        batch_op.drop_column('digest_week')
        batch_op.drop_column('digest')
