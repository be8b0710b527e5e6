"""Review rounds kept: decisions with their notes, the city's replies, the review queue index

Revision ID: b2c4e1a7d9f3
Revises: c3a1f0d2e4b5
Create Date: 2026-12-01 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b2c4e1a7d9f3'
down_revision = 'c3a1f0d2e4b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('review_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("decision IN ('returned', 'approved', 'reopened')", name=op.f('ck_review_decision_decision')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_review_decision_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_review_decision_decided_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_decision'))
    )
    with op.batch_alter_table('review_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_decision_assessment_id'), ['assessment_id'], unique=False)

    # The notes kept so far belong to the assessment's last return: one decision for them.
    with op.batch_alter_table('review_note', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision_id', sa.Integer(), nullable=True))
    op.execute(
        "INSERT INTO review_decision (assessment_id, decision, comment, decided_by_id, decided_at) "
        "SELECT a.id, 'returned', a.review_comment, a.reviewed_by_id, "
        "COALESCE(a.reviewed_at, (SELECT MIN(n.created_at) FROM review_note n WHERE n.assessment_id = a.id)) "
        "FROM assessment a WHERE EXISTS (SELECT 1 FROM review_note n WHERE n.assessment_id = a.id)"
    )
    op.execute(
        "UPDATE review_note SET decision_id = (SELECT d.id FROM review_decision d "
        "WHERE d.assessment_id = review_note.assessment_id)"
    )
    with op.batch_alter_table('review_note', schema=None) as batch_op:
        batch_op.alter_column('decision_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_review_note_decision_id'), ['decision_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_review_note_decision_id_review_decision'), 'review_decision', ['decision_id'], ['id'])

    op.create_table('review_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_review_reply_created_by_id_user')),
    sa.ForeignKeyConstraint(['note_id'], ['review_note.id'], name=op.f('fk_review_reply_note_id_review_note')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_reply'))
    )
    with op.batch_alter_table('review_reply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_reply_note_id'), ['note_id'], unique=False)

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index('ix_assessment_queue', ['status', 'submitted_at'], unique=False)


def downgrade():
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index('ix_assessment_queue')

    with op.batch_alter_table('review_reply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_reply_note_id'))
    op.drop_table('review_reply')

    # Before, an assessment kept the notes of its last return only, and none once approved.
    op.execute(
        "DELETE FROM review_note WHERE decision_id NOT IN (SELECT MAX(d.id) FROM review_decision d "
        "JOIN assessment a ON a.id = d.assessment_id WHERE a.status = 'returned' "
        "GROUP BY d.assessment_id)"
    )
    with op.batch_alter_table('review_note', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_review_note_decision_id_review_decision'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_review_note_decision_id'))
        batch_op.drop_column('decision_id')

    with op.batch_alter_table('review_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_decision_assessment_id'))
    op.drop_table('review_decision')
