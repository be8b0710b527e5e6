"""year and source of number answers

Revision ID: e7d2a9c41f06
Revises: e5f1a2b3c4d6
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7d2a9c41f06'
down_revision = 'e5f1a2b3c4d6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('data_source', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_column('data_source')
        batch_op.drop_column('data_year')
