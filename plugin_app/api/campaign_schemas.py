"""marshmallow schemas for the campaign API's small inputs (the campaign document itself is
sync.campaigns.schema.CampaignDocument, shared with the CLI and the demo)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sync.campaigns.models import STATUSES


class StatusInput(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))


class ListQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class PreviewCart(Schema):
    value = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0))
    items = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))


class PreviewContentInput(Schema):
    content = fields.Dict(required=True)
    # A customer of the shop (internal id) whose values fill the variables; else a sample.
    customer_id = fields.Integer(load_default=None, allow_none=True)
    cart = fields.Nested(PreviewCart, load_default=lambda: {"value": 42.5, "items": 2})
