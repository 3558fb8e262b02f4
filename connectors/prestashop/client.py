"""A thin client for the PrestaShop Webservice in JSON, over `requests`.

prestapyt speaks XML only and is unmaintained, so this is our own: the key is the basic-auth
user with an empty password, every call asks `output_format=JSON`, lists use
`display=full` plus `filter[...]`, `sort=[...]` and `limit=offset,count`. The Webservice
sends no total, so a list is read until a short page; an empty list comes back as `[]`
rather than `{"customers": []}`. Values are strings (the id may be a number).

Transient failures (HTTP 429 and 5xx, dropped connections, timeouts) are retried with
exponential backoff, honouring Retry-After; everything else becomes one of the errors in
`connectors.prestashop.errors`, with a message a merchant can act on.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests

from connectors.prestashop.errors import (
    KeyRefused,
    NotPrestaShop,
    ResourceNotPermitted,
    ShopUnreachable,
    WebserviceDisabled,
    WebserviceError,
    WebserviceFailed,
)

log = logging.getLogger(__name__)

USER_AGENT = "Cible/0.1 (+https://github.com/cible; PrestaShop Webservice client)"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
# Webservice error codes (classes/webservice/WebserviceRequest.php).
CODE_DISABLED = 22
CODE_RESOURCE_NOT_ALLOWED = 26
CODE_METHOD_NOT_ALLOWED = 25
KEY_CODES = frozenset({16, 17, 18, 20, 21, 132})
HOST = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$")
# How many ids go in one `filter[id]=[1|2|...]` (URLs stay well under 8 KB).
IDS_PER_REQUEST = 100


def normalise_shop_url(url: str) -> str:
    """The shop's base URL, without a trailing slash or a pasted `/api` suffix."""
    url = (url or "").strip()
    if url and "://" not in url:
        url = "https://" + url
    url = url.rstrip("/")
    for suffix in ("/api", "/index.php"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url


def is_valid_shop_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        return False
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and bool(HOST.match(host))


class PrestaShopClient:
    """One shop's Webservice: `get` one resource, `list` one page, `pages`, `by_ids`."""

    def __init__(
        self,
        shop_url: str,
        key: str,
        *,
        timeout: float | tuple[float, float] = (10, 60),
        attempts: int = 6,
        backoff: float = 1.0,
        max_wait: float = 120.0,
        user_agent: str = USER_AGENT,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ):
        self.shop_url = normalise_shop_url(shop_url)
        self.api_url = self.shop_url + "/api/"
        self.key = key
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self.http = session or requests.Session()
        self.http.auth = (key, "")
        self.http.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
        self.requests_made = 0
        self.retries_made = 0

    def close(self) -> None:
        self.http.close()

    def clone(self) -> PrestaShopClient:
        """A client with the same settings and its own connection pool (for another thread)."""
        return PrestaShopClient(
            self.shop_url,
            self.key,
            timeout=self.timeout,
            attempts=self.attempts,
            backoff=self.backoff,
            max_wait=self.max_wait,
            user_agent=self.http.headers["User-Agent"],
            sleep=self.sleep,
        )

    # -- one request ---------------------------------------------------------------------

    def get(self, resource: str, params: dict | None = None) -> dict | list:
        """GET `/api/<resource>` in JSON, retried when the failure is transient."""
        query = {"output_format": "JSON", **(params or {})}
        url = self.api_url + resource.lstrip("/")
        for attempt in range(1, self.attempts + 1):
            try:
                self.requests_made += 1
                response = self.http.get(url, params=query, timeout=self.timeout)
            except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as error:
                raise ShopUnreachable(
                    f"{self.shop_url} is not a usable address: {_short(error)}"
                ) from error
            except requests.RequestException as error:
                if attempt == self.attempts:
                    raise ShopUnreachable(
                        f"PrestaShop shop at {self.shop_url} cannot be reached: "
                        f"{_short(error)}. Check the address."
                    ) from error
                self._wait(attempt, None)
                continue
            if response.status_code in RETRIED_STATUSES and not _disabled(response):
                if attempt == self.attempts:
                    # The body is quoted only when it is PrestaShop's: the connect form
                    # must not become a way to read other servers' pages.
                    detail = (
                        f": {_error_text(response)}"
                        if _errors(response) or _powered_by_prestashop(response)
                        else ""
                    )
                    raise WebserviceFailed(
                        f"PrestaShop Webservice at {self.shop_url} answered HTTP "
                        f"{response.status_code} to {resource} {self.attempts} times{detail}",
                        status=response.status_code,
                    )
                self._wait(attempt, response.headers.get("Retry-After"))
                continue
            return self._payload(resource, response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = _retry_after_seconds(retry_after)
        if delay is None:
            delay = self.backoff * (2 ** (attempt - 1))
        delay = min(max(delay, 0.0), self.max_wait)
        self.retries_made += 1
        log.info("PrestaShop %s: retrying in %.1f s", self.shop_url, delay)
        self.sleep(delay)

    def _payload(self, resource: str, response: requests.Response) -> dict | list:
        status = response.status_code
        errors = _errors(response)
        code = errors[0][0] if errors else None
        message = errors[0][1] if errors else ""
        looks_like_prestashop = bool(errors) or _powered_by_prestashop(response)
        if status == 503 and _disabled(response):
            raise WebserviceDisabled(
                f"The PrestaShop Webservice is disabled on {self.shop_url}. Turn it on in the "
                "back office: Advanced Parameters > Webservice > Enable PrestaShop's "
                "webservice.",
                status=status,
                code=code,
            )
        name = resource.split("/", 1)[0].split("?", 1)[0]
        if (
            status == 401
            and code == CODE_RESOURCE_NOT_ALLOWED
            or (status == 405 and code == CODE_METHOD_NOT_ALLOWED)
        ):
            raise ResourceNotPermitted(
                name,
                f"The webservice key may not read {name!r}. In the back office (Advanced "
                f"Parameters > Webservice > your key), tick GET (View) for {name!r}.",
                status=status,
                code=code,
            )
        if status in (401, 403) and looks_like_prestashop:
            detail = f" ({message})" if message else ""
            raise KeyRefused(
                f"PrestaShop refused the webservice key{detail}. Check that you copied the "
                "whole 32-character key, that the key is enabled, and that it is allowed "
                "on this shop.",
                status=status,
                code=code,
            )
        if not looks_like_prestashop:
            raise NotPrestaShop(
                f"{self.shop_url} does not answer like a PrestaShop Webservice (HTTP {status} "
                f"at {self.api_url}). Check the shop address (the one customers visit, "
                "e.g. https://shop.example.fr) and that friendly URLs are on, so /api/ works.",
                status=status,
            )
        if status >= 400:
            raise WebserviceFailed(
                f"PrestaShop Webservice at {self.shop_url} answered HTTP {status} to "
                f"{resource}: {message or _error_text(response)}",
                status=status,
                code=code,
            )
        try:
            payload = response.json()
        except ValueError as error:
            raise WebserviceFailed(
                f"PrestaShop Webservice at {self.shop_url} sent something that is not JSON "
                f"for {resource} (is output_format=JSON supported? PrestaShop 1.7+ needed)."
            ) from error
        if not isinstance(payload, dict | list):
            raise WebserviceFailed(f"unexpected JSON for {resource}: {type(payload).__name__}")
        return payload

    # -- lists ---------------------------------------------------------------------------

    def list(
        self,
        resource: str,
        *,
        display: str = "full",
        filters: dict[str, str] | None = None,
        sort: str | None = None,
        limit: str | None = None,
        date: bool = False,
        extra: dict | None = None,
    ) -> list[dict]:
        """One list request: the objects (an empty list comes as `[]` on the wire)."""
        params: dict[str, str] = {"display": display}
        for field, value in (filters or {}).items():
            params[f"filter[{field}]"] = value
        if sort:
            params["sort"] = sort
        if limit:
            params["limit"] = limit
        if date:
            params["date"] = "1"
        params.update(extra or {})
        payload = self.get(resource, params)
        return objects_of(payload, resource)

    def by_ids(
        self, resource: str, ids: Iterable[str | int], *, display: str = "full"
    ) -> Iterator[dict]:
        """The objects with these ids (missing ones are simply absent), a chunk per request."""
        wanted = sorted({str(i) for i in ids if str(i) not in ("", "0")}, key=_numeric)
        for start in range(0, len(wanted), IDS_PER_REQUEST):
            chunk = wanted[start : start + IDS_PER_REQUEST]
            yield from self.list(
                resource, display=display, filters={"id": "[" + "|".join(chunk) + "]"}
            )

    def where_in(
        self, resource: str, field: str, values: Iterable[str | int], *, display: str
    ) -> Iterator[dict]:
        """The objects whose `field` is one of `values` (e.g. orders of these carts)."""
        wanted = sorted({str(v) for v in values if str(v) not in ("", "0")}, key=_numeric)
        for start in range(0, len(wanted), IDS_PER_REQUEST):
            chunk = wanted[start : start + IDS_PER_REQUEST]
            yield from self.list(
                resource, display=display, filters={field: "[" + "|".join(chunk) + "]"}
            )

    def all(self, resource: str, *, display: str = "full", page_size: int = 1000) -> list[dict]:
        """Every object of a small resource (countries, currencies...), paged by id."""
        found: list[dict] = []
        offset = 0
        while True:
            page = self.list(
                resource, display=display, sort="[id_ASC]", limit=f"{offset},{page_size}"
            )
            found.extend(page)
            if len(page) < page_size:
                return found
            offset += page_size


def objects_of(payload: dict | list, resource: str) -> list[dict]:
    """The list in a Webservice list answer: `{"customers": [...]}`, or `[]` when empty."""
    if isinstance(payload, list):
        if payload:
            raise WebserviceFailed(f"unexpected list answer for {resource}")
        return []
    name = resource.split("/", 1)[0]
    value = payload.get(name)
    if value is None:
        if not payload:
            return []
        raise WebserviceFailed(f"the answer for {resource} has no {name!r} list")
    if isinstance(value, dict):  # one object (a GET by id)
        return [value]
    if not isinstance(value, list):
        raise WebserviceFailed(f"the {name!r} of {resource} is not a list")
    return [item for item in value if isinstance(item, dict)]


def _numeric(value: str):
    return (0, int(value)) if value.isdigit() else (1, value)


def _errors(response: requests.Response) -> list[tuple[int | None, str]]:
    try:
        payload = response.json()
    except ValueError:
        return []
    if not isinstance(payload, dict) or not isinstance(payload.get("errors"), list):
        return []
    found = []
    for item in payload["errors"]:
        if isinstance(item, dict):
            code = item.get("code")
            try:
                code = int(code) if code is not None else None
            except (TypeError, ValueError):
                code = None
            found.append((code, str(item.get("message") or "")))
    return found


def _disabled(response: requests.Response) -> bool:
    """The 503 PrestaShop answers when its Webservice is switched off (not a retry case)."""
    if response.status_code != 503:
        return False
    if any(code == CODE_DISABLED for code, _ in _errors(response)):
        return True
    return "webservice is disabled" in response.text[:2000].lower()


def _powered_by_prestashop(response: requests.Response) -> bool:
    powered = response.headers.get("X-Powered-By", "")
    return "prestashop" in powered.lower() or "PSWS-Version" in response.headers


def _error_text(response: requests.Response) -> str:
    errors = _errors(response)
    if errors:
        return "; ".join(message for _, message in errors)
    return (response.text or "").strip()[:200] or response.reason or ""


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment.timestamp() - time.time()


def _short(error: BaseException) -> str:
    text = str(error)
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "the host name does not resolve"
    if "Connection refused" in text:
        return "the connection was refused"
    if isinstance(error, requests.Timeout):
        return "no answer in time"
    return text[:200]


__all__ = ["PrestaShopClient", "WebserviceError", "normalise_shop_url", "objects_of"]
