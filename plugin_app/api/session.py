"""Who the API is talking to: the shop, how the call was authenticated, the CSRF token.

The admin pages write the CSRF token into their HTML; a script holding only the session
cookie (tests, a merchant's browser console) reads it here. Another site cannot: this
API answers no CORS request, so a foreign page never sees the response.
"""

from __future__ import annotations

from flask import g

from plugin_app.admin.csrf import csrf_token
from plugin_app.api import api


@api.get("/session")
def whoami():
    answer = {
        "shop": {
            "domain": g.shop.domain,
            "public_id": g.shop.public_id,
            "platform": g.shop.platform,
            "name": g.shop.name,
            "language": g.shop.language,
            "currency": g.shop.currency,
            "timezone": g.shop.timezone,
        },
        "auth": g.auth,
    }
    if g.auth == "session":
        answer["csrf_token"] = csrf_token()
    return answer
