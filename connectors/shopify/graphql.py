"""A GraphQL Admin API client over `requests`: one shop, explicit token, no global session.

Why not the `shopifyapi` package's client: it has no timeout, no retries and keeps the shop
in a thread-global session. This one
- posts to `{base}/admin/api/{version}/graphql.json` with a connect/read timeout;
- retries connection errors, 429 and 5xx with exponential backoff, honouring Retry-After;
- on 401 asks the token provider for a fresh token once (`token_provider(True)`) and sends
  the same request again, so a token expiring mid-sync loses no page;
- follows the cost throttle: `extensions.cost.throttleStatus` of each answer says how many
  points are left and how fast they come back. A query is held back until the bucket holds
  what it cost last time (pacing, so the bucket never runs dry), and a THROTTLED error
  (which Shopify answers with HTTP 200) is waited out for exactly the missing points.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

log = logging.getLogger(__name__)

DEFAULT_API_VERSION = "2026-10"
TIMEOUT = (5, 60)
ATTEMPTS = 6
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
# Waiting for the throttle is not failing: allow many waits, but not forever.
MAX_THROTTLE_WAITS = 50
RETRIED_STATUSES = {429, 500, 502, 503, 504, 520, 522, 524}

TokenProvider = Callable[[bool], str]


class ShopifyError(RuntimeError):
    """Shopify refused or could not answer; `shop` and what Shopify said are kept."""

    def __init__(self, shop: str, message: str, *, status: int | None = None, errors=None):
        super().__init__(f"{shop}: {message}")
        self.shop = shop
        self.status = status
        self.errors = errors


class ShopifyAuthError(ShopifyError):
    """The token is refused even after a refresh: the app was uninstalled or lost access."""


class ShopifyQueryError(ShopifyError):
    """Shopify answered with GraphQL errors (a bad query, a missing scope, a cost too high)."""


@dataclass
class ThrottleStatus:
    maximum: float
    available: float
    restore_rate: float
    seen_at: float

    def available_now(self, now: float) -> float:
        return min(self.maximum, self.available + (now - self.seen_at) * self.restore_rate)


def admin_base_url(shop_domain: str, base_url: str | None = None) -> str:
    """`https://{shop}`, or a configured base (which may hold `{shop}`, as in tests)."""
    if not base_url:
        return f"https://{shop_domain}"
    return base_url.replace("{shop}", shop_domain).rstrip("/")


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (a number, or an HTTP date)."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter: 0.5, 1, 2, 4... seconds, capped."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * (2**attempt))
    return delay * (0.75 + random.random() / 2)


def send_with_retries(
    session: requests.Session,
    method: str,
    url: str,
    *,
    shop: str,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    timeout=TIMEOUT,
    **kwargs,
) -> requests.Response:
    """One HTTP call, retried on connection errors, 429 and 5xx (Retry-After honoured).

    Any other answer (2xx, 401, other 4xx) is returned for the caller to judge.
    """
    last_problem = ""
    for attempt in range(attempts):
        try:
            response = session.request(method, url, timeout=timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as error:
            last_problem = f"{error.__class__.__name__}: {error}"
            delay = backoff(attempt)
        else:
            if response.status_code not in RETRIED_STATUSES:
                return response
            last_problem = f"HTTP {response.status_code}"
            delay = retry_after_seconds(response.headers.get("Retry-After"))
            if delay is None:
                delay = backoff(attempt)
            response.close()
        if attempt + 1 < attempts:
            log.info(
                "%s: %s %s answered %s; retrying in %.1f s", shop, method, url, last_problem, delay
            )
            sleep(delay)
    raise ShopifyError(shop, f"{method} {url} failed after {attempts} attempts: {last_problem}")


class GraphQLClient:
    """The Admin API of one shop. Not thread-safe: one client per job."""

    def __init__(
        self,
        shop_domain: str,
        token_provider: TokenProvider,
        *,
        api_version: str = DEFAULT_API_VERSION,
        base_url: str | None = None,
        session: requests.Session | None = None,
        timeout=TIMEOUT,
        attempts: int = ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.shop = shop_domain
        self.token_provider = token_provider
        self.api_version = api_version
        self.endpoint = (
            f"{admin_base_url(shop_domain, base_url)}/admin/api/{api_version}/graphql.json"
        )
        self.session = session or requests.Session()
        self.timeout = timeout
        self.attempts = attempts
        self.sleep = sleep
        self.token: str | None = None
        self.throttle: ThrottleStatus | None = None
        self.last_cost: dict[str, float] = {}
        # What happened, for progress lines and tests.
        self.requests = 0
        self.refreshes = 0
        self.throttled = 0
        self.paced_seconds = 0.0

    def _pace(self, query: str) -> None:
        """Hold the query back until the bucket holds what it cost last time."""
        expected = self.last_cost.get(query)
        if expected is None or self.throttle is None:
            return
        now = time.monotonic()
        available = self.throttle.available_now(now)
        if available >= expected:
            return
        wait = (expected - available) / max(self.throttle.restore_rate, 1e-3)
        self.paced_seconds += wait
        self.sleep(wait)

    def _note_cost(self, query: str, body: dict) -> dict | None:
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus")
        if status:
            self.throttle = ThrottleStatus(
                float(status.get("maximumAvailable") or 0),
                float(status.get("currentlyAvailable") or 0),
                float(status.get("restoreRate") or 1),
                time.monotonic(),
            )
        if cost.get("requestedQueryCost") is not None:
            self.last_cost[query] = float(cost["requestedQueryCost"])
        return cost

    def execute(self, query: str, variables: dict | None = None) -> dict:
        """The `data` of a query or mutation; raises ShopifyError with what went wrong."""
        refreshed = False
        throttle_waits = 0
        payload = {"query": query, "variables": variables or {}}
        while True:
            self._pace(query)
            if self.token is None:
                self.token = self.token_provider(False)
            self.requests += 1
            response = send_with_retries(
                self.session,
                "POST",
                self.endpoint,
                shop=self.shop,
                attempts=self.attempts,
                sleep=self.sleep,
                timeout=self.timeout,
                json=payload,
                headers={
                    "X-Shopify-Access-Token": self.token,
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
            )
            if response.status_code == 401:
                if refreshed:
                    raise ShopifyAuthError(
                        self.shop,
                        "the access token is refused even after a refresh "
                        "(app uninstalled, or access revoked)",
                        status=401,
                    )
                refreshed = True
                self.refreshes += 1
                self.token = self.token_provider(True)
                continue
            if response.status_code != 200:
                raise ShopifyError(
                    self.shop,
                    f"GraphQL answered HTTP {response.status_code}: {response.text[:500]}",
                    status=response.status_code,
                )
            try:
                body = response.json()
            except ValueError as error:
                raise ShopifyError(self.shop, f"GraphQL answered non-JSON: {error}") from error
            cost = self._note_cost(query, body)
            errors = body.get("errors")
            if errors and _is_throttled(errors):
                throttle_waits += 1
                self.throttled += 1
                if throttle_waits > MAX_THROTTLE_WAITS:
                    raise ShopifyError(self.shop, "still throttled after many waits", errors=errors)
                self.sleep(self._throttle_wait(cost))
                continue
            if errors:
                raise ShopifyQueryError(self.shop, _describe(errors), errors=errors)
            data = body.get("data")
            if data is None:
                raise ShopifyQueryError(self.shop, "GraphQL answered without data", errors=body)
            return data

    def _throttle_wait(self, cost: dict | None) -> float:
        """Seconds until the bucket holds the requested cost again."""
        cost = cost or {}
        status = cost.get("throttleStatus") or {}
        requested = float(cost.get("requestedQueryCost") or 0)
        available = float(status.get("currentlyAvailable") or 0)
        rate = float(status.get("restoreRate") or 0)
        if requested <= 0 or rate <= 0:
            return 1.0
        return max((requested - available) / rate, 0.0) + 0.05


def _is_throttled(errors) -> bool:
    if not isinstance(errors, list):
        return False
    return any(
        isinstance(error, dict)
        and (
            (error.get("extensions") or {}).get("code") == "THROTTLED"
            or error.get("message") == "Throttled"
        )
        for error in errors
    )


def _describe(errors) -> str:
    if isinstance(errors, list):
        parts = []
        for error in errors[:5]:
            if isinstance(error, dict):
                code = (error.get("extensions") or {}).get("code")
                parts.append(f"{error.get('message')}" + (f" ({code})" if code else ""))
            else:
                parts.append(str(error))
        return "; ".join(parts)
    return str(errors)[:500]
