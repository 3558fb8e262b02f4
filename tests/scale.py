"""The size of the issues' full-size platform scenarios: 20,000 customers and 60,000 orders.

`CIBLE_TEST_SCALE=small` runs them at a tenth of that. CI's SQLite pass does so (the same
scenarios, smaller) to keep CI well under 15 minutes; its PostgreSQL pass, the production
database, runs them at full size, as `make test` does by default.
"""

from __future__ import annotations

import os

FULL = os.environ.get("CIBLE_TEST_SCALE", "full") != "small"
CUSTOMERS, ORDERS = (20_000, 60_000) if FULL else (2_000, 6_000)


def scaled(count: int) -> int:
    """A count of the full-size scenario, at this run's scale."""
    return count if FULL else max(1, count // 10)
