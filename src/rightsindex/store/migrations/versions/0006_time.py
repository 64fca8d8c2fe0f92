"""time: grade a date (assessment.as_of), change-aware re-grading (judgment.fingerprint,
judgment.change) and the feed of grade changes (grade_change)

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-29 21:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('as_of', sa.Date(), nullable=True))
    with op.batch_alter_table('judgment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('change', sa.JSON(), nullable=True))
    op.create_table('grade_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('previous_assessment_id', sa.Integer(), nullable=False),
    sa.Column('manifest_path', sa.String(length=2000), nullable=False),
    sa.Column('company_key', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=200), nullable=False),
    sa.Column('element', sa.String(length=20), nullable=False),
    sa.Column('before', sa.String(length=30), nullable=False),
    sa.Column('after', sa.String(length=30), nullable=False),
    sa.Column('direction', sa.String(length=20), nullable=False),
    sa.Column('document', sa.String(length=1000), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('excerpt', sa.Text(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('assessment_id', 'company_key', 'level', 'element')
    )
    with op.batch_alter_table('grade_change', schema=None) as batch_op:
        batch_op.create_index('ix_grade_change_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_grade_change_assessment_id'), ['assessment_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('grade_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grade_change_assessment_id'))
        batch_op.drop_index('ix_grade_change_at')
    op.drop_table('grade_change')
    with op.batch_alter_table('judgment', schema=None) as batch_op:
        batch_op.drop_column('change')
        batch_op.drop_column('fingerprint')
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_column('as_of')
