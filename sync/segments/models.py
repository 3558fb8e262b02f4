"""Stored segments, their current members, and every entry and exit (history and size).

Tables made by migration 0002. Members are the current state; events are the append-only
history ("entered segment" triggers, who left when); sizes are one row per evaluation so
the size over time is a plain read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sync.store import Base, Id, JSONType, utcnow

EVENT_KINDS = ("entered", "exited")


class Segment(Base):
    __tablename__ = "segments"
    __table_args__ = (
        UniqueConstraint("shop_id", "name"),
        Index("ix_segments_shop_time_relative", "shop_id", "time_relative"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    # The query as the merchant wrote it, and its canonical AST (sync.segments.language).
    query: Mapped[str] = mapped_column(Text)
    ast: Mapped[dict] = mapped_column(JSONType)
    # The template it was made from, if any (sync.segments.templates).
    template: Mapped[str | None] = mapped_column(String(64))
    # Time alone moves customers in or out: re-evaluated daily at the shop's midnight.
    time_relative: Mapped[bool] = mapped_column(Boolean, default=False)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    # XOR of a 64-bit hash of every member's id (PostgreSQL's hashint8extended), kept with
    # every change of the members (migration 0006); NULL when unknown (SQLite, customers
    # deleted). A full evaluation whose matches have the same count and fingerprint has
    # nothing to apply and skips the membership difference (sync.segments.evaluate).
    members_fingerprint: Mapped[int | None] = mapped_column(BigInteger)
    last_evaluated_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class SegmentMember(Base):
    __tablename__ = "segment_members"
    __table_args__ = (Index("ix_segment_members_customer", "customer_id"),)

    segment_id: Mapped[int] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    since: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SegmentEvent(Base):
    __tablename__ = "segment_events"
    __table_args__ = (
        Index("ix_segment_events_segment_at", "segment_id", "at"),
        Index("ix_segment_events_customer_at", "customer_id", "at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(DateTime)


class SegmentSize(Base):
    __tablename__ = "segment_sizes"
    __table_args__ = (Index("ix_segment_sizes_segment_at", "segment_id", "at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime)
    size: Mapped[int] = mapped_column(Integer)
    entered: Mapped[int] = mapped_column(Integer, default=0)
    exited: Mapped[int] = mapped_column(Integer, default=0)
