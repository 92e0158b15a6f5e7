"""alerts: a notice's tip (about_tip_id); tips: when an unmoderated urgent tip was escalated

Revision ID: e81c4d2f6a37
Revises: b71c0d2e9f10
Create Date: 2026-12-03 18:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import grannsamverkan.models.types


# revision identifiers, used by Alembic.
revision = 'e81c4d2f6a37'
down_revision = 'b71c0d2e9f10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('about_tip_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_alerts_about_tip_id'), ['about_tip_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_alerts_about_tip_id_tips'), 'tips', ['about_tip_id'], ['id'],
            ondelete='CASCADE',
        )
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalated_at', grannsamverkan.models.types.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.drop_column('escalated_at')
    op.execute("DELETE FROM alerts WHERE kind = 'notice'")
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_alerts_about_tip_id_tips'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_alerts_about_tip_id'))
        batch_op.drop_column('about_tip_id')
