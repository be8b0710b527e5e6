"""blank questionnaire files

Revision ID: a7b3c9d2e5f1
Revises: f3b8c2d1a9e7
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7b3c9d2e5f1'
down_revision = 'f3b8c2d1a9e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('blank_questionnaire_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.String(length=64), nullable=False),
    sa.Column('questionnaire_version', sa.String(length=32), nullable=False),
    sa.Column('area_id', sa.String(length=64), nullable=False),
    sa.Column('paper', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('file_hash', sa.String(length=64), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('render_seconds', sa.Double(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blank_questionnaire_file')),
    sa.UniqueConstraint('questionnaire_id', 'questionnaire_version', 'area_id', 'paper', 'language', name='one_per_blank')
    )


def downgrade():
    op.drop_table('blank_questionnaire_file')
