"""The app installation's own metafield `cible.public_id`, read by the theme app extension.

The app embed block builds the loader URL from `app.metafields.cible.public_id`, so the
shop's public id is written on the current app installation (an app-owned metafield: no
extra scope) with GraphQL `metafieldsSet`. One short call after install; a throttled or
failing answer is retried with backoff.
"""

from __future__ import annotations

import time

import requests

NAMESPACE = "cible"
KEY = "public_id"
TIMEOUT = (5, 30)
ATTEMPTS = 4

INSTALLATION_QUERY = """
query CibleInstallation {
  currentAppInstallation { id }
  shop { name currencyCode ianaTimezone }
}
"""
SET_MUTATION = """
mutation CiblePublicId($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { namespace key value }
    userErrors { field message code }
  }
}
"""


class AppInstallationError(RuntimeError):
    """Shopify refused the call (auth, user errors) or could not be reached."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def graphql_url(shop_url: str, api_version: str) -> str:
    return f"{shop_url.rstrip('/')}/admin/api/{api_version}/graphql.json"


def _call(url: str, token: str, query: str, variables: dict | None = None) -> dict:
    for attempt in range(ATTEMPTS):
        try:
            response = requests.post(
                url,
                json={"query": query, "variables": variables or {}},
                headers={"X-Shopify-Access-Token": token, "Accept": "application/json"},
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            if attempt == ATTEMPTS - 1:
                raise AppInstallationError(f"Shopify unreachable: {error}") from error
            time.sleep(2**attempt)
            continue
        if response.status_code == 429 or response.status_code >= 500:
            if attempt < ATTEMPTS - 1:
                time.sleep(float(response.headers.get("Retry-After") or 2**attempt))
                continue
        if response.status_code != 200:
            raise AppInstallationError(
                f"Shopify answered {response.status_code}: {response.text[:200]}",
                status=response.status_code,
            )
        payload = response.json()
        errors = payload.get("errors") or []
        if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
            if attempt < ATTEMPTS - 1:
                time.sleep(2**attempt)
                continue
        if errors:
            raise AppInstallationError(f"GraphQL errors: {errors}")
        return payload["data"]
    raise AppInstallationError("Shopify kept throttling the call")


def set_public_id(
    shop_url: str, api_version: str, token: str, public_id: str, public_url: str | None = None
) -> dict:
    """Write `cible.public_id` (and `cible.public_url`, the Cible server's address) on the
    current app installation; returns the shop's name, currency and time zone (read in the
    same call) for the shop's record."""
    url = graphql_url(shop_url, api_version)
    found = _call(url, token, INSTALLATION_QUERY)
    owner = found["currentAppInstallation"]["id"]
    values = {KEY: public_id, "public_url": public_url.rstrip("/") if public_url else None}
    metafields = [
        {
            "ownerId": owner,
            "namespace": NAMESPACE,
            "key": key,
            "type": "single_line_text_field",
            "value": value,
        }
        for key, value in values.items()
        if value
    ]
    result = _call(url, token, SET_MUTATION, {"metafields": metafields})["metafieldsSet"]
    if result.get("userErrors"):
        raise AppInstallationError(f"metafieldsSet refused: {result['userErrors']}")
    return found.get("shop") or {}
