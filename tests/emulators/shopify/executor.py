"""The emulator's GraphQL execution: connections, search filters, projection and query cost.

Answers only what a query selects, refuses unknown fields with Shopify's wording, pages
with opaque cursors, filters with the search syntax the sync uses (`updated_at:>...`), and
prices each query the way the cost throttle does (connections cost 2 plus `first` times
their node's cost, objects 1, scalars 0), so a client that asks for too much is refused
with MAX_COST_EXCEEDED and one that runs the bucket dry gets THROTTLED.
"""

from __future__ import annotations

import base64
import json
import re

from tests.emulators.shopify.language import Field, flatten, resolve

# Object fields that are connections (stored as lists in the data).
NESTED_CONNECTIONS = {"lineItems", "variants"}
ROOT_CONNECTIONS = {
    "customers": "customers",
    "orders": "orders",
    "products": "products",
    "abandonedCheckouts": "checkouts",
}
ROOT_SINGLE = {
    "customer": "customers",
    "order": "orders",
    "product": "products",
    "abandonedCheckout": "checkouts",
}
MAX_PAGE = 250
MAX_QUERY_COST = 1000
SEARCH_TERM = re.compile(r"(\w+):(>=|<=|>|<|=)?('[^']*'|\"[^\"]*\"|\S+)")
SORT_FIELDS = {"UPDATED_AT": "updatedAt", "CREATED_AT": "createdAt", "ID": None}


class QueryError(Exception):
    """An error answered in `errors` (HTTP 200), with Shopify's extensions code."""

    def __init__(self, message: str, code: str | None = None, path: list | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.path = path

    def as_dict(self) -> dict:
        error: dict = {"message": self.message}
        if self.path:
            error["path"] = self.path
        if self.code:
            error["extensions"] = {"code": self.code}
        return error


def encode_cursor(sort_value: str | None, number: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort_value, number]).encode()).decode()


def decode_cursor(cursor: str) -> tuple:
    try:
        sort_value, number = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return sort_value, int(number)
    except (ValueError, TypeError) as error:
        raise QueryError(f"Invalid cursor for current pagination sort: {cursor}") from error


def normalise_time(value: str) -> str:
    """A search-syntax date as the `...Z` string the data holds (so strings compare)."""
    from datetime import UTC, datetime

    value = value.strip("'\"")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise QueryError(f"Invalid date in search query: {value}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def search_filter(query: str | None):
    """Shopify search syntax, the subset the sync uses: time and id comparisons, ANDed."""
    if not query:
        return None
    tests = []
    for name, operator, raw in SEARCH_TERM.findall(query):
        operator = operator or "="
        if name in ("updated_at", "created_at"):
            key = "updatedAt" if name == "updated_at" else "createdAt"
            value = normalise_time(raw)
        elif name == "id":
            key, value = "__number", int(raw.strip("'\""))
        else:
            continue
        tests.append((key, operator, value))

    def keep(item: dict, number: int) -> bool:
        for key, operator, value in tests:
            actual = number if key == "__number" else item.get(key)
            if actual is None:
                return False
            if operator == ">" and not actual > value:
                return False
            if operator == ">=" and not actual >= value:
                return False
            if operator == "<" and not actual < value:
                return False
            if operator == "<=" and not actual <= value:
                return False
            if operator == "=" and not actual == value:
                return False
        return True

    return keep


def connection_slice(items: list[tuple[int, dict]], arguments: dict, typename: str) -> dict:
    """A page of (number, object) pairs as a Relay connection, with cursors and pageInfo."""
    first, last = arguments.get("first"), arguments.get("last")
    if first is None and last is None:
        raise QueryError("you must provide one of first or last", "BAD_REQUEST")
    size = first if first is not None else last
    if not isinstance(size, int) or size < 0 or size > MAX_PAGE:
        raise QueryError(f"The page size must be between 0 and {MAX_PAGE}", "BAD_REQUEST")
    sort_field = SORT_FIELDS.get(arguments.get("sortKey") or "ID", None)
    keep = search_filter(arguments.get("query"))
    rows = [(item.get(sort_field) if sort_field else None, n, item) for n, item in items]
    if keep is not None:
        rows = [row for row in rows if keep(row[2], row[1])]
    rows.sort(key=lambda row: (row[0] or "", row[1]))
    if arguments.get("reverse"):
        rows.reverse()
    start = 0
    if arguments.get("after"):
        marker = decode_cursor(arguments["after"])
        reverse = bool(arguments.get("reverse"))
        start = len(rows)
        for position, row in enumerate(rows):
            key = (row[0] or "", row[1])
            wanted = (marker[0] or "", marker[1])
            if (key > wanted) if not reverse else (key < wanted):
                start = position
                break
    if last is not None and first is None:
        end = len(rows)
        if arguments.get("before"):
            marker = decode_cursor(arguments["before"])
            end = next(
                (
                    i
                    for i, row in enumerate(rows)
                    if (row[0] or "", row[1]) >= (marker[0] or "", marker[1])
                ),
                len(rows),
            )
        page, start = rows[max(0, end - size) : end], max(0, end - size)
    else:
        page = rows[start : start + size]
    edges = [
        {"__typename": f"{typename}Edge", "cursor": encode_cursor(row[0], row[1]), "node": row[2]}
        for row in page
    ]
    return {
        "__typename": f"{typename}Connection",
        "edges": edges,
        "nodes": [row[2] for row in page],
        "pageInfo": {
            "__typename": "PageInfo",
            "hasNextPage": start + len(page) < len(rows),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def nested_connection(items: list[dict], arguments: dict, typename: str) -> dict:
    numbered = [(position, item) for position, item in enumerate(items)]
    if arguments.get("first") is None and arguments.get("last") is None:
        arguments = {**arguments, "first": MAX_PAGE}
    return connection_slice(numbered, {**arguments, "sortKey": "ID"}, typename)


class Projector:
    """Projects stored objects onto a query's selections, variables and fragments applied."""

    def __init__(self, variables: dict, fragments: dict):
        self.variables = variables
        self.fragments = fragments

    def arguments(self, selection: Field) -> dict:
        return {key: resolve(value, self.variables) for key, value in selection.arguments.items()}

    def project(self, value, selections: list, path: list):
        if value is None:
            return None
        if isinstance(value, list):
            return [self.project(item, selections, path) for item in value]
        if not isinstance(value, dict):
            if selections:
                raise QueryError(f"Selections can't be made on scalars (field '{path[-1]}')")
            return value
        typename = value.get("__typename")
        result = {}
        for selection in flatten(selections, self.fragments, typename):
            name = selection.name
            if name == "__typename":
                result[selection.key] = typename
                continue
            if name not in value:
                raise QueryError(
                    f"Field '{name}' doesn't exist on type '{typename}'",
                    "undefinedField",
                    path + [selection.key],
                )
            child = value[name]
            if name in NESTED_CONNECTIONS and isinstance(child, list):
                child = nested_connection(
                    child, self.arguments(selection), _connection_type(typename, name)
                )
            if isinstance(child, (dict, list)) and child and not selection.selections:
                if isinstance(child, dict) or isinstance(child[0], dict):
                    raise QueryError(
                        f"Field must have selections (field '{name}' returns {typename})",
                        "selectionMismatch",
                        path + [selection.key],
                    )
            result[selection.key] = self.project(
                child, selection.selections, path + [selection.key]
            )
        return result


def _connection_type(parent: str | None, name: str) -> str:
    if name == "variants":
        return "ProductVariant"
    if parent == "AbandonedCheckout":
        return "AbandonedCheckoutLineItem"
    return "LineItem"


def node_cost(selections: list, fragments: dict, variables: dict) -> int:
    """What one object with these selections costs: 1, plus its nested connections."""
    cost = 1
    for selection in flatten(selections, fragments, None):
        if selection.name in NESTED_CONNECTIONS or selection.name in ("edges", "nodes"):
            arguments = {k: resolve(v, variables) for k, v in selection.arguments.items()}
            size = arguments.get("first") or arguments.get("last") or 1
            inner = _node_selections(selection, fragments)
            if selection.name in NESTED_CONNECTIONS:
                cost += 2 + size * node_cost(inner, fragments, variables)
    return cost


def _node_selections(connection: Field, fragments: dict) -> list:
    inner: list = []
    for part in flatten(connection.selections, fragments, None):
        if part.name == "nodes":
            inner.extend(part.selections)
        elif part.name == "edges":
            for edge_part in flatten(part.selections, fragments, None):
                if edge_part.name == "node":
                    inner.extend(edge_part.selections)
    return inner


def requested_cost(fields: list[Field], fragments: dict, variables: dict) -> int:
    cost = 0
    for selection in fields:
        arguments = {k: resolve(v, variables) for k, v in selection.arguments.items()}
        if selection.name in ROOT_CONNECTIONS:
            size = arguments.get("first") or arguments.get("last") or 0
            inner = _node_selections(selection, fragments)
            cost += 2 + int(size) * node_cost(inner, fragments, variables)
        elif selection.name.startswith("bulkOperation") or selection.name in (
            "metafieldsSet",
            "webhookSubscriptionCreate",
        ):
            cost += 10
        else:
            cost += 1
    return cost


def compile_projection(selections: list, fragments: dict, typename: str | None):
    """A projector for many objects of one type (a bulk result): the selections read once,
    so each object costs a few dict lookups. Fields are checked beforehand (check_fields);
    selections with type conditions fall back to the general Projector."""
    from tests.emulators.shopify.language import FragmentSpread, InlineFragment

    if any(isinstance(s, (InlineFragment, FragmentSpread)) for s in selections):
        general = Projector({}, fragments)
        return lambda value: general.project(value, selections, [])
    plan = []
    for selection in selections:
        inner = None
        if selection.selections:
            inner = compile_projection(selection.selections, fragments, None)
        plan.append((selection.key, selection.name, inner))

    def project(value):
        if value is None:
            return None
        if isinstance(value, list):
            return [project(item) for item in value]
        result = {}
        for key, name, inner in plan:
            if name == "__typename":
                result[key] = value.get("__typename")
                continue
            child = value[name]
            result[key] = child if inner is None or child is None else inner(child)
        return result

    return project
