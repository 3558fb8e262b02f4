"""Storefront campaigns: what shoppers see, to whom, when, and what it achieves.

The pieces (docs/storefront.md): `models` (tables), `schema` (the campaign document),
`editing` (changes, the cache version), `content` (sanitising, variables), `rules` and
`bucketing` (pure decisions), `decide` (the per-shop cache and the answer to a page view),
`events` and `capture` (what the storefront reports), `attribution`, `stats` and `results`
(what a campaign achieved).
"""
