"""A local PrestaShop Webservice (JSON) for tests and benchmarks: Flask on a free port.

It serves what our client reads the way PrestaShop 8 does (classes/webservice/*):
`/api/<resource>` lists with `display=full|[fields]`, `filter[field]=[a|b]` (any of),
`[from,to]` (interval, inclusive) and `[value]`, `date=1` needed to filter or sort on
`date_add`/`date_upd`, `sort=[field_ASC,...]`, `limit=offset,count`; `{"customers": [...]}`
for a list and `[]` for an empty one; ids as numbers and every other value as a string;
multilingual fields as `[{"id": "1", "value": ...}]`; associations (order_rows,
cart_rows). Errors come as `{"errors": [{"code", "message"}]}` with PrestaShop's codes:
401 for a missing or refused key (16/18/20, with WWW-Authenticate), 401 code 26 for a
resource the key may not read, 503 code 22 when the Webservice is disabled.

Test levers: `permissions` per key, `disabled`, `fail_next(*statuses)` (429 with
Retry-After, 500...), `rate_limit_every`, `seed(...)`, and mutators (`update_customer`,
`add_order`, `save_cart`...) that move `date_upd` like PrestaShop does. Dates are shop-local
wall-clock strings in `timezone`.
"""

from __future__ import annotations

import bisect
import json
import random
import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, Response, request
from werkzeug.serving import WSGIRequestHandler, make_server

FORMAT = "%Y-%m-%d %H:%M:%S"
DEFAULT_KEY = "CIBLETESTKEY0123456789ABCDEFGHIJ"  # 32 characters, like PrestaShop's keys
RESOURCES = (
    "customers", "addresses", "orders", "carts", "products", "currencies", "countries",
    "states", "languages", "categories", "configurations", "order_states",
)  # fmt: skip
SINGULAR = {name: name[:-1] for name in RESOURCES} | {
    "addresses": "address",
    "countries": "country",
    "currencies": "currency",
    "categories": "category",
}
COUNTRIES = {8: "FR", 3: "BE", 6: "ES", 1: "DE", 17: "GB", 21: "US", 19: "CH"}
CURRENCIES = {1: "EUR", 2: "USD"}
LANGUAGES = {1: "fr", 2: "en"}
STATES = {313: ("Loire-Atlantique", 8), 12: ("California", 21)}
CATEGORIES = {
    2: ("Accueil", "Home"),
    3: ("Chocolat noir", "Dark chocolate"),
    4: ("Chocolat au lait", "Milk chocolate"),
    5: ("Pralinés", "Pralines"),
}
CITIES = [("Nantes", "44000", 8, 313), ("Paris", "75011", 8, 0), ("Lyon", "69003", 8, 0),
          ("Bruxelles", "1000", 3, 0), ("Madrid", "28001", 6, 0), ("Berlin", "10115", 1, 0),
          ("London", "SW1A 1AA", 17, 0), ("San Francisco", "94103", 21, 12)]  # fmt: skip
# Valid (paid) states, then the others, PrestaShop's default ids.
PAID_STATES = ("2", "3", "4", "5")
OTHER_STATES = ("6", "7", "10")
I18N_FIELDS = {"products": ("name", "link_rewrite", "description_short"), "categories": ("name",)}
FILTER = re.compile(r"^filter\[(\w+)\]$")


def money(value: Decimal) -> str:
    return f"{value:.6f}"


class PrestaShopEmulator:
    """The shop's data, the Webservice app, and the levers tests pull."""

    def __init__(self, timezone: str = "Europe/Paris", key: str = DEFAULT_KEY):
        self.timezone = timezone
        self.zone = ZoneInfo(timezone)
        self.lock = threading.RLock()
        self.data: dict[str, dict[int, dict]] = {name: {} for name in RESOURCES}
        self._date_index: dict[str, list[tuple[str, int]]] = {}
        self._cart_index: dict[str, list[int]] | None = None
        self.permissions: dict[str, set[str] | None] = {key: None}  # None: every resource
        self.key = key
        self.disabled = False
        self.failures: list[tuple[int, str | None]] = []
        self.rate_limit_every = 0
        self.requests_seen = 0
        self.statuses_sent: list[int] = []
        self.app = self._build_app()
        self._server = None
        self._thread = None
        self._reference_data()

    # -- serving -------------------------------------------------------------------------

    def start(self) -> str:
        self._server = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._server.server_close()
            self._server = None

    def _build_app(self) -> Flask:
        app = Flask("prestashop-emulator")

        @app.route("/api/", defaults={"path": ""}, methods=["GET"])
        @app.route("/api/<path:path>", methods=["GET"])
        def webservice(path: str):
            return self._serve(path)

        @app.route("/")
        def home():
            return "<html><body>Boutique de démonstration</body></html>"

        return app

    def _serve(self, path: str) -> Response:
        with self.lock:
            self.requests_seen += 1
            if self.failures:
                status, retry_after = self.failures.pop(0)
                return self._error(status, "injected failure", 0, retry_after=retry_after)
            if self.rate_limit_every and self.requests_seen % self.rate_limit_every == 0:
                return self._error(429, "Too many requests", 0, retry_after="0")
        if self.disabled:
            return self._error(
                503,
                "The PrestaShop webservice is disabled. Please activate it in the PrestaShop "
                "Back Office",
                22,
            )
        auth = request.authorization
        key = auth.username if auth else None
        if key is None:
            return self._auth_error("Please enter the authentication key as the login. No "
                                    "password required", 16)  # fmt: skip
        if len(key) != 32:
            return self._auth_error("Invalid authentication key format", 18)
        if key not in self.permissions:
            return self._auth_error("Authentification key is not active", 20)
        allowed = self.permissions[key]
        parts = [p for p in path.split("/") if p]
        if not parts:
            names = sorted(allowed if allowed is not None else RESOURCES)
            return self._json({"api": {name: {"get": "true"} for name in names}})
        resource = parts[0]
        if resource not in RESOURCES:
            return self._error(400, f'Resource of type "{resource}" does not exists', 27)
        if allowed is not None and resource not in allowed:
            return self._error(
                401,
                f'Resource of type "{resource}" is not allowed with this authentication key',
                26,
            )
        try:
            if len(parts) > 1:
                return self._one(resource, parts[1])
            return self._list(resource)
        except QueryError as error:
            return self._error(400, str(error), error.code)

    def _json(self, payload, status: int = 200) -> Response:
        response = Response(json.dumps(payload), status=status, mimetype="application/json")
        response.headers["X-Powered-By"] = "PrestaShop Webservice"
        response.headers["PSWS-Version"] = "8.1.7"
        self.statuses_sent.append(status)
        return response

    def _error(self, status: int, message: str, code: int, retry_after: str | None = None):
        response = self._json({"errors": [{"code": code, "message": message}]}, status)
        del response.headers["PSWS-Version"]
        if retry_after is not None:
            response.headers["Retry-After"] = retry_after
        return response

    def _auth_error(self, message: str, code: int) -> Response:
        response = self._error(401, message, code)
        response.headers["WWW-Authenticate"] = (
            'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication '
            'key as the login. No password required."'
        )
        return response

    # -- queries -------------------------------------------------------------------------

    def _one(self, resource: str, object_id: str) -> Response:
        with self.lock:
            obj = self.data[resource].get(int(object_id)) if object_id.isdigit() else None
            if obj is None:
                return self._json({}, 404)
            return self._json({SINGULAR[resource]: self._render(resource, obj, None)})

    def _list(self, resource: str) -> Response:
        args = request.args
        dates = args.get("date") == "1"
        filters = {}
        for name, value in args.items():
            match = FILTER.match(name)
            if match:
                field = match.group(1)
                if field in ("date_add", "date_upd") and not dates:
                    raise QueryError("This filter does not exist. Did you mean: ...", 32)
                filters[field] = parse_filter(value)
        sort = parse_sort(args.get("sort"), dates)
        offset, count = parse_limit(args.get("limit"))
        display = args.get("display")
        with self.lock:
            found = self._select(resource, filters, sort, offset, count)
            if not found:
                return self._json([])
            fields = None if display == "full" else parse_display(display)
            objects = [self._render(resource, obj, fields) for obj in found]
        return self._json({resource: objects})

    def _select(self, resource, filters, sort, offset, count) -> list[dict]:
        table = self.data[resource]
        fast = (
            set(filters) <= {"date_upd"}
            and sort == [("date_upd", False), ("id", False)]
            and (not filters or filters["date_upd"][0] == "interval")
        )
        if fast:
            index = self._index(resource)
            low, high = ("", "\uffff") if not filters else filters["date_upd"][1]
            start = bisect.bisect_left(index, (low, -1))
            stop = bisect.bisect_right(index, (high, 1 << 62))
            chosen = index[start:stop][offset : None if count is None else offset + count]
            return [table[object_id] for _, object_id in chosen]
        if "id" in filters and filters["id"][0] == "any":
            candidates = [
                table[int(v)] for v in filters["id"][1] if v.isdigit() and int(v) in table
            ]
        elif resource == "orders" and "id_cart" in filters and filters["id_cart"][0] == "any":
            index = self._orders_by_cart()
            ids = [i for v in filters["id_cart"][1] for i in index.get(v, ())]
            candidates = [table[i] for i in ids]
        else:
            candidates = list(table.values())
        chosen = [obj for obj in candidates if all(matches(obj, f, c) for f, c in filters.items())]
        for field, descending in reversed(sort or [("id", False)]):
            chosen.sort(key=lambda obj, field=field: sort_key(obj.get(field)), reverse=descending)
        return chosen[offset : None if count is None else offset + count]

    def _index(self, resource: str) -> list[tuple[str, int]]:
        index = self._date_index.get(resource)
        if index is None:
            index = sorted((obj["date_upd"], obj["id"]) for obj in self.data[resource].values())
            self._date_index[resource] = index
        return index

    def _orders_by_cart(self) -> dict[str, list[int]]:
        if self._cart_index is None:
            index: dict[str, list[int]] = {}
            for obj in self.data["orders"].values():
                index.setdefault(obj["id_cart"], []).append(obj["id"])
            self._cart_index = index
        return self._cart_index

    def _render(self, resource: str, obj: dict, fields: list[str] | None) -> dict:
        out = {}
        for name, value in obj.items():
            if fields is not None and name not in fields and name != "associations":
                continue
            if name == "associations":
                if fields is None and value:
                    out[name] = value
                continue
            out[name] = value
        if fields is not None:
            out = {name: out[name] for name in fields if name in out}
        return out

    def _touched(self, resource: str) -> None:
        self._date_index.pop(resource, None)
        if resource == "orders":
            self._cart_index = None

    # -- data ----------------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(UTC)

    def local(self, moment: datetime) -> str:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone).strftime(FORMAT)

    def _reference_data(self) -> None:
        for cid, iso in CURRENCIES.items():
            self._put("currencies", {"id": cid, "iso_code": iso, "name": iso, "active": "1"})
        for cid, iso in COUNTRIES.items():
            self._put("countries", {"id": cid, "iso_code": iso, "active": "1"})
        for sid, (name, country) in STATES.items():
            self._put("states", {"id": sid, "id_country": str(country), "name": name})
        for lid, iso in LANGUAGES.items():
            self._put("languages", {"id": lid, "iso_code": iso, "name": iso, "active": "1"})
        for cid, names in CATEGORIES.items():
            self._put("categories", {"id": cid, "name": self._i18n(*names), "active": "1"})
        for number, (name, value) in enumerate(
            [("PS_TIMEZONE", self.timezone), ("PS_CURRENCY_DEFAULT", "1"),
             ("PS_LANG_DEFAULT", "1"), ("PS_SHOP_NAME", "Chocolats Émulés")], start=1,
        ):  # fmt: skip
            self._put("configurations", {"id": number, "name": name, "value": value})

    def _put(self, resource: str, obj: dict) -> dict:
        stamp = obj.setdefault("date_upd", "2020-01-01 00:00:00")
        obj.setdefault("date_add", stamp)
        self.data[resource][obj["id"]] = obj
        self._touched(resource)
        return obj

    @staticmethod
    def _i18n(french: str, english: str) -> list[dict]:
        return [{"id": "1", "value": french}, {"id": "2", "value": english}]

    def seed(
        self,
        customers: int = 100,
        orders: int = 300,
        carts: int = 50,
        products: int = 40,
        *,
        seed: int = 7,
        same_second_batch: int = 0,
        now: datetime | None = None,
    ) -> None:
        """Generate a shop quickly: customers with addresses, products, orders with rows,
        carts (the first ones converted to orders, the rest left without an order).

        `same_second_batch` customers share one date_upd (a bulk import), to test pages
        that end inside a second.
        """
        rng = random.Random(seed)
        now = now or self.now()
        start = now - timedelta(days=720)
        with self.lock:
            for pid in range(1, products + 1):
                category = rng.choice((3, 4, 5))
                created = self.local(start + timedelta(hours=pid))
                self.data["products"][pid] = {
                    "id": pid, "id_manufacturer": "1", "id_category_default": str(category),
                    "id_default_image": str(pid * 10), "reference": f"CHOC-{pid:04d}",
                    "price": money(Decimal(rng.randrange(300, 6000)) / 100), "active": "1",
                    "manufacturer_name": "Maison Cible", "date_add": created, "date_upd": created,
                    "name": self._i18n(f"Tablette {pid}", f"Bar {pid}"),
                    "link_rewrite": self._i18n(f"tablette-{pid}", f"bar-{pid}"),
                    "description_short": self._i18n("<p>Bon</p>", "<p>Good</p>"),
                    "associations": {"categories": [{"id": "2"}, {"id": str(category)}]},
                }  # fmt: skip
            bulk_stamp = self.local(start + timedelta(days=30))
            for cid in range(1, customers + 1):
                created_at = start + timedelta(minutes=cid * 17 % 900_000 + rng.randrange(60))
                created = self.local(created_at)
                updated = (
                    bulk_stamp
                    if cid <= same_second_batch
                    else self.local(created_at + timedelta(days=rng.randrange(0, 30)))
                )
                guest = rng.random() < 0.05
                subscribed = rng.random() < 0.4
                self.data["customers"][cid] = {
                    "id": cid, "id_default_group": "2" if guest else "3",
                    "id_lang": str(rng.choice((1, 1, 2))), "newsletter_date_add":
                    created if subscribed else "0000-00-00 00:00:00",
                    "ip_registration_newsletter": "", "last_passwd_gen": created,
                    "secure_key": f"{cid:032x}", "deleted": "0", "passwd": "$2y$10$x",
                    "lastname": rng.choice(("Martin", "Bernard", "Dubois", "Durand", "Leroy")),
                    "firstname": rng.choice(("Camille", "Louis", "Léa", "Hugo", "Chloé")),
                    "email": f"client{cid}@example.org", "id_gender": rng.choice(("1", "2", "0")),
                    "birthday": f"{rng.randrange(1950, 2005)}-{rng.randrange(1, 13):02d}-"
                                f"{rng.randrange(1, 29):02d}" if rng.random() < 0.7 else
                                "0000-00-00",
                    "newsletter": "1" if subscribed else "0", "optin": "0", "website": "",
                    "company": "", "siret": "", "ape": "", "outstanding_allow_amount": "0.000000",
                    "show_public_prices": "0", "id_risk": "0", "max_payment_days": "0",
                    "active": "1", "note": "", "is_guest": "1" if guest else "0", "id_shop": "1",
                    "id_shop_group": "1", "date_add": created, "date_upd": updated,
                    "reset_password_token": "", "reset_password_validity": "0000-00-00 00:00:00",
                    "associations": {"groups": [{"id": "3"}]},
                }  # fmt: skip
                if rng.random() < 0.9:
                    self._seed_address(rng, cid, cid, created)
            for oid in range(1, orders + 1):
                self._seed_order(rng, oid, customers, products, start, now, carts)
            for cart_id in range(1, carts + 1):
                self._seed_cart(rng, cart_id, customers, products, start, now, orders)
            for resource in ("customers", "addresses", "orders", "carts", "products"):
                self._touched(resource)

    def _seed_address(self, rng, address_id: int, customer_id: int, stamp: str) -> dict:
        city, postcode, country, state = rng.choice(CITIES)
        address = {
            "id": address_id, "id_customer": str(customer_id), "id_manufacturer": "0",
            "id_supplier": "0", "id_warehouse": "0", "id_country": str(country),
            "id_state": str(state), "alias": "Mon adresse", "company": "",
            "lastname": "Martin", "firstname": "Camille", "vat_number": "",
            "address1": "1 rue du Port", "address2": "", "postcode": postcode, "city": city,
            "other": "", "phone": "0240000000", "phone_mobile": f"06{customer_id:08d}",
            "dni": "", "deleted": "0", "date_add": stamp, "date_upd": stamp,
        }  # fmt: skip
        self.data["addresses"][address_id] = address
        return address

    def _rows(self, rng, products: int, count: int) -> list[dict]:
        rows = []
        for _ in range(count):
            pid = rng.randrange(1, products + 1)
            rows.append((pid, rng.randrange(1, 4)))
        return rows

    def _seed_order(self, rng, oid, customers, products, start, now, carts) -> None:
        created_at = start + (now - start) * rng.random()
        created_at = min(created_at, now - timedelta(hours=1))
        customer = rng.randrange(1, customers + 1)
        cart_id = oid if oid <= carts // 2 else 1_000_000 + oid
        rows = self._rows(rng, products, 1 if rng.random() < 0.5 else 2)
        state = rng.choice(PAID_STATES) if rng.random() < 0.85 else rng.choice(OTHER_STATES)
        updated_at = min(created_at + timedelta(minutes=rng.randrange(0, 5000)), now)
        self._store_order(oid, customer, cart_id, rows, state, created_at, updated_at)

    def _store_order(self, oid, customer, cart_id, rows, state, created_at, updated_at) -> dict:
        order_rows = []
        total = Decimal("0")
        for number, (pid, quantity) in enumerate(rows, start=1):
            product = self.data["products"][pid]
            price = Decimal(product["price"])
            incl = (price * Decimal("1.2")).quantize(Decimal("0.01"))
            total += incl * quantity
            order_rows.append({
                "id": str(oid * 10 + number), "product_id": str(pid),
                "product_attribute_id": "0", "product_quantity": str(quantity),
                "product_name": product["name"][0]["value"],
                "product_reference": product["reference"], "product_ean13": "",
                "product_isbn": "", "product_upc": "", "product_price": money(price),
                "id_customization": "0", "unit_price_tax_incl": money(incl),
                "unit_price_tax_excl": money(price),
            })  # fmt: skip
        shipping = Decimal("4.90")
        valid = "1" if state in PAID_STATES or state == "7" else "0"
        order = {
            "id": oid, "id_address_delivery": str(customer), "id_address_invoice": str(customer),
            "id_cart": str(cart_id), "id_currency": "1", "id_lang": "1",
            "id_customer": str(customer), "id_carrier": "2", "current_state": state,
            "module": "ps_wirepayment", "invoice_number": str(oid), "invoice_date":
            self.local(created_at), "delivery_number": "0", "delivery_date":
            "0000-00-00 00:00:00", "valid": valid, "date_add": self.local(created_at),
            "date_upd": self.local(updated_at), "shipping_number": "", "note": "",
            "id_shop_group": "1", "id_shop": "1", "secure_key": f"{oid:032x}",
            "payment": "Bank wire", "recyclable": "0", "gift": "0", "gift_message": "",
            "mobile_theme": "0", "total_discounts": "0.000000",
            "total_discounts_tax_incl": "0.000000", "total_discounts_tax_excl": "0.000000",
            "total_paid": money(total + shipping), "total_paid_tax_incl": money(total + shipping),
            "total_paid_tax_excl": money((total + shipping) / Decimal("1.2")),
            "total_paid_real": money(total + shipping), "total_products": money(total),
            "total_products_wt": money(total), "total_shipping": money(shipping),
            "total_shipping_tax_incl": money(shipping), "total_shipping_tax_excl":
            money(shipping), "carrier_tax_rate": "20.000", "total_wrapping": "0.000000",
            "round_mode": "2", "round_type": "2", "conversion_rate": "1.000000",
            "reference": f"REF{oid:06d}",
            "associations": {"order_rows": order_rows},
        }  # fmt: skip
        self.data["orders"][oid] = order
        return order

    def _seed_cart(self, rng, cart_id, customers, products, start, now, orders) -> None:
        converted = cart_id in self.data["orders"] and self.data["orders"][cart_id][
            "id_cart"
        ] == str(cart_id)
        if converted:
            order = self.data["orders"][cart_id]
            customer = int(order["id_customer"])
            rows = [
                (int(r["product_id"]), int(r["product_quantity"]))
                for r in order["associations"]["order_rows"]
            ]
            stamp = order["date_add"]
        else:
            customer = rng.randrange(0, customers + 1)  # 0: a visitor who never logged in
            rows = self._rows(rng, products, rng.randrange(0, 3))
            stamp = self.local(now - timedelta(hours=rng.randrange(2, 24 * 60)))
        self._store_cart(cart_id, customer, rows, stamp, stamp)

    def _store_cart(self, cart_id, customer, rows, created, updated) -> dict:
        cart = {
            "id": cart_id, "id_address_delivery": str(customer), "id_address_invoice":
            str(customer), "id_currency": "1", "id_customer": str(customer),
            "id_guest": str(cart_id), "id_lang": "1", "id_shop_group": "1", "id_shop": "1",
            "id_carrier": "0", "recyclable": "0", "gift": "0", "gift_message": "",
            "mobile_theme": "0", "delivery_option": "", "secure_key": f"{cart_id:032x}",
            "allow_seperated_package": "0", "date_add": created, "date_upd": updated,
            "associations": {"cart_rows": [
                {"id_product": str(pid), "id_product_attribute": "0",
                 "id_address_delivery": str(customer), "id_customization": "0",
                 "quantity": str(quantity)} for pid, quantity in rows
            ]},
        }  # fmt: skip
        self.data["carts"][cart_id] = cart
        return cart

    # -- mutators (what a shop's life does to the data) ---------------------------------

    def _stamp(self, at: datetime | None) -> str:
        return self.local(at or self.now())

    def update_customer(self, customer_id: int, at: datetime | None = None, **fields) -> dict:
        with self.lock:
            customer = self.data["customers"][customer_id]
            customer.update({k: str(v) for k, v in fields.items()})
            customer["date_upd"] = self._stamp(at)
            self._touched("customers")
            return customer

    def add_customer(self, at: datetime | None = None, **fields) -> dict:
        with self.lock:
            cid = max(self.data["customers"], default=0) + 1
            stamp = self._stamp(at)
            customer = {
                "id": cid, "id_lang": "1", "lastname": "Nouveau", "firstname": "Client",
                "email": f"nouveau{cid}@example.org", "id_gender": "2", "birthday": "0000-00-00",
                "newsletter": "0", "newsletter_date_add": "0000-00-00 00:00:00", "optin": "0",
                "company": "", "active": "1", "is_guest": "0", "deleted": "0",
                "date_add": stamp, "date_upd": stamp, "associations": {"groups": [{"id": "3"}]},
            }  # fmt: skip
            customer.update({k: str(v) for k, v in fields.items()})
            self.data["customers"][cid] = customer
            self._touched("customers")
            return customer

    def set_address(self, customer_id: int, at: datetime | None = None, **fields) -> dict:
        """A new address for the customer (PrestaShop keeps old ones; the latest is used)."""
        with self.lock:
            address_id = max(self.data["addresses"], default=0) + 1
            address = self._seed_address(random.Random(address_id), address_id, customer_id,
                                         self._stamp(at))  # fmt: skip
            address.update({k: str(v) for k, v in fields.items()})
            self._touched("addresses")
            return address

    def add_order(
        self,
        customer_id: int,
        rows: Iterable[tuple[int, int]],
        *,
        cart_id: int | None = None,
        state: str = "2",
        at: datetime | None = None,
    ) -> dict:
        with self.lock:
            oid = max(self.data["orders"], default=0) + 1
            moment = at or self.now()
            order = self._store_order(oid, customer_id, cart_id or 2_000_000 + oid, list(rows),
                                      state, moment, moment)  # fmt: skip
            self._touched("orders")
            return order

    def set_order_state(self, order_id: int, state: str, at: datetime | None = None) -> dict:
        with self.lock:
            order = self.data["orders"][order_id]
            order["current_state"] = state
            order["valid"] = "1" if state in PAID_STATES or state == "7" else "0"
            order["date_upd"] = self._stamp(at)
            self._touched("orders")
            return order

    def save_cart(
        self,
        customer_id: int,
        rows: Iterable[tuple[int, int]],
        *,
        cart_id: int | None = None,
        at: datetime | None = None,
    ) -> dict:
        """Create or change a cart (`actionCartSave`): date_upd moves to `at`."""
        with self.lock:
            stamp = self._stamp(at)
            if cart_id is None:
                cart_id = max(self.data["carts"], default=0) + 1
                created = stamp
            else:
                created = self.data["carts"].get(cart_id, {}).get("date_add", stamp)
            cart = self._store_cart(cart_id, customer_id, list(rows), created, stamp)
            self._touched("carts")
            return cart

    def update_product(self, product_id: int, at: datetime | None = None, **fields) -> dict:
        with self.lock:
            product = self.data["products"][product_id]
            product.update({k: str(v) for k, v in fields.items()})
            product["date_upd"] = self._stamp(at)
            self._touched("products")
            return product

    # -- levers --------------------------------------------------------------------------

    def fail_next(self, *statuses: int, retry_after: str | None = None) -> None:
        """The next requests answer these statuses (429 carries Retry-After)."""
        with self.lock:
            for status in statuses:
                after = retry_after if retry_after is not None else ("1" if status == 429 else None)
                self.failures.append((status, after))

    def allow(self, key: str, resources: Iterable[str] | None) -> None:
        """A key allowed to GET these resources (None: all of them)."""
        self.permissions[key] = None if resources is None else set(resources)


class QuietHandler(WSGIRequestHandler):
    """No access log: a full sync makes hundreds of requests."""

    def log_request(self, *args, **kwargs):
        pass


class QueryError(ValueError):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def parse_filter(value: str) -> tuple[str, object]:
    match = re.match(r"^\[(.*)\]$", value or "")
    if not match:
        return ("literal", value)
    inner = match.group(1)
    if "|" in inner:
        return ("any", frozenset(v.lower() for v in inner.split("|")))
    if "," in inner:
        low, _, high = inner.partition(",")
        return ("interval", (low, high))
    return ("any", frozenset([inner.lower()]))


def matches(obj: dict, field: str, condition: tuple[str, object]) -> bool:
    kind, value = condition
    actual = obj.get(field)
    if isinstance(actual, list):
        return False
    actual = "" if actual is None else str(actual)
    if kind == "any":
        return actual.lower() in value
    if kind == "interval":
        low, high = value
        if actual.isdigit() and low.isdigit() and high.isdigit():
            return int(low) <= int(actual) <= int(high)
        return low <= actual <= high
    return actual.lower() == str(value).lower()


def parse_sort(value: str | None, dates: bool) -> list[tuple[str, bool]] | None:
    if not value:
        return None
    match = re.match(r"^\[(.*)\]$", value)
    parts = match.group(1).split(",") if match else [value]
    sort = []
    for part in parts:
        field, _, direction = part.rpartition("_")
        if direction.upper() not in ("ASC", "DESC") or not field:
            raise QueryError('The "sort" value has to be formed as this example: "field_ASC"', 37)
        if field in ("date_add", "date_upd") and not dates:
            raise QueryError("Unable to filter by this field.", 38)
        sort.append((field, direction.upper() == "DESC"))
    return sort


def parse_limit(value: str | None) -> tuple[int, int | None]:
    if not value:
        return 0, None
    parts = value.split(",")
    if len(parts) > 2 or not all(p.strip().isdigit() for p in parts):
        raise QueryError('The "limit" value has to be formed as this example: "5,25" or "10"', 39)
    if len(parts) == 1:
        return 0, int(parts[0])
    return int(parts[0]), int(parts[1])


def parse_display(value: str | None) -> list[str]:
    if not value:
        return ["id"]
    match = re.match(r"^\[(.*)\]$", value)
    if not match:
        raise QueryError("The 'display' syntax is wrong.", 36)
    return [name.strip() for name in match.group(1).split(",") if name.strip()]


def sort_key(value):
    text = "" if value is None else str(value)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)
