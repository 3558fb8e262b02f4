"""Property: on random small data and random queries, SQL agrees with plain Python.

tests/segments/reference.py is the specification written without SQL; any difference
(a NULL leaking through NOT, an off-by-one day, a time-zone slip) fails with the query
and the data that show it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from sync.segments import catalog, days
from sync.segments.compile import compile_segment
from sync.segments.language import And, Argument, Condition, Not, Or, Value, to_text
from sync.segments.validate import check
from sync.store import (
    Customer,
    CustomerStatistics,
    Order,
    OrderLine,
    StorefrontEvent,
    Visitor,
)
from tests.segments import shopdata
from tests.segments.reference import Order as RefOrder
from tests.segments.reference import Person, holds

MOMENTS = [
    datetime(2026, 11, 22, 12, 0),
    datetime(2026, 11, 22, 23, 30),  # already the 23rd in Paris
    datetime(2028, 2, 28, 23, 30),  # 29 February in Paris
    datetime(2027, 1, 1, 0, 30),
]
CATEGORIES = ["Chocolat noir", "Pralines", "Truffes"]
STRINGS = ["Nantes", "nantes", "NAN", "Ren", "x", "Rennes"]
CAMPAIGNS = ["noel", "welcome"]
CAMPAIGN_EVENT_KINDS = ["impression", "click", "submit"]

dates = st.dates(min_value=date(2024, 10, 1), max_value=date(2028, 4, 1))
birth_dates = st.one_of(
    st.none(),
    st.dates(min_value=date(1950, 1, 1), max_value=date(2012, 12, 31)),
    st.sampled_from([date(2000, 2, 29), date(1996, 2, 28), date(1990, 3, 1)]),
)
orders = st.builds(
    RefOrder,
    created_date=dates,
    total=st.sampled_from(
        [
            Decimal("10.00"),
            Decimal("25.50"),
            Decimal("100.00"),
            Decimal("250.00"),
            Decimal("600.00"),
        ]
    ),
    status=st.sampled_from(["paid", "paid", "pending", "cancelled", "refunded"]),
    channel=st.sampled_from(["online", "store"]),
    categories=st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True).map(tuple),
)
people = st.lists(
    st.builds(
        Person,
        external_id=st.just(""),
        gender=st.sampled_from([None, "female", "male"]),
        city=st.sampled_from([None, "Nantes", "nantes", "Rennes"]),
        email=st.sampled_from([None, "a@gmail.com", "b@Example.FR", "no-at-sign"]),
        birth_date=birth_dates,
        created_date=st.one_of(st.none(), dates),
        loyalty_points=st.sampled_from([None, 0, 3, 150]),
        tags=st.lists(st.sampled_from(["vip", "b2b", "Vip"]), max_size=2, unique=True),
        attributes=st.sampled_from([{}, {"k": "dark"}, {"k": "milk"}]),
        orders=st.lists(orders, max_size=4),
        last_seen=st.one_of(st.none(), dates),
        views=st.lists(
            st.tuples(
                dates,
                st.sampled_from([None, *CATEGORIES[:2]]),
                st.sampled_from([None, "p1", "p2"]),
            ),
            max_size=3,
        ),
        campaign_events=st.lists(
            st.tuples(st.sampled_from(CAMPAIGNS), st.sampled_from(CAMPAIGN_EVENT_KINDS), dates),
            max_size=3,
        ),
    ),
    min_size=1,
    max_size=6,
)

date_values = st.one_of(
    dates.map(lambda d: Value("date", d)),
    st.sampled_from(
        [(-90, "d"), (-1, "m"), (-6, "m"), (7, "d"), (-1, "y"), (0, "d"), (2, "w")]
    ).map(lambda r: Value("relative", r)),
    st.sampled_from(["today", "yesterday"]).map(lambda d: Value("day", d)),
)
VALUES = {
    "integer": st.integers(min_value=0, max_value=4).map(lambda n: Value("int", n)),
    "decimal": st.sampled_from(["0", "25.50", "100", "135.5", "500"]).map(
        lambda n: Value("decimal", Decimal(n))
    ),
    "date": date_values,
    "string": st.sampled_from(
        STRINGS + ["female", "male", "dark", "gmail.com", "example.fr", "GMAIL"]
    ).map(lambda s: Value("string", s)),
    "tags": st.sampled_from(["vip", "b2b", "Vip", "none"]).map(lambda s: Value("string", s)),
    "boolean": st.booleans().map(lambda b: Value("bool", b)),
    "age": st.integers(min_value=10, max_value=80).map(lambda n: Value("int", n)),
    "rfm": st.sampled_from(catalog.RFM_GROUPS).map(lambda s: Value("string", s)),
}
ATTRIBUTES = [
    ("number_of_orders", "integer"),
    ("amount_spent", "decimal"),
    ("last_order_date", "date"),
    ("first_order_date", "date"),
    ("customer_added_date", "date"),
    ("birth_date", "date"),
    ("gender", "string"),
    ("city", "string"),
    ("customer_email_domain", "string"),
    ("customer_tags", "tags"),
    ("loyalty_points", "integer"),
    ("attributes.k", "string"),
    ("age", "age"),
    ("anniversary", "date"),
    ("orders_placed", "integer"),
    ("products_purchased", "boolean"),
    ("rfm_group", "rfm"),
    ("last_seen_date", "date"),
    ("page_views", "integer"),
    ("campaign_events", "integer"),
]


@st.composite
def conditions(draw):
    name, kind = draw(st.sampled_from(ATTRIBUTES))
    attribute = catalog.find(name)
    operator = draw(st.sampled_from(attribute.operators))
    values = VALUES[kind]
    count = {"BETWEEN": 2, "IS NULL": 0, "IS NOT NULL": 0}.get(operator, 1)
    if operator == "IN":
        count = draw(st.integers(min_value=1, max_value=3))
    args = ()
    if name == "anniversary":
        which = draw(st.sampled_from(["birth_date", "customer_added_date"]))
        args = (Argument("date", Value("string", which)),)
    elif name in ("orders_placed", "products_purchased"):
        chosen = []
        if name == "products_purchased":
            chosen.append(Argument("category", Value("string", draw(st.sampled_from(CATEGORIES)))))
        elif draw(st.booleans()):
            chosen.append(
                Argument("channel", Value("string", draw(st.sampled_from(["online", "store"]))))
            )
        for optional in ("since", "until"):
            if draw(st.booleans()):
                chosen.append(Argument(optional, draw(date_values)))
        args = tuple(chosen)
    elif name in ("page_views", "campaign_events"):
        chosen = []
        if name == "campaign_events":
            chosen.append(Argument("campaign", Value("string", draw(st.sampled_from(CAMPAIGNS)))))
            if draw(st.booleans()):
                kind = draw(st.sampled_from(CAMPAIGN_EVENT_KINDS))
                chosen.append(Argument("type", Value("string", kind)))
        else:
            which = draw(st.sampled_from([None, "category", "product_id"]))
            if which == "category":
                chosen.append(Argument("category", Value("string", CATEGORIES[0])))
            elif which == "product_id":
                chosen.append(Argument("product_id", Value("string", "p1")))
        for optional in ("since", "until"):
            if draw(st.booleans()):
                chosen.append(Argument(optional, draw(date_values)))
        args = tuple(chosen)
    return Condition(name, operator, tuple(draw(values) for _ in range(count)), args)


queries = st.recursive(
    conditions(),
    lambda children: st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda items: And(tuple(items))),
        st.lists(children, min_size=2, max_size=3).map(lambda items: Or(tuple(items))),
        children.map(Not),
    ),
    max_leaves=4,
)


def store(db, shop, persons: list[Person]) -> None:
    db.execute(delete(StorefrontEvent).where(StorefrontEvent.shop_id == shop.id))
    db.execute(delete(Visitor).where(Visitor.shop_id == shop.id))
    db.execute(delete(OrderLine).where(OrderLine.shop_id == shop.id))
    db.execute(delete(Order).where(Order.shop_id == shop.id))
    # Their statistics would go by cascade, unseen by the session, which would then take
    # a new customer's (reusing an id on SQLite) for the old one's.
    db.execute(delete(CustomerStatistics).where(CustomerStatistics.shop_id == shop.id))
    db.execute(delete(Customer).where(Customer.shop_id == shop.id))
    noon = time(12, 0)
    for index, person in enumerate(persons):
        person.external_id = f"p{index}"
        row = shopdata.customer(
            db,
            shop,
            person.external_id,
            gender=person.gender,
            city=person.city,
            email=person.email,
            birth_date=person.birth_date,
            created_at=datetime.combine(person.created_date, noon) if person.created_date else None,
            loyalty_points=person.loyalty_points,
            tags=list(person.tags),
            attributes=dict(person.attributes),
        )
        for number, item in enumerate(person.orders):
            shopdata.order(
                db,
                shop,
                row,
                f"p{index}-o{number}",
                datetime.combine(item.created_date, noon),
                item.total,
                status=item.status,
                channel=item.channel,
                lines=[{"category": c} for c in item.categories],
            )
        if person.last_seen is not None:
            shopdata.visitor(db, shop, row, f"t{index}", datetime.combine(person.last_seen, noon))
        for day, category, product in person.views:
            shopdata.page_view(
                db, shop, row, datetime.combine(day, noon),
                category=category, product_external_id=product,
            )  # fmt: skip
        for campaign, kind, day in person.campaign_events:
            shopdata.page_view(
                db, shop, row, datetime.combine(day, noon), kind=kind, campaign=campaign
            )
    db.commit()


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(persons=people, asts=st.lists(queries, min_size=1, max_size=4), now=st.sampled_from(MOMENTS))
def test_sql_agrees_with_plain_python(db, shop, persons, asts, now):
    store(db, shop, persons)
    today = days.local_today(now, shop.timezone)
    dialect = db.get_bind().dialect.name
    # A re-check (incremental evaluation) compiles some conditions differently, as
    # per-customer probes: it must agree too, on the customers it is given.
    rows = db.execute(select(Customer.id, Customer.external_id)).all()
    rechecked = {customer_id: external_id for customer_id, external_id in rows[::2]}
    for ast in asts:
        check(ast, to_text(ast))
        ids = compile_segment(ast, shop, now, dialect)
        got = set(db.scalars(select(Customer.external_id).where(Customer.id.in_(ids))))
        expected = {p.external_id for p in persons if holds(ast, p, today)}
        assert got == expected, f"{to_text(ast)} at {now} (today {today}): {persons}"
        if rechecked:
            some = compile_segment(ast, shop, now, dialect, sorted(rechecked))
            got = {rechecked[customer_id] for customer_id in db.scalars(some)}
            assert got == expected & set(rechecked.values()), f"re-check of {to_text(ast)}"


def test_the_reference_knows_the_boundaries():
    person = Person("x", birth_date=date(2000, 2, 29))
    assert days.next_anniversary(person.birth_date, date(2027, 2, 28)) == date(2027, 2, 28)
    assert days.next_anniversary(person.birth_date, date(2027, 3, 1)) == date(2028, 2, 29)
    assert days.age(person.birth_date, date(2027, 2, 28)) == 26
    assert days.age(person.birth_date, date(2027, 3, 1)) == 27
    assert date(2027, 3, 1) - timedelta(days=1) == date(2027, 2, 28)
