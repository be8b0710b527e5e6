"""year and source of number answers; the cycle an assessment carried its answers over from

Revision ID: e7d2a9c41f06
Revises: a1c0ffee0001
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7d2a9c41f06'
down_revision = 'a1c0ffee0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('data_source', sa.String(length=300), nullable=True))

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carried_over_from', sa.Integer(), nullable=True))

    # Assessments started before: the cycle is in their "assessment_created" audit event.
    bind = op.get_bind()
    events = sa.table(
        'audit_event',
        sa.column('action', sa.String),
        sa.column('object_type', sa.String),
        sa.column('object_id', sa.String),
        sa.column('details', sa.JSON),
    )
    assessment = sa.table(
        'assessment', sa.column('id', sa.Integer), sa.column('carried_over_from', sa.Integer)
    )
    found = bind.execute(
        sa.select(events.c.object_id, events.c.details).where(
            events.c.action == 'assessment_created', events.c.object_type == 'assessment'
        )
    )
    for object_id, details in found:
        cycle = (details or {}).get('carried_over_from')
        if isinstance(cycle, int) and str(object_id).isdigit():
            bind.execute(
                assessment.update()
                .where(assessment.c.id == int(object_id))
                .values(carried_over_from=cycle)
            )


def downgrade():
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_column('carried_over_from')

    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_column('data_source')
        batch_op.drop_column('data_year')
