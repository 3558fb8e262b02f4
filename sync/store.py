"""The shop's tables (SQLAlchemy 2) and the engine/session factory, for SQLite and PostgreSQL.

Every row belongs to one shop; platform ids are `external_id`, unique per shop. Timestamps
are naive UTC; the `*_date` columns beside them hold the shop-local calendar day, computed
at ingest, so that segment conditions on days are plain indexed comparisons on both
databases. The schema itself is made only by Alembic (sync/migrations).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)

from sync.segments import sqlite_math

# JSONB on PostgreSQL (GIN-indexable, containment operators), JSON text on SQLite.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")
Money = Numeric(14, 2)
# BIGINT primary keys on PostgreSQL; SQLite only autoincrements INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PLATFORMS = ("shopify", "woocommerce", "prestashop", "csv")
ORDER_STATUSES = ("paid", "pending", "cancelled", "refunded")
# Orders with these statuses do not count in customer statistics (docs/data-rules.md).
UNCOUNTED_ORDER_STATUSES = ("cancelled", "refunded")
CHANNELS = ("online", "store", "mobile", "tablet", "marketplace")
SUBSCRIPTION_STATUSES = ("SUBSCRIBED", "NOT_SUBSCRIBED", "UNSUBSCRIBED")
DELIVERY_STATUSES = ("received", "processing", "done", "failed", "ignored")
SYNC_STATUSES = ("queued", "running", "succeeded", "failed")


def utcnow() -> datetime:
    """Naive UTC now: every timestamp column holds naive UTC."""
    return datetime.utcnow().replace(microsecond=0)


def new_public_id() -> str:
    """16 URL-safe random characters, the first a letter or digit: an id starting with '-'
    would read as an option where a command line takes it (`cible campaign status ID`)."""
    while True:
        value = secrets.token_urlsafe(12)
        if value[0].isalnum():
            return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Shop(Base):
    """One installation: a connected shop and its (encrypted) credentials."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    platform: Mapped[str] = mapped_column(String(20))
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    language: Mapped[str] = mapped_column(String(16), default="en")
    # Fernet token of a JSON dict (sync.secrets.SecretBox); never plain text.
    credentials: Mapped[str | None] = mapped_column(Text)
    # Per-stream bookmarks: {"orders": "2026-11-20T10:00:00", ...}
    sync_cursors: Mapped[dict] = mapped_column(JSONType, default=dict)
    settings: Mapped[dict] = mapped_column(JSONType, default=dict)
    installed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    uninstalled_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class _Statistic:
    """A figure of the customer's CustomerStatistics row, read and written through the
    customer (`customer.orders_count`), as when it was a column of customers. In SQL, use
    CustomerStatistics' own columns."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, customer, owner=None):
        if customer is None:
            return self
        return getattr(customer.statistics, self.name)

    def __set__(self, customer, value) -> None:
        setattr(customer.statistics, self.name, value)


class Customer(Base):
    """A shopper's profile. Its statistics (orders, amount spent...) are a row of their own,
    CustomerStatistics, kept current at ingest."""

    __tablename__ = "customers"
    # The loyalty index carries the id (migration 0008, PostgreSQL): a segment's
    # evaluation reads the matching ids by an index-only scan.
    __table_args__ = (
        UniqueConstraint("shop_id", "external_id"),
        Index("ix_customers_shop_email", "shop_id", "email"),
        Index("ix_customers_shop_created_date", "shop_id", "created_date"),
        Index("ix_customers_shop_city", "shop_id", "city"),
        Index("ix_customers_shop_lat_lon", "shop_id", "latitude", "longitude"),
        Index("ix_customers_tags", "tags", postgresql_using="gin"),
        # The segment conditions' indexes of migration 0002 (sync/segments/compile.py); the
        # birthday expression index is created there too, on PostgreSQL only.
        Index("ix_customers_shop_birth_date", "shop_id", "birth_date"),
        Index(
            "ix_customers_shop_loyalty_tier", "shop_id", "loyalty_tier", postgresql_include=["id"]
        ),
        Index("ix_customers_shop_industry", "shop_id", "industry"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    # Platform id; guests without one get "guest:<email>" (sync.ingest).
    external_id: Mapped[str] = mapped_column(String(255))
    is_guest: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    gender: Mapped[str | None] = mapped_column(String(16))
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    # Address (the default one) with coordinates for distance segments.
    city: Mapped[str | None] = mapped_column(String(255))
    region: Mapped[str | None] = mapped_column(String(255))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(2))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Consent: status plus when, how and with which wording it was given.
    email_subscription_status: Mapped[str] = mapped_column(String(16), default="NOT_SUBSCRIBED")
    email_consent_at: Mapped[datetime | None] = mapped_column(DateTime)
    email_consent_source: Mapped[str | None] = mapped_column(String(255))
    sms_subscription_status: Mapped[str] = mapped_column(String(16), default="NOT_SUBSCRIBED")
    sms_consent_at: Mapped[datetime | None] = mapped_column(DateTime)
    tags: Mapped[list] = mapped_column(JSONType, default=list)
    loyalty_tier: Mapped[str | None] = mapped_column(String(64))
    loyalty_points: Mapped[int | None] = mapped_column(Integer)
    company: Mapped[str | None] = mapped_column(String(255))
    industry: Mapped[str | None] = mapped_column(String(255))
    # Declared preferences and any extra columns: {"favorite_chocolate": "dark"}.
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict)
    # When the customer was created on the platform, and that day in the shop's time zone.
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_date: Mapped[date | None] = mapped_column(Date)
    # The platform's last modification: the version an upsert compares against.
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    ingested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The figures over counted orders, a row of their own (CustomerStatistics), loaded with
    # the customer and readable (and, for a new customer, settable) as its attributes.
    statistics: Mapped[CustomerStatistics] = relationship(
        back_populates="customer",
        lazy="joined",
        innerjoin=True,
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    orders_count = _Statistic()
    total_spent = _Statistic()
    average_order_value = _Statistic()
    first_order_at = _Statistic()
    last_order_at = _Statistic()
    first_order_date = _Statistic()
    last_order_date = _Statistic()


class CustomerStatistics(Base):
    """A customer's statistics over counted orders (docs/data-rules.md): number of orders,
    amount spent, average order, first and last order. Ingest keeps them current in the
    transaction that writes the orders (sync.ingest.statistics).

    A narrow table of their own (migration 0009) because ingest rewrites these figures
    for every customer a batch of orders touches: on the customer row each rewrite
    inserted an entry into all 15 of its indexes. Here the row is about 90 bytes with no
    index but its key, so a rewrite is a HOT update (on PostgreSQL the table keeps 20% of
    each page free for them), and a segment on the figures scans a table about a third
    the size of customers. Every customer has exactly one row: the ORM creates it with the
    customer, ingest inserts it beside each new customer, and deleting a customer deletes
    it (ON DELETE CASCADE). `shop_id` repeats the customer's, so that segments on the
    figures alone read this table alone.
    """

    __tablename__ = "customer_statistics"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    shop_id: Mapped[int] = mapped_column(Id)
    orders_count: Mapped[int] = mapped_column(Integer, default=0)
    total_spent: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    average_order_value: Mapped[Decimal | None] = mapped_column(Money)
    first_order_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_order_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_order_date: Mapped[date | None] = mapped_column(Date)
    last_order_date: Mapped[date | None] = mapped_column(Date)
    customer: Mapped[Customer] = relationship(back_populates="statistics")


# The figures CustomerStatistics holds, in the order its statements list them.
STATISTICS_COLUMNS = (
    "orders_count", "total_spent", "average_order_value", "first_order_at", "last_order_at",
    "first_order_date", "last_order_date",
)  # fmt: skip


@event.listens_for(Customer, "init")
def _customer_with_statistics(target: Customer, _args, _kwargs) -> None:
    """Every customer made through the ORM gets its statistics row (zero orders)."""
    target.statistics = CustomerStatistics()


@event.listens_for(CustomerStatistics, "before_insert")
def _statistics_shop(_mapper, _connection, target: CustomerStatistics) -> None:
    if target.shop_id is None:
        target.shop_id = target.customer.shop_id


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("shop_id", "external_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(512))
    sku: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(255))
    vendor: Mapped[str | None] = mapped_column(String(255))
    price: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str | None] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(String(1024))
    image_url: Mapped[str | None] = mapped_column(String(1024))
    tags: Mapped[list] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    ingested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Order(Base):
    """An order. Like its lines, it carries no foreign keys (migration 0007): the checks cost
    more than half of every order's insert (each one locks its customer's row, a WAL record
    per order). Ingest writes `customer_id` only from a customer it just found; code that
    deletes customers detaches their orders first (`sync.ingest.detach_orders`); erase_shop
    deletes orders explicitly.
    """

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "external_id"),
        Index("ix_orders_customer_created", "customer_id", "created_at"),
        # Only orders waiting for their customer are looked up by its platform id or email
        # (migration 0006): partial indexes, so linked orders (nearly all) pay nothing.
        Index(
            "ix_orders_shop_customer_external_id",
            "shop_id",
            "customer_external_id",
            postgresql_where=text("customer_id IS NULL"),
            sqlite_where=text("customer_id IS NULL"),
        ),
        Index(
            "ix_orders_shop_email",
            "shop_id",
            "email",
            postgresql_where=text("customer_id IS NULL"),
            sqlite_where=text("customer_id IS NULL"),
        ),
        Index("ix_orders_shop_created_date", "shop_id", "created_date"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    shop_id: Mapped[int] = mapped_column(Id)
    external_id: Mapped[str] = mapped_column(String(255))
    # Linked at ingest, or later when the customer arrives (webhooks race).
    customer_id: Mapped[int | None] = mapped_column(Id)
    customer_external_id: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), default="paid")
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    currency: Mapped[str | None] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(16), default="online")
    discount_code: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_date: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    ingested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class OrderLine(Base):
    """A line of an order, keyed by (order, line key) once its order is stored, and by
    (order external id, line key) while it waits for it, so lines may arrive alone.

    Lean on purpose (migrations 0006 and 0010): lines are the bulk of every load, so they
    carry no foreign keys (ingest writes them only under their order's key; erase_shop
    deletes them explicitly) and only the indexes ingest and segment queries need. The
    key (order_id, line_key) also serves every read of an order's lines; lines waiting for
    their order (order_id NULL) are the only ones indexed by the order's external id.
    """

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_key"),
        Index(
            "uq_order_lines_waiting",
            "shop_id",
            "order_external_id",
            "line_key",
            unique=True,
            postgresql_where=text("order_id IS NULL"),
            sqlite_where=text("order_id IS NULL"),
        ),
        Index("ix_order_lines_shop_category_order", "shop_id", "category", "order_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    shop_id: Mapped[int] = mapped_column(Id)
    order_id: Mapped[int | None] = mapped_column(Id)
    order_external_id: Mapped[str] = mapped_column(String(255))
    line_key: Mapped[str] = mapped_column(String(255))
    product_external_id: Mapped[str | None] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(512))
    category: Mapped[str | None] = mapped_column(String(255))
    vendor: Mapped[str | None] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))


class Cart(Base):
    """A shopper's cart or checkout; abandoned when idle and not followed by an order."""

    __tablename__ = "carts"
    __table_args__ = (
        UniqueConstraint("shop_id", "external_id"),
        Index("ix_carts_customer_updated", "customer_id", "updated_at"),
        Index("ix_carts_shop_customer_external_id", "shop_id", "customer_external_id"),
        Index("ix_carts_shop_updated_date", "shop_id", "updated_date"),  # migration 0002
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    customer_external_id: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    value: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    currency: Mapped[str | None] = mapped_column(String(3))
    items_count: Mapped[int] = mapped_column(Integer, default=0)
    # [{"product_external_id", "sku", "title", "category", "quantity", "unit_price"}]
    items: Mapped[list] = mapped_column(JSONType, default=list)
    recovery_url: Mapped[str | None] = mapped_column(String(1024))
    # Set when the cart became an order.
    order_external_id: Mapped[str | None] = mapped_column(String(255))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_date: Mapped[date | None] = mapped_column(Date)
    ingested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Visitor(Base):
    """A storefront visitor (a browser), linked to a customer once signed identity arrives."""

    __tablename__ = "visitors"
    __table_args__ = (
        UniqueConstraint("shop_id", "token"),
        Index("ix_visitors_customer", "customer_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_date: Mapped[date | None] = mapped_column(Date)
    page_views: Mapped[int] = mapped_column(Integer, default=0)
    country: Mapped[str | None] = mapped_column(String(2))
    device: Mapped[str | None] = mapped_column(String(16))


class StorefrontEvent(Base):
    """What a visitor did on the storefront: page views, impressions, clicks, cart activity."""

    __tablename__ = "storefront_events"
    __table_args__ = (
        Index("ix_storefront_events_shop_kind_occurred", "shop_id", "kind", "occurred_at"),
        Index("ix_storefront_events_customer_occurred", "customer_id", "occurred_at"),
        Index("ix_storefront_events_visitor", "visitor_id"),
        # campaign_events(campaign:, type:, since:) in segments (migration 0004).
        Index(
            "ix_storefront_events_shop_campaign_kind_date",
            "shop_id",
            "campaign",
            "kind",
            "occurred_date",
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    visitor_id: Mapped[int | None] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(String(2048))
    page_type: Mapped[str | None] = mapped_column(String(32))
    product_external_id: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    occurred_date: Mapped[date | None] = mapped_column(Date)
    # Impressions, clicks, closes, submissions: the campaign's public id and variant key.
    campaign: Mapped[str | None] = mapped_column(String(32))
    variant: Mapped[str | None] = mapped_column(String(32))


class WebhookDelivery(Base):
    """An incoming webhook, recorded before we answer and processed by a job (the inbox)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("shop_id", "event_id"),
        Index("ix_webhook_deliveries_status_received", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(String(128))
    # The platform's id for this event (deduplication key) and for the subscription.
    event_id: Mapped[str] = mapped_column(String(255))
    webhook_id: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="received")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime)


class SyncRun(Base):
    """One run of a stream (platform sync, CSV import, demo data) with progress to watch."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_shop_started", "shop_id", "started_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="full")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    job_id: Mapped[str | None] = mapped_column(String(128))
    records_done: Mapped[int] = mapped_column(Integer, default=0)
    records_total: Mapped[int | None] = mapped_column(Integer)
    errors_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    cursor_from: Mapped[str | None] = mapped_column(String(64))
    cursor_to: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


# Tables whose rows belong to a shop, children first (erasure order).
SHOP_TABLES = (
    StorefrontEvent,
    Visitor,
    OrderLine,
    Cart,
    Order,
    Product,
    CustomerStatistics,
    Customer,
    WebhookDelivery,
    SyncRun,
)


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine with the settings each database needs (SQLite: WAL, foreign keys)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", sqlite_math.register)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per database URL and process (workers, CLI and web share the logic)."""
    return make_engine(url)


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


def shop_by_domain(session: Session, domain: str) -> Shop | None:
    return session.scalar(select(Shop).where(Shop.domain == domain.strip().lower()))
