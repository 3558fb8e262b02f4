"""The admin pages' reads: customers listed, searched and paged, one customer's history, counts.

Every function takes the shop id and filters every statement by it: the admin shows
personal data, and one shop must never see another's. Searches bind their values and
escape LIKE wildcards, so `%` or `_` typed by a merchant match themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from sync.store import (
    UNCOUNTED_ORDER_STATUSES,
    Cart,
    Customer,
    CustomerStatistics,
    Order,
    OrderLine,
    SyncRun,
    utcnow,
)

PAGE_SIZE = 50
# The most frequent cities offered in the filter; a rarer one still filters via the URL.
CITY_CHOICES = 300
ORDERS_SHOWN = 100
CARTS_SHOWN = 50
# A cart not turned into an order and untouched this long is abandoned (same idea as the
# platforms' "abandoned checkout"); younger ones are still open.
ABANDONED_AFTER = timedelta(hours=1)

# Sort keys the list accepts: each orders by one column, newest or largest first, rows
# without a value last, the id breaking ties so that paging is stable. Anything else is
# refused, never passed to SQL.
SORTS = {
    "last_order": CustomerStatistics.last_order_date,
    "total_spent": CustomerStatistics.total_spent,
    "newest": Customer.created_at,
}
SORT_LABELS = {
    "last_order": _l("Last order"),
    "total_spent": _l("Amount spent"),
    "newest": _l("Newest"),
}
DEFAULT_SORT = "last_order"


@dataclass(frozen=True)
class CustomerSearch:
    """What the merchant asked the list for (already validated)."""

    q: str = ""
    city: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1


@dataclass
class CustomersPage:
    customers: list[Customer]
    total: int
    page: int
    pages: int
    page_size: int = PAGE_SIZE

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.page * self.page_size, self.total)


def _ascii_lower(text: str) -> str:
    """Lower-case A-Z only, as SQLite's lower() does (it leaves É alone)."""
    return text.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))


def _word_matches(word: str):
    """One search word found in the first name, last name or email, whatever its case.

    The word is compared lower-cased twice: fully (PostgreSQL's lower() folds É to é) and
    ASCII-only (SQLite's lower() does not), so typing a name as written always matches on
    both databases. `contains(..., autoescape=True)` binds the value and escapes `%`/`_`.
    """
    variants = {word.lower(), _ascii_lower(word)}
    columns = (Customer.first_name, Customer.last_name, Customer.email)
    return or_(
        *(
            func.lower(column).contains(variant, autoescape=True)
            for column in columns
            for variant in sorted(variants)
        )
    )


def _filtered(statement: Select, shop_id: int, search: CustomerSearch) -> Select:
    statement = statement.where(Customer.shop_id == shop_id)
    for word in search.q.split():
        statement = statement.where(_word_matches(word))
    if search.city:
        statement = statement.where(Customer.city == search.city)
    return statement


def _sorted_ids(shop_id: int, search: CustomerSearch, column) -> Select:
    """`SELECT <customer id>` of the customers matching the search, from the narrowest
    source that holds `column`: the statistics table alone for a sort on a figure without
    any search (no customer row read before the page is chosen), customers joined with
    their statistics for a figure with a search, customers alone otherwise."""
    if column.table is not CustomerStatistics.__table__:
        return _filtered(select(Customer.id.label("id")), shop_id, search)
    if not search.q.split() and not search.city:
        return select(CustomerStatistics.customer_id.label("id")).where(
            CustomerStatistics.shop_id == shop_id
        )
    return _filtered(select(Customer.id.label("id")).join(Customer.statistics), shop_id, search)


def customers_page(session: Session, shop_id: int, search: CustomerSearch) -> CustomersPage:
    """One page of the shop's customers matching the search; a page past the end shows the last.

    Rows with a value in the sort column come first, then those without (never ordered,
    creation unknown). They are read as two plain descending scans rather than one
    `DESC NULLS LAST`, which PostgreSQL cannot serve from an index. The page's ids are
    chosen first, from the statistics table alone when the sort is on a figure and
    nothing is searched (at a million customers, sorting their narrow statistics rows
    costs a fraction of joining every customer row to them); the page's customers are
    then read by id.
    """
    column = SORTS[search.sort]
    ids = _sorted_ids(shop_id, search, column)
    key = ids.selected_columns[0]
    total = session.scalar(_filtered(select(func.count(Customer.id)), shop_id, search))
    valued = session.scalar(
        select(func.count()).select_from(ids.where(column.is_not(None)).subquery())
    )
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(search.page, pages)
    offset = (page - 1) * PAGE_SIZE
    chosen: list[int] = []
    if offset < valued:
        chosen += session.scalars(
            ids.where(column.is_not(None))
            .order_by(column.desc(), key.desc())
            .limit(PAGE_SIZE)
            .offset(offset)
        )
    if len(chosen) < PAGE_SIZE and total > valued:
        chosen += session.scalars(
            ids.where(column.is_(None))
            .order_by(key.desc())
            .limit(PAGE_SIZE - len(chosen))
            .offset(max(0, offset - valued))
        )
    by_id = {
        customer.id: customer
        for customer in session.scalars(select(Customer).where(Customer.id.in_(chosen)))
    }
    return CustomersPage([by_id[customer_id] for customer_id in chosen], total, page, pages)


def city_counts(session: Session, shop_id: int, limit: int = CITY_CHOICES) -> list[tuple[str, int]]:
    """The shop's cities by number of customers, most frequent first."""
    count = func.count(Customer.id)
    statement = (
        select(Customer.city, count)
        .where(Customer.shop_id == shop_id, Customer.city.is_not(None), Customer.city != "")
        .group_by(Customer.city)
        .order_by(count.desc(), Customer.city)
        .limit(limit)
    )
    return [(city, n) for city, n in session.execute(statement)]


def customer_for_shop(session: Session, shop_id: int, customer_id: int) -> Customer | None:
    """The customer if it belongs to this shop; None for another shop's (the page is a 404)."""
    return session.scalar(
        select(Customer).where(Customer.shop_id == shop_id, Customer.id == customer_id)
    )


@dataclass
class OrderWithLines:
    order: Order
    lines: list[OrderLine] = field(default_factory=list)

    @property
    def counted(self) -> bool:
        """Whether the order counts in the customer's statistics (docs/data-rules.md)."""
        return self.order.status not in UNCOUNTED_ORDER_STATUSES


def customer_orders(
    session: Session, shop_id: int, customer_id: int, limit: int = ORDERS_SHOWN
) -> tuple[list[OrderWithLines], int]:
    """The customer's newest orders with their lines, and how many orders there are in all."""
    scope = (Order.shop_id == shop_id, Order.customer_id == customer_id)
    total = session.scalar(select(func.count(Order.id)).where(*scope)) or 0
    orders = list(
        session.scalars(
            select(Order)
            .where(*scope)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )
    by_id = {order.id: OrderWithLines(order) for order in orders}
    if by_id:
        lines = session.scalars(
            select(OrderLine)
            .where(OrderLine.shop_id == shop_id, OrderLine.order_id.in_(list(by_id)))
            .order_by(OrderLine.order_id, OrderLine.id)
        )
        for line in lines:
            by_id[line.order_id].lines.append(line)
    return [by_id[order.id] for order in orders], total


def cart_state(cart: Cart, now: datetime | None = None) -> str:
    """'converted' (became an order), 'abandoned' (idle, no order) or 'open'."""
    if cart.order_external_id or cart.completed_at:
        return "converted"
    now = now or utcnow()
    last_touched = cart.updated_at or cart.created_at
    if last_touched is None or now - last_touched >= ABANDONED_AFTER:
        return "abandoned"
    return "open"


def customer_carts(
    session: Session, shop_id: int, customer_id: int, limit: int = CARTS_SHOWN
) -> list[Cart]:
    return list(
        session.scalars(
            select(Cart)
            .where(Cart.shop_id == shop_id, Cart.customer_id == customer_id)
            .order_by(Cart.updated_at.desc().nulls_last(), Cart.id.desc())
            .limit(limit)
        )
    )


@dataclass
class ShopOverview:
    customers: int
    orders: int
    carts: int
    last_sync: SyncRun | None


def shop_overview(session: Session, shop_id: int) -> ShopOverview:
    def count(column, owner):
        return session.scalar(select(func.count(column)).where(owner == shop_id)) or 0

    last_sync = session.scalar(
        select(SyncRun)
        .where(SyncRun.shop_id == shop_id)
        .order_by(SyncRun.created_at.desc(), SyncRun.id.desc())
        .limit(1)
    )
    return ShopOverview(
        customers=count(Customer.id, Customer.shop_id),
        orders=count(Order.id, Order.shop_id),
        carts=count(Cart.id, Cart.shop_id),
        last_sync=last_sync,
    )
