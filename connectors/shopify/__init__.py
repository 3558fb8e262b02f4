"""Shopify connector: OAuth and tokens, GraphQL Admin API, verification of what Shopify
signs (webhooks, app proxy, session tokens), and mapping of Shopify objects to records.

Modules: `oauth` (token grants), `verify` (webhook HMAC, app proxy, session tokens),
`webhook_payloads` (REST webhook bodies -> records), `app_installation` (after-install
GraphQL calls), `graphql` (the Admin API client: timeouts, retries, 401 refresh, cost
throttle), `queries` (GraphQL documents), `bulk` (bulk operations and their JSONL),
`mapping` (GraphQL objects -> records), `streams` (incremental windows on updated_at).
"""
