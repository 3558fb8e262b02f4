"""The Shopify emulator: shops, OAuth tokens, the GraphQL Admin API, bulk operations, throttle.

One `ShopifyEmulator` serves any number of shops over real HTTP (werkzeug on a free loopback
port, in a thread). Shops are found by the `/shops/<shop>` prefix when the base URL carries
`{shop}` (http://127.0.0.1:PORT/shops/{shop}), otherwise by the access token, the
authorization code, the ID token's `dest` or the refresh token a request carries.

Test helpers: `add_shop`, `seed`, `mint_id_token`, `authorization_code`, `issue_tokens`,
`expire_access_tokens`, `expire_tokens_after`, `fail_next` (500/429/503 with Retry-After),
`set_bucket` (the cost throttle), and mutators (`update_customer`, `create_order`...) that
change `data` and return the REST-shaped webhook payload of the changed object.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import jwt
from flask import Flask, Response, abort, jsonify, redirect, request
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.emulators.shopify import data as shapes
from tests.emulators.shopify.executor import (
    MAX_QUERY_COST,
    NESTED_CONNECTIONS,
    ROOT_CONNECTIONS,
    ROOT_SINGLE,
    Projector,
    QueryError,
    _node_selections,
    compile_projection,
    connection_slice,
    node_cost,
    requested_cost,
)
from tests.emulators.shopify.language import Field, GraphQLSyntaxError, flatten, parse

API_KEY = "emulator-api-key"
API_SECRET = "emulator-api-secret-0123456789abcdef"
DEFAULT_SCOPES = "read_customers,read_orders,read_all_orders,read_products,write_products"
ACCESS_TTL = 3600
REFRESH_TTL = 7_776_000
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
ONLINE_TYPE = "urn:shopify:params:oauth:token-type:online-access-token"
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
RECENT_ORDERS = timedelta(days=60)
RESOURCES = ("customers", "orders", "products", "checkouts")
GID_KINDS = {
    "Customer": "customers",
    "Order": "orders",
    "Product": "products",
    "AbandonedCheckout": "checkouts",
}


_SHARED_SEEDS: dict[tuple, dict] = {}


class QuietHandler(WSGIRequestHandler):
    """No access log line per request (a backfill makes thousands)."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class Bucket:
    """Shopify's cost bucket: `maximum` points, refilled at `restore_rate` per second."""

    def __init__(self, maximum: float = 2000.0, restore_rate: float = 100.0):
        self.maximum = float(maximum)
        self.restore_rate = float(restore_rate)
        self.available = float(maximum)
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self.available = min(self.maximum, self.available + (now - self.at) * self.restore_rate)
        self.at = now

    def take(self, cost: float) -> bool:
        with self.lock:
            self._refill()
            if cost > self.available:
                return False
            self.available -= cost
            return True

    def refund(self, points: float) -> None:
        with self.lock:
            self._refill()
            self.available = min(self.maximum, self.available + max(points, 0))

    def status(self) -> dict:
        with self.lock:
            self._refill()
            return {
                "maximumAvailable": self.maximum,
                "currentlyAvailable": round(self.available),
                "restoreRate": self.restore_rate,
            }


@dataclass
class Failure:
    status: int
    where: str = "graphql"
    retry_after: str | None = None
    shop: str | None = None


@dataclass
class ShopState:
    domain: str
    currency: str = "EUR"
    timezone: str = "Europe/Paris"
    scopes: str = DEFAULT_SCOPES
    bucket: Bucket = field(default_factory=Bucket)
    bulk_operations: dict = field(default_factory=dict)
    metafields: dict = field(default_factory=dict)
    webhook_subscriptions: list = field(default_factory=list)
    expire_after: int | None = None
    last_stamp: str = ""


class ShopifyEmulator:
    def __init__(self, api_key: str = API_KEY, api_secret: str = API_SECRET):
        self.api_key = api_key
        self.api_secret = api_secret
        self.shops: dict[str, ShopState] = {}
        # shop domain -> {"customers"|"orders"|"products"|"checkouts": {number: object}}
        self.data: dict[str, dict[str, dict[int, dict]]] = {}
        self.access_tokens: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.codes: dict[str, dict] = {}
        self.downloads: dict[str, bytes] = {}
        self.failures: deque[Failure] = deque()
        self.requests: list[dict] = []
        self.lock = threading.RLock()
        self.counter = itertools.count(1)
        self.server = None
        self.thread = None
        self.base_url = ""
        self.app = self._build_app()

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> ShopifyEmulator:
        self.server = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=QuietHandler
        )
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.thread.join(timeout=5)
            self.server = None

    @property
    def shop_base_url(self) -> str:
        """What CIBLE_SHOPIFY_BASE_URL is set to in tests: one URL per shop by `{shop}`."""
        return f"{self.base_url}/shops/{{shop}}"

    def admin_url(self, shop: str) -> str:
        return f"{self.base_url}/shops/{shop}"

    # ---- shops and data --------------------------------------------------------------

    def add_shop(
        self,
        domain: str,
        *,
        scopes: str = DEFAULT_SCOPES,
        currency: str = "EUR",
        timezone: str = "Europe/Paris",
    ) -> ShopState:
        with self.lock:
            if domain not in self.shops:
                self.shops[domain] = ShopState(domain, currency, timezone, scopes)
                self.data[domain] = {name: {} for name in RESOURCES}
            return self.shops[domain]

    def seed(
        self,
        shop: str,
        *,
        customers: int = 100,
        orders: int = 300,
        products: int = 40,
        checkouts: int | None = None,
        seed: int = 1,
        shared: bool = False,
    ) -> dict:
        """Generate the shop's data. `shared=True` reuses the objects an earlier seed with
        the same arguments built in this process (a test that only reads them, run once per
        database backend, builds them once); such a shop must not be mutated."""
        state = self.add_shop(shop)
        arguments = dict(
            customers=customers,
            orders=orders,
            products=max(products, 1),
            checkouts=customers // 10 if checkouts is None else checkouts,
            currency=state.currency,
            seed=seed,
        )
        key = tuple(sorted(arguments.items()))
        built = _SHARED_SEEDS.get(key) if shared else None
        if built is None:
            now = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=2)
            built = shapes.build_shop_data(**arguments, now=now)
            if shared:
                _SHARED_SEEDS.clear()
                _SHARED_SEEDS[key] = built
        with self.lock:
            for name in RESOURCES:
                self.data[shop][name].update(built[name])
        return {name: len(built[name]) for name in RESOURCES}

    def set_bucket(self, shop: str, maximum: float, restore_rate: float, available=None) -> None:
        bucket = Bucket(maximum, restore_rate)
        if available is not None:
            bucket.available = float(available)
        self.add_shop(shop).bucket = bucket

    def fail_next(
        self, status: int, *, times: int = 1, where: str = "graphql", retry_after=None, shop=None
    ) -> None:
        """The next `times` requests to `where` (graphql, token, download) get `status`."""
        for _ in range(times):
            self.failures.append(
                Failure(status, where, None if retry_after is None else str(retry_after), shop)
            )

    def requests_to(self, where: str = "graphql", shop: str | None = None) -> list[dict]:
        return [
            r for r in self.requests if r["where"] == where and (shop is None or r["shop"] == shop)
        ]

    # ---- tokens ----------------------------------------------------------------------

    def mint_id_token(self, shop: str, **overrides) -> str:
        """An ID (session) token as App Bridge hands the app: JWT HS256 with the app secret."""
        self.add_shop(shop)
        now = int(time.time())
        claims = {
            "iss": f"https://{shop}/admin",
            "dest": f"https://{shop}",
            "aud": self.api_key,
            "sub": "42",
            "exp": now + 60,
            "nbf": now,
            "iat": now,
            "jti": secrets.token_hex(8),
            "sid": secrets.token_hex(8),
        }
        claims.update(overrides)
        secret = claims.pop("_secret", self.api_secret)
        return jwt.encode(claims, secret, algorithm="HS256")

    def authorization_code(self, shop: str, scopes: str | None = None) -> str:
        state = self.add_shop(shop)
        code = secrets.token_hex(16)
        self.codes[code] = {"shop": shop, "scope": scopes or state.scopes}
        return code

    def issue_tokens(self, shop: str, *, expiring: bool = True, scope: str | None = None) -> dict:
        """An offline token pair as the token endpoint would answer it (for tests that store
        credentials directly)."""
        state = self.add_shop(shop)
        return self._issue(shop, scope or state.scopes, expiring)

    def credentials(self, shop: str, **kwargs) -> dict:
        """The pair as Cible stores it (sync.shops.store_credentials, the contract's keys)."""
        answer = self.issue_tokens(shop, **kwargs)
        now = int(time.time())
        return {
            "access_token": answer["access_token"],
            "access_token_expires_at": now + answer.get("expires_in", 10**9),
            "refresh_token": answer.get("refresh_token"),
            "refresh_token_expires_at": now + answer.get("refresh_token_expires_in", 10**9),
            "scope": answer["scope"],
        }

    def _issue(self, shop: str, scope: str, expiring: bool) -> dict:
        now = time.time()
        access = f"shpat_{secrets.token_hex(16)}"
        answer = {"access_token": access, "scope": scope}
        entry = {"shop": shop, "scope": scope, "expires_at": None}
        if expiring:
            refresh = f"shprt_{secrets.token_hex(16)}"
            entry["expires_at"] = now + ACCESS_TTL
            self.refresh_tokens[refresh] = {
                "shop": shop,
                "scope": scope,
                "expires_at": now + REFRESH_TTL,
            }
            answer.update(
                expires_in=ACCESS_TTL,
                refresh_token=refresh,
                refresh_token_expires_in=REFRESH_TTL,
            )
        self.access_tokens[access] = entry
        return answer

    def expire_access_tokens(self, shop: str) -> None:
        """Every access token of the shop expires now (refresh tokens stay valid)."""
        with self.lock:
            for entry in self.access_tokens.values():
                if entry["shop"] == shop:
                    entry["expires_at"] = time.time() - 1

    def expire_tokens_after(self, shop: str, requests: int) -> None:
        """After `requests` more GraphQL requests from the shop, its access tokens expire."""
        self.add_shop(shop).expire_after = requests

    def revoke(self, shop: str) -> None:
        """What uninstalling does to tokens: every token of the shop stops working."""
        with self.lock:
            for table in (self.access_tokens, self.refresh_tokens):
                for token in [t for t, e in table.items() if e["shop"] == shop]:
                    del table[token]

    def _token_shop(self, token: str | None) -> str | None:
        entry = self.access_tokens.get(token or "")
        if entry is None:
            return None
        if entry["expires_at"] is not None and entry["expires_at"] < time.time():
            return None
        return entry["shop"]

    def _token_response(self, shop_hint: str | None):
        form = request.form.to_dict() if request.form else (request.get_json(silent=True) or {})
        if request.args:
            form = {**request.args.to_dict(), **form}
        failure = self._take_failure("token", shop_hint)
        if failure is not None:
            return failure
        if form.get("client_id") != self.api_key or form.get("client_secret") != self.api_secret:
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        grant = form.get("grant_type") or "authorization_code"
        expiring = str(form.get("expiring", "0")) == "1"
        with self.lock:
            if grant == "authorization_code" or ("code" in form and "grant_type" not in form):
                entry = self.codes.pop(form.get("code", ""), None)
                if entry is None or (shop_hint and entry["shop"] != shop_hint):
                    return _oauth_error(400, "invalid_grant", "authorization code is invalid")
                return jsonify(self._issue(entry["shop"], entry["scope"], expiring))
            if grant == TOKEN_EXCHANGE:
                if form.get("subject_token_type") != ID_TOKEN_TYPE:
                    return _oauth_error(400, "invalid_request", "subject_token_type is invalid")
                try:
                    claims = jwt.decode(
                        form.get("subject_token", ""),
                        self.api_secret,
                        algorithms=["HS256"],
                        audience=self.api_key,
                        leeway=5,
                    )
                except jwt.PyJWTError as error:
                    return _oauth_error(400, "invalid_subject_token", str(error))
                shop = claims.get("dest", "").removeprefix("https://")
                if shop not in self.shops or (shop_hint and shop != shop_hint):
                    return _oauth_error(400, "invalid_subject_token", "unknown shop")
                requested = form.get("requested_token_type") or OFFLINE_TYPE
                if requested == ONLINE_TYPE:
                    answer = self._issue(shop, self.shops[shop].scopes, False)
                    self.access_tokens[answer["access_token"]]["expires_at"] = time.time() + 86399
                    answer.update(
                        expires_in=86399,
                        associated_user_scope=self.shops[shop].scopes,
                        associated_user={
                            "id": int(claims.get("sub", 0)),
                            "email": "staff@example.fr",
                            "account_owner": True,
                            "locale": "fr",
                        },
                    )
                    return jsonify(answer)
                if requested != OFFLINE_TYPE:
                    return _oauth_error(400, "invalid_request", "requested_token_type is invalid")
                return jsonify(self._issue(shop, self.shops[shop].scopes, expiring))
            if grant == "refresh_token":
                token = form.get("refresh_token", "")
                entry = self.refresh_tokens.pop(token, None)
                if entry is None or entry["expires_at"] < time.time():
                    return _oauth_error(400, "invalid_grant", "refresh token is invalid or used")
                if shop_hint and entry["shop"] != shop_hint:
                    return _oauth_error(400, "invalid_grant", "refresh token is for another shop")
                return jsonify(self._issue(entry["shop"], entry["scope"], True))
        return _oauth_error(400, "unsupported_grant_type", f"grant_type {grant} is not supported")

    def authorize_redirect(self, shop: str, redirect_uri: str, state: str, scope: str | None):
        """What Shopify does after the merchant approves: redirect with an HMAC-signed query."""
        code = self.authorization_code(shop, scope)
        params = {
            "code": code,
            "host": _b64(f"admin.shopify.com/store/{shop.split('.')[0]}"),
            "shop": shop,
            "state": state,
            "timestamp": str(int(time.time())),
        }
        params["hmac"] = self.sign_query(params)
        return f"{redirect_uri}?{urlencode(params)}"

    def sign_query(self, params: dict) -> str:
        message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "hmac")
        return hmac.new(self.api_secret.encode(), message.encode(), hashlib.sha256).hexdigest()

    # ---- failures --------------------------------------------------------------------

    def _take_failure(self, where: str, shop: str | None):
        with self.lock:
            for failure in list(self.failures):
                if failure.where == where and (failure.shop in (None, shop)):
                    self.failures.remove(failure)
                    headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                    body = (
                        {
                            "errors": "Exceeded 2 calls per second for api client. "
                            "Reduce request rates to resume uninterrupted service."
                        }
                        if failure.status == 429
                        else {"errors": "Internal Server Error"}
                    )
                    return Response(
                        json.dumps(body),
                        status=failure.status,
                        headers=headers,
                        mimetype="application/json",
                    )
        return None

    # ---- GraphQL ---------------------------------------------------------------------

    def graphql(self, shop_hint: str | None):
        token = request.headers.get("X-Shopify-Access-Token")
        shop = self._token_shop(token)
        record = {"where": "graphql", "shop": shop or shop_hint, "status": 200, "fields": []}
        self.requests.append(record)
        failure = self._take_failure("graphql", shop or shop_hint)
        if failure is not None:
            record["status"] = failure.status_code
            return failure
        if shop is None or (shop_hint and shop != shop_hint):
            record["status"] = 401
            return Response(json.dumps({"errors": INVALID_TOKEN}), 401, mimetype="application/json")
        state = self.shops[shop]
        if state.expire_after is not None:
            state.expire_after -= 1
            if state.expire_after <= 0:
                state.expire_after = None
                self.expire_access_tokens(shop)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            record["status"] = 400
            return jsonify({"errors": {"query": "Required parameter missing or invalid"}}), 400
        try:
            document = parse(body.get("query"))
        except GraphQLSyntaxError as error:
            return jsonify({"errors": [{"message": str(error)}]})
        variables = body.get("variables") or {}
        operations = document.operations
        if body.get("operationName"):
            operations = [op for op in operations if op.name == body["operationName"]]
        if len(operations) != 1:
            return jsonify({"errors": [{"message": "An operation name is required"}]})
        operation = operations[0]
        fields = flatten(operation.selections, document.fragments, None)
        record["fields"] = [f.name for f in fields]
        try:
            cost = requested_cost(fields, document.fragments, variables)
        except QueryError as error:
            return jsonify({"errors": [error.as_dict()]})
        if cost > MAX_QUERY_COST:
            return jsonify(
                {
                    "errors": [
                        {
                            "message": f"Query cost is {cost}, which exceeds the single query "
                            f"max cost limit ({MAX_QUERY_COST}). To query larger amounts of data "
                            "with fewer limits, bulk operations should be used instead.",
                            "extensions": {
                                "code": "MAX_COST_EXCEEDED",
                                "cost": cost,
                                "maxCost": MAX_QUERY_COST,
                            },
                        }
                    ]
                }
            )
        if not state.bucket.take(cost):
            record["status"] = "throttled"
            return jsonify(
                {
                    "errors": [
                        {
                            "message": "Throttled",
                            "extensions": {
                                "code": "THROTTLED",
                                "documentation": "https://shopify.dev/api/usage/limits#rate-limits",
                            },
                        }
                    ],
                    "extensions": {
                        "cost": {
                            "requestedQueryCost": cost,
                            "actualQueryCost": None,
                            "throttleStatus": state.bucket.status(),
                        }
                    },
                }
            )
        projector = Projector(variables, document.fragments)
        result, errors, actual = {}, [], 0
        for selection in fields:
            try:
                value, spent = self._root(state, operation.kind, selection, projector, document)
                actual += spent
                result[selection.key] = value
            except QueryError as error:
                result[selection.key] = None
                errors.append(error.as_dict())
                actual += 1
        state.bucket.refund(cost - actual)
        answer: dict = {"data": result}
        if errors:
            answer["errors"] = errors
        answer["extensions"] = {
            "cost": {
                "requestedQueryCost": cost,
                "actualQueryCost": actual,
                "throttleStatus": state.bucket.status(),
            }
        }
        return jsonify(answer)

    def _visible(self, state: ShopState, resource: str) -> list[tuple[int, dict]]:
        items = list(self.data[state.domain][resource].items())
        if resource == "orders" and "read_all_orders" not in state.scopes.split(","):
            cutoff = shapes.stamp(datetime.now(UTC) - RECENT_ORDERS)
            items = [(n, o) for n, o in items if o["createdAt"] >= cutoff]
        return items

    def _find(self, state: ShopState, gid_value: str | None):
        if not gid_value or not isinstance(gid_value, str) or "/" not in gid_value:
            return None
        kind = gid_value.split("/")[-2]
        try:
            number = int(gid_value.rsplit("/", 1)[1])
        except ValueError:
            return None
        if kind == "BulkOperation":
            return state.bulk_operations.get(number)
        resource = GID_KINDS.get(kind)
        if resource is None:
            return None
        return dict(self._visible(state, resource)).get(number)

    def _root(self, state, kind: str, selection: Field, projector: Projector, document):
        arguments = projector.arguments(selection)
        name = selection.name
        path = [selection.key]
        if kind == "mutation":
            return self._mutation(state, selection, arguments, projector), 10
        if name in ROOT_CONNECTIONS:
            resource = ROOT_CONNECTIONS[name]
            typename = _typename(resource)
            check_fields(resource, selection, projector)
            connection = connection_slice(self._visible(state, resource), arguments, typename)
            inner = _node_selections(selection, document.fragments)
            spent = 2 + len(connection["nodes"]) * node_cost(
                inner, document.fragments, projector.variables
            )
            return projector.project(connection, selection.selections, path), spent
        if name in ROOT_SINGLE:
            found = self._find(state, arguments.get("id"))
            if found is not None and found["__typename"] != _typename(ROOT_SINGLE[name]):
                found = None
            return projector.project(found, selection.selections, path), 1
        if name == "node":
            return projector.project(
                self._find(state, arguments.get("id")), selection.selections, path
            ), 1
        if name == "bulkOperation":
            found = self._find(state, arguments.get("id"))
            return projector.project(found, selection.selections, path), 1
        if name == "currentBulkOperation":
            wanted = arguments.get("type") or "QUERY"
            operations = [op for op in state.bulk_operations.values() if op["type"] == wanted]
            latest = operations[-1] if operations else None
            return projector.project(latest, selection.selections, path), 1
        if name == "shop":
            shop = {
                "__typename": "Shop",
                "id": shapes.gid("Shop", 1000 + list(self.shops).index(state.domain)),
                "name": state.domain.split(".")[0].title(),
                "myshopifyDomain": state.domain,
                "currencyCode": state.currency,
                "ianaTimezone": state.timezone,
                "email": f"owner@{state.domain}",
            }
            return projector.project(shop, selection.selections, path), 1
        if name == "currentAppInstallation":
            installation = {
                "__typename": "AppInstallation",
                "id": shapes.gid("AppInstallation", 5000 + list(self.shops).index(state.domain)),
                "accessScopes": [
                    {"__typename": "AccessScope", "handle": scope}
                    for scope in state.scopes.split(",")
                    if scope
                ],
                "metafields": list(state.metafields.values()),
            }
            return projector.project(installation, selection.selections, path), 1
        raise QueryError(
            f"Field '{name}' doesn't exist on type 'QueryRoot'", "undefinedField", path
        )

    def _mutation(self, state, selection: Field, arguments: dict, projector: Projector):
        name = selection.name
        path = [selection.key]
        if name == "bulkOperationRunQuery":
            payload = self._run_bulk(state, arguments)
        elif name == "bulkOperationCancel":
            operation = self._find(state, arguments.get("id"))
            if operation is not None and operation["status"] in ("CREATED", "RUNNING"):
                operation["status"] = "CANCELING"
            payload = {"bulkOperation": operation, "userErrors": []}
        elif name == "metafieldsSet":
            written = []
            for item in arguments.get("metafields") or []:
                metafield = {
                    "__typename": "Metafield",
                    "id": shapes.gid("Metafield", next(self.counter)),
                    "namespace": item.get("namespace"),
                    "key": item.get("key"),
                    "value": item.get("value"),
                    "type": item.get("type"),
                    "ownerId": item.get("ownerId"),
                }
                state.metafields[(item.get("namespace"), item.get("key"))] = metafield
                written.append(metafield)
            payload = {"metafields": written, "userErrors": []}
        elif name == "webhookSubscriptionCreate":
            subscription = {
                "__typename": "WebhookSubscription",
                "id": shapes.gid("WebhookSubscription", next(self.counter)),
                "topic": arguments.get("topic"),
                "uri": (arguments.get("webhookSubscription") or {}).get("uri")
                or (arguments.get("webhookSubscription") or {}).get("callbackUrl"),
            }
            subscription["endpoint"] = {
                "__typename": "WebhookHttpEndpoint",
                "callbackUrl": subscription["uri"],
            }
            state.webhook_subscriptions.append(subscription)
            payload = {"webhookSubscription": subscription, "userErrors": []}
        else:
            raise QueryError(
                f"Field '{name}' doesn't exist on type 'Mutation'", "undefinedField", path
            )
        payload["__typename"] = f"{name[0].upper()}{name[1:]}Payload"
        return projector.project(payload, selection.selections, path)

    # ---- bulk operations -------------------------------------------------------------

    def _run_bulk(self, state: ShopState, arguments: dict) -> dict:
        def refused(message: str, code: str = "INVALID") -> dict:
            return {
                "bulkOperation": None,
                "userErrors": [
                    {
                        "__typename": "BulkOperationUserError",
                        "field": ["query"],
                        "message": message,
                        "code": code,
                    }
                ],
            }

        try:
            document = parse(arguments.get("query") or "")
        except GraphQLSyntaxError as error:
            return refused(f"Invalid bulk query: {error}")
        fields = flatten(document.operations[0].selections, document.fragments, None)
        roots = [f for f in fields if f.name in ROOT_CONNECTIONS]
        if len(fields) != 1 or not roots:
            return refused("Bulk queries must contain exactly one top-level connection field")
        try:
            check_fields(
                ROOT_CONNECTIONS[roots[0].name], roots[0], Projector({}, document.fragments)
            )
        except QueryError as error:
            return refused(f"Invalid bulk query: {error.message}")
        running = [
            op
            for op in state.bulk_operations.values()
            if op["type"] == "QUERY" and op["status"] in ("CREATED", "RUNNING")
        ]
        if len(running) >= 5:
            return refused(
                "A bulk query operation for this app and shop is already in progress.",
                "OPERATION_IN_PROGRESS",
            )
        number = next(self.counter)
        operation = {
            "__typename": "BulkOperation",
            "id": shapes.gid("BulkOperation", number),
            "status": "CREATED",
            "type": "QUERY",
            "errorCode": None,
            "createdAt": shapes.stamp(datetime.now(UTC)),
            "completedAt": None,
            "objectCount": "0",
            "rootObjectCount": "0",
            "fileSize": None,
            "url": None,
            "partialDataUrl": None,
            "query": arguments.get("query"),
        }
        state.bulk_operations[number] = operation
        group = bool(arguments.get("groupObjects", False))
        base = request.host_url.rstrip("/")
        threading.Thread(
            target=self._bulk_job,
            args=(state, operation, roots[0], document, group, base),
            daemon=True,
        ).start()
        return {"bulkOperation": operation, "userErrors": []}

    def bulk_lines(self, state: ShopState, root: Field, document, group: bool) -> tuple:
        """The JSONL a bulk query produces: one object a line, nested connections' nodes as
        their own lines with `__parentId`; grouped (children right after their parent) or,
        Shopify's default, not (here: each chunk's children before its parents)."""
        projector = Projector({}, document.fragments)
        resource = ROOT_CONNECTIONS[root.name]
        arguments = projector.arguments(root)
        items = self._visible(state, resource)
        keep = None
        if arguments.get("query"):
            from tests.emulators.shopify.executor import search_filter

            keep = search_filter(arguments["query"])
        items.sort(key=lambda pair: pair[0])
        inner = _node_selections(root, document.fragments)
        typename = _typename(resource)
        top = [s for s in flatten(inner, document.fragments, typename)]
        plain = [s for s in top if s.name not in NESTED_CONNECTIONS]
        nested = [s for s in top if s.name in NESTED_CONNECTIONS]
        lines: list[str] = []
        roots = children = 0
        chunk_parents: list[str] = []
        chunk_children: list[str] = []
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        project_parent = compile_projection(plain, document.fragments, typename)
        kinds = [
            (connection.name,
             compile_projection(_node_selections(connection, document.fragments),
                                document.fragments, None))
            for connection in nested
        ]  # fmt: skip
        for number, item in items:
            if keep is not None and not keep(item, number):
                continue
            roots += 1
            parent_line = dumps(project_parent(item))
            kids = []
            for name, project_child in kinds:
                for child in item[name]:
                    projected = project_child(child)
                    projected["__parentId"] = item["id"]
                    kids.append(dumps(projected))
            children += len(kids)
            if group:
                lines.append(parent_line)
                lines.extend(kids)
            else:
                chunk_parents.append(parent_line)
                chunk_children.extend(kids)
                if len(chunk_parents) >= 500:
                    lines.extend(chunk_children)
                    lines.extend(chunk_parents)
                    chunk_parents, chunk_children = [], []
        lines.extend(chunk_children)
        lines.extend(chunk_parents)
        return lines, roots, children

    def _bulk_job(self, state, operation, root, document, group: bool, base: str) -> None:
        operation["status"] = "RUNNING"
        try:
            lines, roots, children = self.bulk_lines(state, root, document, group)
        except QueryError as error:
            operation.update(status="FAILED", errorCode="INTERNAL_SERVER_ERROR")
            operation["error"] = error.message
            return
        if operation["status"] == "CANCELING":
            operation.update(status="CANCELED", completedAt=shapes.stamp(datetime.now(UTC)))
            return
        body = ("\n".join(lines) + "\n").encode() if lines else b""
        key = secrets.token_urlsafe(12)
        self.downloads[key] = body
        operation.update(
            status="COMPLETED",
            completedAt=shapes.stamp(datetime.now(UTC)),
            objectCount=str(roots + children),
            rootObjectCount=str(roots),
            fileSize=str(len(body)) if body else None,
            url=f"{base}/bulk-results/{key}.jsonl" if body else None,
        )

    def wait_for_bulk(self, shop: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(
                op["status"] not in ("CREATED", "RUNNING")
                for op in self.shops[shop].bulk_operations.values()
            ):
                return
            time.sleep(0.02)
        raise TimeoutError("bulk operation still running")

    # ---- mutators (return the REST payload a webhook would carry) --------------------

    def _now(self, state: ShopState, updated_at: str | None = None) -> str:
        if updated_at:
            return updated_at
        moment = shapes.stamp(datetime.now(UTC))
        if moment <= state.last_stamp:
            moment = shapes.stamp(
                datetime.fromisoformat(state.last_stamp.replace("Z", "+00:00"))
                + timedelta(seconds=1)
            )
        state.last_stamp = moment
        return moment

    def _number(self, value) -> int:
        return shapes.number_of(value) if isinstance(value, str) else int(value)

    def _customer_for(self, shop: str, reference: dict | None) -> dict | None:
        if not reference:
            return None
        return self.data[shop]["customers"].get(shapes.number_of(reference["id"]))

    def create_customer(self, shop: str, *, updated_at: str | None = None, **changes) -> dict:
        state = self.add_shop(shop)
        with self.lock:
            existing = self.data[shop]["customers"]
            number = max(existing, default=shapes.CUSTOMER_BASE) + 1
            stamp = self._now(state, updated_at)
            moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            import random

            customer = shapes.make_customer(
                number - shapes.CUSTOMER_BASE, random.Random(number), state.currency, moment, moment
            )
            existing[number] = customer
        return self.update_customer(shop, number, updated_at=stamp, **changes)

    def update_customer(
        self, shop: str, customer_id, *, updated_at: str | None = None, **changes
    ) -> dict:
        """Change a customer (GraphQL field names; `email`, `marketing_state` and `city` reach
        into the nested objects) and return the customers/update payload."""
        state = self.shops[shop]
        with self.lock:
            customer = self.data[shop]["customers"][self._number(customer_id)]
            if "email" in changes:
                customer["defaultEmailAddress"]["emailAddress"] = changes.pop("email")
            if "marketing_state" in changes:
                email = customer["defaultEmailAddress"]
                email["marketingState"] = changes.pop("marketing_state")
                email["marketingUpdatedAt"] = self._now(state, updated_at)
                email["marketingOptInLevel"] = "SINGLE_OPT_IN"
            if "city" in changes:
                customer["defaultAddress"]["city"] = changes.pop("city")
            customer.update(changes)
            customer["updatedAt"] = self._now(state, updated_at)
            return shapes.rest_customer(customer)

    def delete_customer(self, shop: str, customer_id) -> dict:
        with self.lock:
            number = self._number(customer_id)
            self.data[shop]["customers"].pop(number, None)
            return {
                "id": number,
                "phone": None,
                "addresses": [],
                "tax_exemptions": [],
                "email_marketing_consent": None,
                "sms_marketing_consent": None,
                "admin_graphql_api_id": shapes.gid("Customer", number),
            }

    def create_order(
        self, shop: str, *, customer_id=None, updated_at: str | None = None, **changes
    ) -> dict:
        state = self.add_shop(shop)
        import random

        with self.lock:
            orders = self.data[shop]["orders"]
            number = max(orders, default=shapes.ORDER_BASE) + 1
            customer = None
            if customer_id is not None:
                customer = self.data[shop]["customers"][self._number(customer_id)]
            products = list(self.data[shop]["products"].values())
            if not products:
                products = [
                    shapes.make_product(1, random.Random(1), state.currency, datetime.now(UTC))
                ]
                self.data[shop]["products"][shapes.PRODUCT_BASE + 1] = products[0]
            stamp = self._now(state, updated_at)
            moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            next_line = (number - shapes.ORDER_BASE) * 10 + 10**8
            order = shapes.make_order(
                number - shapes.ORDER_BASE,
                random.Random(number),
                state.currency,
                customer,
                shapes.catalogue_lines(products, state.currency),
                moment,
                next_line,
            )
            order["updatedAt"] = stamp
            orders[number] = order
        return self.update_order(shop, number, updated_at=stamp, **changes)

    def update_order(self, shop: str, order_id, *, updated_at: str | None = None, **changes):
        state = self.shops[shop]
        with self.lock:
            order = self.data[shop]["orders"][self._number(order_id)]
            if "total" in changes:
                order["totalPriceSet"] = shapes.money(
                    Decimal(str(changes.pop("total"))), order["currencyCode"]
                )
            order.update(changes)
            order["updatedAt"] = self._now(state, updated_at)
            return shapes.rest_order(order, self._customer_for(shop, order["customer"]))

    def update_product(self, shop: str, product_id, *, updated_at: str | None = None, **changes):
        state = self.shops[shop]
        with self.lock:
            product = self.data[shop]["products"][self._number(product_id)]
            product.update(changes)
            product["updatedAt"] = self._now(state, updated_at)
            return shapes.rest_product(product)

    def update_checkout(self, shop: str, checkout_id, *, updated_at: str | None = None, **changes):
        state = self.shops[shop]
        with self.lock:
            checkout = self.data[shop]["checkouts"][self._number(checkout_id)]
            checkout.update(changes)
            checkout["updatedAt"] = self._now(state, updated_at)
            return shapes.rest_checkout(checkout, self._customer_for(shop, checkout["customer"]))

    def create_product(self, shop: str, *, updated_at: str | None = None, **changes) -> dict:
        state = self.add_shop(shop)
        import random

        with self.lock:
            products = self.data[shop]["products"]
            number = max(products, default=shapes.PRODUCT_BASE) + 1
            moment = datetime.fromisoformat(self._now(state, updated_at).replace("Z", "+00:00"))
            products[number] = shapes.make_product(
                number - shapes.PRODUCT_BASE, random.Random(number), state.currency, moment
            )
        return self.update_product(shop, number, updated_at=updated_at, **changes)

    def delete_product(self, shop: str, product_id) -> dict:
        with self.lock:
            number = self._number(product_id)
            self.data[shop]["products"].pop(number, None)
            return {"id": number}

    def create_checkout(
        self, shop: str, *, customer_id=None, updated_at: str | None = None, **changes
    ) -> dict:
        state = self.add_shop(shop)
        import random

        with self.lock:
            checkouts = self.data[shop]["checkouts"]
            number = max(checkouts, default=shapes.CHECKOUT_BASE) + 1
            customer = None
            if customer_id is not None:
                customer = self.data[shop]["customers"][self._number(customer_id)]
            products = list(self.data[shop]["products"].values())
            if not products:
                self.create_product(shop)
                products = list(self.data[shop]["products"].values())
            moment = datetime.fromisoformat(self._now(state, updated_at).replace("Z", "+00:00"))
            checkouts[number] = shapes.make_checkout(
                number - shapes.CHECKOUT_BASE,
                random.Random(number),
                state.currency,
                customer,
                products,
                moment,
            )
        return self.update_checkout(shop, number, updated_at=updated_at, **changes)

    def rest_payload(self, shop: str, resource: str, number: int) -> dict:
        """The REST (webhook) shape of a stored object."""
        item = self.data[shop][resource][number]
        if resource == "customers":
            return shapes.rest_customer(item)
        if resource == "orders":
            return shapes.rest_order(item, self._customer_for(shop, item["customer"]))
        if resource == "products":
            return shapes.rest_product(item)
        return shapes.rest_checkout(item, self._customer_for(shop, item["customer"]))

    # ---- HTTP ------------------------------------------------------------------------

    def _build_app(self) -> Flask:
        app = Flask("shopify-emulator")
        emulator = self

        @app.post("/admin/oauth/access_token")
        @app.post("/shops/<shop>/admin/oauth/access_token")
        def access_token(shop=None):
            return emulator._token_response(shop)

        @app.get("/admin/oauth/authorize")
        @app.get("/shops/<shop>/admin/oauth/authorize")
        def authorize(shop=None):
            shop = shop or request.args.get("shop")
            if shop not in emulator.shops or request.args.get("client_id") != emulator.api_key:
                abort(404)
            return redirect(
                emulator.authorize_redirect(
                    shop,
                    request.args.get("redirect_uri", ""),
                    request.args.get("state", ""),
                    request.args.get("scope"),
                )
            )

        @app.post("/admin/api/<version>/graphql.json")
        @app.post("/shops/<shop>/admin/api/<version>/graphql.json")
        def graphql(version, shop=None):
            return emulator.graphql(shop)

        @app.get("/bulk-results/<key>.jsonl")
        def bulk_results(key):
            emulator.requests.append({"where": "download", "shop": None, "status": 200})
            failure = emulator._take_failure("download", None)
            if failure is not None:
                return failure
            body = emulator.downloads.get(key)
            if body is None:
                abort(404)

            def chunks():
                view = memoryview(body)
                for start in range(0, len(body), 1 << 16):
                    yield bytes(view[start : start + (1 << 16)])

            return Response(
                chunks(), mimetype="application/jsonl", headers={"Content-Length": str(len(body))}
            )

        return app


_SAMPLES: dict[str, dict] = {}


def sample(resource: str) -> dict:
    """An object of the resource with every nested object present: what a query's fields
    are checked against (Shopify refuses an unknown field even when no object matches)."""
    if not _SAMPLES:
        import random

        rng, now = random.Random(0), datetime(2026, 1, 1, tzinfo=UTC)
        customer = shapes.make_customer(1, rng, "EUR", now, now)
        product = shapes.make_product(1, rng, "EUR", now)
        order = shapes.make_order(
            1, rng, "EUR", customer, shapes.catalogue_lines([product], "EUR"), now, 0
        )
        order["billingAddress"] = dict(customer["defaultAddress"])
        order["cancelledAt"] = shapes.stamp(now)
        _SAMPLES.update(
            customers=customer,
            products=product,
            orders=order,
            checkouts=shapes.make_checkout(1, rng, "EUR", customer, [product], now),
        )
    return _SAMPLES[resource]


def check_fields(resource: str, selection: Field, projector: Projector) -> None:
    """Raise QueryError for a field the resource's type does not have."""
    typename = _typename(resource)
    connection = connection_slice([(1, sample(resource))], {"first": 1}, typename)
    projector.project(connection, selection.selections, [selection.key])


def _typename(resource: str) -> str:
    return {
        "customers": "Customer",
        "orders": "Order",
        "products": "Product",
        "checkouts": "AbandonedCheckout",
    }[resource]


def _oauth_error(status: int, error: str, description: str):
    return jsonify({"error": error, "error_description": description}), status


def _b64(text: str) -> str:
    import base64

    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
