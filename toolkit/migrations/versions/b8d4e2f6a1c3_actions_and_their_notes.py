"""actions of a city's plan and their notes

Revision ID: b8d4e2f6a1c3
Revises: a7e3f9c2b1d4
Create Date: 2026-12-03 16:00:00

`action` is something a city does about a recommendation (question_id, area_id) or of its own,
planned in one assessment and followed across cycles until done or dropped; `action_note` its
progress notes and changes of status.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4e2f6a1c3'
down_revision = 'a7e3f9c2b1d4'
branch_labels = None
depends_on = None

AREAS = (
    "'civic_social', 'health_wellbeing', 'security', 'quality_environment', "
    "'built_infrastructure', 'industry_innovation'"
)


def upgrade():
    op.create_table(
        'action',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('city_id', sa.Integer(), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.String(length=64), nullable=True),
        sa.Column('area_id', sa.String(length=40), nullable=True),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('department', sa.String(length=200), nullable=True),
        sa.Column('responsible', sa.String(length=200), nullable=True),
        sa.Column('responsible_id', sa.Integer(), nullable=True),
        sa.Column('start_on', sa.Date(), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('dropped_reason', sa.Text(), nullable=True),
        sa.Column('closed_on', sa.Date(), nullable=True),
        sa.Column('budget_line', sa.String(length=200), nullable=True),
        sa.Column('budget_amount', sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column('budget_currency', sa.String(length=3), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'in_progress', 'done', 'dropped')", name=op.f('ck_action_status')
        ),
        sa.CheckConstraint(f"area_id IS NULL OR area_id IN ({AREAS})", name=op.f('ck_action_area')),
        sa.CheckConstraint(
            "status != 'dropped' OR dropped_reason IS NOT NULL", name=op.f('ck_action_dropped')
        ),
        sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_action_city_id_city')),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_action_assessment_id_assessment')),
        sa.ForeignKeyConstraint(['responsible_id'], ['user.id'], name=op.f('fk_action_responsible_id_user')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_action_created_by_id_user')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_action_updated_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_action')),
    )
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_responsible_id'), ['responsible_id'], unique=False)
        batch_op.create_index('ix_action_status_due', ['status', 'due_on'], unique=False)
    op.create_table(
        'action_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=True),
        sa.Column('written_by_id', sa.Integer(), nullable=True),
        sa.Column('written_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['action_id'], ['action.id'], name=op.f('fk_action_note_action_id_action')),
        sa.ForeignKeyConstraint(['written_by_id'], ['user.id'], name=op.f('fk_action_note_written_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_action_note')),
    )
    with op.batch_alter_table('action_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_note_action_id'), ['action_id'], unique=False)


def downgrade():
    with op.batch_alter_table('action_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_note_action_id'))
    op.drop_table('action_note')
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index('ix_action_status_due')
        batch_op.drop_index(batch_op.f('ix_action_responsible_id'))
        batch_op.drop_index(batch_op.f('ix_action_assessment_id'))
        batch_op.drop_index(batch_op.f('ix_action_city_id'))
    op.drop_table('action')
