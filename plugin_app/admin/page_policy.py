"""The admin's Content-Security-Policy, widened for one need: inline styles.

The campaign editor's live preview runs the storefront's real renderer (loader.js), which
styles its shadow root with a `<style>` element, and the pages draw progress bars and
intervals with `style` attributes. Scripts stay 'self' only. This runs after the admin's
own hooks (an app-level hook runs after blueprint hooks), so it amends whatever policy
plugin_app/admin/auth.py set (frame-ancestors and all) rather than replacing it.
"""

from __future__ import annotations

from flask import request

from plugin_app.admin import admin

STYLE_SOURCES = "style-src 'self' 'unsafe-inline'"


@admin.after_app_request
def allow_inline_styles(response):
    if request.blueprint != "admin":
        return response
    policy = response.headers.get("Content-Security-Policy")
    if policy and "style-src" not in policy:
        response.headers["Content-Security-Policy"] = f"{policy.rstrip('; ')}; {STYLE_SOURCES}"
    return response
