"""notifications and each person's choice of their email

Revision ID: c5e8a3d1f7b2
Revises: b8d4e2f6a1c3
Create Date: 2026-12-03 16:40:00

`notification` is one person's notification of one step (an assessment submitted, returned,
approved; areas given; a note answered; an action falling due), read or not, with the state of
its email; `user.email_notifications` is off, immediate or digest.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e8a3d1f7b2'
down_revision = 'b8d4e2f6a1c3'
branch_labels = None
depends_on = None

KINDS = (
    "'returned', 'approved', 'submitted', 'assigned', 'note_replied', 'action_due', "
    "'action_overdue'"
)


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'email_notifications', sa.String(length=10), server_default='immediate', nullable=False
            )
        )
    op.create_table(
        'notification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('assessment_id', sa.Integer(), nullable=True),
        sa.Column('action_id', sa.Integer(), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('read_at', sa.DateTime(), nullable=True),
        sa.Column('mail_state', sa.String(length=10), nullable=True),
        sa.Column('mailed_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f('ck_notification_kind')),
        sa.CheckConstraint(
            "mail_state IS NULL OR mail_state IN ('pending', 'sent')",
            name=op.f('ck_notification_mail_state'),
        ),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_user_id_user')),
        sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_notification_actor_id_user')),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_notification_assessment_id_assessment')),
        sa.ForeignKeyConstraint(['action_id'], ['action.id'], name=op.f('fk_notification_action_id_action')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
        sa.UniqueConstraint('user_id', 'action_id', 'kind', 'due_on', name=op.f('uq_notification_user_id')),
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_user_read', ['user_id', 'read_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_action_id'), ['action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_mail_state'), ['mail_state'], unique=False)


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_mail_state'))
        batch_op.drop_index(batch_op.f('ix_notification_action_id'))
        batch_op.drop_index(batch_op.f('ix_notification_assessment_id'))
        batch_op.drop_index('ix_notification_user_read')
    op.drop_table('notification')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('email_notifications')
