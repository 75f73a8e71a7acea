"""A salt per credential, and a table for the secrets the server makes for itself

``credentials.secret_salt``: new credentials keep SHA-256(salt + secret), so two credentials with the same
secret no longer share a hash. Existing rows keep a NULL salt and their unsalted hash, which still verifies:
no credential stops working.

``server_secrets``: the key that signs ``more`` cursors (made on first use), shared by every worker.

Revision ID: 0008_credential_salt
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_credential_salt"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("secret_salt", sa.String(32), nullable=True))
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("server_secrets")
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("secret_salt")
