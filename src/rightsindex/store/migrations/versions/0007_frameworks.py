"""notice frameworks: item_judgment (a GDPR/PIPL notice duty per company run, service and item);
grade_change.element widened to hold "framework:item" (the feed of duties that moved)

Revision ID: 0007fw
Revises: 0006
Create Date: 2026-12-06 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007fw'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('item_judgment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('framework', sa.String(length=50), nullable=False),
    sa.Column('item', sa.String(length=60), nullable=False),
    sa.Column('article', sa.String(length=60), nullable=False),
    sa.Column('level', sa.String(length=200), nullable=False),
    sa.Column('result', sa.String(length=30), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('probability', sa.Float(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('why', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['company_run.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'framework', 'level', 'item')
    )
    with op.batch_alter_table('item_judgment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_judgment_run_id'), ['run_id'], unique=False)
        batch_op.create_index('ix_item_judgment_item', ['framework', 'item'], unique=False)
    with op.batch_alter_table('grade_change', schema=None) as batch_op:
        batch_op.alter_column('element', existing_type=sa.String(length=20), type_=sa.String(length=80), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('grade_change', schema=None) as batch_op:
        batch_op.alter_column('element', existing_type=sa.String(length=80), type_=sa.String(length=20), existing_nullable=False)
    with op.batch_alter_table('item_judgment', schema=None) as batch_op:
        batch_op.drop_index('ix_item_judgment_item')
        batch_op.drop_index(batch_op.f('ix_item_judgment_run_id'))
    op.drop_table('item_judgment')
