"""deliveries: an e-mail channel beside push (address and content; no alert for a reset)

Revision ID: a3e9d1c47b62
Revises: 7e4c2a91d5f0
Create Date: 2026-12-03 15:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3e9d1c47b62'
down_revision = '7e4c2a91d5f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('channel', sa.String(length=8), server_default='push', nullable=False)
        )
        batch_op.add_column(sa.Column('email_to', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('email_subject', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('email_body', sa.Text(), nullable=True))
        batch_op.alter_column('alert_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM deliveries WHERE alert_id IS NULL")
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.alter_column('alert_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('email_body')
        batch_op.drop_column('email_subject')
        batch_op.drop_column('email_to')
        batch_op.drop_column('channel')
