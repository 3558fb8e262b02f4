"""The customers pages: the list (searched, filtered, sorted, paged) and one customer's page."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from plugin_app import db
from plugin_app.admin import admin
from plugin_app.admin.auth import current_shop
from plugin_app.admin.history import customer_segments_and_campaigns
from plugin_app.admin.problems import render_problem
from plugin_app.admin.queries import (
    DEFAULT_SORT,
    SORT_LABELS,
    SORTS,
    CustomerSearch,
    cart_state,
    city_counts,
    customer_carts,
    customer_for_shop,
    customer_orders,
    customers_page,
)


class CustomerSearchSchema(Schema):
    """The list's query string; anything outside these bounds is a 400, never SQL."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default="", validate=validate.Length(max=200))
    city = fields.String(load_default="", validate=validate.Length(max=255))
    sort = fields.String(load_default=DEFAULT_SORT, validate=validate.OneOf(list(SORTS)))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))

    @post_load
    def make_search(self, data, **_kwargs) -> CustomerSearch:
        return CustomerSearch(
            q=data["q"].strip(), city=data["city"].strip(), sort=data["sort"], page=data["page"]
        )


def _search_url(search: CustomerSearch, **changes) -> str:
    """The list's URL for this search with some parameters changed; defaults are left out."""
    values = {"q": search.q, "city": search.city, "sort": search.sort, "page": search.page}
    values.update(changes)
    if values["sort"] == DEFAULT_SORT:
        del values["sort"]
    if values["page"] == 1:
        del values["page"]
    return url_for("admin.customers", **{name: value for name, value in values.items() if value})


@admin.get("/customers")
def customers():
    try:
        search = CustomerSearchSchema().load(request.args)
    except ValidationError as error:
        reasons = "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in sorted(error.messages.items())
        )
        return render_problem(
            400,
            "This search cannot be read",
            f"The customer list was asked for something it does not understand ({reasons}).",
            "Go back to the customer list and search again.",
        )
    shop = current_shop()
    session = db.session()
    result = customers_page(session, shop.id, search)
    cities = city_counts(session, shop.id)
    if search.city and search.city not in {city for city, _ in cities}:
        cities.append((search.city, None))
    return render_template(
        "admin/customers.html",
        active="customers",
        search=search,
        result=result,
        cities=cities,
        sort_labels=SORT_LABELS,
        page_url=lambda number: _search_url(search, page=number),
        clear_url=url_for("admin.customers"),
    )


@admin.get("/customers/<int:customer_id>")
def customer(customer_id: int):
    shop = current_shop()
    session = db.session()
    found = customer_for_shop(session, shop.id, customer_id)
    if found is None:
        # The same answer whether the id is unknown or another shop's: nothing to learn.
        abort(404, description=f"There is no customer #{customer_id} in {shop.domain}.")
    orders, orders_total = customer_orders(session, shop.id, found.id)
    carts = customer_carts(session, shop.id, found.id)
    memberships, campaigns = customer_segments_and_campaigns(session, shop.id, found.id)
    return render_template(
        "admin/customer.html",
        active="customers",
        customer=found,
        orders=orders,
        orders_total=orders_total,
        carts=[(cart, cart_state(cart)) for cart in carts],
        preferences=_preferences(found.attributes),
        memberships=memberships,
        campaign_history=campaigns,
    )


def _preferences(attributes) -> list[tuple[str, str]]:
    """Declared preferences as (label, text): 'favorite_chocolate' -> 'Favorite chocolate'."""
    if not isinstance(attributes, dict):
        return []
    shown = []
    for key, value in sorted(attributes.items()):
        if value is None or value == "" or value == [] or value == {}:
            continue
        if isinstance(value, bool):
            text = _("Yes") if value else _("No")
        elif isinstance(value, list):
            text = ", ".join(str(item) for item in value)
        else:
            text = str(value)
        shown.append((str(key).replace("_", " ").strip().capitalize(), text))
    return shown
