"""city time zones; "None of these" ticked with other choices is cleaned

Revision ID: d41a7c3e9b20
Revises: b2c4e1a7d9f3
Create Date: 2026-12-01 08:11:00

`city.time_zone` is an IANA name; NULL means the main zone of the city's country.

The "None of these" choices of asus-detailed became exclusive. A stored answer that has one
together with other choices would no longer score, so the "None of these" is taken out of it
(it gives 0 points: the score stays the same), with a revision saying so. The downgrade leaves
the cleaned answers as they are.
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd41a7c3e9b20'
down_revision = 'b2c4e1a7d9f3'
branch_labels = None
depends_on = None

# asus-detailed's multi_choice questions and their exclusive choice, as of this revision.
EXCLUSIVE = {
    "hw_ph_climate_warnings": "none",
    "bi_housing_supply_tools": "none",
    "bi_util_network_map": "none",
    "ii_partners_city_networks": "none",
}

assessment = sa.table(
    "assessment",
    sa.column("id", sa.Integer),
    sa.column("questionnaire_id", sa.String),
    sa.column("version", sa.Integer),
)
answer = sa.table(
    "answer",
    sa.column("id", sa.Integer),
    sa.column("assessment_id", sa.Integer),
    sa.column("question_id", sa.String),
    sa.column("value", sa.JSON),
    sa.column("not_applicable", sa.Boolean),
    sa.column("not_applicable_reason", sa.Text),
    sa.column("comment", sa.Text),
    sa.column("evidence", sa.JSON),
    sa.column("updated_by_id", sa.Integer),
    sa.column("updated_at", sa.DateTime),
    sa.column("version", sa.Integer),
)
answer_revision = sa.table(
    "answer_revision",
    sa.column("answer_id", sa.Integer),
    sa.column("changed_by_id", sa.Integer),
    sa.column("changed_at", sa.DateTime),
    sa.column("old", sa.JSON),
    sa.column("new", sa.JSON),
    sa.column("kind", sa.String),
)


def upgrade():
    with op.batch_alter_table('city', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))
    _clean_mixed_answers(op.get_bind())


def downgrade():
    with op.batch_alter_table('city', schema=None) as batch_op:
        batch_op.drop_column('time_zone')


def _clean_mixed_answers(connection):
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = connection.execute(
        sa.select(answer)
        .join(assessment, assessment.c.id == answer.c.assessment_id)
        .where(
            assessment.c.questionnaire_id == "asus-detailed",
            answer.c.question_id.in_(list(EXCLUSIVE)),
        )
    ).mappings().all()
    changed_assessments = set()
    for row in rows:
        value = row["value"]
        alone = EXCLUSIVE[row["question_id"]]
        if not isinstance(value, list) or alone not in value or len(set(value)) < 2:
            continue
        snapshot = {
            "value": value,
            "not_applicable": row["not_applicable"],
            "reason": row["not_applicable_reason"],
            "comment": row["comment"],
            "evidence": list(row["evidence"] or []),
        }
        cleaned = [v for v in value if v != alone]
        connection.execute(
            answer.update()
            .where(answer.c.id == row["id"])
            .values(
                value=cleaned,
                updated_by_id=None,
                updated_at=now,
                version=answer.c.version + 1,
            )
        )
        connection.execute(
            answer_revision.insert().values(
                answer_id=row["id"],
                changed_by_id=None,
                changed_at=now,
                old=snapshot,
                new={**snapshot, "value": cleaned},
                kind="changed",
            )
        )
        changed_assessments.add(row["assessment_id"])
    if changed_assessments:
        # Pages and stored reports are kept by the assessment's version.
        connection.execute(
            assessment.update()
            .where(assessment.c.id.in_(sorted(changed_assessments)))
            .values(version=assessment.c.version + 1)
        )
