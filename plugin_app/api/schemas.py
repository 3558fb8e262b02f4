"""marshmallow schemas for what the API accepts: shapes checked before anything is done."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class SegmentInput(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    query = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    template = fields.String(load_default=None, validate=validate.Length(max=64))


class SegmentChange(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(validate=validate.Length(min=1, max=255))
    query = fields.String(validate=validate.Length(min=1, max=10_000))


class PreviewInput(Schema):
    class Meta:
        unknown = EXCLUDE

    query = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    sample = fields.Integer(load_default=10, validate=validate.Range(min=0, max=50))


class MembersQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    q = fields.String(load_default="", validate=validate.Length(max=200))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class TemplateInput(Schema):
    class Meta:
        unknown = EXCLUDE

    key = fields.String(required=True)
