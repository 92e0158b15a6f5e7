"""A home's unit vector (``users.home_x/y/z``), kept in step with its lat/lon by the database.

The radius search (geo/radius.py) tests distance with the vector: arithmetic in SQL, no
trigonometry per row. Database triggers fill it, so every writer of ``home_lat`` and
``home_lon`` keeps it right: the API, bulk loads (bench/), the previous release during an
upgrade. Not generated columns: SQLite counts a query that reads a generated column as
reading every column, so the radius index would no longer cover it (a table lookup for
each of the thousands of homes in a city's 2 km box).
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, event

COLUMNS = ("home_x", "home_y", "home_z")
# Of the row being written (NEW), in both databases' SQL; the Python twin is
# geo.radius.unit_vector.
_VECTOR = {
    "home_x": "cos(radians(NEW.home_lat)) * cos(radians(NEW.home_lon))",
    "home_y": "cos(radians(NEW.home_lat)) * sin(radians(NEW.home_lon))",
    "home_z": "sin(radians(NEW.home_lat))",
}
_SET = ", ".join(f"{column} = {expression}" for column, expression in _VECTOR.items())
_ASSIGN = "".join(f"NEW.{column} := {expression}; " for column, expression in _VECTOR.items())

# SQLite triggers cannot change NEW: they update the row just written (by rowid = id).
CREATE = {
    "sqlite": [
        "CREATE TRIGGER users_home_vector_insert AFTER INSERT ON users "  # noqa: S608 - constants
        f"WHEN NEW.home_lat IS NOT NULL BEGIN UPDATE users SET {_SET} WHERE id = NEW.id; END",
        "CREATE TRIGGER users_home_vector_update AFTER UPDATE OF home_lat, home_lon ON users "  # noqa: S608, E501
        f"BEGIN UPDATE users SET {_SET} WHERE id = NEW.id; END",
    ],
    "postgresql": [
        "CREATE FUNCTION users_home_vector() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {_ASSIGN}RETURN NEW; END $$",
        "CREATE TRIGGER users_home_vector BEFORE INSERT OR UPDATE OF home_lat, home_lon "
        "ON users FOR EACH ROW EXECUTE FUNCTION users_home_vector()",
    ],
}
DROP = {
    "sqlite": ["DROP TRIGGER users_home_vector_insert", "DROP TRIGGER users_home_vector_update"],
    "postgresql": ["DROP TRIGGER users_home_vector ON users", "DROP FUNCTION users_home_vector()"],
}
# The rows already there (a migration): the same expressions, of each row itself.
BACKFILL = f"UPDATE users SET {_SET.replace('NEW.', '')} WHERE home_lat IS NOT NULL"  # noqa: S608


def attach_triggers(users: Table) -> None:
    """Create the triggers with the table (``create_all``: tests, benchmarks, the demo)."""
    for dialect, statements in CREATE.items():
        for statement in statements:
            event.listen(users, "after_create", DDL(statement).execute_if(dialect=dialect))
