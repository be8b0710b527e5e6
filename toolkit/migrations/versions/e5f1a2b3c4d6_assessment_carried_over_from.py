"""the earlier assessment an assessment's answers were carried over from

Revision ID: e5f1a2b3c4d6
Revises: a1c0ffee0001
Create Date: 2026-12-02 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5f1a2b3c4d6'
down_revision = 'a1c0ffee0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carried_over_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_assessment_carried_over_from_id_assessment'),
            'assessment',
            ['carried_over_from_id'],
            ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_assessment_carried_over_from_id_assessment'), type_='foreignkey'
        )
        batch_op.drop_column('carried_over_from_id')
