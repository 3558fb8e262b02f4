"""sin and cos for SQLite builds compiled without its math functions (distance segments).

SQLite 3.35+ usually ships them (SQLITE_ENABLE_MATH_FUNCTIONS); where it does not, the
same functions are registered from Python on each new connection so that
`customer_within_distance` compiles to the same SQL on every build.
"""

from __future__ import annotations

import math
import sqlite3


def register(dbapi_connection, _record=None) -> None:
    """Connect-event listener: adds sin/cos when this SQLite lacks them."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    try:
        dbapi_connection.execute("SELECT sin(0), cos(0)").fetchone()
    except sqlite3.OperationalError:
        for name, function in (("sin", math.sin), ("cos", math.cos)):
            dbapi_connection.create_function(
                name, 1, lambda x, f=function: None if x is None else f(x), deterministic=True
            )
