"""A local WooCommerce store for tests and benchmarks: REST v3 and wc-auth, over real HTTP.

Serves the shapes of WooCommerce's own documentation examples (/work/shared/fixtures/
woocommerce, copied into generated records): `/wp-json/wc/v3/customers|orders|products|
webhooks` with `page`/`per_page` (at most 100) and X-WP-Total / X-WP-TotalPages, `orderby`,
`order`, `modified_after` with `dates_are_gmt`; authentication by basic auth, consumer key in
the query string, or OAuth 1.0a (what the `woocommerce` package does over plain http);
injected failures (429 with Retry-After, 500); `/wc-auth/v1/authorize`, which creates a key
and POSTs it to the callback (deleting it unless the callback answers exactly 200); and
webhook deliveries signed as WooCommerce signs them, sent to their delivery URL.

Deviations from a real store, on purpose: the merchant's login and approval screen is
skipped (`approve` decides), http callbacks are accepted for 127.0.0.1 (the test server has
no TLS), deliveries are sent synchronously rather than through the Action Scheduler.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlparse, urlunparse
from zoneinfo import ZoneInfo

import requests
from flask import Flask, Response, redirect, request
from werkzeug.serving import WSGIRequestHandler, make_server

FIXTURES = Path("/work/shared/fixtures/woocommerce")
PER_PAGE_MAX = 100
SEED_START = datetime(2023, 1, 1)
FIRST_NAMES = ("Camille", "Louis", "Léa", "Hugo", "Chloé", "Jules", "Manon", "Arthur", "Inès")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand")
CITIES = (("Nantes", "44000"), ("Paris", "75011"), ("Lyon", "69002"), ("Lille", "59000"))
CATEGORIES = ("Chocolat noir", "Chocolat au lait", "Pralinés", "Coffrets")
# A real store disables a webhook after more than 5 consecutive failed deliveries.
MAX_DELIVERY_FAILURES = 5
WEBHOOK_USER_AGENT = "WooCommerce/9.4.0 Hookshot (WordPress/6.7.1)"


def _fixture(name: str) -> dict:
    path = FIXTURES / f"{name}--response.json"
    return json.loads(path.read_text()) if path.exists() else {}


def gmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _error(code: str, message: str, status: int, headers: dict | None = None) -> Response:
    body = json.dumps({"code": code, "message": message, "data": {"status": status}})
    return Response(body, status, headers=headers or {}, mimetype="application/json")


@dataclass
class Delivery:
    """One webhook delivery as WooCommerce sends it (kept so tests can resend or reorder)."""

    url: str
    headers: dict
    body: bytes
    topic: str
    status: int | None = None
    text: str = ""


@dataclass
class Key:
    key_id: int
    consumer_key: str
    consumer_secret: str
    permissions: str
    user_id: str = ""


@dataclass
class Failure:
    status: int
    retry_after: str | None = None
    path: str | None = None


@dataclass
class Store:
    """The store's data, by id, in WooCommerce's shapes."""

    customers: dict[int, dict] = field(default_factory=dict)
    orders: dict[int, dict] = field(default_factory=dict)
    products: dict[int, dict] = field(default_factory=dict)
    webhooks: dict[int, dict] = field(default_factory=dict)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


class WooCommerceEmulator:
    def __init__(self, *, timezone: str = "Europe/Paris", currency: str = "EUR"):
        self.timezone = timezone
        self.zone = ZoneInfo(timezone)
        self.currency = currency
        self.store = Store()
        self.keys: dict[str, Key] = {}
        self.approve = True
        self.allow_http_callback = True
        self.failures: deque[Failure] = deque()
        # Every `throttle_every`-th API request gets a 429 with Retry-After `throttle_wait`.
        self.throttle_every: int | None = None
        self.throttle_wait = "1"
        self.api_requests = 0
        self.refused = 0
        self.deliveries: list[Delivery] = []
        self.pings: list[tuple[str, int | None]] = []
        self.callback_results: list[int] = []
        self.deliver_webhooks = True
        self._nonces: set[str] = set()
        self._versions = {"customers": 0, "orders": 0, "products": 0, "webhooks": 0}
        self._sorted: dict[tuple, list[int]] = {}
        self._json_cache: dict[tuple, tuple[dict, str]] = {}
        self._lock = threading.RLock()
        self._last_tick: datetime | None = None
        self._next_id = {
            "customers": 2,
            "orders": 1000,
            "products": 100,
            "webhooks": 1,
            "keys": 1,
            "lines": 1,
        }
        self._templates = {
            "customer": _fixture("customers--retrieve-a-customer"),
            "order": _fixture("orders--retrieve-an-order"),
            "product": _fixture("products--retrieve-a-product"),
        }
        self.app = self._build_app()
        self.server = None
        self.thread = None
        self.url = ""

    # -- life -------------------------------------------------------------------------
    def start(self) -> WooCommerceEmulator:
        self.server = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.thread.join(timeout=5)

    @property
    def domain(self) -> str:
        return self.url.split("://", 1)[1]

    # -- clock ------------------------------------------------------------------------
    def tick(self) -> datetime:
        """Now (UTC, whole seconds), strictly after the previous change: WooCommerce dates
        have one-second resolution, and tests need successive versions to differ."""
        with self._lock:
            now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
            if self._last_tick is not None and now <= self._last_tick:
                now = self._last_tick + timedelta(seconds=1)
            self._last_tick = now
            return now

    def local(self, moment: datetime) -> str:
        return gmt(moment.replace(tzinfo=UTC).astimezone(self.zone).replace(tzinfo=None))

    def _stamp(self, record: dict, prefix: str, moment: datetime) -> None:
        record[prefix] = self.local(moment)
        record[f"{prefix}_gmt"] = gmt(moment)

    def _changed(self, resource: str) -> None:
        self._versions[resource] += 1

    def _new_id(self, kind: str) -> int:
        with self._lock:
            value = self._next_id[kind]
            self._next_id[kind] += 1
            return value

    # -- keys -------------------------------------------------------------------------
    def add_key(self, permissions: str = "read_write", user_id: str = "1") -> Key:
        key = Key(
            self._new_id("keys"),
            "ck_" + secrets.token_hex(20),
            "cs_" + secrets.token_hex(20),
            permissions,
            user_id,
        )
        self.keys[key.consumer_key] = key
        return key

    def revoke_keys(self) -> None:
        self.keys.clear()

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        retry_after: str | None = None,
        path: str | None = None,
    ) -> None:
        for _ in range(count):
            self.failures.append(Failure(status, retry_after, path))

    # -- records in WooCommerce's shapes --------------------------------------------
    def _links(self, resource: str, record_id: int) -> dict:
        base = f"{self.url or 'https://example.com'}/wp-json/wc/v3/{resource}"
        return {"self": [{"href": f"{base}/{record_id}"}], "collection": [{"href": base}]}

    def customer_shape(
        self,
        record_id: int,
        *,
        email: str,
        first_name: str,
        last_name: str,
        city: str,
        postcode: str,
        created: datetime,
        modified: datetime | None = None,
    ) -> dict:
        template = self._templates["customer"]
        address = {
            "first_name": first_name,
            "last_name": last_name,
            "company": "",
            "address_1": "1 rue du Cacao",
            "address_2": "",
            "city": city,
            "state": "",
            "postcode": postcode,
            "country": "FR",
        }
        record = {
            **template,
            "id": record_id,
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "role": "customer",
            "username": email.split("@")[0],
            "billing": {**address, "email": email, "phone": "02 40 00 00 00"},
            "shipping": dict(address),
            "is_paying_customer": False,
            "meta_data": [],
            "_links": self._links("customers", record_id),
        }
        self._stamp(record, "date_created", created)
        self._stamp(record, "date_modified", modified or created)
        return record

    def product_shape(
        self, record_id: int, *, name: str, price: str, category: str, created: datetime
    ) -> dict:
        template = self._templates["product"]
        slug = name.lower().replace(" ", "-")
        record = {
            **template,
            "id": record_id,
            "name": name,
            "slug": slug,
            "permalink": f"{self.url or 'https://example.com'}/product/{slug}/",
            "sku": f"SKU-{record_id}",
            "price": price,
            "regular_price": price,
            "categories": [{"id": 9, "name": category, "slug": category.lower()}],
            "tags": [],
            "images": [
                {
                    "id": record_id * 10,
                    "src": f"https://example.com/img/{record_id}.jpg",
                    "name": name,
                    "alt": "",
                }
            ],
            "_links": self._links("products", record_id),
        }
        self._stamp(record, "date_created", created)
        self._stamp(record, "date_modified", created)
        return record

    def order_shape(
        self,
        record_id: int,
        *,
        customer_id: int,
        email: str,
        first_name: str,
        last_name: str,
        status: str,
        created: datetime,
        items: list[tuple[dict, int]],
        coupon: str | None = None,
        modified: datetime | None = None,
    ) -> dict:
        template = self._templates["order"]
        line_items = []
        subtotal = 0.0
        for product, quantity in items:
            unit = float(product["price"])
            total = round(unit * quantity, 2)
            subtotal += total
            line_items.append(
                {
                    "id": self._new_id("lines"),
                    "name": product["name"],
                    "product_id": product["id"],
                    "variation_id": 0,
                    "quantity": quantity,
                    "tax_class": "",
                    "subtotal": f"{total:.2f}",
                    "subtotal_tax": "0.00",
                    "total": f"{total:.2f}",
                    "total_tax": "0.00",
                    "taxes": [],
                    "meta_data": [],
                    "sku": product["sku"],
                    "price": unit,
                }
            )
        shipping = 4.9
        address = {
            "first_name": first_name,
            "last_name": last_name,
            "company": "",
            "address_1": "1 rue du Cacao",
            "address_2": "",
            "city": "Nantes",
            "state": "",
            "postcode": "44000",
            "country": "FR",
        }
        record = {
            **template,
            "id": record_id,
            "number": str(record_id),
            "order_key": f"wc_order_{record_id:x}",
            "created_via": "checkout",
            "status": status,
            "currency": self.currency,
            "discount_total": "0.00",
            "shipping_total": f"{shipping:.2f}",
            "cart_tax": "0.00",
            "total": f"{subtotal + shipping:.2f}",
            "total_tax": "0.00",
            "customer_id": customer_id,
            "billing": {**address, "email": email, "phone": ""},
            "shipping": dict(address),
            "line_items": line_items,
            "tax_lines": [],
            "shipping_lines": [
                {
                    "id": self._new_id("lines"),
                    "method_title": "Colissimo",
                    "method_id": "flat_rate",
                    "total": f"{shipping:.2f}",
                    "total_tax": "0.00",
                    "taxes": [],
                    "meta_data": [],
                }
            ],
            "coupon_lines": [
                {
                    "id": self._new_id("lines"),
                    "code": coupon,
                    "discount": "0.00",
                    "discount_tax": "0.00",
                    "meta_data": [],
                }
            ]
            if coupon
            else [],
            "meta_data": [],
            "refunds": [],
            "_links": self._links("orders", record_id),
        }
        self._stamp(record, "date_created", created)
        self._stamp(record, "date_modified", modified or created)
        paid = status in ("processing", "completed")
        record["date_paid"] = record["date_created"] if paid else None
        record["date_paid_gmt"] = record["date_created_gmt"] if paid else None
        record["date_completed"] = record["date_created"] if status == "completed" else None
        record["date_completed_gmt"] = record["date_created_gmt"] if status == "completed" else None
        return record

    # -- seeding ----------------------------------------------------------------------
    def seed(
        self,
        customers: int = 20_000,
        orders: int = 60_000,
        products: int = 200,
        *,
        guest_share: float = 0.2,
        seed: int = 7,
    ) -> None:
        """A store with `customers` registered customers and `orders` orders (a share of
        them guest checkouts, some of which use a registered customer's email)."""
        rng = random.Random(seed)
        span = int((datetime(2026, 10, 1) - SEED_START).total_seconds())
        with self._lock:
            catalogue = []
            for n in range(products):
                product_id = self._new_id("products")
                record = self.product_shape(
                    product_id,
                    name=f"Tablette {n}",
                    price=f"{rng.randrange(300, 4000) / 100:.2f}",
                    category=CATEGORIES[n % len(CATEGORIES)],
                    created=SEED_START + timedelta(seconds=n),
                )
                self.store.products[product_id] = record
                catalogue.append(record)
            people = []
            for n in range(customers):
                customer_id = self._new_id("customers")
                city, postcode = CITIES[n % len(CITIES)]
                created = SEED_START + timedelta(seconds=rng.randrange(span))
                modified = created + timedelta(seconds=rng.randrange(86400 * 30))
                record = self.customer_shape(
                    customer_id,
                    email=f"client{customer_id}@example.fr",
                    first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
                    last_name=LAST_NAMES[n % len(LAST_NAMES)],
                    city=city,
                    postcode=postcode,
                    created=created,
                    modified=modified,
                )
                self.store.customers[customer_id] = record
                people.append(record)
            statuses = ("completed",) * 14 + (
                "processing",
                "on-hold",
                "pending",
                "cancelled",
                "refunded",
                "failed",
            )
            guests = max(1, orders // 10)
            for _ in range(orders):
                order_id = self._new_id("orders")
                created = SEED_START + timedelta(seconds=rng.randrange(span))
                draw = rng.random()
                if draw >= guest_share and people:
                    buyer = rng.choice(people)
                    customer_id, email = buyer["id"], buyer["email"]
                    first, last = buyer["first_name"], buyer["last_name"]
                elif draw < guest_share * 0.1 and people:
                    # A guest checkout by a registered customer: matched by billing.email.
                    buyer = rng.choice(people)
                    customer_id, email = 0, buyer["email"]
                    first, last = buyer["first_name"], buyer["last_name"]
                else:
                    guest = rng.randrange(guests)
                    customer_id, email = 0, f"invite{guest}@example.org"
                    first, last = "Invité", f"N{guest}"
                items = [
                    (rng.choice(catalogue), rng.randint(1, 3)) for _ in range(rng.randint(1, 3))
                ]
                self.store.orders[order_id] = self.order_shape(
                    order_id,
                    customer_id=customer_id,
                    email=email,
                    first_name=first,
                    last_name=last,
                    status=rng.choice(statuses),
                    created=created,
                    items=items,
                    coupon="NOEL" if rng.random() < 0.05 else None,
                    modified=created + timedelta(seconds=rng.randrange(86400 * 3)),
                )
            for resource in ("customers", "orders", "products"):
                self._changed(resource)

    # -- mutations (each delivers its webhook, as the store would) -------------------
    def create_customer(
        self,
        *,
        email: str,
        first_name: str = "Nouvelle",
        last_name: str = "Cliente",
        city: str = "Nantes",
    ) -> dict:
        with self._lock:
            customer_id = self._new_id("customers")
            record = self.customer_shape(
                customer_id,
                email=email,
                first_name=first_name,
                last_name=last_name,
                city=city,
                postcode="44000",
                created=self.tick(),
            )
            self.store.customers[customer_id] = record
            self._changed("customers")
        self.deliver("customer.created", record)
        return record

    def update_customer(self, customer_id: int, *, deliver: bool = True, **changes) -> dict:
        with self._lock:
            record = dict(self.store.customers[customer_id])
            for name, value in changes.items():
                if name in ("city", "postcode", "phone"):
                    key = "postcode" if name == "postcode" else name
                    record["billing"] = {**record["billing"], key: value}
                else:
                    record[name] = value
            self._stamp(record, "date_modified", self.tick())
            self.store.customers[customer_id] = record
            self._changed("customers")
        if deliver:
            self.deliver("customer.updated", record)
        return record

    def delete_customer(self, customer_id: int) -> None:
        with self._lock:
            self.store.customers.pop(customer_id)
            self._changed("customers")
        self.deliver("customer.deleted", {"id": customer_id})

    def create_order(
        self,
        *,
        customer_id: int = 0,
        email: str | None = None,
        status: str = "processing",
        quantity: int = 1,
    ) -> dict:
        with self._lock:
            customer = self.store.customers.get(customer_id)
            email = email or (customer["email"] if customer else "invite@example.org")
            product = next(iter(self.store.products.values()))
            order_id = self._new_id("orders")
            record = self.order_shape(
                order_id,
                customer_id=customer_id,
                email=email,
                first_name=customer["first_name"] if customer else "Invité",
                last_name=customer["last_name"] if customer else "X",
                status=status,
                created=self.tick(),
                items=[(product, quantity)],
            )
            self.store.orders[order_id] = record
            self._changed("orders")
        self.deliver("order.created", record)
        return record

    def update_order(self, order_id: int, *, deliver: bool = True, **changes) -> dict:
        with self._lock:
            record = {**self.store.orders[order_id], **changes}
            self._stamp(record, "date_modified", self.tick())
            self.store.orders[order_id] = record
            self._changed("orders")
        if deliver:
            self.deliver("order.updated", record)
        return record

    def delete_order(self, order_id: int) -> None:
        with self._lock:
            self.store.orders.pop(order_id)
            self._changed("orders")
        self.deliver("order.deleted", {"id": order_id})

    def update_product(self, product_id: int, *, deliver: bool = True, **changes) -> dict:
        with self._lock:
            record = {**self.store.products[product_id], **changes}
            self._stamp(record, "date_modified", self.tick())
            self.store.products[product_id] = record
            self._changed("products")
        if deliver:
            self.deliver("product.updated", record)
        return record

    # -- webhook deliveries -----------------------------------------------------------
    def build_delivery(self, hook: dict, payload: dict) -> Delivery:
        body = json.dumps(payload).encode()
        resource, _, event = hook["topic"].partition(".")
        # WooCommerce's delivery id: wp_hash(webhook id . current second), so two
        # deliveries of one webhook within a second share it.
        delivery_id = hashlib.md5(f"{hook['id']}{int(time.time())}".encode()).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": WEBHOOK_USER_AGENT,
            "X-WC-Webhook-Source": f"{self.url}/",
            "X-WC-Webhook-Topic": hook["topic"],
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": sign(body, hook.get("secret", "")),
            "X-WC-Webhook-ID": str(hook["id"]),
            "X-WC-Webhook-Delivery-ID": delivery_id,
        }
        return Delivery(hook["delivery_url"], headers, body, hook["topic"])

    def deliveries_for(self, topic: str, payload: dict) -> list[Delivery]:
        with self._lock:
            hooks = [
                hook
                for hook in self.store.webhooks.values()
                if hook["topic"] == topic and hook["status"] == "active"
            ]
        return [self.build_delivery(hook, payload) for hook in hooks]

    def send(self, delivery: Delivery) -> Delivery:
        """POST one delivery; failures count towards disabling its webhook, as in WooCommerce."""
        try:
            response = requests.post(
                delivery.url, data=delivery.body, headers=delivery.headers, timeout=30
            )
            delivery.status, delivery.text = response.status_code, response.text
        except requests.RequestException as error:
            delivery.status, delivery.text = None, str(error)
        self.deliveries.append(delivery)
        hook = self.store.webhooks.get(int(delivery.headers["X-WC-Webhook-ID"]))
        if hook is not None:
            with self._lock:
                if delivery.status is not None and 200 <= delivery.status < 300:
                    hook["failure_count"] = 0
                else:
                    hook["failure_count"] = hook.get("failure_count", 0) + 1
                    if hook["failure_count"] > MAX_DELIVERY_FAILURES:
                        hook["status"] = "disabled"
                        self._changed("webhooks")
        return delivery

    def deliver(self, topic: str, payload: dict) -> list[Delivery]:
        if not self.deliver_webhooks:
            return []
        return [self.send(delivery) for delivery in self.deliveries_for(topic, payload)]

    # -- listing ----------------------------------------------------------------------
    def _collection(self, resource: str) -> dict[int, dict]:
        return getattr(self.store, resource)

    def _ordered_ids(self, resource: str, args) -> list[int]:
        orderby = args.get("orderby") or ("name" if resource == "customers" else "date")
        if resource == "webhooks":
            orderby = args.get("orderby") or "date"
        order = args.get("order", "desc" if resource != "customers" else "asc").lower()
        gmt_dates = args.get("dates_are_gmt") in ("true", "1")
        after = args.get("modified_after")
        before = args.get("modified_before")
        status = args.get("status", "any" if resource != "webhooks" else "all")
        key = (resource, orderby, order, gmt_dates, after, before, status, self._versions[resource])
        cached = self._sorted.get(key)
        if cached is not None:
            return cached
        field_name = "date_modified_gmt" if gmt_dates else "date_modified"
        records = list(self._collection(resource).values())
        if after:
            bound = _as_store_time(after, gmt_dates, self.zone)
            records = [r for r in records if (r.get(field_name) or "") > bound]
        if before:
            bound = _as_store_time(before, gmt_dates, self.zone)
            records = [r for r in records if (r.get(field_name) or "") < bound]
        if resource == "webhooks" and status not in ("all", ""):
            records = [r for r in records if r["status"] == status]
        if resource == "orders" and status not in ("any", ""):
            wanted = set(status.split(","))
            records = [r for r in records if r["status"] in wanted]
        sort_keys = {
            "id": lambda r: r["id"],
            "date": lambda r: (r.get("date_created_gmt") or "", r["id"]),
            "registered_date": lambda r: (r.get("date_created_gmt") or "", r["id"]),
            "modified": lambda r: (r.get("date_modified_gmt") or "", r["id"]),
            "name": lambda r: (str(r.get("last_name") or r.get("name") or ""), r["id"]),
            "title": lambda r: (str(r.get("name") or ""), r["id"]),
        }
        records.sort(key=sort_keys.get(orderby, sort_keys["id"]), reverse=order == "desc")
        ids = [r["id"] for r in records]
        self._sorted[key] = ids
        return ids

    # -- authentication ---------------------------------------------------------------
    def _authenticate(self) -> Key | Response:
        auth = request.authorization
        consumer_key = consumer_secret = None
        if auth is not None and auth.type == "basic":
            consumer_key, consumer_secret = auth.username, auth.password
        elif request.args.get("consumer_key"):
            consumer_key = request.args.get("consumer_key")
            consumer_secret = request.args.get("consumer_secret")
        elif request.args.get("oauth_consumer_key"):
            return self._oauth()
        if not consumer_key:
            return _error("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", 401)
        key = self.keys.get(consumer_key)
        if key is None:
            return _error("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401)
        if not hmac.compare_digest(key.consumer_secret, consumer_secret or ""):
            return _error(
                "woocommerce_rest_authentication_error", "Consumer secret is invalid.", 401
            )
        return key

    def _oauth(self) -> Key | Response:
        """OAuth 1.0a one-legged, as WC_REST_Authentication checks it over plain http."""
        params = {}
        for name, value in parse_qsl(request.query_string.decode(), keep_blank_values=True):
            params.setdefault(name, value)
        key = self.keys.get(params.get("oauth_consumer_key", ""))
        if key is None:
            return _error("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401)
        given = params.pop("oauth_signature", "")
        method = params.get("oauth_signature_method", "")
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            return _error("woocommerce_rest_authentication_error", "Invalid signature method.", 401)
        timestamp = int(params.get("oauth_timestamp", "0") or 0)
        if abs(time.time() - timestamp) > 15 * 60:
            return _error("woocommerce_rest_authentication_error", "Invalid timestamp.", 401)
        nonce = params.get("oauth_nonce", "")
        if (key.consumer_key, nonce, timestamp) in self._nonces:
            return _error(
                "woocommerce_rest_authentication_error",
                "Invalid nonce - nonce has already been used.",
                401,
            )
        normalised = {
            quote(name, safe="~").replace("%", "%25"): quote(value, safe="~").replace("%", "%25")
            for name, value in params.items()
        }
        query = "%26".join(f"{name}%3D{normalised[name]}" for name in sorted(normalised))
        base_uri = quote(request.base_url, safe="~")
        string_to_sign = f"{request.method}&{base_uri}&{query}"
        digest = hashlib.sha256 if method == "HMAC-SHA256" else hashlib.sha1
        expected = base64.b64encode(
            hmac.new(f"{key.consumer_secret}&".encode(), string_to_sign.encode(), digest).digest()
        ).decode()
        if not hmac.compare_digest(expected, given.replace(" ", "+")):
            return _error(
                "woocommerce_rest_authentication_error",
                "Invalid signature - provided signature does not match.",
                401,
            )
        self._nonces.add((key.consumer_key, nonce, timestamp))
        return key

    def _gate(self, write: bool) -> Key | Response:
        """Count, throttle, inject failures, authenticate: what every API request meets."""
        with self._lock:
            self.api_requests += 1
            count = self.api_requests
            failure = None
            if self.failures and (
                self.failures[0].path is None or self.failures[0].path in request.path
            ):
                failure = self.failures.popleft()
        if failure is not None:
            self.refused += 1
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            if failure.status == 429:
                return _error(
                    "woocommerce_rest_too_many_requests", "Too many requests.", 429, headers
                )
            return _error(
                "internal_server_error",
                "There has been a critical error on this website.",
                failure.status,
                headers,
            )
        if self.throttle_every and count % self.throttle_every == 0:
            self.refused += 1
            return _error(
                "woocommerce_rest_too_many_requests",
                "Too many requests.",
                429,
                {"Retry-After": self.throttle_wait},
            )
        key = self._authenticate()
        if isinstance(key, Response):
            return key
        needed = "write" if write else "read"
        if needed not in key.permissions.split("_"):
            return _error(
                "woocommerce_rest_cannot_" + ("create" if write else "view"),
                "Sorry, you are not allowed to do that.",
                403,
            )
        return key

    # -- the app ----------------------------------------------------------------------
    def _build_app(self) -> Flask:
        app = Flask("woocommerce-emulator")
        emulator = self

        @app.get("/wp-json/")
        def index():
            offset = datetime.now(emulator.zone).utcoffset().total_seconds() / 3600
            return {
                "name": "Chocolaterie (emulated WooCommerce)",
                "url": emulator.url,
                "home": emulator.url,
                "gmt_offset": offset,
                "timezone_string": emulator.timezone,
                "namespaces": ["wp/v2", "wc/v3", "wc-auth/v1"],
            }

        @app.get("/wp-json/wc/v3/settings/general/<option>")
        def setting(option):
            gate = emulator._gate(write=False)
            if isinstance(gate, Response):
                return gate
            values = {"woocommerce_currency": emulator.currency}
            if option not in values:
                return _error("rest_setting_setting_invalid", "Invalid setting.", 404)
            return {"id": option, "label": option, "value": values[option], "type": "select"}

        @app.get("/wp-json/wc/v3/<resource>")
        def listing(resource):
            if resource not in ("customers", "orders", "products", "webhooks"):
                return _error(
                    "rest_no_route", "No route was found matching the URL and request method.", 404
                )
            gate = emulator._gate(write=False)
            if isinstance(gate, Response):
                return gate
            try:
                page = int(request.args.get("page", 1))
                per_page = int(request.args.get("per_page", 10))
            except ValueError:
                return _error("rest_invalid_param", "Invalid parameter(s): page", 400)
            if not 1 <= per_page <= PER_PAGE_MAX:
                return _error(
                    "rest_invalid_param",
                    "Invalid parameter(s): per_page "
                    "(per_page must be between 1 (inclusive) and 100 (inclusive))",
                    400,
                )
            with emulator._lock:
                try:
                    ids = emulator._ordered_ids(resource, request.args)
                except ValueError:
                    return _error("rest_invalid_param", "Invalid parameter(s): modified_after", 400)
                chosen = ids[(page - 1) * per_page : page * per_page]
                collection = emulator._collection(resource)
                items = [emulator._json(resource, collection[i]) for i in chosen if i in collection]
            total = len(ids)
            pages = (total + per_page - 1) // per_page
            if page > max(pages, 1):
                return _error(
                    "rest_post_invalid_page_number",
                    "The page number requested is larger than the number of pages available.",
                    400,
                )
            return Response(
                "[" + ",".join(items) + "]",
                200,
                headers={"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)},
                mimetype="application/json",
            )

        @app.get("/wp-json/wc/v3/<resource>/<int:record_id>")
        def single(resource, record_id):
            gate = emulator._gate(write=False)
            if isinstance(gate, Response):
                return gate
            record = emulator._collection(resource).get(record_id)
            if record is None:
                return _error(f"woocommerce_rest_invalid_{resource[:-1]}_id", "Invalid ID.", 404)
            return _public(resource, record)

        @app.post("/wp-json/wc/v3/webhooks")
        def create_webhook():
            gate = emulator._gate(write=True)
            if isinstance(gate, Response):
                return gate
            data = request.get_json(silent=True) or {}
            topic = data.get("topic", "")
            if topic.partition(".")[0] not in ("customer", "order", "product", "coupon"):
                return _error("rest_invalid_param", "Invalid parameter(s): topic", 400)
            if not data.get("delivery_url"):
                return _error(
                    "rest_missing_callback_param", "Missing parameter(s): delivery_url", 400
                )
            hook_id = emulator._new_id("webhooks")
            now = emulator.tick()
            hook = {
                "id": hook_id,
                "name": data.get("name") or f"Webhook {hook_id}",
                "status": data.get("status", "active"),
                "topic": topic,
                "resource": topic.partition(".")[0],
                "event": topic.partition(".")[2],
                "hooks": [],
                "delivery_url": data["delivery_url"],
                "secret": data.get("secret") or secrets.token_urlsafe(24),
                "failure_count": 0,
                "_links": emulator._links("webhooks", hook_id),
            }
            emulator._stamp(hook, "date_created", now)
            emulator._stamp(hook, "date_modified", now)
            with emulator._lock:
                emulator.store.webhooks[hook_id] = hook
                emulator._changed("webhooks")
            emulator._ping(hook)
            return Response(json.dumps(_public("webhooks", hook)), 201, mimetype="application/json")

        @app.route("/wp-json/wc/v3/webhooks/<int:hook_id>", methods=["PUT", "POST"])
        def update_webhook(hook_id):
            gate = emulator._gate(write=True)
            if isinstance(gate, Response):
                return gate
            hook = emulator.store.webhooks.get(hook_id)
            if hook is None:
                return _error("woocommerce_rest_webhook_invalid_id", "Invalid ID.", 404)
            data = request.get_json(silent=True) or {}
            with emulator._lock:
                for name in ("name", "status", "topic", "delivery_url", "secret"):
                    if name in data:
                        hook[name] = data[name]
                if data.get("status") == "active":
                    hook["failure_count"] = 0
                emulator._stamp(hook, "date_modified", emulator.tick())
                emulator._changed("webhooks")
            return _public("webhooks", hook)

        @app.delete("/wp-json/wc/v3/webhooks/<int:hook_id>")
        def delete_webhook(hook_id):
            gate = emulator._gate(write=True)
            if isinstance(gate, Response):
                return gate
            with emulator._lock:
                hook = emulator.store.webhooks.pop(hook_id, None)
                emulator._changed("webhooks")
            if hook is None:
                return _error("woocommerce_rest_webhook_invalid_id", "Invalid ID.", 404)
            return _public("webhooks", hook)

        @app.get("/wc-auth/v1/authorize")
        def authorize():
            return emulator._authorize()

        return app

    def _json(self, resource: str, record: dict) -> str:
        """A record's JSON, kept while the record is unchanged (mutations replace the
        dict; webhooks, changed in place, are never kept)."""
        if resource == "webhooks":
            return json.dumps(_public(resource, record))
        key = (resource, record["id"])
        cached = self._json_cache.get(key)
        if cached is None or cached[0] is not record:
            cached = (record, json.dumps(record))
            self._json_cache[key] = cached
        return cached[1]

    def _ping(self, hook: dict) -> None:
        try:
            response = requests.post(
                hook["delivery_url"],
                data={"webhook_id": hook["id"]},
                headers={"User-Agent": WEBHOOK_USER_AGENT},
                timeout=10,
            )
            self.pings.append((hook["delivery_url"], response.status_code))
        except requests.RequestException:
            self.pings.append((hook["delivery_url"], None))

    def _authorize(self):
        """wc-auth: validate, create the key, POST it to the callback, then return."""
        args = request.args
        for name in ("app_name", "scope", "user_id", "return_url", "callback_url"):
            if not args.get(name):
                return Response(f"Error: Missing parameter {name}.", 400)
        if args["scope"] not in ("read", "write", "read_write"):
            return Response("Error: Invalid scope.", 400)
        callback = args["callback_url"]
        parsed = urlparse(callback)
        local = parsed.hostname in ("127.0.0.1", "localhost") and self.allow_http_callback
        if parsed.scheme != "https" and not local:
            return Response("Error: The callback_url needs to be over SSL.", 400)
        if not self.approve:
            return redirect(_with_query(args["return_url"], success=0, user_id=args["user_id"]))
        key = self.add_key(args["scope"], args["user_id"])
        payload = {
            "key_id": key.key_id,
            "user_id": args["user_id"],
            "consumer_key": key.consumer_key,
            "consumer_secret": key.consumer_secret,
            "key_permissions": key.permissions,
        }
        try:
            answer = requests.post(callback, json=payload, timeout=60).status_code
        except requests.RequestException:
            answer = None
        self.callback_results.append(answer)
        if answer != 200:
            self.keys.pop(key.consumer_key, None)
            return Response(
                "Error: An error occurred in the request and at the time were unable to send "
                "the consumer data.",
                401,
            )
        return redirect(_with_query(args["return_url"], success=1, user_id=args["user_id"]))


def _public(resource: str, record: dict) -> dict:
    if resource == "webhooks":
        return {k: v for k, v in record.items() if k not in ("secret", "failure_count")}
    return record


def _as_store_time(value: str, gmt_dates: bool, zone: ZoneInfo) -> str:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        target = UTC if gmt_dates else zone
        moment = moment.astimezone(target).replace(tzinfo=None)
    return gmt(moment)


def _with_query(url: str, **params) -> str:
    parts = urlparse(url)
    query = parse_qsl(parts.query) + [(k, str(v)) for k, v in params.items()]
    return urlunparse(parts._replace(query=urlencode(query)))
