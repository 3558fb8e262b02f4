"""What an ingest call reports back (`IngestResult`) and how it refuses a record (`IngestError`)."""

from __future__ import annotations

from dataclasses import dataclass, field


class IngestError(ValueError):
    """A record that cannot be stored as given; the message names the shop, record and reason.

    Raised rather than skipping the record, so that a connector or an import sees the problem
    and a person can fix the source instead of losing data silently.
    """

    def __init__(self, shop_domain: str, kind: str, external_id: object, reason: str):
        self.shop_domain = shop_domain
        self.kind = kind
        self.external_id = external_id
        self.reason = reason
        super().__init__(f"shop {shop_domain}: {kind} {external_id!r}: {reason}")


@dataclass
class IngestResult:
    inserted: int = 0
    updated: int = 0
    # Rows not written because the stored version is newer (or equal and identical).
    unchanged_or_stale: int = 0
    # Customers whose profile, orders, carts or statistics changed (or that were merged away):
    # the segment engine re-checks exactly these.
    customer_ids: set[int] = field(default_factory=set)

    def merge(self, other: IngestResult) -> IngestResult:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged_or_stale += other.unchanged_or_stale
        self.customer_ids |= other.customer_ids
        return self

    @property
    def written(self) -> int:
        return self.inserted + self.updated
