"""Deterministic demo records: customers generated one by one with their orders and carts.

Everything comes from one `random.Random(seed)` drawn in a fixed order, and every date is an
offset from one anchor (the demo's "today"), so the same seed and day give the same records
byte for byte, and the first N customers of a bigger build are those of a smaller one.
Records come out in chunks: a million customers never sit in memory together.

Choices are made by indexing pre-expanded tables with one random number (much faster than
`random.choices`), because a benchmark build draws tens of millions of them.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate

from connectors import records
from connectors.records import Cart, CartItem, Customer, Order, OrderLine
from sync.demo import catalogue as cat
from sync.demo import people, places, seasons
from sync.demo.catalogue import Product

# Customers were created over the last four years.
HORIZON_DAYS = 4 * 365
CURRENCY = "EUR"
COUNTED_STATUSES = frozenset(("paid", "pending"))
CENT = Decimal("0.01")
LINE_KEYS = tuple(str(number) for number in range(1, 10))

NEVER_ORDERED_SHARE = 0.20
B2B_SHARE = 0.05
LAPSED_SHARE = 0.20
# Orders per ordering customer: floor of a Pareto draw (heavy tail: a few buy a lot).
ORDERS_PARETO_ALPHA = 1.4
ORDERS_SCALE = 1.65
MAX_ORDERS = 150
GUEST_BUYER_SHARE = 0.04
GUEST_CHECKOUT_SHARE = 0.03
RECENT_CART_SHARE = 0.03
OLD_CART_SHARE = 0.04
CONVERTED_CART_SHARE = 0.12
BIRTHDAY_SOON_SHARE = 0.02


def table(pairs: Sequence[tuple[object, float]], size: int = 1000) -> tuple:
    """Values repeated in proportion to their weights: `t[int(random() * len(t))]` draws one."""
    total = sum(weight for _, weight in pairs)
    expanded: list = []
    for value, weight in pairs:
        expanded.extend([value] * max(1, round(size * weight / total)) if weight > 0 else [])
    return tuple(expanded)


GENDERS = table((("female", 52), ("male", 46), (None, 2)))
CHOCOLATE_TASTES = table((("dark", 45), ("milk", 33), ("white", 10), (None, 12)))
COFFEE_STYLES = table(((None, 45), ("capsules", 28), ("grains", 22), ("moulu", 5)))
TEA_TASTES = table(((None, 68), ("vert", 12), ("noir", 10), ("rooibos", 6), ("infusion", 4)))
EMAIL_DOMAINS = table(people.EMAIL_DOMAINS)
SECTORS = table(people.SECTORS)
EMAIL_PATTERNS = table(
    (("{f}.{l}", 45), ("{f}{l}", 14), ("{i}.{l}", 10), ("{i}{l}", 9), ("{f}_{l}", 7),
     ("{l}.{f}", 8), ("{f}-{l}", 4), ("{l}{i}", 3)),
)  # fmt: skip
STATUSES = table((("paid", 93), ("pending", 3), ("cancelled", 3), ("refunded", 1)))
CHANNELS_AWAY = table(
    (("online", 62), ("mobile", 22), ("tablet", 4), ("marketplace", 8), ("store", 4))
)
CHANNELS_LOCAL = table(
    (("store", 38), ("online", 40), ("mobile", 17), ("tablet", 3), ("marketplace", 2))
)
CHANNELS_B2B = table((("online", 82), ("store", 12), ("mobile", 6)))
LINES_PER_ORDER = table(((1, 30), (2, 28), (3, 20), (4, 13), (5, 9)))
QUANTITY = table(((1, 78), (2, 16), (3, 6)))
CAPSULE_BOXES = table(((1, 8), (2, 18), (3, 18), (4, 16), (5, 18), (6, 8), (8, 6), (10, 8)))
B2B_QUANTITY = table(((1, 20), (2, 20), (3, 15), (5, 18), (10, 15), (20, 8), (40, 4)))
CONSENT_SOURCES = table(
    (("checkout", 45), ("account", 25), ("newsletter_popup", 18), ("store", 8), ("contest", 4))
)
LANGUAGES = table((("fr", 95), ("en", 3), ("de", 1), ("es", 1)))
# Hour of day (UTC) orders are placed: lunch and evening in Paris.
ORDER_HOURS = table(
    tuple(zip(range(24), (1.0, 0.5, 0.3, 0.2, 0.3, 0.6, 1.5, 2.5, 3.5, 4.0, 5.0, 5.0, 4.0, 3.5,
                          3.5, 4.0, 4.5, 5.0, 6.0, 6.5, 5.5, 3.5, 2.0, 1.3), strict=True))
)  # fmt: skip

BASE_CATEGORY_WEIGHTS = {
    cat.DARK: 10.0,
    cat.MILK: 8.0,
    cat.WHITE: 3.0,
    cat.PRALINES: 9.0,
    cat.BOXES: 6.0,
    cat.MACHINES: 0.5,
    cat.CAPSULES: 1.5,
    cat.BEANS: 1.5,
    cat.TEAS: 3.0,
    cat.ACCESSORIES: 2.0,
}
COFFEE_CATEGORIES = frozenset((cat.MACHINES, cat.CAPSULES, cat.BEANS))
CAPSULES = cat.CAPSULES
# Gift boxes that sell on each occasion (by promotion code).
OCCASION_GIFTS = {
    seasons.CHRISTMAS.code: (
        "Coffret Noël Prestige 48 pièces",
        "Calendrier de l'Avent",
        "Ballotin pralinés 500 g",
        "Coffret Découverte Grands crus",
        "Coffret Café et chocolat",
        "Thé de Noël 100 g",
    ),
    seasons.EASTER.code: ("Coffret Pâques Œufs et friture", "Ballotin pralinés 250 g"),
    seasons.MOTHERS_DAY.code: (
        "Coffret Fête des mères",
        "Ballotin pralinés 500 g",
        "Coffret Thés et douceurs",
    ),
    seasons.FATHERS_DAY.code: ("Coffret Café et chocolat", "Moulin à café manuel"),
    seasons.VALENTINE.code: ("Coffret Cœurs Saint-Valentin", "Truffes nature 200 g"),
}
B2B_GIFTS = ("Coffret Entreprise 24 pièces", "Coffret Entreprise 64 pièces")


@dataclass
class Chunk:
    """The records of consecutive customers, in the order ingest should store them."""

    customers: list[Customer] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    carts: list[Cart] = field(default_factory=list)
    lines: int = 0
    guest_buyers: int = 0

    @property
    def records(self) -> int:
        return len(self.customers) + len(self.orders) + len(self.carts) + self.lines


@dataclass(slots=True)
class _Buyer:
    """What shapes one customer's purchases while their orders are drawn."""

    b2b: bool
    chocolate: str | None
    coffee: str | None
    tea: str | None
    machine: str | None = None
    channels: tuple = CHANNELS_AWAY


def offer(product: Product) -> tuple:
    """What a line needs of a product, as a plain tuple (unpacked once per line, fast)."""
    item = product.item
    cents = int(product.price * 100)
    return (
        product.index, product.external_id, product.sku, item.title, item.category,
        item.vendor, product.price, cents, item.takes,
    )  # fmt: skip


def _offer_table(products: Sequence[Product]) -> tuple:
    return table([(offer(product), product.weight) for product in products], size=200)


class DemoGenerator:
    """The demo shop's customers, orders and carts for one seed and one "today"."""

    def __init__(self, *, seed: int, now: date, domain: str) -> None:
        self.seed = seed
        self.now = now
        self.domain = domain
        # Events happen before midnight UTC starting `now`: its start is the demo's present.
        self.anchor = datetime.combine(now, time())
        self.first_day = now - timedelta(days=HORIZON_DAYS + 1)
        self.calendar = seasons.Calendar(self.first_day, now - timedelta(days=1))
        self.last_offset = self.calendar.offset(now - timedelta(days=1))
        self.day_starts = [
            datetime.combine(self.first_day + timedelta(days=n), time())
            for n in range(self.last_offset + 1)
        ]
        self.cities = places.CITIES
        self.city_cumulative = list(accumulate(places.city_weight(c) for c in self.cities))
        self.offers_by_category = {
            category: _offer_table(products) for category, products in cat.by_category().items()
        }
        by_title = {product.title: product for product in cat.PRODUCTS}
        self.occasion_gifts = {
            code: tuple(offer(by_title[title]) for title in titles)
            for code, titles in OCCASION_GIFTS.items()
        }
        self.b2b_gifts = tuple(offer(by_title[title]) for title in B2B_GIFTS)
        self._category_tables: dict[tuple, tuple] = {}
        self._prices: dict[tuple[int, int], tuple[Decimal, int]] = {}
        self._amounts: dict[int, Decimal] = {}
        # Per-build state, reset by chunks(): addresses handed out, ids numbered so far.
        self._email_uses: dict[str, int] = {}
        self.order_sequence = 0
        self.cart_sequence = 0

    # -- public ------------------------------------------------------------------------

    def product_records(self) -> list[records.Product]:
        return cat.product_records(self.domain, self.anchor)

    def chunks(self, customers: int, size: int = 1000) -> Iterator[Chunk]:
        """Customers 1..`customers` with their orders and carts, `size` customers a chunk.

        Each call starts again from the seed, so it yields the same records every time.
        """
        rng = random.Random(self.seed)
        self._email_uses = {}
        self.order_sequence = 0
        self.cart_sequence = 0
        chunk = Chunk()
        for index in range(1, customers + 1):
            self._customer(rng, index, chunk)
            if rng.random() < GUEST_BUYER_SHARE:
                self._guest_buyer(rng, chunk)
            if len(chunk.customers) >= size:
                yield chunk
                chunk = Chunk()
        if chunk.customers or chunk.orders:
            yield chunk

    # -- people --------------------------------------------------------------------------

    def _name(self, rng: random.Random, gender: str | None) -> tuple[str, str]:
        if gender is None:
            gender = "female" if rng.random() < 0.5 else "male"
        firsts = people.FEMALE_FIRST_NAMES if gender == "female" else people.MALE_FIRST_NAMES
        first = firsts[int(rng.random() * len(firsts))]
        last = people.LAST_NAMES[int(rng.random() * len(people.LAST_NAMES))]
        return first, last

    def _email(self, rng: random.Random, first: str, last: str, domain: str | None) -> str:
        """A realistic address, unique by construction.

        The local part is letters and separators only; the n-th person with the same one
        gets the number n appended, so two customers never share an address.
        """
        f, l_ = people.ascii_slug(first), people.ascii_slug(last)
        if domain is None:
            pattern = EMAIL_PATTERNS[int(rng.random() * len(EMAIL_PATTERNS))]
            domain = EMAIL_DOMAINS[int(rng.random() * len(EMAIL_DOMAINS))]
            key = pattern.format(f=f, l=l_, i=f[:1])
        else:
            key = f"{f}.{l_}@{domain}"
        uses = self._email_uses.get(key, 0)
        self._email_uses[key] = uses + 1
        local = key.split("@", 1)[0]
        return f"{local}{uses + 1 if uses else ''}@{domain}"

    def _phone(self, rng: random.Random) -> str:
        return f"+33{6 if rng.random() < 0.8 else 7}{int(rng.random() * 100_000_000):08d}"

    def _city(self, rng: random.Random) -> places.City:
        target = rng.random() * self.city_cumulative[-1]
        return self.cities[bisect_right(self.city_cumulative, target)]

    def _birth_date(self, rng: random.Random) -> date | None:
        if rng.random() < 0.25:
            return None
        age = int(rng.triangular(18, 86, 42))
        if rng.random() < BIRTHDAY_SOON_SHARE:
            # Birthdays next week exist on every demo, whatever its size.
            upcoming = self.now + timedelta(days=int(rng.random() * 7))
            year = upcoming.year - age
            if upcoming.month == 2 and upcoming.day == 29:
                year -= year % 4
            return upcoming.replace(year=year)
        year = self.now.year - age - 1
        return date(year, 1, 1) + timedelta(days=int(rng.random() * 365))

    # -- purchases -----------------------------------------------------------------------

    def _category_table(self, buyer: _Buyer) -> tuple:
        key = (buyer.b2b, buyer.chocolate, buyer.coffee, buyer.tea, buyer.machine)
        found = self._category_tables.get(key)
        if found is None:
            weights = dict(BASE_CATEGORY_WEIGHTS)
            if buyer.chocolate == "dark":
                weights[cat.DARK] *= 2.5
            elif buyer.chocolate == "milk":
                weights[cat.MILK] *= 2.5
            elif buyer.chocolate == "white":
                weights[cat.WHITE] *= 4.0
            if buyer.coffee == "capsules":
                weights[cat.CAPSULES] *= 3.0
                weights[cat.MACHINES] *= 2.0
            elif buyer.coffee in ("grains", "moulu"):
                weights[cat.BEANS] *= 3.0
                weights[cat.MACHINES] *= 1.5
            if buyer.machine == "capsules":
                weights[cat.CAPSULES] = weights[cat.CAPSULES] * 4.0 + 6.0
                weights[cat.MACHINES] = 0.05
            elif buyer.machine == "grains":
                weights[cat.BEANS] = weights[cat.BEANS] * 4.0 + 6.0
                weights[cat.MACHINES] = 0.05
            if buyer.tea:
                weights[cat.TEAS] *= 3.0
            if buyer.b2b:
                weights[cat.BOXES] *= 4.0
                weights[cat.PRALINES] *= 1.5
            found = table(tuple(weights.items()))
            self._category_tables[key] = found
        return found

    def _unit_price(self, offer: tuple, percent: int) -> tuple[Decimal, int]:
        """The price after a percentage discount, as Decimal and as whole cents."""
        key = (offer[0], percent)
        found = self._prices.get(key)
        if found is None:
            price = (offer[6] * (100 - percent) / 100).quantize(CENT)
            found = self._prices[key] = (price, int(price * 100))
        return found

    def _money(self, cents: int) -> Decimal:
        """Totals are summed in integer cents; each distinct amount becomes a Decimal once."""
        found = self._amounts.get(cents)
        if found is None:
            found = self._amounts[cents] = Decimal(cents).scaleb(-2)
        return found

    def _lines(
        self, rng: random.Random, buyer: _Buyer, day: seasons.Day, percent: int, order_id: str
    ) -> tuple[list[OrderLine], int]:
        """An order's lines and their total in cents."""
        random_ = rng.random
        categories = self._category_table(buyer)
        count = LINES_PER_ORDER[int(random_() * len(LINES_PER_ORDER))]
        chosen: list[tuple] = []
        if day.gifts and day.promotion is not None and random_() < 0.45:
            gifts = self.occasion_gifts.get(day.promotion.code)
            if gifts:
                chosen.append(gifts[int(random_() * len(gifts))])
        if buyer.b2b and random_() < 0.3:
            chosen.append(self.b2b_gifts[int(random_() * len(self.b2b_gifts))])
        picked = [offer[0] for offer in chosen]
        offers_of = self.offers_by_category
        attempts = count * 2
        while len(chosen) < count and attempts:
            attempts -= 1
            offers = offers_of[categories[int(random_() * len(categories))]]
            offer = offers[int(random_() * len(offers))]
            if offer[0] not in picked:
                picked.append(offer[0])
                chosen.append(offer)
        lines = []
        total = 0
        b2b = buyer.b2b
        for number, offer in enumerate(chosen):
            _, external_id, sku, title, category, vendor, price, cents, takes = offer
            if takes is not None:
                quantity = 1
                buyer.machine = takes
            else:
                if category is CAPSULES:
                    quantity = CAPSULE_BOXES[int(random_() * len(CAPSULE_BOXES))]
                else:
                    quantity = QUANTITY[int(random_() * len(QUANTITY))]
                if b2b:
                    quantity *= B2B_QUANTITY[int(random_() * len(B2B_QUANTITY))]
            if percent:
                price, cents = self._unit_price(offer, percent)
            total += cents * quantity
            lines.append(
                OrderLine(
                    LINE_KEYS[number],
                    order_id,
                    external_id,
                    sku,
                    title,
                    category,
                    vendor,
                    quantity,
                    price,
                )  # fmt: skip
            )
        return lines, total

    def _order_days(self, rng: random.Random, first: int, end: int, count: int) -> list[int]:
        sample = self.calendar.sample
        days = [first]
        days.extend(sample(first, end, rng.random()) for _ in range(count - 1))
        days.sort()
        return days

    def _orders(
        self,
        rng: random.Random,
        buyer: _Buyer,
        customer: Customer,
        signup_day: int | None,
        days: list[int],
        loyal: bool,
        chunk: Chunk,
    ) -> list[Order]:
        """The orders placed on `days`; one on `signup_day` follows the account's creation."""
        created_at = customer.created_at
        random_ = rng.random
        anchor = self.anchor
        calendar_days = self.calendar.days
        made = []
        for position, offset in enumerate(days):
            self.order_sequence += 1
            order_id = f"O{self.order_sequence:08d}"
            if position == 0 and offset == signup_day:
                # The account was made at this first checkout.
                placed = created_at + timedelta(seconds=60 + int(random_() * 1800))
            else:
                hour = ORDER_HOURS[int(random_() * len(ORDER_HOURS))]
                placed = self.day_starts[offset] + timedelta(
                    seconds=hour * 3600 + int(random_() * 3600)
                )
            if placed >= anchor:
                placed = anchor - timedelta(seconds=1 + int(random_() * 3600))
            day = calendar_days[offset]
            promotion = None
            draw = random_()
            if day.promotion is not None and draw < 0.25:
                promotion = day.promotion
            elif position == 0 and draw < 0.15:
                promotion = seasons.WELCOME
            elif loyal and draw < 0.06:
                promotion = seasons.LOYALTY
            percent = promotion.percent if promotion else 0
            lines, cents = self._lines(rng, buyer, day, percent, order_id)
            status = STATUSES[int(random_() * len(STATUSES))]
            if status == "pending":
                updated = placed
            elif status == "refunded":
                updated = placed + timedelta(days=3 + int(random_() * 27))
            else:
                updated = placed + timedelta(seconds=3600 + int(random_() * 200_000))
            if updated > anchor:
                updated = anchor
            guest_checkout = random_() < GUEST_CHECKOUT_SHARE
            made.append(
                Order(
                    external_id=order_id,
                    created_at=placed,
                    customer_external_id=None if guest_checkout else customer.external_id,
                    email=customer.email,
                    status=status,
                    total=self._money(cents),
                    currency=CURRENCY,
                    channel=buyer.channels[int(random_() * len(buyer.channels))],
                    discount_code=promotion.code if promotion else None,
                    updated_at=updated,
                    lines=lines,
                    first_name=customer.first_name if guest_checkout else None,
                    last_name=customer.last_name if guest_checkout else None,
                )
            )
            chunk.lines += len(lines)
        return made

    # -- carts ---------------------------------------------------------------------------

    def _cart(
        self,
        rng: random.Random,
        customer: Customer,
        buyer: _Buyer,
        updated: datetime,
        order: Order | None = None,
    ) -> Cart:
        self.cart_sequence += 1
        token = f"{rng.getrandbits(64):016x}"
        if order is not None and order.lines:
            items = [
                CartItem(
                    product_external_id=line.product_external_id,
                    sku=line.sku,
                    title=line.title,
                    category=line.category,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                )
                for line in order.lines
            ]
        else:
            categories = self._category_table(buyer)
            items = []
            for _ in range(1 + int(rng.random() * 3)):
                offers = self.offers_by_category[categories[int(rng.random() * len(categories))]]
                _, external_id, sku, title, category, _, price, _, _ = offers[
                    int(rng.random() * len(offers))
                ]
                if any(item.product_external_id == external_id for item in items):
                    continue
                items.append(
                    CartItem(
                        product_external_id=external_id,
                        sku=sku,
                        title=title,
                        category=category,
                        quantity=QUANTITY[int(rng.random() * len(QUANTITY))],
                        unit_price=price,
                    )
                )
        value = sum(item.unit_price * item.quantity for item in items)
        started = updated - timedelta(seconds=180 + int(rng.random() * 7200))
        return Cart(
            external_id=f"K{self.cart_sequence:08d}",
            customer_external_id=customer.external_id,
            email=customer.email,
            value=value,
            currency=CURRENCY,
            items=items,
            recovery_url=f"https://{self.domain}/checkouts/{token}/recover",
            order_external_id=order.external_id if order is not None else None,
            completed_at=order.created_at if order is not None else None,
            created_at=max(started, customer.created_at),
            updated_at=updated,
        )

    def _carts(
        self,
        rng: random.Random,
        customer: Customer,
        buyer: _Buyer,
        orders: list[Order],
        created_offset: int,
        chunk: Chunk,
    ) -> None:
        anchor = self.anchor
        last_order_at = orders[-1].created_at if orders else customer.created_at
        if rng.random() < RECENT_CART_SHARE:
            # Abandoned in the last days, after the customer's last order: not converted.
            updated = anchor - timedelta(seconds=7200 + int(rng.random() * 6 * 86400))
            floor = max(last_order_at, customer.created_at) + timedelta(minutes=20)
            updated = min(max(updated, floor), anchor - timedelta(minutes=1))
            chunk.carts.append(self._cart(rng, customer, buyer, updated))
        if rng.random() < OLD_CART_SHARE and created_offset < self.last_offset - 30:
            offset = created_offset + int(rng.random() * (self.last_offset - 30 - created_offset))
            updated = self.day_starts[offset] + timedelta(seconds=int(rng.random() * 86400))
            updated = max(updated, customer.created_at + timedelta(minutes=20))
            chunk.carts.append(self._cart(rng, customer, buyer, updated))
        for order in orders:
            if (
                order.channel in ("online", "mobile", "tablet")
                and rng.random() < CONVERTED_CART_SHARE
            ):
                chunk.carts.append(self._cart(rng, customer, buyer, order.created_at, order))

    # -- one customer --------------------------------------------------------------------

    def _customer(self, rng: random.Random, index: int, chunk: Chunk) -> None:
        random_ = rng.random
        gender = GENDERS[int(random_() * len(GENDERS))]
        first, last = self._name(rng, gender)
        city = self._city(rng)
        b2b = random_() < B2B_SHARE
        company = industry = None
        if b2b:
            industry = SECTORS[int(random_() * len(SECTORS))]
            patterns = people.COMPANY_PATTERNS[industry]
            pattern = patterns[int(random_() * len(patterns))]
            company = pattern.format(
                last=people.LAST_NAMES[int(random_() * len(people.LAST_NAMES))],
                place=city.name,
                noun=people.COMPANY_NOUNS[int(random_() * len(people.COMPANY_NOUNS))],
            )
            email = self._email(rng, first, last, people.ascii_slug(company, "-") + ".fr")
        else:
            email = self._email(rng, first, last, None)
        buyer = _Buyer(
            b2b=b2b,
            chocolate=CHOCOLATE_TASTES[int(random_() * len(CHOCOLATE_TASTES))],
            coffee=COFFEE_STYLES[int(random_() * len(COFFEE_STYLES))],
            tea=TEA_TASTES[int(random_() * len(TEA_TASTES))],
            channels=CHANNELS_B2B if b2b else CHANNELS_LOCAL if city.is_local else CHANNELS_AWAY,
        )
        # More recent accounts are more numerous: the shop grows.
        created_offset = self.last_offset - int(HORIZON_DAYS * random_() ** 1.3)
        hour = ORDER_HOURS[int(random_() * len(ORDER_HOURS))]
        created_at = self.day_starts[created_offset] + timedelta(
            seconds=hour * 3600 + int(random_() * 3600)
        )
        if created_at > self.anchor - timedelta(hours=2):
            # Accounts opened at the very end of the demo's past still have room for an order.
            created_at = self.anchor - timedelta(hours=2)
        customer = Customer(
            external_id=f"C{index:07d}",
            email=email,
            first_name=first,
            last_name=last,
            gender=gender,
            birth_date=None if b2b and random_() < 0.6 else self._birth_date(rng),
            phone=self._phone(rng) if random_() < (0.9 if b2b else 0.68) else None,
            language=LANGUAGES[int(random_() * len(LANGUAGES))],
            city=city.name,
            region=city.region,
            postal_code=city.postal_codes[int(random_() * len(city.postal_codes))],
            country="FR",
            latitude=round(city.latitude + (random_() - 0.5) * 0.04, 5),
            longitude=round(city.longitude + (random_() - 0.5) * 0.06, 5),
            company=company,
            industry=industry,
            created_at=created_at,
        )
        orders = self._history(rng, buyer, customer, created_offset, chunk)
        self._profile(rng, buyer, customer, orders)
        chunk.customers.append(customer)
        chunk.orders.extend(orders)
        self._carts(rng, customer, buyer, orders, created_offset, chunk)

    def _history(
        self,
        rng: random.Random,
        buyer: _Buyer,
        customer: Customer,
        created_offset: int,
        chunk: Chunk,
    ) -> list[Order]:
        random_ = rng.random
        if random_() < (NEVER_ORDERED_SHARE * 0.4 if buyer.b2b else NEVER_ORDERED_SHARE):
            return []
        end = self.last_offset
        if random_() < LAPSED_SHARE:
            lapsed_end = self.last_offset - 181 - int(random_() * 360)
            if lapsed_end > created_offset:
                end = lapsed_end
        if random_() < 0.65:
            first = created_offset
        else:
            first = min(created_offset + int(rng.expovariate(1 / 40)), end)
        first = max(first, created_offset)
        count = int(rng.paretovariate(ORDERS_PARETO_ALPHA) * ORDERS_SCALE)
        if buyer.b2b:
            count = count * 2 + int(random_() * 4)
        count = max(1, min(count, MAX_ORDERS, 1 + (end - first) // 12))
        loyal = random_() < 0.4
        days = self._order_days(rng, first, end, count)
        return self._orders(rng, buyer, customer, created_offset, days, loyal, chunk)

    def _profile(
        self, rng: random.Random, buyer: _Buyer, customer: Customer, orders: list[Order]
    ) -> None:
        """Consent, tags, loyalty and declared preferences, consistent with the orders."""
        random_ = rng.random
        counted = [order for order in orders if order.status in COUNTED_STATUSES]
        spent = sum((order.total for order in counted), Decimal("0"))
        created_at = customer.created_at
        last_at = max((order.updated_at for order in orders), default=created_at)
        draw = random_()
        subscribed_share = 0.35 if buyer.b2b else 0.55
        if draw < subscribed_share:
            customer.email_subscription_status = "SUBSCRIBED"
        elif draw < subscribed_share + 0.12:
            customer.email_subscription_status = "UNSUBSCRIBED"
        if customer.email_subscription_status != "NOT_SUBSCRIBED":
            consent_at = created_at + timedelta(seconds=int(random_() * 3600))
            if customer.email_subscription_status == "UNSUBSCRIBED":
                consent_at = max(consent_at, last_at - timedelta(days=int(random_() * 60)))
            customer.email_consent_at = min(consent_at, self.anchor - timedelta(seconds=1))
            customer.email_consent_source = CONSENT_SOURCES[int(random_() * len(CONSENT_SOURCES))]
        if customer.phone is not None:
            draw = random_()
            if draw < 0.3:
                customer.sms_subscription_status = "SUBSCRIBED"
                customer.sms_consent_at = customer.email_consent_at or created_at
            elif draw < 0.36:
                customer.sms_subscription_status = "UNSUBSCRIBED"
                customer.sms_consent_at = created_at
        chocolate_lines = coffee_lines = store_orders = 0
        for order in orders:
            if order.channel == "store":
                store_orders += 1
            for line in order.lines or ():
                if line.category in cat.CHOCOLATE_CATEGORIES:
                    chocolate_lines += 1
                elif line.category in COFFEE_CATEGORIES:
                    coffee_lines += 1
        tags = []
        if buyer.b2b:
            tags.append("b2b")
            if len(counted) >= 6 or spent >= 2000:
                tags.append("wholesale")
        if customer.email_subscription_status == "SUBSCRIBED":
            tags.append("newsletter")
        if spent >= (3000 if buyer.b2b else 600):
            tags.append("vip")
        if len(counted) >= 6:
            tags.append("fidèle")
        if chocolate_lines >= 8:
            tags.append("gourmand")
        if coffee_lines >= 3 or buyer.machine:
            tags.append("amateur-de-café")
        if store_orders:
            tags.append("client-boutique")
        customer.tags = tags
        member_share = 0.15 if not orders else min(0.75, 0.3 + 0.06 * len(counted))
        if random_() < member_share:
            euros = int(spent)
            customer.loyalty_tier = (
                "platinum"
                if euros >= 1500
                else "gold"
                if euros >= 600
                else "silver"
                if euros >= 200
                else "bronze"
            )
            customer.loyalty_points = 50 + int(euros * (0.2 + 0.8 * random_()))
        attributes: dict = {}
        if buyer.chocolate and random_() < 0.6:
            attributes["favorite_chocolate"] = buyer.chocolate
        if buyer.coffee and random_() < 0.5:
            attributes["preferred_coffee"] = buyer.coffee
        if buyer.tea and random_() < 0.4:
            attributes["preferred_tea"] = buyer.tea
        if random_() < 0.03:
            attributes["allergies"] = "fruits à coque"
        if store_orders:
            attributes["preferred_store"] = "Nantes - Passage Pommeraye"
        if buyer.b2b:
            attributes["siret"] = f"{int(random_() * 10**14):014d}"
            attributes["employees"] = int(rng.paretovariate(1.2) * 5)
        customer.attributes = attributes
        updated = max(last_at, customer.email_consent_at or created_at)
        customer.updated_at = min(updated + timedelta(seconds=int(random_() * 600)), self.anchor)

    def _guest_buyer(self, rng: random.Random, chunk: Chunk) -> None:
        """A shopper who checks out without an account: orders carry only an e-mail."""
        gender = GENDERS[int(rng.random() * len(GENDERS))]
        first, last = self._name(rng, gender)
        guest = Customer(
            external_id="",
            email=self._email(rng, first, last, None),
            first_name=first,
            last_name=last,
        )
        buyer = _Buyer(
            b2b=False,
            chocolate=CHOCOLATE_TASTES[int(rng.random() * len(CHOCOLATE_TASTES))],
            coffee=None,
            tea=None,
        )
        first_offset = self.last_offset - int(HORIZON_DAYS * rng.random())
        count = 1 if rng.random() < 0.75 else 2 + int(rng.random() * 2)
        days = self._order_days(rng, first_offset, self.last_offset, count)
        orders = self._orders(rng, buyer, guest, None, days, False, chunk)
        for order in orders:
            order.customer_external_id = None
            order.first_name = first
            order.last_name = last
        chunk.orders.extend(orders)
        chunk.guest_buyers += 1
