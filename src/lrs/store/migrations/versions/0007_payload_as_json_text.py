"""PostgreSQL: statements.payload as json (text), compressed with lz4, instead of jsonb

A page of statements is the stored JSON passed on as text. From jsonb every row had to be turned back into
text: 4.5 of a 100-statement page's ~8 ms of database time (200,000 statements, warm). json keeps the text
as it was written; lz4 decompresses it faster than PostgreSQL's default pglz. Nothing queries inside the
payload, so nothing needs jsonb's operators or indexes. SQLite stores JSON as text already: no change there.

The type change rewrites the table, locked meanwhile: 18 s for 200,000 statements on the benchmark machine.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _lz4_available() -> bool:
    """Column compression came in PostgreSQL 14; lz4 needs a server built with it (most packages are)."""
    bind = op.get_bind()
    if bind.dialect.server_version_info < (14,):
        return False
    methods = bind.exec_driver_sql(
        "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"
    ).scalar()
    return bool(methods) and "lz4" in methods


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # One ALTER: the rewrite it makes compresses every row with lz4 (a separate SET COMPRESSION would apply only
    # to rows written later, and one before the type change is reset by it).
    lz4 = ", ALTER COLUMN payload SET COMPRESSION lz4" if _lz4_available() else ""
    op.execute(f"ALTER TABLE statements ALTER COLUMN payload TYPE json USING payload::json{lz4}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE statements ALTER COLUMN payload SET COMPRESSION default")
    op.execute("ALTER TABLE statements ALTER COLUMN payload TYPE jsonb USING payload::jsonb")
