"""PrestaShop sync jobs: the full backfill and the polling that keeps a shop current.

PrestaShop sends no webhooks, so a shop is kept current by polling each resource on
`date_upd` every few minutes (`cible worker` schedules it) plus the pushes our module
sends from its hooks (sync/prestashop_pushes.py). Both jobs run the same streams, in an
order where what a record borrows already exists: customers (with their latest address),
products, orders (lines borrow product categories), carts (priced from products, linked to
the order they became).

Cursors live in `shops.sync_cursors` as UTC ISO strings, one per resource; a window reads
`[cursor - overlap, now]` in the shop's local time (PrestaShop dates carry no zone), so a
record saved in the same second as the previous window's end is read again rather than
lost, and the cursor never moves past the run's own start. Each page is ingested and
committed on its own, with a SyncRun per resource showing progress; a crash resumes from
the last committed page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.prestashop import (
    DEFAULT_PAGE_SIZE,
    CartOrder,
    Lookups,
    Mapper,
    PrestaShopClient,
    ProductFacts,
    RecordRefused,
    ShopClock,
    Window,
    changed_pages,
    load_lookups,
)
from connectors.prestashop.clock import ZERO_DATETIME
from connectors.prestashop.streams import prefetched
from sync.ingest import upsert_carts, upsert_customers, upsert_orders, upsert_products
from sync.ingest.result import IngestError, IngestResult
from sync.queue import current_job_id, job_sessions, job_settings, rq_queue
from sync.runs import fail_run, finish_run, queue_run, record_progress, start_run
from sync.secrets import SecretBox
from sync.segments.refresh import TouchedCustomers, refresh_segments
from sync.settings import Settings
from sync.shops import read_credentials
from sync.store import Cart, Product, Shop, utcnow

log = logging.getLogger(__name__)

# How far back each polling window starts before the previous one ended.
POLL_OVERLAP = timedelta(minutes=5)
# How often `cible worker` polls each PrestaShop shop.
POLL_EVERY = timedelta(minutes=5)
# PrestaShop's own rule (back office, Customers > Shopping Carts): a cart with no order a
# day after it was last touched is abandoned.
ABANDONED_AFTER = timedelta(hours=24)
SETTINGS_KEY = "prestashop"
RUN_PREFIX = "prestashop:"
# Resources in run order; `addresses` only matters to polls (a full sync reads each
# customer's addresses with the customer).
FULL_STREAMS = ("customers", "products", "orders", "carts")
POLL_STREAMS = ("customers", "addresses", "products", "orders", "carts")


class PrestaShopSyncError(RuntimeError):
    """A sync that cannot start: unknown shop, not a PrestaShop shop, no credentials."""


def client_for(shop: Shop, settings: Settings, **options) -> PrestaShopClient:
    """The Webservice client of a connected shop, from its sealed credentials."""
    if shop.platform != "prestashop":
        raise PrestaShopSyncError(f"shop {shop.domain} is a {shop.platform} shop")
    if not shop.credentials:
        raise PrestaShopSyncError(f"shop {shop.domain} has no PrestaShop credentials")
    credentials = read_credentials(shop, SecretBox.from_settings(settings))
    return PrestaShopClient(credentials["shop_url"], credentials["webservice_key"], **options)


def stored_lookups(shop: Shop) -> Lookups | None:
    raw = (shop.settings or {}).get(SETTINGS_KEY, {}).get("lookups")
    return Lookups(**raw) if raw else None


def remember_lookups(shop: Shop, lookups: Lookups) -> None:
    """Keep the reference tables on the shop, so a module push maps without re-reading them."""
    settings = dict(shop.settings or {})
    section = dict(settings.get(SETTINGS_KEY, {}))
    section["lookups"] = {
        "currencies": lookups.currencies,
        "countries": lookups.countries,
        "states": lookups.states,
        "languages": lookups.languages,
        "categories": lookups.categories,
        "default_language": lookups.default_language,
        "default_currency": lookups.default_currency,
        "timezone": lookups.timezone,
        "shop_name": lookups.shop_name,
    }
    settings[SETTINGS_KEY] = section
    shop.settings = settings


class ProductCatalogue:
    """Product facts for lines and carts: from our store, else fetched and ingested first."""

    def __init__(self, session: Session, shop: Shop, client: PrestaShopClient, mapper: Mapper):
        self.session = session
        self.shop = shop
        self.client = client
        self.mapper = mapper
        self.facts: dict[str, ProductFacts] = {}

    def get(self, product_id: str) -> ProductFacts | None:
        return self.facts.get(str(product_id))

    def remember(self, products: Iterable) -> None:
        for product in products:
            self.facts[product.external_id] = self.mapper.product_facts_of(product)

    def ensure(self, product_ids: Iterable[str]) -> IngestResult:
        """Load the facts of these products; fetch the ones we do not have from the shop."""
        wanted = {str(p) for p in product_ids if p and str(p) != "0"} - set(self.facts)
        result = IngestResult()
        if not wanted:
            return result
        rows = self.session.execute(
            select(
                Product.external_id, Product.title, Product.sku, Product.category, Product.price
            ).where(Product.shop_id == self.shop.id, Product.external_id.in_(sorted(wanted)))
        ).all()
        for external_id, title, sku, category, price in rows:
            self.facts[external_id] = ProductFacts(title, sku, category, price)
        missing = wanted - set(self.facts)
        if missing:
            fetched = []
            for raw in self.client.by_ids("products", missing):
                try:
                    fetched.append(self.mapper.product(raw))
                except RecordRefused as error:
                    log.warning("%s", error)
            if fetched:
                result = upsert_products(self.session, self.shop, fetched)
                self.remember(fetched)
        return result


class ShopSync:
    """One run over a shop's resources (full or poll), with a SyncRun per resource."""

    def __init__(
        self,
        sessions: sessionmaker[Session] | None,
        settings: Settings,
        shop_id: int,
        kind: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        client: PrestaShopClient | None = None,
        now: datetime | None = None,
        session: Session | None = None,
    ):
        self.sessions = sessions
        self.settings = settings
        self.kind = kind
        self.page_size = page_size
        self.own_session = session is None
        self.session = session if session is not None else sessions()
        self.shop = self.session.get(Shop, shop_id)
        if self.shop is None:
            raise PrestaShopSyncError(f"no shop with id {shop_id}")
        self.client = client or client_for(self.shop, settings)
        self.started = (now or utcnow()).replace(microsecond=0)
        self.clock = ShopClock(self.shop.timezone)
        self.touched = TouchedCustomers()
        self.carts_to_refresh: set[str] = set()
        self.counts: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.mapper: Mapper | None = None
        self.catalogue: ProductCatalogue | None = None

    @classmethod
    def attach(cls, session: Session, settings: Settings, shop: Shop) -> ShopSync:
        """A reader working in the caller's session and transaction (module pushes): it
        maps with the lookups stored at the last sync and never commits."""
        reader = cls(None, settings, shop.id, "push", session=session)
        lookups = stored_lookups(reader.shop)
        if lookups is None:
            lookups = load_lookups(reader.client)
            lookups.default_currency = lookups.default_currency or reader.shop.currency
            remember_lookups(reader.shop, lookups)
        reader.use(lookups)
        return reader

    def use(self, lookups: Lookups) -> None:
        self.mapper = Mapper(self.client.shop_url, self.clock, lookups)
        self.catalogue = ProductCatalogue(self.session, self.shop, self.client, self.mapper)
        self.mapper.product_facts = self.catalogue.get

    def close(self) -> None:
        if self.own_session:
            self.session.close()
        self.client.close()

    # -- the run -------------------------------------------------------------------------

    def prepare(self) -> None:
        lookups = load_lookups(self.client)
        lookups.default_currency = lookups.default_currency or self.shop.currency
        remember_lookups(self.shop, lookups)
        self.session.commit()
        self.use(lookups)

    def run(self, streams: Iterable[str]) -> dict:
        streams = list(streams)
        run_ids = {
            name: queue_run(self.sessions, self.shop.id, RUN_PREFIX + name, self.kind)
            for name in streams
        }
        try:
            self.prepare()
        except Exception as error:
            for run_id in run_ids.values():
                fail_run(self.sessions, run_id, error)
            raise
        job_id = current_job_id()
        for position, name in enumerate(streams):
            run_id = run_ids[name]
            start_run(self.sessions, run_id, job_id)
            try:
                self.stream(name, run_id)
            except Exception as error:
                self.session.rollback()
                fail_run(self.sessions, run_id, error)
                for later in streams[position + 1 :]:
                    fail_run(self.sessions, run_ids[later], f"not run: {name} failed first")
                raise
        if self.kind == "full":
            # Every customer's addresses were read with the customer: polls start from here.
            self.save_cursor("addresses", self.started)
            self.session.commit()
        refresh_segments(self.settings, self.shop.id, self.touched)
        return {
            "shop_id": self.shop.id,
            "kind": self.kind,
            "records": dict(self.counts),
            "errors": dict(self.errors),
            "seconds_by_resource": dict(self.seconds),
            "requests": self.client.requests_made,
            "retries": self.client.retries_made,
        }

    def window(self, resource: str) -> Window:
        until = self.clock.to_local(self.started)
        cursor = (self.shop.sync_cursors or {}).get(resource)
        if self.kind == "full" or not cursor:
            return Window(ZERO_DATETIME, until)
        since = self.clock.window_start(datetime.fromisoformat(cursor), POLL_OVERLAP, self.started)
        return Window(since, until)

    def save_cursor(self, resource: str, moment: datetime | None) -> None:
        """Move a resource's cursor forward (never back, never past the run's start)."""
        if moment is None:
            return
        moment = min(moment, self.started)
        cursors = dict(self.shop.sync_cursors or {})
        current = cursors.get(resource)
        if current and datetime.fromisoformat(current) >= moment and self.kind != "full":
            return
        cursors[resource] = moment.isoformat()
        self.shop.sync_cursors = cursors

    def stream(self, resource: str, run_id: int) -> None:
        handle: Callable[[list[dict]], int] = getattr(self, f"_page_{resource}")
        started = time.monotonic()
        window = self.window(resource)
        pager = self.client.clone()
        if self.kind == "full" and resource == "addresses":
            pages: Iterable[list[dict]] = ()
        else:
            pages = prefetched(changed_pages(pager, resource, window, page_size=self.page_size))
        try:
            self._read(resource, run_id, handle, pages, started)
        finally:
            if hasattr(pages, "close"):
                pages.close()  # stops the prefetching thread before its client closes
            self.client.requests_made += pager.requests_made
            self.client.retries_made += pager.retries_made
            pager.close()

    def _read(self, resource: str, run_id: int, handle, pages, started: float) -> None:
        done = errors = 0
        last_error: str | None = None
        for page in pages:
            written, refused = handle(page)
            done += written
            errors += len(refused)
            if refused:
                last_error = refused[-1]
            self.save_cursor(resource, self.clock.to_utc(str(page[-1].get("date_upd") or "")))
            self.session.commit()
            record_progress(self.sessions, run_id, done=done, errors=errors, last_error=last_error)
        if resource == "carts" and self.carts_to_refresh:
            written, refused = self._refresh_carts(sorted(self.carts_to_refresh))
            done += written
            errors += len(refused)
        self.save_cursor(resource, self.started)
        self.session.commit()
        self.counts[resource] = done
        self.errors[resource] = errors
        self.seconds[resource] = round(time.monotonic() - started, 3)
        finish_run(self.sessions, run_id, done=done, errors=errors, last_error=last_error)

    # -- one page per resource -----------------------------------------------------------

    def _map(self, resource: str, raws: Iterable[dict], build) -> tuple[list, list[str]]:
        mapped, refused = [], []
        for raw in raws:
            try:
                mapped.append(build(raw))
            except RecordRefused as error:
                refused.append(str(error))
                log.warning("%s: %s", self.shop.domain, error)
        return mapped, refused

    def _ingest(self, upsert, records: list, refused: list[str], kind: str) -> int:
        """Upsert a page; a record ingest refuses is set aside and the rest goes in."""
        while records:
            try:
                result = upsert(self.session, self.shop, records)
            except IngestError as error:
                self.session.rollback()
                keep = [r for r in records if str(r.external_id) != str(error.external_id)]
                if len(keep) == len(records):
                    raise
                refused.append(str(error))
                records = keep
                continue
            self.touched.add(result.customer_ids)
            return len(records)
        return 0

    def _customers_with_addresses(self, raws: list[dict]) -> tuple[list, list[str]]:
        ids = [str(raw.get("id")) for raw in raws]
        latest: dict[str, dict] = {}
        for address in self.client.where_in("addresses", "id_customer", ids, display="full"):
            if str(address.get("deleted") or "0") == "1":
                continue
            owner = str(address.get("id_customer"))
            if owner not in latest or _newer(address, latest[owner]):
                latest[owner] = address
        return self._map(
            "customers", raws, lambda raw: self.mapper.customer(raw, latest.get(str(raw["id"])))
        )

    def _page_customers(self, page: list[dict]) -> tuple[int, list[str]]:
        records, refused = self._customers_with_addresses(page)
        return self._ingest(upsert_customers, records, refused, "customers"), refused

    def _page_addresses(self, page: list[dict]) -> tuple[int, list[str]]:
        """A changed address changes its customer's city and country: re-read them."""
        owners = {str(a.get("id_customer")) for a in page} - {"0", "", "None"}
        customers = list(self.client.by_ids("customers", owners))
        records, refused = self._customers_with_addresses(customers)
        return self._ingest(upsert_customers, records, refused, "customers"), refused

    def _page_products(self, page: list[dict]) -> tuple[int, list[str]]:
        records, refused = self._map("products", page, self.mapper.product)
        written = self._ingest(upsert_products, records, refused, "products")
        self.catalogue.remember(records)
        return written, refused

    def _page_orders(self, page: list[dict]) -> tuple[int, list[str]]:
        product_ids = {
            str(row.get("product_id"))
            for raw in page
            for row in ((raw.get("associations") or {}).get("order_rows") or [])
            if isinstance(row, dict)
        }
        self.touched.add(self.catalogue.ensure(product_ids).customer_ids)
        records, refused = self._map("orders", page, self.mapper.order)
        if self.kind != "full":
            self.carts_to_refresh.update(
                str(raw.get("id_cart")) for raw in page if str(raw.get("id_cart") or "0") != "0"
            )
        return self._ingest(upsert_orders, records, refused, "orders"), refused

    def _page_carts(self, page: list[dict]) -> tuple[int, list[str]]:
        return self._ingest_carts(page)

    def _refresh_carts(self, cart_ids: list[str]) -> tuple[int, list[str]]:
        """Carts that became orders in this window, re-read so they are marked ordered."""
        written, refused = 0, []
        raws = list(self.client.by_ids("carts", cart_ids))
        for start in range(0, len(raws), self.page_size):
            count, problems = self._ingest_carts(raws[start : start + self.page_size])
            written += count
            refused.extend(problems)
        return written, refused

    def _ingest_carts(self, raws: list[dict]) -> tuple[int, list[str]]:
        # A visitor's cart (no customer) can be neither segmented nor recovered: skipped.
        raws = [raw for raw in raws if str(raw.get("id_customer") or "0") != "0"]
        if not raws:
            return 0, []
        product_ids = {
            str(row.get("id_product"))
            for raw in raws
            for row in ((raw.get("associations") or {}).get("cart_rows") or [])
            if isinstance(row, dict)
        }
        self.touched.add(self.catalogue.ensure(product_ids).customer_ids)
        orders = orders_of_carts(self.client, [str(raw.get("id")) for raw in raws])
        records, refused = self._map(
            "carts", raws, lambda raw: self.mapper.cart(raw, orders.get(str(raw["id"])))
        )
        return self._ingest(upsert_carts, records, refused, "carts"), refused


def orders_of_carts(client: PrestaShopClient, cart_ids: list[str]) -> dict[str, CartOrder]:
    """Which of these carts became an order (the first order of a cart wins)."""
    found: dict[str, CartOrder] = {}
    for order in client.where_in("orders", "id_cart", cart_ids, display="[id,id_cart,date_add]"):
        cart_id = str(order.get("id_cart"))
        candidate = CartOrder(str(order.get("id")), order.get("date_add"))
        if cart_id not in found or int(candidate.order_id) < int(found[cart_id].order_id):
            found[cart_id] = candidate
    return found


def _newer(address: dict, than: dict) -> bool:
    key = (str(address.get("date_upd") or ""), int(address.get("id") or 0))
    return key > (str(than.get("date_upd") or ""), int(than.get("id") or 0))


# -- jobs ---------------------------------------------------------------------------------


def _run(shop_id: int, kind: str, streams: tuple[str, ...], **options) -> dict:
    settings = job_settings()
    sync = ShopSync(job_sessions(), settings, shop_id, kind, **options)
    started = time.monotonic()
    try:
        outcome = sync.run(streams)
    finally:
        sync.close()
    outcome["seconds"] = round(time.monotonic() - started, 3)
    log.info("PrestaShop %s sync of shop %s: %s", kind, shop_id, outcome)
    return outcome


def full_sync(shop_id: int, page_size: int = DEFAULT_PAGE_SIZE) -> dict:
    """The job: read everything (first connection, or a resync asked by the merchant)."""
    return _run(shop_id, "full", FULL_STREAMS, page_size=page_size)


def poll_sync(shop_id: int, page_size: int = DEFAULT_PAGE_SIZE) -> dict:
    """The job: read what changed since the cursors (every few minutes)."""
    outcome = _run(shop_id, "poll", POLL_STREAMS, page_size=page_size)
    with job_sessions()() as session:
        outcome["abandoned_carts"] = len(abandoned_carts(session, shop_id, utcnow()))
    return outcome


def poll_job(shop_id: int) -> dict | None:
    """The scheduled poll: polls, then schedules the next one on RQ."""
    settings = job_settings()
    try:
        with job_sessions()() as session:
            shop = session.get(Shop, shop_id)
            if shop is None or shop.uninstalled_at is not None:
                return None
        return poll_sync(shop_id)
    finally:
        if not settings.jobs_inline:
            schedule_polling(shop_id, utcnow() + POLL_EVERY, settings)


def schedule_polling(
    shop_id: int, at: datetime | None = None, settings: Settings | None = None
) -> str | None:
    """Schedule the shop's next poll on RQ (one job per shop and time slot)."""
    settings = settings or job_settings()
    if settings.jobs_inline:
        return None
    at = at or utcnow()
    slot = int(at.replace(tzinfo=UTC).timestamp() // POLL_EVERY.total_seconds())
    job_id = f"prestashop-poll-{shop_id}-{slot}"
    queue = rq_queue(settings)
    if queue.fetch_job(job_id) is None:
        queue.enqueue_at(
            at.replace(tzinfo=UTC),
            poll_job,
            shop_id,
            job_id=job_id,
            description=f"PrestaShop poll of shop {shop_id}",
        )
    return job_id


def schedule_all_polling(
    session: Session, now: datetime | None = None, settings: Settings | None = None
) -> list[str]:
    """Every connected PrestaShop shop's next poll (what `cible worker` does at start)."""
    now = now or utcnow()
    shop_ids = session.scalars(
        select(Shop.id).where(Shop.platform == "prestashop", Shop.uninstalled_at.is_(None))
    ).all()
    return [job for shop_id in shop_ids if (job := schedule_polling(shop_id, now, settings))]


def abandoned_carts(session: Session, shop_id: int, now: datetime) -> list[Cart]:
    """The shop's carts with items and a customer, no order, untouched for a day."""
    return list(
        session.scalars(
            select(Cart)
            .where(
                Cart.shop_id == shop_id,
                Cart.items_count > 0,
                Cart.order_external_id.is_(None),
                Cart.completed_at.is_(None),
                Cart.updated_at <= now - ABANDONED_AFTER,
            )
            .order_by(Cart.updated_at.desc())
        )
    )
