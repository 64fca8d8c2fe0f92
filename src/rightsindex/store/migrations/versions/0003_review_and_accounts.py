"""review and accounts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 06:27:07.988536
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_setting',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('review_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('methodology', sa.String(length=50), nullable=True),
    sa.Column('company_key', sa.String(length=200), nullable=True),
    sa.Column('level', sa.String(length=200), nullable=True),
    sa.Column('element', sa.String(length=20), nullable=True),
    sa.Column('step', sa.String(length=20), nullable=True),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_audit', schema=None) as batch_op:
        batch_op.create_index('ix_review_audit_key', ['company_key', 'level', 'element'], unique=False)

    op.create_table('review_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('methodology', sa.String(length=50), nullable=False),
    sa.Column('company_key', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=200), nullable=False),
    sa.Column('element', sa.String(length=20), nullable=False),
    sa.Column('step', sa.String(length=20), nullable=True),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_comment', schema=None) as batch_op:
        batch_op.create_index('ix_review_comment_key', ['company_key', 'level', 'element'], unique=False)

    op.create_table('review_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('methodology', sa.String(length=50), nullable=False),
    sa.Column('company_key', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=200), nullable=False),
    sa.Column('element', sa.String(length=20), nullable=False),
    sa.Column('step', sa.String(length=20), nullable=False),
    sa.Column('result', sa.String(length=30), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('auto_result', sa.String(length=30), nullable=True),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.Column('basis', sa.JSON(), nullable=False),
    sa.Column('needs_rereview', sa.Boolean(), nullable=False),
    sa.Column('rereview_reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('methodology', 'company_key', 'level', 'element', 'step')
    )
    with op.batch_alter_table('review_decision', schema=None) as batch_op:
        batch_op.create_index('ix_review_decision_company', ['company_key'], unique=False)

    op.create_table('app_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('app_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_session_user_id'), ['user_id'], unique=False)

    _append_only_triggers()


APPEND_ONLY = ("review_audit", "review_comment")


def _append_only_triggers() -> None:
    """The audit log and the comments refuse UPDATE and DELETE in the database itself."""
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        elif dialect == "postgresql":
            op.execute(
                f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN RAISE EXCEPTION '{table} is append-only'; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
            )


def _drop_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table('app_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_session_user_id'))

    op.drop_table('app_session')
    with op.batch_alter_table('review_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_review_decision_company')

    op.drop_table('review_decision')
    with op.batch_alter_table('review_comment', schema=None) as batch_op:
        batch_op.drop_index('ix_review_comment_key')

    op.drop_table('review_comment')
    with op.batch_alter_table('review_audit', schema=None) as batch_op:
        batch_op.drop_index('ix_review_audit_key')

    op.drop_table('review_audit')
    op.drop_table('app_user')
    op.drop_table('app_setting')
