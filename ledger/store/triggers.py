"""The database triggers that make the log tables append-only, for each engine.

One definition serves the migration and anyone who must restore the triggers
(the test suite after it plays an attacker who dropped them).
"""

from __future__ import annotations

APPEND_ONLY_TABLES = ("entries", "tree_nodes", "checkpoints")

_SQLITE_KEYS = {
    "entries": "idx = NEW.idx OR submission_id = NEW.submission_id",
    "tree_nodes": "level = NEW.level AND idx = NEW.idx",
    "checkpoints": "tree_size = NEW.tree_size",
}
_PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION scrapledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN RAISE EXCEPTION 'scrapledger: % on % refused: the log is append-only', TG_OP, TG_TABLE_NAME;"
    " END $$"
)


def append_only_ddl(dialect: str) -> list[str]:
    """Return the statements that (re)create the append-only triggers on `dialect`."""
    if dialect == "postgresql":
        statements = [_PG_FUNCTION]
        for table in APPEND_ONLY_TABLES:
            statements += [
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION scrapledger_append_only()",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION scrapledger_append_only()",
            ]
        return statements
    statements = []
    for table, key in _SQLITE_KEYS.items():
        # INSERT OR REPLACE deletes the old row without firing delete triggers: refuse it up front.
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_no_replace",
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN EXISTS"
            f" (SELECT 1 FROM {table} WHERE {key})"
            f" BEGIN SELECT RAISE(ABORT, 'scrapledger: overwriting a row of {table} refused: the log is append-only');"
            " END",
        ]
        for action in ("UPDATE", "DELETE"):
            name = f"{table}_no_{action.lower()}"
            statements += [
                f"DROP TRIGGER IF EXISTS {name}",
                f"CREATE TRIGGER {name} BEFORE {action} ON {table}"
                f" BEGIN SELECT RAISE(ABORT, 'scrapledger: {action} on {table} refused: the log is append-only'); END",
            ]
    return statements
