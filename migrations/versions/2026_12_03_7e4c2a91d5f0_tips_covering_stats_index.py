"""tips: the area-and-time index also holds the category and the status, so the statistics'
counts per category, area and month (rejected tips left out) read the index alone
(bench/console_pages.py)

Revision ID: 7e4c2a91d5f0
Revises: d307a6859204
Create Date: 2026-12-03 14:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7e4c2a91d5f0'
down_revision = 'd307a6859204'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.create_index(
            'ix_tips_area_created_category',
            ['area_id', 'created_at', 'category', 'status'],
            unique=False,
        )
        batch_op.drop_index('ix_tips_area_created')


def downgrade():
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.create_index('ix_tips_area_created', ['area_id', 'created_at'], unique=False)
        batch_op.drop_index('ix_tips_area_created_category')
