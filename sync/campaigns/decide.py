"""Which campaigns a storefront view gets: a pure decision over a per-shop cache.

The shop's live campaigns (rules, variants with their content renderers, the segments they
name) are loaded once per process into `ShopState` and reused until the shop's campaign
version changes: every campaign change bumps it (sync.campaigns.editing), and each process
re-reads the version at most once per CHECK_INTERVAL, or at once when the change was made
in the same process. A request then costs at most one round trip, and none when no
campaign can apply: the identified customer with their memberships of the segments the
campaigns name (segment_members, kept current by the segment engine: no segment is
evaluated here), and the visitor's exposures (server-known caps, and the variant already
seen, which stays), in one statement when both are needed. An anonymous visitor whose
browser sends its own record of what it was shown (`seen`) needs no read at all. Each
variant's answer is JSON written at load; a request fills and encodes only the texts
holding visitor variables.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import (
    Boolean,
    Connection,
    DateTime,
    Engine,
    Integer,
    String,
    column,
    create_engine,
    select,
    text,
)
from sqlalchemy.orm import Session

from sync.campaigns import bucketing, rules
from sync.campaigns.content import (
    Variables,
    compact_json,
    format_amount,
    has_variables,
    json_renderer,
    renderer,
)
from sync.campaigns.editing import on_change
from sync.campaigns.models import (
    Campaign,
    CampaignSegment,
    CampaignVariant,
    CampaignVersion,
)
from sync.store import UNCOUNTED_ORDER_STATUSES, Shop, engine_for

# Seconds a process trusts its cached campaigns before re-reading the shop's version.
CHECK_INTERVAL = 1.0
# Shop facts (domain, origins, time zone) are re-read at least this often.
SHOP_TTL = 60.0
# Idle read connections a process keeps: at least its web threads (gunicorn --threads).
READ_POOL_SIZE = 16


@dataclass(frozen=True)
class LiveVariant:
    id: int
    key: str
    weight: int
    control: bool
    render: Callable[[Variables], dict]
    # The variant's answer as JSON text: `head`, written when the shop's campaigns are
    # loaded, is the object up to its content (the whole object for a control), and
    # `render_json` gives the content's JSON for a visitor.
    head: str
    render_json: Callable[[Variables], str]
    # Whether the content says something of the visitor (holds variables).
    personal: bool = False


@dataclass(frozen=True)
class LiveCampaign:
    id: int
    public_id: str
    kind: str
    slot: str | None
    priority: int
    seed: str
    include: frozenset[int]
    exclude: frozenset[int]
    triggers: list
    frequency: dict
    starts_at: datetime | None
    ends_at: datetime | None
    weekdays: tuple[int, ...]
    hours: dict | None
    variants: tuple[LiveVariant, ...]
    # Whether a view is on the campaign's pages (rules.page_matcher), in its audience
    # (rules.audience_matcher).
    matches_page: Callable[[rules.View], bool] = rules.page_matcher({})
    in_audience: Callable[[rules.View], bool] = rules.audience_matcher({}, frozenset(), frozenset())

    @property
    def uses_history(self) -> bool:
        """Whether the visitor's past can change the answer: a server-known cap, or
        several variants (the one already seen stays, even if the weights changed)."""
        caps = ("max_times", "every_days", "stop_after_conversion", "stop_after_closes")
        return any(self.frequency.get(cap) for cap in caps) or len(self.variants) > 1

    def variant(self, variant_id: int | None) -> LiveVariant | None:
        return next((v for v in self.variants if v.id == variant_id), None)

    def variant_by_key(self, key: str | None) -> LiveVariant | None:
        return next((v for v in self.variants if v.key == key), None)

    def schedule_bounds(self) -> tuple[datetime, ...]:
        """The instants (naive UTC) at which starts_at / ends_at flip the schedule."""
        return tuple(moment for moment in (self.starts_at, self.ends_at) if moment is not None)

    def default_variant(self) -> LiveVariant | None:
        """For a visitor without an id (Do-Not-Track): the heaviest variant that shows
        something, the same on every page; nothing is measured for them."""
        shown = [v for v in self.variants if not v.control and v.weight > 0]
        return max(shown, key=lambda v: v.weight, default=None)


@dataclass
class ShopState:
    shop_id: int
    public_id: str
    domain: str
    timezone: str
    currency: str
    language: str
    origins: frozenset[str]
    version: int
    campaigns: tuple[LiveCampaign, ...]
    segment_ids: frozenset[int]
    loaded_at: float
    checked_at: float
    # (valid from, valid until, campaigns within their schedule then): see scheduled().
    _scheduled: tuple = (None, None, ())

    def scheduled(self, now: datetime) -> tuple[LiveCampaign, ...]:
        """The campaigns within their schedule at `now` (naive UTC), highest priority first.

        Schedules are whole minutes of local time (weekdays, hours) plus the campaigns'
        start and end instants, so the answer holds from the minute `now` is in until the
        next minute or the next start or end, whichever comes first: it is computed once
        for that window rather than per campaign and request (requests are many a second).
        """
        start, until, campaigns = self._scheduled
        if start is not None and start <= now < until:
            return campaigns
        start = now.replace(second=0, microsecond=0)
        until = start + timedelta(minutes=1)
        for campaign in self.campaigns:
            for moment in campaign.schedule_bounds():
                if start < moment < until:
                    if moment <= now:
                        start = moment
                    else:
                        until = moment
        campaigns = tuple(c for c in self.campaigns if _schedule_ok(c, self, now))
        self._scheduled = (start, until, campaigns)
        return campaigns


def shop_origins(shop: Shop) -> frozenset[str]:
    """The origins allowed to call decide and events: the shop's domain (http and https,
    with and without www.) and any in settings["storefront_origins"]."""
    origins = set()
    domain = shop.domain.strip().lower()
    bare = domain.removeprefix("www.")
    for host in (bare, "www." + bare):
        origins.update({f"https://{host}", f"http://{host}"})
    for origin in (shop.settings or {}).get("storefront_origins") or ():
        if isinstance(origin, str) and origin.strip():
            origins.add(origin.strip().rstrip("/").lower())
    return frozenset(origins)


def current_version(session: Session, shop_id: int) -> int:
    return (
        session.scalar(select(CampaignVersion.version).where(CampaignVersion.shop_id == shop_id))
        or 0
    )


def load_state(session: Session, shop: Shop) -> ShopState:
    """Read the shop's live campaigns (three queries) into an immutable snapshot."""
    version = current_version(session, shop.id)
    campaigns = list(
        session.scalars(
            select(Campaign)
            .where(Campaign.shop_id == shop.id, Campaign.status == "live")
            .order_by(Campaign.priority.desc(), Campaign.id)
        )
    )
    ids = [c.id for c in campaigns]
    variants: dict[int, list[CampaignVariant]] = {i: [] for i in ids}
    segments: dict[int, dict[str, set[int]]] = {
        i: {"include": set(), "exclude": set()} for i in ids
    }
    if ids:
        for variant in session.scalars(
            select(CampaignVariant)
            .where(CampaignVariant.campaign_id.in_(ids))
            .order_by(CampaignVariant.position, CampaignVariant.id)
        ):
            variants[variant.campaign_id].append(variant)
        for row in session.execute(
            select(
                CampaignSegment.campaign_id, CampaignSegment.segment_id, CampaignSegment.mode
            ).where(CampaignSegment.campaign_id.in_(ids))
        ):
            segments[row.campaign_id][row.mode].add(row.segment_id)
    live = []
    for campaign in campaigns:
        include = frozenset(segments[campaign.id]["include"])
        exclude = frozenset(segments[campaign.id]["exclude"])
        ready = LiveCampaign(
            id=campaign.id,
            public_id=campaign.public_id,
            kind=campaign.kind,
            slot=campaign.slot,
            priority=campaign.priority,
            seed=campaign.seed,
            include=include,
            exclude=exclude,
            in_audience=rules.audience_matcher(campaign.audience or {}, include, exclude),
            matches_page=rules.page_matcher(campaign.pages or {}),
            triggers=list(campaign.triggers or [{"type": "load"}]),
            frequency=dict(campaign.frequency or {}),
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
            weekdays=tuple(campaign.weekdays or ()),
            hours=campaign.hours,
            variants=(),
        )
        live.append(
            replace(ready, variants=tuple(_live_variant(ready, v) for v in variants[campaign.id]))
        )
    now = time.monotonic()
    return ShopState(
        shop_id=shop.id,
        public_id=shop.public_id,
        domain=shop.domain,
        timezone=shop.timezone,
        currency=shop.currency,
        language=shop.language or "en",
        origins=shop_origins(shop),
        version=version,
        campaigns=tuple(live),
        segment_ids=frozenset().union(*(c.include | c.exclude for c in live)),
        loaded_at=now,
        checked_at=now,
    )


def _answer_fields(campaign: LiveCampaign, variant_key: str, control: bool) -> dict:
    """What decide says of a chosen campaign, but its content."""
    return {
        "id": campaign.public_id,
        "variant": variant_key,
        "control": control,
        "kind": campaign.kind,
        "slot": campaign.slot,
        "priority": campaign.priority,
        "triggers": campaign.triggers,
        "frequency": campaign.frequency,
    }


def _live_variant(campaign: LiveCampaign, variant: CampaignVariant) -> LiveVariant:
    """A variant ready to answer: its renderer, and its answer's JSON written once."""
    content = variant.content or {}
    head = compact_json(_answer_fields(campaign, variant.key, variant.is_control))
    if not variant.is_control:  # without its closing brace: the content follows
        head = head[:-1] + ',"content":'
    return LiveVariant(
        variant.id,
        variant.key,
        variant.weight,
        variant.is_control,
        renderer(content),
        head,
        json_renderer(content),
        has_variables(content),
    )


class CampaignCache:
    """Per-process cache of ShopState by shop public id, for one database."""

    def __init__(self, check_interval: float = CHECK_INTERVAL, shop_ttl: float = SHOP_TTL):
        self.check_interval = check_interval
        self.shop_ttl = shop_ttl
        self._states: dict[str, ShopState] = {}
        self._lock = threading.Lock()

    def invalidate(self, shop_id: int) -> None:
        for state in list(self._states.values()):
            if state.shop_id == shop_id:
                state.checked_at = 0.0

    def get(self, session: Session | Callable[[], Session], shop_public_id: str):
        """The shop's state (None for an unknown or uninstalled shop). `session` may be a
        function giving one, called only when the database must be read."""
        state = self._states.get(shop_public_id)
        now = time.monotonic()
        if state is not None and now - state.checked_at < self.check_interval:
            return state
        if not isinstance(session, Session):
            session = session()
        with self._lock:
            state = self._states.get(shop_public_id)
            if state is not None and now - state.checked_at < self.check_interval:
                return state
            if state is not None and now - state.loaded_at < self.shop_ttl:
                if current_version(session, state.shop_id) == state.version:
                    state.checked_at = time.monotonic()
                    return state
            shop = session.scalar(
                select(Shop).where(Shop.public_id == shop_public_id, Shop.uninstalled_at.is_(None))
            )
            if shop is None:
                self._states.pop(shop_public_id, None)
                return None
            state = load_state(session, shop)
            self._states[shop_public_id] = state
            return state


@lru_cache(maxsize=8)
def read_engine(url: str) -> Engine:
    """The engine decide reads through: like the app's, without a ping before each
    checkout and in autocommit (round trips per request: one per read, nothing else). A
    dropped connection fails one request, is discarded by the pool, and the next request
    gets a fresh one."""
    if not url.startswith("postgresql"):
        return engine_for(url)
    # Autocommit: each read is one statement, no BEGIN/ROLLBACK round trips around it.
    # The pool keeps up to READ_POOL_SIZE idle connections: one per web thread, so a busy
    # process never closes a connection only to open another (a new PostgreSQL backend
    # costs milliseconds and plans its statements afresh); idle ones are opened lazily.
    # Nothing to reset when a connection goes back: in autocommit no transaction is open.
    return create_engine(
        url,
        pool_size=READ_POOL_SIZE,
        max_overflow=READ_POOL_SIZE,
        pool_recycle=1800,
        pool_reset_on_return=None,
        isolation_level="AUTOCOMMIT",
    )


class Reader:
    """`with Reader(url) as reader:` what decide reads through, connected on first use
    only (a request whose campaigns need no read takes no connection from the pool): on
    PostgreSQL the pool's DBAPI connection itself (no SQLAlchemy Connection around it, the
    cheapest checkout), elsewhere a SQLAlchemy Connection."""

    def __init__(self, url: str):
        self.engine = read_engine(url)
        self.connection = None

    def __enter__(self) -> Reader:
        return self

    def get(self):
        if self.connection is None:
            if self.engine.dialect.name == "postgresql":
                self.connection = self.engine.raw_connection()
            else:
                self.connection = self.engine.connect()
        return self.connection

    def __exit__(self, *_exc) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


_caches: dict[str, CampaignCache] = {}
_caches_lock = threading.Lock()


def cache_for(database_url: str) -> CampaignCache:
    """The process's cache for one database (tests run several databases in a process)."""
    cache = _caches.get(database_url)
    if cache is None:
        with _caches_lock:
            cache = _caches.setdefault(database_url, CampaignCache())
    return cache


def _invalidate_everywhere(shop_id: int) -> None:
    for cache in list(_caches.values()):
        cache.invalidate(shop_id)


on_change(_invalidate_everywhere)


# ---- the decision ------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """What the loader recorded of one campaign in this browser (decide's `seen`)."""

    variant: str | None = None
    impressions: int = 0
    closes: int = 0
    last_impression_at: datetime | None = None
    submitted: bool = False


@dataclass(frozen=True)
class DecideInput:
    """One storefront view, as the decide endpoint validated it."""

    visitor: str | None = None
    # The platform's customer id, only when a signed identity verified.
    customer_external_id: str | None = None
    url: str = ""
    page_type: str | None = None
    product: str | None = None
    category: str | None = None
    cart_value: float | None = None
    cart_items: int | None = None
    returning: bool = False
    device: str | None = None
    slots: tuple[str, ...] = ()
    country: str | None = None
    # The browser's own record of its exposures, by campaign public id (None: not sent).
    seen: dict[str, Seen] | None = None


@dataclass
class Facts:
    """What the database says about this visitor (read once per request)."""

    customer_id: int | None = None
    first_name: str | None = None
    loyalty_points: int | None = None
    country: str | None = None
    segment_ids: frozenset[int] = field(default_factory=frozenset)
    history: dict[int, rules.History] = field(default_factory=dict)


def _schedule_ok(campaign: LiveCampaign, state: ShopState, now: datetime) -> bool:
    return rules.scheduled(
        campaign.starts_at, campaign.ends_at, campaign.weekdays, campaign.hours, state.timezone, now
    )


# The two reads of a request, written once as SQL (the same on SQLite and PostgreSQL):
# building and caching SQLAlchemy constructs per request cost more than the queries.
CUSTOMER_SQL = text(
    "SELECT c.id, c.first_name, c.loyalty_points, c.country, m.segment_id "
    "FROM customers c LEFT JOIN segment_members m ON m.customer_id = c.id "
    "WHERE c.shop_id = :shop_id AND c.external_id = :external_id"
)
_HISTORY = (
    "SELECT e.campaign_id, e.variant_id, e.impressions, e.closes, e.last_impression_at, "
    "e.submitted_at IS NOT NULL{ordered} "
    "FROM visitors v JOIN campaign_exposures e ON e.visitor_id = v.id "
    "WHERE v.shop_id = :shop_id AND v.token = :token"
)
_ORDERED = (
    ", EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = COALESCE(e.customer_id, "
    ":customer_id) AND o.created_at >= e.first_at AND o.status NOT IN ({uncounted}))"
).format(uncounted=", ".join(f"'{status}'" for status in UNCOUNTED_ORDER_STATUSES))
_HISTORY_COLUMNS = (
    column("campaign_id", Integer),
    column("variant_id", Integer),
    column("impressions", Integer),
    column("closes", Integer),
    column("last_impression_at", DateTime),
    column("submitted", Boolean),
)
HISTORY_SQL = text(_HISTORY.format(ordered="")).columns(*_HISTORY_COLUMNS)
HISTORY_ORDERS_SQL = text(_HISTORY.format(ordered=_ORDERED)).columns(
    *_HISTORY_COLUMNS, column("ordered", Boolean)
)

# A signed-in visitor whose history counts: both reads in one round trip. Rows of kind 0
# are the customer's (one per segment membership), rows of kind 1 the exposures.
_CUSTOMER_AND_HISTORY = (
    "WITH c AS (SELECT id, first_name, loyalty_points, country FROM customers "
    "WHERE shop_id = :shop_id AND external_id = :external_id) "
    "SELECT 0, c.id, m.segment_id, c.loyalty_points, NULL, c.first_name, c.country, NULL, "
    "NULL, NULL FROM c LEFT JOIN segment_members m ON m.customer_id = c.id "
    "UNION ALL "
    "SELECT 1, e.campaign_id, e.variant_id, e.impressions, e.closes, NULL, NULL, "
    "e.last_impression_at, e.submitted_at IS NOT NULL, {ordered} "
    "FROM visitors v JOIN campaign_exposures e ON e.visitor_id = v.id "
    "WHERE v.shop_id = :shop_id AND v.token = :token"
)
_CUSTOMER_AND_HISTORY_COLUMNS = (
    column("kind", Integer),
    column("a", Integer),
    column("b", Integer),
    column("c", Integer),
    column("d", Integer),
    column("first_name", String),
    column("country", String),
    column("last_impression_at", DateTime),
    column("submitted", Boolean),
    column("ordered", Boolean),
)
CUSTOMER_AND_HISTORY_SQL = text(_CUSTOMER_AND_HISTORY.format(ordered="FALSE")).columns(
    *_CUSTOMER_AND_HISTORY_COLUMNS
)
CUSTOMER_AND_HISTORY_ORDERS_SQL = text(
    _CUSTOMER_AND_HISTORY.format(
        ordered=_ORDERED.removeprefix(", ").replace(":customer_id", "(SELECT id FROM c)")
    )
).columns(*_CUSTOMER_AND_HISTORY_COLUMNS)


_PSYCOPG_SQL: dict[str, str] = {}
# What a content without variables is rendered with (it says nothing of the visitor).
NO_VARIABLES = Variables()


def _rows(connection, statement, parameters: dict) -> list:
    """Run one of the reads above. On PostgreSQL straight on the psycopg connection (it
    prepares repeated statements server-side; the driver's own types are the right ones),
    given as a SQLAlchemy Connection or as the pool's DBAPI connection (`Reader`);
    elsewhere through SQLAlchemy, whose result types SQLite needs."""
    dialect = getattr(connection, "dialect", None)
    if dialect is not None and dialect.name != "postgresql":
        return connection.execute(statement, parameters).all()
    source = getattr(statement, "element", statement).text
    sql = _PSYCOPG_SQL.get(source)
    if sql is None:
        if "::" in source or "%" in source:
            # `:name` becomes psycopg's `%(name)s`: a `::` cast or a `%` would be mangled.
            raise ValueError("decide's reads are written with CAST() and without %")
        sql = re.sub(r":(\w+)", r"%(\1)s", source)
        _PSYCOPG_SQL[source] = sql
    if dialect is None:
        # The pool's connection (Reader) keeps one cursor for these reads: making a cursor
        # costs about as much as a third of a read.
        driver = connection.driver_connection
        cursor = connection.info.get("decide.cursor")
        if cursor is None or cursor.closed or cursor.connection is not driver:
            cursor = connection.info["decide.cursor"] = driver.cursor()
        cursor.execute(sql, parameters)
        return cursor.fetchall()
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(sql, parameters)
        return cursor.fetchall()
    finally:
        cursor.close()


def read_customer(connection: Connection, state: ShopState, external_id: str) -> Facts:
    """The identified customer and the segments they are a member of (one indexed read of
    segment_members, kept current by the segment engine)."""
    rows = _rows(connection, CUSTOMER_SQL, {"shop_id": state.shop_id, "external_id": external_id})
    if not rows:
        return Facts()
    first = rows[0]
    return Facts(
        customer_id=first[0],
        first_name=first[1],
        loyalty_points=first[2],
        country=first[3],
        segment_ids=frozenset(r[4] for r in rows if r[4] is not None),
    )


def read_customer_and_history(
    connection: Connection, state: ShopState, external_id: str, visitor: str, conversions: bool
) -> Facts:
    """read_customer() and read_history() in one statement (one round trip)."""
    statement = CUSTOMER_AND_HISTORY_ORDERS_SQL if conversions else CUSTOMER_AND_HISTORY_SQL
    parameters = {"shop_id": state.shop_id, "external_id": external_id, "token": visitor}
    facts = Facts()
    segment_ids = []
    for kind, a, b, c, d, first_name, country, last_impression_at, submitted, ordered in _rows(
        connection, statement, parameters
    ):
        if kind == 0:
            facts.customer_id, facts.first_name = a, first_name
            facts.loyalty_points, facts.country = c, country
            if b is not None:
                segment_ids.append(b)
        else:
            facts.history[a] = _history(b, c, d, last_impression_at, submitted, ordered)
    facts.segment_ids = frozenset(segment_ids)
    return facts


def read_history(
    connection: Connection, state: ShopState, visitor: str, facts: Facts, conversions: bool
) -> None:
    """The visitor's exposures (one indexed read), with "ordered since the first
    impression" only when a campaign stops after conversion."""
    if conversions:
        parameters = {"shop_id": state.shop_id, "token": visitor, "customer_id": facts.customer_id}
        rows = _rows(connection, HISTORY_ORDERS_SQL, parameters)
    else:
        rows = _rows(connection, HISTORY_SQL, {"shop_id": state.shop_id, "token": visitor})
    for row in rows:
        facts.history[row[0]] = _history(*row[1:6], row[6] if conversions else False)


def history_from_browser(
    campaigns: list[LiveCampaign], seen: dict[str, Seen]
) -> dict[int, rules.History]:
    """The history of an anonymous visitor as their browser keeps it (decide's `seen`):
    the same facts the events stored, so no read. Only a browser that has never signed in
    sends it (loader.js): none of its exposures is linked to a customer but the one its own
    form submission linked, which the submission already stops, so "ordered since" is false
    by construction. A variant key the campaign no longer has is ignored (bucketing)."""
    history = {}
    for campaign in campaigns:
        record = seen.get(campaign.public_id)
        if record is None:
            continue
        variant = campaign.variant_by_key(record.variant)
        history[campaign.id] = rules.History(
            variant_id=None if variant is None else variant.id,
            impressions=record.impressions,
            closes=record.closes,
            last_impression_at=record.last_impression_at,
            submitted=record.submitted,
        )
    return history


def _history(variant_id, impressions, closes, last_impression_at, submitted, ordered):
    """A campaign's exposure of this visitor, from either read."""
    return rules.History(
        variant_id=variant_id,
        impressions=impressions,
        closes=closes,
        last_impression_at=last_impression_at,
        submitted=bool(submitted),
        ordered_since=bool(ordered),
    )


@dataclass(frozen=True)
class Choice:
    """One campaign shown to this view: its variant, and what the content may say."""

    campaign: LiveCampaign
    variant: LiveVariant
    variables: Variables

    def as_dict(self) -> dict:
        variant = self.variant
        answer = _answer_fields(self.campaign, variant.key, variant.control)
        if not variant.control:
            answer["content"] = variant.render(self.variables)
        return answer

    def json(self) -> str:
        """as_dict() as compact JSON, from the parts written when the shop was loaded:
        only content with visitor variables is rendered and encoded per request."""
        variant = self.variant
        if variant.control:
            return variant.head
        return variant.head + variant.render_json(self.variables) + "}"


def answer_json(choices: list[Choice]) -> str:
    """decide's answer, `{"campaigns": [...]}`, as compact JSON."""
    return '{"campaigns":[' + ",".join(choice.json() for choice in choices) + "]}"


def _connected(source: Reader | Connection | Session):
    if isinstance(source, Reader):
        return source.get()
    if isinstance(source, Session):
        return source.connection()
    return source


def decide(
    source: Reader | Connection | Session, state: ShopState, request: DecideInput, now: datetime
) -> list[Choice]:
    """The campaigns for this view, highest priority first, each with its variant.

    Reads through a Core connection (a session's, or a Reader's, connected only if a read
    is needed): the two reads are plain selects of columns, and skipping the ORM's
    machinery matters at thousands of requests a second.
    """
    slots = request.slots
    page = _page_view(request)
    candidates = [
        c
        for c in state.scheduled(now)
        if (c.kind != "inline" or c.slot in slots) and c.matches_page(page)
    ]
    if not candidates:
        return []
    facts = Facts()
    history_read = False
    if request.customer_external_id is not None:
        if request.visitor is not None and any(c.uses_history for c in candidates):
            # Both reads at once, even if the audience then leaves no campaign that needs
            # the history: one round trip instead of two.
            conversions = any(c.frequency.get("stop_after_conversion") for c in candidates)
            facts = read_customer_and_history(
                _connected(source),
                state,
                request.customer_external_id,
                request.visitor,
                conversions,
            )
            history_read = True
        else:
            facts = read_customer(_connected(source), state, request.customer_external_id)
    view = rules.View(
        identified=facts.customer_id is not None,
        device=request.device,
        country=request.country or facts.country,
        returning=request.returning,
        url=request.url,
        page_type=request.page_type,
        product=request.product,
        category=request.category,
        segment_ids=facts.segment_ids,
    )
    candidates = [c for c in candidates if c.in_audience(view)]
    if not candidates:
        return []
    if not history_read and request.visitor is not None and any(c.uses_history for c in candidates):
        if request.seen is not None and request.customer_external_id is None:
            facts.history = history_from_browser(candidates, request.seen)
        else:
            conversions = any(c.frequency.get("stop_after_conversion") for c in candidates)
            read_history(_connected(source), state, request.visitor, facts, conversions)
    chosen: list[tuple[LiveCampaign, LiveVariant]] = []
    filled_slots: set[str] = set()
    for campaign in candidates:  # already highest priority first
        history = facts.history.get(campaign.id)
        if rules.capped(campaign.frequency, history, now):
            continue
        variant = _variant_for(campaign, request, history)
        if variant is None:
            continue
        if campaign.kind == "inline":
            if campaign.slot in filled_slots:
                continue
            filled_slots.add(campaign.slot)
        chosen.append((campaign, variant))
    variables = NO_VARIABLES
    if any(variant.personal for _campaign, variant in chosen):
        variables = Variables(
            first_name=facts.first_name,
            cart_total=format_amount(request.cart_value, state.currency, state.language),
            loyalty_points=None if facts.loyalty_points is None else str(facts.loyalty_points),
        )
    return [Choice(campaign, variant, variables) for campaign, variant in chosen]


def _page_view(request: DecideInput) -> rules.View:
    return rules.View(
        url=request.url,
        page_type=request.page_type,
        product=request.product,
        category=request.category,
    )


def _variant_for(
    campaign: LiveCampaign, request: DecideInput, history: rules.History | None
) -> LiveVariant | None:
    if history is not None:
        seen = campaign.variant(history.variant_id)
        if seen is not None:
            return seen
    if request.visitor is not None:
        return bucketing.choose(campaign.seed, request.visitor, campaign.variants)
    return campaign.default_variant()
