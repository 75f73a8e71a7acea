"""The migrations and the models describe the same schema, so what the code expects is what `lrs db upgrade`
builds (tables, columns, indexes), on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import lrs.store.erasure  # noqa: F401 - declares its tables on Base.metadata
import lrs.store.evidence  # noqa: F401
import lrs.store.forwarding  # noqa: F401
import lrs.store.importing  # noqa: F401
import lrs.store.reviews  # noqa: F401
import lrs.store.users  # noqa: F401
from lrs.store.db import Database
from lrs.store.models import Base


def test_a_migrated_database_has_the_schema_the_models_declare(database_url):
    db = Database(database_url)
    try:
        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        db.dispose()
    assert differences == []
