"""REST v3 through the `woocommerce` package, with the paging and retries it leaves to us.

`woocommerce.API` signs requests (basic auth over https, OAuth 1.0a over plain http) and
returns raw `requests` responses. Here: a real timeout and our own User-Agent, retries with
backoff on 429 and 5xx (and connection failures) honouring Retry-After, errors a merchant can
act on, and pages read by `page`/`per_page` with the X-WP-Total / X-WP-TotalPages headers.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests
from woocommerce import API

from connectors import readahead
from connectors.woocommerce.auth import store_base_url

log = logging.getLogger(__name__)

USER_AGENT = "Cible/0.1 (+https://github.com/cible-app/cible; WooCommerce sync)"
TIMEOUT = 30
MAX_PAGE_SIZE = 100
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
# Waits between attempts when the store gives no Retry-After: 1, 2, 4, 8, 16, 32 s.
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0
MAX_ATTEMPTS = 7


class WooCommerceError(RuntimeError):
    """A request the store refused or kept failing; `status` is the last HTTP status (None
    when the store could not be reached) and `code` WooCommerce's error code."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class Page:
    """One page of a collection, with the totals WordPress reports in headers."""

    items: list[dict]
    number: int
    total: int | None
    total_pages: int | None


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _error_detail(response: requests.Response) -> tuple[str | None, str]:
    try:
        body = response.json()
    except ValueError:
        return None, (response.text or "").strip()[:200] or response.reason or ""
    if isinstance(body, dict):
        return body.get("code"), str(body.get("message") or "")
    return None, str(body)[:200]


class WooCommerceClient:
    """One store's REST API with one key pair (an installation's client, no global state)."""

    def __init__(
        self,
        store_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        timeout: float = TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base: float = BACKOFF_BASE,
        sleep: Callable[[float], None] = time.sleep,
        verify_ssl: bool | str = True,
    ):
        self.store_url = store_base_url(store_url)
        self.api = API(
            url=self.store_url,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            version="wc/v3",
            timeout=timeout,
            user_agent=USER_AGENT,
            verify_ssl=verify_ssl,
        )
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.sleep = sleep
        self.requests_made = 0
        self.retries = 0

    def _wait(self, attempt: int, response: requests.Response | None) -> float:
        given = (
            retry_after_seconds(response.headers.get("Retry-After"))
            if response is not None
            else None
        )
        if given is not None:
            return min(given, BACKOFF_CAP * 5)
        return min(self.backoff_base * (2 ** (attempt - 1)), BACKOFF_CAP)

    def request(
        self, method: str, endpoint: str, *, params: dict | None = None, data=None
    ) -> requests.Response:
        """One call, retried on 429/5xx/connection failures; raises WooCommerceError when the
        store refuses it (4xx) or still fails after the last attempt."""
        what = f"{method} {self.store_url}/wp-json/wc/v3/{endpoint}"
        for attempt in range(1, self.max_attempts + 1):
            response = None
            try:
                self.requests_made += 1
                call = getattr(self.api, method.lower())
                if method.upper() in ("POST", "PUT"):
                    response = call(endpoint, data, params=dict(params or {}))
                else:
                    response = call(endpoint, params=dict(params or {}))
            except (requests.ConnectionError, requests.Timeout) as error:
                failure = f"{what}: store unreachable ({error.__class__.__name__})"
                status = None
            else:
                if response.status_code < 400:
                    return response
                code, message = _error_detail(response)
                if response.status_code not in RETRIED_STATUSES:
                    raise WooCommerceError(
                        self._explain(what, response.status_code, code, message),
                        status=response.status_code,
                        code=code,
                    )
                failure = f"{what}: HTTP {response.status_code} {message}".strip()
                status = response.status_code
            if attempt == self.max_attempts:
                raise WooCommerceError(
                    f"{failure} (gave up after {attempt} attempts)", status=status
                )
            wait = self._wait(attempt, response)
            self.retries += 1
            log.warning("%s; retrying in %.1f s (attempt %d)", failure, wait, attempt)
            self.sleep(wait)
        raise AssertionError("unreachable")

    @staticmethod
    def _explain(what: str, status: int, code: str | None, message: str) -> str:
        hint = ""
        if status == 401:
            hint = " (the store refused our API key: reconnect Cible from the plugin page)"
        elif status == 403:
            hint = " (the key lacks a permission: Cible needs read_write)"
        elif status == 404 and code in (None, "rest_no_route"):
            hint = " (is WooCommerce active, with pretty permalinks so /wp-json/ answers?)"
        detail = f"{code}: {message}" if code else message
        return f"{what}: HTTP {status} {detail}{hint}".rstrip()

    def get_json(self, endpoint: str, params: dict | None = None):
        response = self.request("GET", endpoint, params=params)
        try:
            return response.json()
        except ValueError as error:
            raise WooCommerceError(
                f"GET {endpoint}: the store answered something that is not JSON "
                f"({response.headers.get('Content-Type')})",
                status=response.status_code,
            ) from error

    def page(
        self,
        endpoint: str,
        params: dict | None = None,
        *,
        number: int = 1,
        per_page: int = MAX_PAGE_SIZE,
    ) -> Page:
        query = {**(params or {}), "page": number, "per_page": min(per_page, MAX_PAGE_SIZE)}
        response = self.request("GET", endpoint, params=query)
        try:
            items = response.json()
        except ValueError as error:
            raise WooCommerceError(
                f"GET {endpoint} page {number}: not JSON", status=response.status_code
            ) from error
        if not isinstance(items, list):
            raise WooCommerceError(f"GET {endpoint} page {number}: expected a list")
        return Page(
            items,
            number,
            _int_header(response, "X-WP-Total"),
            _int_header(response, "X-WP-TotalPages"),
        )

    def pages(
        self,
        endpoint: str,
        params: dict | None = None,
        *,
        start: int = 1,
        per_page: int = MAX_PAGE_SIZE,
        workers: int = 1,
    ) -> Iterator[Page]:
        """Every page from `start` until X-WP-TotalPages (or a short page when the header
        is missing), in order.

        With `workers` > 1 and a known page count, up to that many pages are requested at
        once: a WooCommerce store takes far longer to build a page than we take to store
        it, so a backfill is bounded by the store's latency, not by our work. A 429 slows
        every worker down through its own Retry-After.
        """
        first = self.page(endpoint, params, number=start, per_page=per_page)
        yield first
        last = first.total_pages
        if len(first.items) < per_page or (last is not None and start >= last):
            return
        if workers <= 1 or last is None:
            yield from self._pages_one_by_one(endpoint, params, start + 1, per_page)
            return
        yield from self._pages_together(endpoint, params, start + 1, last, per_page, workers)

    def _pages_one_by_one(self, endpoint, params, number, per_page) -> Iterator[Page]:
        while True:
            current = self.page(endpoint, params, number=number, per_page=per_page)
            if current.items:
                yield current
            last = current.total_pages
            if (last is not None and number >= last) or len(current.items) < per_page:
                return
            number += 1

    def _pages_together(self, endpoint, params, first, last, per_page, workers):
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="woo-page") as pool:
            window = deque()
            number = first
            try:
                while number <= last or window:
                    while number <= last and len(window) < workers * 2:
                        window.append(
                            pool.submit(
                                self.page, endpoint, params, number=number, per_page=per_page
                            )
                        )
                        number += 1
                    current = window.popleft().result()
                    if current.items:
                        yield current
                    if len(current.items) < per_page:
                        # The store shrank during the scan: later pages are empty.
                        return
            finally:
                for pending in window:
                    pending.cancel()


def _int_header(response: requests.Response, name: str) -> int | None:
    value = response.headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def prefetched(pages: Iterator[Page], depth: int = 3) -> Iterator[Page]:
    """The same pages, read ahead by a thread while the caller stores the current one."""
    return readahead.prefetched(pages, depth, name="woocommerce-pages")
