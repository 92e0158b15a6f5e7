"""home unit vector for radius search

Revision ID: 7d3b5e9a2c61
Revises: 5c7e9a1b3d24
Create Date: 2026-12-04 15:40:00.000000

The home as (x, y, z) on the unit sphere, written by database triggers from home_lat/home_lon
(grannsamverkan/models/home_vector.py), and in the covering radius index: the search tests
distance with arithmetic in SQL (geo/radius.py). Triggers keep writers that know nothing of
the columns right (the previous release during an upgrade, bulk loads). The rows already
there are filled before the index is built.

SQLite: a later batch-mode migration that recreates ``users`` drops its triggers, and must
create them again (tests/test_migrations.py notices).
"""
from alembic import op
import sqlalchemy as sa

from grannsamverkan.models import home_vector


# revision identifiers, used by Alembic.
revision = '7d3b5e9a2c61'
down_revision = '5c7e9a1b3d24'
branch_labels = None
depends_on = None

_OLD_INDEX = ['home_lat', 'home_lon', 'alert_radius_m', 'home_protected']


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_home', postgresql_include=['id'])
        for name in home_vector.COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
    for statement in home_vector.CREATE[op.get_bind().dialect.name]:
        op.execute(statement)
    op.execute(home_vector.BACKFILL)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(
            'ix_users_home',
            [*_OLD_INDEX, *home_vector.COLUMNS],
            unique=False,
            postgresql_include=['id'],
        )


def downgrade():
    for statement in home_vector.DROP[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_home', postgresql_include=['id'])
        for name in reversed(home_vector.COLUMNS):
            batch_op.drop_column(name)
        batch_op.create_index('ix_users_home', _OLD_INDEX, unique=False, postgresql_include=['id'])
