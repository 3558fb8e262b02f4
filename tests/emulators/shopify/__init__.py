"""A local Shopify for the tests: OAuth and token endpoints, the GraphQL Admin API (cursor
pagination, search filters, bulk operations with JSONL downloads, the cost throttle) and the
shop's data in Shopify's documented shapes.

Modules: `emulator` (the server and its state), `data` (shapes, generators, REST payloads),
`executor` (connections, projection, query cost), `language` (a small GraphQL reader),
`fixtures` (the `shopify_emulator` pytest fixture), `senders` (signed webhooks and app-proxy
requests, written by the app side).
"""

from tests.emulators.shopify.emulator import API_KEY, API_SECRET, ShopifyEmulator

__all__ = ["API_KEY", "API_SECRET", "ShopifyEmulator"]
