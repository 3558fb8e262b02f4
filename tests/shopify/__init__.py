"""Shopify: install, tokens, webhooks, sync, emulator."""
