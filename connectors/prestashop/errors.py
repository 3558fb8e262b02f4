"""What can go wrong talking to a PrestaShop Webservice, one class per thing a person fixes.

The connect form and the sync runs show these messages as they are, so each says what
happened and what the merchant should do about it.
"""

from __future__ import annotations


class WebserviceError(RuntimeError):
    """A PrestaShop Webservice call that did not give us data."""

    kind = "error"

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class ShopUnreachable(WebserviceError):
    """Nothing answers at that address (DNS, refused connection, timeout, TLS)."""

    kind = "unreachable"


class NotPrestaShop(WebserviceError):
    """Something answers, but not a PrestaShop Webservice (wrong URL, or no URL rewriting)."""

    kind = "not_prestashop"


class KeyRefused(WebserviceError):
    """The Webservice refuses the key: unknown, disabled, or not enabled for this shop."""

    kind = "key_refused"


class ResourceNotPermitted(WebserviceError):
    """The key works but lacks the GET permission on a resource we read."""

    kind = "resource_not_permitted"

    def __init__(self, resource: str, message: str, **kwargs):
        super().__init__(message, **kwargs)
        self.resource = resource


class WebserviceDisabled(WebserviceError):
    """The shop's Webservice is switched off in its back office."""

    kind = "webservice_disabled"


class WebserviceFailed(WebserviceError):
    """The Webservice kept failing (5xx, 429) after our retries, or answered nonsense."""

    kind = "failed"
