"""AST -> one SQLAlchemy Core select of the ids of a shop's matching customers.

The select reads only the tables its conditions need: the customer statistics table alone
for conditions on the figures (orders, amounts, first and last order: a narrow table, so a
scan of it is cheap), customers alone for profile conditions, both joined for a mix.

Values from the query only ever reach SQL as bound parameters. Logic is two-valued:
every condition compiles to an expression that is never NULL (missing values are guarded
with IS NULL / IS NOT NULL), so `NOT x` is exactly the complement of `x`. "Today" is the
shop-local day at `now`, computed in Python and bound, so dates compare as plain DATE
columns with the same SQL on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    and_,
    any_,
    bindparam,
    case,
    cast,
    exists,
    extract,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.schema import Column
from sqlalchemy.sql.selectable import Select

from sync.segments import catalog, days
from sync.segments.language import And, Condition, Node, Not, Or, Value
from sync.store import (
    UNCOUNTED_ORDER_STATUSES,
    Cart,
    Customer,
    CustomerStatistics,
    Order,
    OrderLine,
    Shop,
    StorefrontEvent,
    Visitor,
)

CUSTOMERS = Customer.__table__
STATISTICS = CustomerStatistics.__table__
# The customers with their figures, for conditions on both. One object, shared with the
# re-check's lookup of customers (evaluate._through_shared_lookup): an adapter replacing
# this join by the lookup replaces it whole.
CUSTOMERS_WITH_STATISTICS = CUSTOMERS.join(STATISTICS, STATISTICS.c.customer_id == CUSTOMERS.c.id)

EARTH_RADIUS_KM = 6371.0
# A cart idle for this long, with items and no order after it, is abandoned.
ABANDON_AFTER = timedelta(hours=1)
# Names of the parameters that change between runs of the same built statement.
CUSTOMER_IDS = "customer_ids"
ABANDONED_BEFORE = "abandoned_before"

COLUMNS = {
    "number_of_orders": CustomerStatistics.orders_count,
    "amount_spent": CustomerStatistics.total_spent,
    "average_order_value": CustomerStatistics.average_order_value,
    "first_order_date": CustomerStatistics.first_order_date,
    "last_order_date": CustomerStatistics.last_order_date,
    "customer_added_date": Customer.created_date,
    "gender": Customer.gender,
    "birth_date": Customer.birth_date,
    "language": Customer.language,
    "city": Customer.city,
    "postal_code": Customer.postal_code,
    "region": Customer.region,
    "country": Customer.country,
    "email_subscription_status": Customer.email_subscription_status,
    "sms_subscription_status": Customer.sms_subscription_status,
    "loyalty_tier": Customer.loyalty_tier,
    "loyalty_points": Customer.loyalty_points,
    "company": Customer.company,
    "industry": Customer.industry,
}
ANNIVERSARY_COLUMNS = {
    "birth_date": Customer.birth_date,
    "customer_added_date": Customer.created_date,
    "first_order_date": CustomerStatistics.first_order_date,
}

# RFM scores (docs/segments.md): recency by days since the last order, frequency by
# counted orders, monetary by amount spent. Thresholds give score 5, 4, 3, 2; else 1.
RFM_RECENCY_DAYS = (30, 90, 180, 365)
RFM_FREQUENCY_ORDERS = (10, 5, 3, 2)
RFM_MONETARY_SPENT = (Decimal(1000), Decimal(500), Decimal(200), Decimal(100))


@dataclass(frozen=True)
class Context:
    shop_id: int
    dialect: str
    today: date
    now: datetime
    # Only these customers are being re-checked (incremental evaluation), or all.
    customer_ids: tuple[int, ...] | None = None


def context_for(shop: Shop, now: datetime, dialect: str, customer_ids=None) -> Context:
    now = days.utc_naive(now)
    ids = None if customer_ids is None else tuple(customer_ids)
    return Context(shop.id, dialect, days.local_today(now, shop.timezone), now, ids)


def compile_segment(
    node: Node,
    shop: Shop,
    now: datetime,
    dialect: str,
    customer_ids=None,
) -> Select:
    """`SELECT <customer id>` of the shop's customers matching `node` at `now`.

    `dialect` is "sqlite" or "postgresql" (session.bind.dialect.name); the few
    dialect-specific pieces (tag containment, month-day, e-mail domain) are chosen here.
    `customer_ids` restricts the check to those customers (incremental evaluation).

    The select's single column, named `id`, is `customers.id`, or
    `customer_statistics.customer_id` when the conditions read the figures and nothing of
    the customer's profile: such a segment reads the narrow statistics table alone
    (`matched_id` gives the column, for a caller that selects other columns with the same
    conditions). Conditions on both tables read them joined (CUSTOMERS_WITH_STATISTICS).
    """
    context = context_for(shop, now, dialect, customer_ids)
    condition = Compiler(context).node(node)
    figures, profile = tables_read(condition)
    if figures and not profile:
        # Conditions that read only the customer's id (orders, lines, events, carts of the
        # customer) correlate with the statistics row's customer_id instead.
        condition = visitors.replacement_traverse(condition, {}, _customer_id_as_statistics)
        subject = CustomerStatistics.customer_id
        statement = select(subject.label("id")).where(
            CustomerStatistics.shop_id == shop.id, condition
        )
    else:
        subject = Customer.id
        statement = select(subject).where(Customer.shop_id == shop.id, condition)
        if figures:
            statement = statement.select_from(CUSTOMERS_WITH_STATISTICS)
    if customer_ids is not None:
        statement = statement.where(id_in(subject, customer_ids, dialect))
    return statement


def matched_id(statement: Select) -> ColumnElement:
    """The customer id column of a select made by compile_segment (customers.id or
    customer_statistics.customer_id), to select or filter on with the same conditions."""
    return statement.selected_columns[0]


def tables_read(condition: ColumnElement) -> tuple[bool, bool]:
    """Whether `condition` reads (the figures, the customer's profile): columns of
    customer_statistics, and columns of customers other than its id (subqueries
    included: their correlation with the customer counts)."""
    figures = profile = False
    for element in visitors.iterate(condition):
        if isinstance(element, Column):
            if element.table is STATISTICS:
                figures = True
            elif element.table is CUSTOMERS and element.key != "id":
                profile = True
    return figures, profile


def _customer_id_as_statistics(element):
    if isinstance(element, Column) and element.table is CUSTOMERS and element.key == "id":
        return CustomerStatistics.customer_id.expression
    return None


def id_in(column, ids, dialect: str) -> ColumnElement[bool]:
    """`column` among these ids: one array parameter on PostgreSQL (a thousand ids plan
    as fast as one), an IN list on SQLite. The parameter is named CUSTOMER_IDS, so a
    built statement can be run again for other customers."""
    if dialect == "postgresql":
        ids = bindparam(CUSTOMER_IDS, list(ids), type_=postgresql.ARRAY(BigInteger))
        return column == any_(ids)
    return column.in_(bindparam(CUSTOMER_IDS, list(ids), expanding=True))


class Compiler:
    def __init__(self, context: Context):
        self.context = context

    def node(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, And):
            return and_(*(self.node(item) for item in node.items))
        if isinstance(node, Or):
            return or_(*(self.node(item) for item in node.items))
        if isinstance(node, Not):
            return not_(self.node(node.item))
        return self.condition(node)

    # ---- values ----------------------------------------------------------------------

    def value(self, value: Value):
        if value.kind == "relative":
            amount, unit = value.value
            return days.shift(self.context.today, amount, unit)
        if value.kind == "day":
            return self.context.today - timedelta(days=1 if value.value == "yesterday" else 0)
        return value.value

    def values(self, condition: Condition) -> list:
        return [self.value(v) for v in condition.values]

    def arg(self, condition: Condition, name: str):
        found = condition.arg(name)
        return None if found is None else self.value(found)

    # ---- conditions ------------------------------------------------------------------

    def condition(self, condition: Condition) -> ColumnElement[bool]:
        name = condition.attribute
        if name.startswith("attributes."):
            key = name.removeprefix("attributes.")
            return self.text(Customer.attributes[key].as_string(), condition)
        method = getattr(self, "attr_" + name, None)
        if method is not None:
            return method(condition)
        column = COLUMNS[name]
        attribute = catalog.find(name)
        if attribute.type == "string":
            return self.text(column, condition)
        return compare(column, condition.operator, self.values(condition))

    def text(self, expression, condition: Condition, lower: bool = False):
        values = self.values(condition)
        if lower:
            values = [v.lower() for v in values]
        operator = condition.operator
        if operator in ("CONTAINS", "NOT CONTAINS", "STARTS WITH"):
            pattern = values[0].lower()
            lowered = func.lower(expression)
            if operator == "STARTS WITH":
                test = lowered.startswith(pattern, autoescape=True)
            else:
                test = lowered.contains(pattern, autoescape=True)
            if operator == "NOT CONTAINS":
                return or_(expression.is_(None), not_(test))
            return and_(expression.is_not(None), test)
        return compare(expression, operator, values)

    def attr_customer_email_domain(self, condition: Condition):
        email = Customer.email
        at = (
            func.strpos(email, "@")
            if self.context.dialect == "postgresql"
            else func.instr(email, "@")
        )
        domain = case((at > 0, func.lower(func.substr(email, at + 1))), else_=None)
        return self.text(domain, condition, lower=True)

    def attr_customer_tags(self, condition: Condition):
        tag = self.values(condition)[0]
        if self.context.dialect == "postgresql":
            has = and_(
                Customer.tags.is_not(None),
                type_coerce(Customer.tags, postgresql.JSONB).contains([tag]),
            )
        else:
            each = func.json_each(Customer.tags).table_valued("value")
            has = exists(select(1).select_from(each).where(each.c.value == tag))
        return not_(has) if condition.operator == "NOT CONTAINS" else has

    def attr_age(self, condition: Condition):
        birth, today = Customer.birth_date, self.context.today

        def at_least(years: int):
            return and_(birth.is_not(None), birth <= days.shift(today, -years, "y"))

        def exactly(years: int):
            return and_(at_least(years), not_(at_least(years + 1)))

        operator, values = condition.operator, self.values(condition)
        if operator in ("IS NULL", "IS NOT NULL"):
            return compare(birth, operator, [])
        if operator == "=":
            return exactly(values[0])
        if operator == "!=":
            return not_(exactly(values[0]))
        if operator == ">=":
            return at_least(values[0])
        if operator == ">":
            return at_least(values[0] + 1)
        if operator == "<":
            return and_(birth.is_not(None), not_(at_least(values[0])))
        if operator == "<=":
            return and_(birth.is_not(None), not_(at_least(values[0] + 1)))
        if operator == "BETWEEN":
            return and_(at_least(values[0]), not_(at_least(values[1] + 1)))
        return or_(*(exactly(v) for v in values))  # IN

    def month_day(self, column):
        """MMDD as an integer; the PostgreSQL spelling matches the expression index."""
        if self.context.dialect == "postgresql":
            return extract("month", column) * literal_column("100") + extract("day", column)
        return cast(func.strftime("%m%d", column), Integer)

    def attr_anniversary(self, condition: Condition):
        column = ANNIVERSARY_COLUMNS[condition.arg("date").value]
        operator = condition.operator
        if operator in ("IS NULL", "IS NOT NULL"):
            return compare(column, operator, [])
        values, today = self.values(condition), self.context.today
        probe = "=" if operator == "!=" else operator
        matching = [
            md
            for md in days.MONTH_DAYS
            if python_compare(days.next_anniversary_md(md, today), probe, values)
        ]
        test = and_(column.is_not(None), month_day_ranges(self.month_day(column), matching))
        return not_(test) if operator == "!=" else test

    def attr_customer_within_distance(self, condition: Condition):
        latitude = float(self.arg(condition, "latitude"))
        longitude = float(self.arg(condition, "longitude"))
        km = float(self.arg(condition, "km"))
        lat, lon = Customer.latitude, Customer.longitude
        present = and_(lat.is_not(None), lon.is_not(None))
        within = and_(present, *distance_test(lat, lon, latitude, longitude, km))
        return boolean(condition, within, and_(present, not_(within)))

    def attr_products_purchased(self, condition: Condition):
        field = next(
            a for a in condition.args if a.name in ("category", "sku", "product_id", "vendor")
        )
        column = {
            "category": OrderLine.category,
            "sku": OrderLine.sku,
            "product_id": OrderLine.product_external_id,
            "vendor": OrderLine.vendor,
        }[field.name]
        bought = self.has_rows(
            select(Order.customer_id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(
                OrderLine.shop_id == self.context.shop_id,
                column == field.value.value,
                *self.counted_orders(condition),
            ),
            Order.customer_id,
        )
        return boolean(condition, bought, not_(bought))

    def has_rows(self, rows: Select, owner) -> ColumnElement[bool]:
        """Whether the customer owns one of `rows` (`owner` is their customer id column).

        A full evaluation asks `id IN (rows)`: one pass over the rows for all customers.
        A re-check asks, per re-checked customer, whether a row of theirs exists, looked
        up through the owner's index: its cost follows the customers re-checked, never
        the shop's size (the IN form let PostgreSQL hash every matching row of the shop,
        50,000 order lines at 100,000 customers, to re-check a thousand). OFFSET 0 keeps
        PostgreSQL from turning the EXISTS back into such a join (a subquery with OFFSET
        is not pulled up), so it stays a per-customer probe."""
        if self.context.customer_ids is None:
            return Customer.id.in_(rows)
        probe = rows.with_only_columns(literal_column("1"), maintain_column_froms=True).where(
            owner == Customer.id
        )
        if self.context.dialect == "postgresql":
            probe = probe.offset(literal_column("0"))
        return exists(probe)

    def counted_orders(self, condition: Condition) -> list:
        """Counted orders of this shop linked to a customer, within since/until."""
        since, until = self.arg(condition, "since"), self.arg(condition, "until")
        where = [
            Order.shop_id == self.context.shop_id,
            Order.customer_id.is_not(None),
            Order.status.not_in(UNCOUNTED_ORDER_STATUSES),
        ]
        if since is not None:
            where.append(Order.created_date >= since)
        if until is not None:
            where.append(Order.created_date <= until)
        return where

    def attr_orders_placed(self, condition: Condition):
        where = self.counted_orders(condition)
        channel = self.arg(condition, "channel")
        if channel is not None:
            where.append(Order.channel == channel)
        if not condition.args:
            return compare(
                CustomerStatistics.orders_count, condition.operator, self.values(condition)
            )
        return self.count(condition, Order.customer_id, where)

    def attr_page_views(self, condition: Condition):
        where = [
            StorefrontEvent.shop_id == self.context.shop_id,
            StorefrontEvent.kind == "page_view",
            StorefrontEvent.customer_id.is_not(None),
        ]
        for name, column in (
            ("category", StorefrontEvent.category),
            ("product_id", StorefrontEvent.product_external_id),
        ):
            value = self.arg(condition, name)
            if value is not None:
                where.append(column == value)
        since, until = self.arg(condition, "since"), self.arg(condition, "until")
        if since is not None:
            where.append(StorefrontEvent.occurred_date >= since)
        if until is not None:
            where.append(StorefrontEvent.occurred_date <= until)
        return self.count(condition, StorefrontEvent.customer_id, where)

    def count(self, condition: Condition, owner, where: list):
        """A count of rows per customer compared to numbers; "some" and "none" as IN."""
        operator, values = condition.operator, self.values(condition)
        some = self.has_rows(select(owner).where(*where), owner)
        if (operator, values) in ((">=", [1]), (">", [0]), ("!=", [0])):
            return some
        if (operator, values) in (("=", [0]), ("<", [1]), ("<=", [0])):
            return not_(some)
        counted = select(func.count()).where(owner == Customer.id, *where).scalar_subquery()
        return compare(counted, operator, values)

    def attr_campaign_events(self, condition: Condition):
        """A count of the customer's events of one campaign (storefront_events carries the
        campaign's public id, indexed with the shop, kind and day)."""
        kind = self.arg(condition, "type")
        where = [
            StorefrontEvent.shop_id == self.context.shop_id,
            StorefrontEvent.campaign == self.arg(condition, "campaign"),
            StorefrontEvent.customer_id.is_not(None),
            StorefrontEvent.kind.in_([kind] if kind else list(catalog.CAMPAIGN_EVENT_TYPES)),
        ]
        since, until = self.arg(condition, "since"), self.arg(condition, "until")
        if since is not None:
            where.append(StorefrontEvent.occurred_date >= since)
        if until is not None:
            where.append(StorefrontEvent.occurred_date <= until)
        return self.count(condition, StorefrontEvent.customer_id, where)

    def attr_last_seen_date(self, condition: Condition):
        seen = (
            select(func.max(Visitor.last_seen_date))
            .where(Visitor.shop_id == self.context.shop_id, Visitor.customer_id == Customer.id)
            .scalar_subquery()
        )
        return compare(seen, condition.operator, self.values(condition))

    def only(self, column) -> list:
        """Restrict a subquery to the customers being re-checked (incremental)."""
        return (
            []
            if self.context.customer_ids is None
            else [id_in(column, self.context.customer_ids, self.context.dialect)]
        )

    def abandoned_carts(self):
        """Each customer's latest abandoned cart: with items, idle for an hour, not
        completed, and no counted order after it. One pass over the shop's carts, not a
        subquery per customer."""
        later_order = exists(
            select(1).where(
                Order.shop_id == self.context.shop_id,
                Order.customer_id == Cart.customer_id,
                Order.created_at > Cart.updated_at,
                Order.status.not_in(UNCOUNTED_ORDER_STATUSES),
            )
        )
        rank = (
            func.row_number()
            .over(partition_by=Cart.customer_id, order_by=(Cart.updated_at.desc(), Cart.id.desc()))
            .label("rank")
        )
        ranked = (
            select(Cart.customer_id, Cart.updated_date, Cart.value, rank)
            .where(
                Cart.shop_id == self.context.shop_id,
                Cart.customer_id.is_not(None),
                Cart.items_count > 0,
                Cart.updated_at
                <= bindparam(ABANDONED_BEFORE, self.context.now - ABANDON_AFTER, type_=DateTime),
                Cart.order_external_id.is_(None),
                Cart.completed_at.is_(None),
                not_(later_order),
                *self.only(Cart.customer_id),
            )
            .subquery("abandoned")
        )
        return ranked

    def latest_cart(self, condition: Condition, field: str):
        """A condition on the latest abandoned cart, as membership of the customers whose
        latest cart passes it (missing: no such cart, or its value is missing)."""
        ranked = self.abandoned_carts()
        column = ranked.c[field]
        operator, values = condition.operator, self.values(condition)

        def having(test):
            return Customer.id.in_(select(ranked.c.customer_id).where(ranked.c.rank == 1, test))

        if operator == "IS NULL":
            return not_(having(column.is_not(None)))
        if operator == "IS NOT NULL":
            return having(column.is_not(None))
        if operator == "!=":
            return not_(having(compare(column, "=", values)))
        return having(compare(column, operator, values))

    def attr_abandoned_checkout_date(self, condition: Condition):
        return self.latest_cart(condition, "updated_date")

    def attr_abandoned_checkout_value(self, condition: Condition):
        return self.latest_cart(condition, "value")

    def attr_rfm_group(self, condition: Condition):
        return compare(self.rfm_group(), condition.operator, self.values(condition))

    def rfm_group(self):
        today = self.context.today
        recency = case(
            *(
                (CustomerStatistics.last_order_date >= today - timedelta(days=limit), 5 - index)
                for index, limit in enumerate(RFM_RECENCY_DAYS)
            ),
            else_=1,
        )
        frequency = score(CustomerStatistics.orders_count, RFM_FREQUENCY_ORDERS)
        monetary = score(CustomerStatistics.total_spent, RFM_MONETARY_SPENT)
        both = frequency + monetary
        return case(
            (
                or_(
                    CustomerStatistics.orders_count <= 0,
                    CustomerStatistics.last_order_date.is_(None),
                ),
                "prospects",
            ),
            (and_(recency == 5, both >= 8), "champions"),
            (and_(recency >= 4, both >= 6, both < 8), "active"),
            (and_(recency == 5, frequency == 1), "new"),
            (recency >= 4, case((both >= 8, "loyal"), else_="promising")),
            (recency == 3, case((both >= 8, "loyal"), else_="needs_attention")),
            (both >= 8, "previously_loyal"),
            (both >= 6, "at_risk"),
            (recency == 2, "almost_lost"),
            else_="dormant",
        )


def score(column, thresholds) -> ColumnElement:
    return case(*((column >= limit, 5 - index) for index, limit in enumerate(thresholds)), else_=1)


def compare(expression, operator: str, values: list) -> ColumnElement[bool]:
    """A comparison that is never NULL: false on a missing value, except for !=."""
    if operator == "IS NULL":
        return expression.is_(None)
    if operator == "IS NOT NULL":
        return expression.is_not(None)
    present = expression.is_not(None)
    if operator == "!=":
        return or_(expression.is_(None), expression != values[0])
    if operator == "=":
        return and_(present, expression == values[0])
    if operator == ">":
        return and_(present, expression > values[0])
    if operator == ">=":
        return and_(present, expression >= values[0])
    if operator == "<":
        return and_(present, expression < values[0])
    if operator == "<=":
        return and_(present, expression <= values[0])
    if operator == "BETWEEN":
        return and_(present, expression >= values[0], expression <= values[1])
    if operator == "IN":
        return and_(present, expression.in_(values))
    raise ValueError(f"operator {operator} cannot compile here")


def python_compare(left, operator: str, values: list) -> bool:
    if operator == "=":
        return left == values[0]
    if operator == ">":
        return left > values[0]
    if operator == ">=":
        return left >= values[0]
    if operator == "<":
        return left < values[0]
    if operator == "<=":
        return left <= values[0]
    if operator == "BETWEEN":
        return values[0] <= left <= values[1]
    raise ValueError(f"operator {operator} cannot compile here")


def boolean(condition: Condition, yes, no) -> ColumnElement[bool]:
    """`f(...) = true|false` and `!=`: yes/no are both false when the value is missing."""
    wanted = condition.values[0].value
    if condition.operator == "!=":
        return not_(yes if wanted else no)
    return yes if wanted else no


def month_day_ranges(month_day, matching: list[int]) -> ColumnElement[bool]:
    """`month_day` in a set of MMDD values, as the few BETWEEN ranges the set forms."""
    if not matching:
        return false()
    if len(matching) == len(days.MONTH_DAYS):
        return true()
    chosen = set(matching)
    ranges, start, previous = [], None, None
    for md in days.MONTH_DAYS:
        if md in chosen:
            start = md if start is None else start
            previous = md
        elif start is not None:
            ranges.append((start, previous))
            start = None
    if start is not None:
        ranges.append((start, previous))
    return or_(
        *(month_day == low if low == high else month_day.between(low, high) for low, high in ranges)
    )


def distance_test(lat, lon, latitude: float, longitude: float, km: float) -> list:
    """A bounding box (index-friendly) then the haversine test, without asin or sqrt.

    haversine distance <= km  <=>  a <= sin(km / 2R)^2, where
    a = sin(dlat/2)^2 + cos(lat1) cos(lat2) sin(dlon/2)^2.
    """
    if km >= math.pi * EARTH_RADIUS_KM:
        return [true()]
    tests = []
    dlat = math.degrees(km / EARTH_RADIUS_KM) * 1.01
    tests.append(lat.between(latitude - dlat, latitude + dlat))
    widest = max(abs(latitude - dlat), abs(latitude + dlat))
    if widest < 89:
        dlon = math.degrees(km / (EARTH_RADIUS_KM * math.cos(math.radians(widest)))) * 1.01
        if -180 <= longitude - dlon and longitude + dlon <= 180:
            tests.append(lon.between(longitude - dlon, longitude + dlon))
    radians = math.pi / 180
    half_dlat = func.sin((lat - latitude) * (radians / 2))
    half_dlon = func.sin((lon - longitude) * (radians / 2))
    a = (
        half_dlat * half_dlat
        + math.cos(math.radians(latitude)) * func.cos(lat * radians) * half_dlon * half_dlon
    )
    tests.append(a <= math.sin(km / (2 * EARTH_RADIUS_KM)) ** 2)
    return tests
