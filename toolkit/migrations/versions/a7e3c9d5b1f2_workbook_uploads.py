"""workbook uploads kept between preview and confirmation

Revision ID: a7e3c9d5b1f2
Revises: a7b3c9d2e5f1
Create Date: 2026-12-03 12:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7e3c9d5b1f2'
down_revision = 'a7b3c9d2e5f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('workbook_upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_workbook_upload_assessment_id_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_workbook_upload_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workbook_upload'))
    )
    with op.batch_alter_table('workbook_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workbook_upload_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workbook_upload_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('workbook_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workbook_upload_created_at'))
        batch_op.drop_index(batch_op.f('ix_workbook_upload_assessment_id'))

    op.drop_table('workbook_upload')
