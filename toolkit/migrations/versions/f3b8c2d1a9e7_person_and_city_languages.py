"""a person's chosen language and a city's default language

Revision ID: f3b8c2d1a9e7
Revises: e7d2a9c41f06
Create Date: 2026-12-03 07:00:00

`user.language` is the language the person chose (NULL: not chosen, the browser's decides);
`city.language` is the default for the city's people and its reports (NULL: the main language
of the city's country, see toolkit/i18n/languages.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3b8c2d1a9e7'
down_revision = 'e7d2a9c41f06'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=True))
    with op.batch_alter_table('city', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('city', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('language')
