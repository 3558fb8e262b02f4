"""A plain-Python evaluator of segment ASTs over in-memory customers: the specification.

Written straight from the language rules (two-valued logic, shop-local days, RFM table in
docs/segments.md) without any SQL, so the property test can compare the database's
answer with it on random data and random queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sync.segments import days
from sync.segments.language import And, Condition, Not, Or, Value

UNCOUNTED = ("cancelled", "refunded")


@dataclass
class Order:
    created_date: date
    total: Decimal
    status: str = "paid"
    channel: str = "online"
    categories: tuple[str, ...] = ()

    @property
    def counted(self) -> bool:
        return self.status not in UNCOUNTED


@dataclass
class Person:
    external_id: str
    gender: str | None = None
    city: str | None = None
    email: str | None = None
    birth_date: date | None = None
    created_date: date | None = None
    loyalty_points: int | None = None
    tags: list[str] = field(default_factory=list)
    attributes: dict = field(default_factory=dict)
    orders: list[Order] = field(default_factory=list)
    # Storefront: the last day seen, pages viewed (day, category, product id) and campaign
    # events (campaign, kind, day).
    last_seen: date | None = None
    views: list[tuple] = field(default_factory=list)
    campaign_events: list[tuple] = field(default_factory=list)

    @property
    def counted(self) -> list[Order]:
        return [o for o in self.orders if o.counted]

    @property
    def orders_count(self) -> int:
        return len(self.counted)

    @property
    def total_spent(self) -> Decimal:
        return sum((o.total for o in self.counted), Decimal("0"))

    @property
    def last_order_date(self) -> date | None:
        return max((o.created_date for o in self.counted), default=None)

    @property
    def first_order_date(self) -> date | None:
        return min((o.created_date for o in self.counted), default=None)


def resolve(value: Value, today: date):
    if value.kind == "relative":
        return days.shift(today, *value.value)
    if value.kind == "day":
        return today - timedelta(days=1 if value.value == "yesterday" else 0)
    return value.value


def rfm_group(person: Person, today: date) -> str:
    last = person.last_order_date
    if person.orders_count == 0 or last is None:
        return "prospects"
    since = (today - last).days
    recency = (
        5
        if since <= 30
        else 4
        if since <= 90
        else 3
        if since <= 180
        else 2
        if (since <= 365)
        else 1
    )
    count, spent = person.orders_count, person.total_spent
    frequency = (
        5 if count >= 10 else 4 if count >= 5 else 3 if count >= 3 else 2 if (count >= 2) else 1
    )
    monetary = (
        5
        if spent >= 1000
        else 4
        if spent >= 500
        else 3
        if spent >= 200
        else 2
        if (spent >= 100)
        else 1
    )
    both = frequency + monetary
    table = {
        5: "champions"
        if both >= 8
        else "active"
        if both >= 6
        else "new"
        if frequency == 1
        else "promising",
        4: "loyal" if both >= 8 else "active" if both >= 6 else "promising",
        3: "loyal" if both >= 8 else "needs_attention",
        2: "previously_loyal" if both >= 8 else "at_risk" if both >= 6 else "almost_lost",
        1: "previously_loyal" if both >= 8 else "at_risk" if both >= 6 else "dormant",
    }
    return table[recency]


def attribute_value(person: Person, condition: Condition, today: date):
    name = condition.attribute
    arg = {a.name: resolve(a.value, today) for a in condition.args}
    if name == "number_of_orders":
        return person.orders_count
    if name == "amount_spent":
        return person.total_spent
    if name in (
        "last_order_date",
        "first_order_date",
        "gender",
        "city",
        "birth_date",
        "loyalty_points",
        "created_date",
    ):
        return getattr(person, name)
    if name == "customer_added_date":
        return person.created_date
    if name == "customer_email_domain":
        if person.email is None or "@" not in person.email:
            return None
        return person.email.split("@", 1)[1].lower()
    if name == "age":
        return None if person.birth_date is None else days.age(person.birth_date, today)
    if name == "anniversary":
        of = getattr(
            person, {"birth_date": "birth_date", "customer_added_date": "created_date"}[arg["date"]]
        )
        return None if of is None else days.next_anniversary(of, today)
    if name.startswith("attributes."):
        return person.attributes.get(name.removeprefix("attributes."))
    if name == "rfm_group":
        return rfm_group(person, today)
    if name in ("orders_placed", "products_purchased"):
        chosen = [
            o
            for o in person.counted
            if ("since" not in arg or o.created_date >= arg["since"])
            and ("until" not in arg or o.created_date <= arg["until"])
            and ("channel" not in arg or o.channel == arg["channel"])
            and ("category" not in arg or arg["category"] in o.categories)
        ]
        return len(chosen) if name == "orders_placed" else bool(chosen)
    if name == "last_seen_date":
        return person.last_seen

    def in_period(day: date) -> bool:
        return ("since" not in arg or day >= arg["since"]) and (
            "until" not in arg or day <= arg["until"]
        )

    if name == "page_views":
        return sum(
            1
            for day, category, product in person.views
            if in_period(day)
            and ("category" not in arg or category == arg["category"])
            and ("product_id" not in arg or product == arg["product_id"])
        )
    if name == "campaign_events":
        return sum(
            1
            for campaign, kind, day in person.campaign_events
            if campaign == arg["campaign"]
            and ("type" not in arg or kind == arg["type"])
            and in_period(day)
        )
    raise AssertionError(f"the reference evaluator does not know {name}")


def holds(node, person: Person, today: date) -> bool:
    if isinstance(node, And):
        return all(holds(item, person, today) for item in node.items)
    if isinstance(node, Or):
        return any(holds(item, person, today) for item in node.items)
    if isinstance(node, Not):
        return not holds(node.item, person, today)
    values = [resolve(v, today) for v in node.values]
    operator = node.operator
    if node.attribute == "customer_tags":
        inside = values[0] in person.tags
        return inside if operator == "CONTAINS" else not inside
    value = attribute_value(person, node, today)
    if operator == "IS NULL":
        return value is None
    if operator == "IS NOT NULL":
        return value is not None
    if operator in ("!=", "NOT CONTAINS") and value is None:
        return True
    if value is None:
        return False
    if node.attribute == "customer_email_domain" and operator in ("=", "!=", "IN"):
        values = [v.lower() for v in values]
    if operator == "=":
        return value == values[0]
    if operator == "!=":
        return value != values[0]
    if operator == ">":
        return value > values[0]
    if operator == ">=":
        return value >= values[0]
    if operator == "<":
        return value < values[0]
    if operator == "<=":
        return value <= values[0]
    if operator == "BETWEEN":
        return values[0] <= value <= values[1]
    if operator == "IN":
        return value in values
    if operator == "CONTAINS":
        return values[0].lower() in value.lower()
    if operator == "NOT CONTAINS":
        return values[0].lower() not in value.lower()
    if operator == "STARTS WITH":
        return value.lower().startswith(values[0].lower())
    raise AssertionError(f"unknown operator {operator}")
