"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 07:41:52.455847
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('activities',
    sa.Column('iri', sa.Text(), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('updated', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('iri')
    )
    op.create_table('attachments',
    sa.Column('sha2', sa.String(length=128), nullable=False),
    sa.Column('content_type', sa.Text(), nullable=False),
    sa.Column('length', sa.BigInteger(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('sha2')
    )
    op.create_table('credentials',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('authority', sa.JSON(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('agent_key', sa.Text(), nullable=True),
    sa.Column('cohorts', sa.JSON(), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('documents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('activity_iri', sa.Text(), nullable=False),
    sa.Column('agent_key', sa.Text(), nullable=False),
    sa.Column('registration', sa.String(length=36), nullable=False),
    sa.Column('document_id', sa.Text(), nullable=False),
    sa.Column('content_type', sa.Text(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('updated', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('ux_documents_address', ['kind', 'activity_iri', 'agent_key', 'registration', 'document_id'], unique=True)

    op.create_table('statements',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('stored', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp', sa.DateTime(timezone=True), nullable=False),
    sa.Column('verb_iri', sa.Text(), nullable=False),
    sa.Column('registration', sa.String(length=36), nullable=True),
    sa.Column('object_statement_id', sa.String(length=36), nullable=True),
    sa.Column('is_voiding', sa.Boolean(), nullable=False),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('authority_key', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=16), nullable=False),
    sa.Column('learning_mode', sa.String(length=16), nullable=True),
    sa.Column('rules_fingerprint', sa.String(length=16), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('id')
    )
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.create_index('ix_statements_authority_seq', ['authority_key', 'seq'], unique=False)
        batch_op.create_index('ix_statements_mode_seq', ['learning_mode', 'seq'], unique=False)
        batch_op.create_index('ix_statements_object_statement', ['object_statement_id'], unique=False)
        batch_op.create_index('ix_statements_registration_seq', ['registration', 'seq'], unique=False)
        batch_op.create_index('ix_statements_stored', ['stored'], unique=False)
        batch_op.create_index('ix_statements_verb_seq', ['verb_iri', 'seq'], unique=False)

    op.create_table('statement_activities',
    sa.Column('statement_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('activity_iri', sa.Text(), nullable=False),
    sa.Column('direct', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['statement_seq'], ['statements.seq'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('statement_seq', 'activity_iri')
    )
    with op.batch_alter_table('statement_activities', schema=None) as batch_op:
        batch_op.create_index('ix_statement_activities_iri_seq', ['activity_iri', 'direct', 'statement_seq'], unique=False)

    op.create_table('statement_agents',
    sa.Column('statement_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('agent_key', sa.Text(), nullable=False),
    sa.Column('direct', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['statement_seq'], ['statements.seq'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('statement_seq', 'agent_key')
    )
    with op.batch_alter_table('statement_agents', schema=None) as batch_op:
        batch_op.create_index('ix_statement_agents_key_seq', ['agent_key', 'direct', 'statement_seq'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('statement_agents', schema=None) as batch_op:
        batch_op.drop_index('ix_statement_agents_key_seq')

    op.drop_table('statement_agents')
    with op.batch_alter_table('statement_activities', schema=None) as batch_op:
        batch_op.drop_index('ix_statement_activities_iri_seq')

    op.drop_table('statement_activities')
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_index('ix_statements_verb_seq')
        batch_op.drop_index('ix_statements_stored')
        batch_op.drop_index('ix_statements_registration_seq')
        batch_op.drop_index('ix_statements_object_statement')
        batch_op.drop_index('ix_statements_mode_seq')
        batch_op.drop_index('ix_statements_authority_seq')

    op.drop_table('statements')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ux_documents_address')

    op.drop_table('documents')
    op.drop_table('credentials')
    op.drop_table('attachments')
    op.drop_table('activities')

