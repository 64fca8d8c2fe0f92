"""assessments and embeddings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 05:23:11.932918
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('index', sa.String(length=100), nullable=False),
    sa.Column('methodology', sa.String(length=50), nullable=False),
    sa.Column('manifest_path', sa.String(length=2000), nullable=False),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('model_version', sa.String(length=100), nullable=False),
    sa.Column('prior_sha256', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_key'), ['key'], unique=False)

    op.create_table('embedding',
    sa.Column('model', sa.String(length=40), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('model', 'text_sha256')
    )
    op.create_table('company_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('company_key', sa.String(length=200), nullable=False),
    sa.Column('cache_key', sa.String(length=64), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('reused_from', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('assessment_id', 'company_key')
    )
    with op.batch_alter_table('company_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_run_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_run_cache_key'), ['cache_key'], unique=False)

    op.create_table('judgment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=200), nullable=False),
    sa.Column('service_kind', sa.String(length=50), nullable=True),
    sa.Column('element', sa.String(length=20), nullable=False),
    sa.Column('result', sa.String(length=30), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('probabilities', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('prior_result', sa.String(length=30), nullable=True),
    sa.Column('prior_relation', sa.String(length=20), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['company_run.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'level', 'element')
    )
    with op.batch_alter_table('judgment', schema=None) as batch_op:
        batch_op.create_index('ix_judgment_element', ['element'], unique=False)
        batch_op.create_index(batch_op.f('ix_judgment_run_id'), ['run_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('judgment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_judgment_run_id'))
        batch_op.drop_index('ix_judgment_element')

    op.drop_table('judgment')
    with op.batch_alter_table('company_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_run_cache_key'))
        batch_op.drop_index(batch_op.f('ix_company_run_assessment_id'))

    op.drop_table('company_run')
    op.drop_table('embedding')
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_key'))

    op.drop_table('assessment')

