"""The Alembic migrations build exactly the schema that the SQLModel tables declare.

The hot path writes SQL by hand (ledger/store/direct_sql.py, ancestry_json.py)
against columns declared twice: in `tables.py` and in the migrations. A column
added to one and not the other would only show on a fresh install.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import ledger.store.tables  # noqa: F401  (declares the tables on SQLModel.metadata)


def test_a_migrated_database_has_every_table_column_index_and_type_the_models_declare(settings, genesis: Any):
    engine = create_engine(settings.database_url.replace("postgresql://", "postgresql+psycopg://"), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == []
