"""Checking a shop URL and webservice key before we save them, and reading the shop's tables.

`check_connection` tells apart the ways a connection fails, in the order a person would fix
them: nothing answers at that address, something answers but not PrestaShop, the Webservice
is switched off, the key is refused, the key lacks a permission (named). On success it
returns what the shop says about itself (time zone, currency, name) when the key may read
its configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.prestashop.client import PrestaShopClient
from connectors.prestashop.errors import ResourceNotPermitted, WebserviceError
from connectors.prestashop.schemas import Lookups
from connectors.prestashop.streams import OPTIONAL_RESOURCES, REQUIRED_RESOURCES

CONFIGURATION_NAMES = ("PS_TIMEZONE", "PS_CURRENCY_DEFAULT", "PS_LANG_DEFAULT", "PS_SHOP_NAME")


@dataclass
class ConnectionReport:
    shop_url: str
    optional_missing: list[str] = field(default_factory=list)
    lookups: Lookups = field(default_factory=Lookups)


def check_connection(client: PrestaShopClient) -> ConnectionReport:
    """Probe every resource we read; raise the first problem (WebserviceError subclasses).

    Each required resource is asked for one id, so a missing permission is named rather
    than discovered halfway through the first sync.
    """
    missing: list[ResourceNotPermitted] = []
    for resource in REQUIRED_RESOURCES:
        try:
            client.list(resource, display="[id]", limit="0,1")
        except ResourceNotPermitted as error:
            missing.append(error)
    if missing:
        names = [error.resource for error in missing]
        if len(missing) == 1:
            raise missing[0]
        raise ResourceNotPermitted(
            names[0],
            "The webservice key may not read "
            + ", ".join(repr(n) for n in names)
            + ". In the back office (Advanced Parameters > Webservice > your key), tick GET "
            "(View) for each of them.",
        )
    report = ConnectionReport(client.shop_url)
    report.lookups = load_lookups(client, report.optional_missing)
    return report


def load_lookups(client: PrestaShopClient, optional_missing: list[str] | None = None) -> Lookups:
    """The small reference tables records point into (currencies, countries...)."""
    skipped = optional_missing if optional_missing is not None else []
    lookups = Lookups()
    lookups.currencies = {
        str(c["id"]): str(c.get("iso_code") or "").upper()
        for c in client.all("currencies", display="[id,iso_code]")
    }
    lookups.countries = {
        str(c["id"]): str(c.get("iso_code") or "").upper()
        for c in client.all("countries", display="[id,iso_code]")
    }
    for resource in OPTIONAL_RESOURCES:
        try:
            _load_optional(client, resource, lookups)
        except ResourceNotPermitted:
            skipped.append(resource)
    return lookups


def _load_optional(client: PrestaShopClient, resource: str, lookups: Lookups) -> None:
    if resource == "states":
        lookups.states = {
            str(s["id"]): str(s.get("name") or "")
            for s in client.all("states", display="[id,name]")
        }
    elif resource == "languages":
        lookups.languages = {
            str(lang["id"]): str(lang.get("iso_code") or "")
            for lang in client.all("languages", display="[id,iso_code]")
        }
    elif resource == "categories":
        lookups.categories = {
            str(c["id"]): _names(c.get("name"))
            for c in client.all("categories", display="[id,name]")
        }
    elif resource == "configurations":
        values = {
            str(item.get("name")): str(item.get("value") or "")
            for item in client.list(
                "configurations",
                display="[name,value]",
                filters={"name": "[" + "|".join(CONFIGURATION_NAMES) + "]"},
            )
        }
        lookups.timezone = values.get("PS_TIMEZONE") or None
        lookups.default_language = values.get("PS_LANG_DEFAULT") or None
        lookups.shop_name = values.get("PS_SHOP_NAME") or None
        currency_id = values.get("PS_CURRENCY_DEFAULT")
        if currency_id:
            lookups.default_currency = lookups.currencies.get(currency_id)


def _names(value) -> dict[str, str]:
    if isinstance(value, list):
        return {
            str(i.get("id", "")): str(i.get("value") or "") for i in value if isinstance(i, dict)
        }
    if value in (None, ""):
        return {}
    return {"": str(value)}


__all__ = ["ConnectionReport", "WebserviceError", "check_connection", "load_lookups"]
