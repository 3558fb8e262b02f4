"""Keeping segments current after ingest: re-check the customers it touched, or all of them.

An import or sync run collects the customers its batches touched; at the end it asks for
their re-check against every segment of the shop. Past INCREMENTAL_LIMIT customers one
full evaluation per segment is cheaper than the per-customer re-check, and the set stops
growing, so memory stays bounded on a run of millions.
"""

from __future__ import annotations

from collections.abc import Iterable

from sync.queue import JobHandle, enqueue
from sync.segments.jobs import evaluate_customers_job, evaluate_shop_job
from sync.settings import Settings

INCREMENTAL_LIMIT = 20_000


class TouchedCustomers:
    """The customer ids a run touched, until there are too many to re-check one by one."""

    def __init__(self, limit: int = INCREMENTAL_LIMIT):
        self.limit = limit
        self.ids: set[int] = set()
        self.overflow = False

    def add(self, customer_ids: Iterable[int]) -> None:
        if self.overflow:
            return
        self.ids.update(customer_ids)
        if len(self.ids) > self.limit:
            self.overflow = True
            self.ids.clear()

    def __bool__(self) -> bool:
        return self.overflow or bool(self.ids)


def refresh_segments(
    settings: Settings, shop_id: int, touched: TouchedCustomers
) -> JobHandle | None:
    """Enqueue the re-check the run calls for (nothing when it touched nobody)."""
    if touched.overflow:
        return enqueue(
            settings, evaluate_shop_job, shop_id, job_id=f"segments-evaluate-shop-{shop_id}"
        )
    if touched.ids:
        return enqueue(settings, evaluate_customers_job, shop_id, sorted(touched.ids))
    return None
