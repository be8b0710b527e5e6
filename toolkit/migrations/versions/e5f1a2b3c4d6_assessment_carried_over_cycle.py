"""the cycle an assessment carried its answers over from

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
        batch_op.add_column(sa.Column('carried_over_cycle', sa.Integer(), nullable=True))

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
        'assessment', sa.column('id', sa.Integer), sa.column('carried_over_cycle', sa.Integer)
    )
    found = bind.execute(
        sa.select(events.c.object_id, events.c.details).where(
            events.c.action == 'assessment_created', events.c.object_type == 'assessment'
        )
    )
    for object_id, details in found.all():
        cycle = (details or {}).get('carried_over_from')
        if isinstance(cycle, int) and str(object_id).isdigit():
            bind.execute(
                assessment.update()
                .where(assessment.c.id == int(object_id))
                .values(carried_over_cycle=cycle)
            )


def downgrade():
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_column('carried_over_cycle')
