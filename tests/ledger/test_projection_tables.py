"""Every table is the log, operational state, or a projection that rebuild empties and replays."""

from __future__ import annotations

from ledger.store.tables import PROJECTION_TABLES, SQLModel

LOG_TABLES = {"entries", "tree_nodes", "checkpoints"}
OPERATIONAL_TABLES = {"api_tokens", "meta", "verdicts", "audit_jobs", "web_sessions"}


def test_every_table_is_log_operational_or_projection():
    unclassified = set(SQLModel.metadata.tables) - LOG_TABLES - OPERATIONAL_TABLES - set(PROJECTION_TABLES)
    assert unclassified == set(), f"add {sorted(unclassified)} to PROJECTION_TABLES or to this test's lists"


def test_no_log_table_is_emptied_by_a_rebuild():
    assert LOG_TABLES.isdisjoint(PROJECTION_TABLES)
