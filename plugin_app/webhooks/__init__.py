"""Webhook and extension-push endpoints, one module per platform: verify the signature on
the raw body, record the delivery (sync/webhooks.py), enqueue its processing, answer fast."""
