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

    # Assessments started before: the earlier cycle is in their "assessment_created" audit
    # event; the assessment of that cycle is the city's with the same questionnaire.
    bind = op.get_bind()
    events = sa.table(
        'audit_event',
        sa.column('action', sa.String),
        sa.column('object_type', sa.String),
        sa.column('object_id', sa.String),
        sa.column('details', sa.JSON),
    )
    assessment = sa.table(
        'assessment',
        sa.column('id', sa.Integer),
        sa.column('city_id', sa.Integer),
        sa.column('questionnaire_id', sa.String),
        sa.column('cycle', sa.Integer),
        sa.column('carried_over_from_id', sa.Integer),
    )
    found = bind.execute(
        sa.select(events.c.object_id, events.c.details).where(
            events.c.action == 'assessment_created', events.c.object_type == 'assessment'
        )
    )
    for object_id, details in found.all():
        cycle = (details or {}).get('carried_over_from')
        if not isinstance(cycle, int) or not str(object_id).isdigit():
            continue
        started = bind.execute(
            sa.select(assessment.c.city_id, assessment.c.questionnaire_id).where(
                assessment.c.id == int(object_id)
            )
        ).first()
        if started is None:
            continue
        source = bind.execute(
            sa.select(assessment.c.id).where(
                assessment.c.city_id == started.city_id,
                assessment.c.questionnaire_id == started.questionnaire_id,
                assessment.c.cycle == cycle,
            )
        ).scalar()
        if source is not None:
            bind.execute(
                assessment.update()
                .where(assessment.c.id == int(object_id))
                .values(carried_over_from_id=source)
            )


def downgrade():
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_assessment_carried_over_from_id_assessment'), type_='foreignkey'
        )
        batch_op.drop_column('carried_over_from_id')
