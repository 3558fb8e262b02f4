"""`POST /storefront/v1/<shop_public_id>/decide`, served as plain WSGI in front of Flask.

decide is called on every page view of every shop: it is the app's hottest path by far.
Through Flask, the request machinery (app and request contexts, the URL map, werkzeug's
Request and Response objects, the teardown hooks) cost more CPU than the decision itself;
answered here, before Flask, a decide costs about a third of what it did (docs/storefront.md
gives the figures, bench/storefront.py measures them). `install` wraps the app's
`wsgi_app`: a request for a decide path is answered here, any other goes on to Flask
unchanged (the decide preflight, OPTIONS, included: browsers never send one for the
loader's text/plain bodies).

Nothing is skipped: the same checks as every storefront endpoint (plugin_app/storefront/
guards.py: origin, CORS, rate limit, Do-Not-Track, country, signed identity), the same
bounded body, the same errors as JSON, no cookie read or written. An unexpected exception is
logged and answered 500 in JSON, as the app's error handler does (re-raised where Flask
would propagate it: testing, debug). `flask routes` does not list this path.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from http import HTTPStatus

from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.wsgi import get_content_length, get_input_stream

from plugin_app.storefront import guards
from plugin_app.storefront.requests import BadRequest, decide_input, mimetype, read_json_body
from sync.campaigns.decide import Reader, ShopState, answer_json, cache_for, decide
from sync.store import utcnow

log = logging.getLogger(__name__)

DECIDE_PATH = re.compile(r"/storefront/v1/([^/]+)/decide")
JSON = "application/json"
STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


class DecideEndpoint:
    """The WSGI callable answering decide, passing anything else to `inner`."""

    def __init__(self, app: Flask, inner: Callable):
        self.app = app
        self.inner = inner
        self.settings = app.config["CIBLE_SETTINGS"]
        self.database_url = self.settings.resolved_database_url()
        self.sessions = app.extensions["cible.sessions"]

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        match = DECIDE_PATH.fullmatch(environ.get("PATH_INFO") or "")
        method = environ.get("REQUEST_METHOD")
        if match is None or method == "OPTIONS":
            return self.inner(environ, start_response)
        if method != "POST":
            headers = [("Allow", "OPTIONS, POST")]
            return _send(start_response, 405, _error("use POST"), headers)
        opened: list[Session] = []

        def session() -> Session:
            opened.append(self.sessions())
            return opened[-1]

        try:
            status, body, headers = self.answer(environ, match.group(1), session)
        except Exception:
            if self._propagate():
                raise
            log.exception("unhandled error on POST %s", environ.get("PATH_INFO"))
            status, body, headers = 500, _error("unexpected error"), list(guards.ANSWER_HEADERS)
        finally:
            for made in opened:
                made.close()
        return _send(start_response, status, body, headers)

    def answer(self, environ: dict, shop_public_id: str, session) -> tuple:
        """(status, JSON body, headers) for one decide request."""
        state = cache_for(self.database_url).get(session, shop_public_id)
        if state is None:
            return 404, _error("unknown shop"), guards.cors_headers(environ, None)
        headers = guards.cors_headers(environ, state)
        if guards.origin_refused(environ, state):
            return 403, _error("this origin is not one of the shop's"), headers
        try:
            payload = self._payload(environ)
            visitor = payload.get("visitor") if isinstance(payload, dict) else None
            if not guards.limiter(self.app).allow(
                "decide", shop_public_id, guards.who(environ, visitor)
            ):
                return 429, _error("too many requests from this visitor"), headers
            identity = payload.get("identity") if isinstance(payload, dict) else None
            view = decide_input(
                payload,
                guards.verified(self.settings, state, identity),
                guards.tracking_allowed(environ),
                guards.country(environ),
            )
        except BadRequest as error:
            return error.status, _error(str(error)), headers
        return 200, self._choices(state, view), headers

    def _payload(self, environ: dict) -> object:
        return read_json_body(
            mimetype(environ.get("CONTENT_TYPE")),
            get_content_length(environ),
            get_input_stream(environ),
        )

    def _choices(self, state: ShopState, view) -> str:
        with Reader(self.database_url) as connection:
            return answer_json(decide(connection, state, view, utcnow()))

    def _propagate(self) -> bool:
        propagate = self.app.config.get("PROPAGATE_EXCEPTIONS")
        return (self.app.testing or self.app.debug) if propagate is None else propagate


def _error(message: str) -> str:
    return json.dumps({"error": message}, separators=(",", ":"), ensure_ascii=False)


def _send(start_response, status: int, body: str, headers: list) -> list[bytes]:
    data = body.encode()
    start_response(
        STATUS_LINES[status],
        [("Content-Type", JSON), ("Content-Length", str(len(data))), *headers],
    )
    return [data]


def install(app: Flask) -> None:
    """Answer decide before Flask: wraps the app's WSGI callable (any middleware added
    later, such as a ProxyFix, wraps this one in turn and so runs first)."""
    app.wsgi_app = DecideEndpoint(app, app.wsgi_app)
