"""SMS: a channel of the outbox, each municipality's monthly budget use, and households
without a smartphone (users that cannot sign in, with the resident's consent)

Revision ID: e4d2a6b81c37
Revises: e81c4d2f6a37
Create Date: 2026-12-03 18:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e4d2a6b81c37"
down_revision = "e81c4d2f6a37"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sms_to", sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            "fk_deliveries_user_id_users", "users", ["user_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index("ix_deliveries_user", ["user_id"], unique=False)
        batch_op.create_unique_constraint(
            "uq_deliveries_person", ["alert_id", "user_id", "channel", "purpose"]
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=254), nullable=True)
        batch_op.alter_column("password_hash", existing_type=sa.String(length=256), nullable=True)
        batch_op.add_column(sa.Column("registered_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("consent_given_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("consent_method", sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            "fk_users_registered_by_id_users",
            "users",
            ["registered_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "sms_months",
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("municipality_code", "month"),
    )


def downgrade():
    op.drop_table("sms_months")
    # Households cannot sign in and may lack an e-mail address: they go with the columns.
    op.execute("DELETE FROM users WHERE password_hash IS NULL OR email IS NULL")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("fk_users_registered_by_id_users", type_="foreignkey")
        batch_op.drop_column("consent_method")
        batch_op.drop_column("consent_given_on")
        batch_op.drop_column("registered_by_id")
        batch_op.alter_column("password_hash", existing_type=sa.String(length=256), nullable=False)
        batch_op.alter_column("email", existing_type=sa.String(length=254), nullable=False)
    op.execute("DELETE FROM deliveries WHERE channel = 'sms'")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_deliveries_person", type_="unique")
        batch_op.drop_index("ix_deliveries_user")
        batch_op.drop_constraint("fk_deliveries_user_id_users", type_="foreignkey")
        batch_op.drop_column("sms_to")
        batch_op.drop_column("user_id")
