"""report files keyed by what they print

Revision ID: c3a1f0d2e4b5
Revises: 1ecec82573c7
Create Date: 2026-12-01 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a1f0d2e4b5'
down_revision = '1ecec82573c7'
branch_labels = None
depends_on = None


def upgrade():
    # Stored PDFs are a cache whose key was too narrow (a renamed city still got the old file):
    # they are dropped, and each is rendered again on its next download.
    op.execute(sa.text('DELETE FROM report_file'))
    with op.batch_alter_table('report_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_hash', sa.String(length=64), nullable=False))
        batch_op.drop_constraint('one_per_version', type_='unique')
        batch_op.create_unique_constraint(
            'one_per_report', ['assessment_id', 'paper', 'language', 'report_hash']
        )


def downgrade():
    op.execute(sa.text('DELETE FROM report_file'))
    with op.batch_alter_table('report_file', schema=None) as batch_op:
        batch_op.drop_constraint('one_per_report', type_='unique')
        batch_op.create_unique_constraint(
            'one_per_version', ['assessment_id', 'assessment_version', 'paper', 'language']
        )
        batch_op.drop_column('report_hash')
