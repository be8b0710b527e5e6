"""files attached to answers as evidence

Revision ID: a7e3f9c2b1d4
Revises: a7e3c9d5b1f2
Create Date: 2026-12-03 12:00:00

`evidence_content` holds a file's bytes once, by SHA-256 (`data` NULL when the files are kept
in the file store of config EVIDENCE_STORE); `evidence_file` is a file attached to one answer,
kept after it is removed (removed_at) for the answer's history.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7e3f9c2b1d4'
down_revision = 'a7e3c9d5b1f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'evidence_content',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=True),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_evidence_content')),
    )
    op.create_table(
        'evidence_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('removed_by_id', sa.Integer(), nullable=True),
        sa.Column('removed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['answer_id'], ['answer.id'], name=op.f('fk_evidence_file_answer_id_answer')),
        sa.ForeignKeyConstraint(['sha256'], ['evidence_content.sha256'], name=op.f('fk_evidence_file_sha256_evidence_content')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_evidence_file_uploaded_by_id_user')),
        sa.ForeignKeyConstraint(['removed_by_id'], ['user.id'], name=op.f('fk_evidence_file_removed_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_file')),
    )
    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_file_answer_id'), ['answer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_file_sha256'), ['sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_file_sha256'))
        batch_op.drop_index(batch_op.f('ix_evidence_file_answer_id'))
    op.drop_table('evidence_file')
    op.drop_table('evidence_content')
