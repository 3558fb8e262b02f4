"""Campaigns over JSON: list, create, change, launch/pause/end, delete, results, previews.

Every query is scoped to the request's shop: another shop's campaign id is a 404. The
campaign document is the one sync.campaigns.schema checks (docs/storefront.md); results
attribute orders first (set-based, idempotent), so they are current when shown.
"""

from __future__ import annotations

from flask import g, request
from marshmallow import ValidationError
from sqlalchemy import select

from plugin_app.api import api, problem
from plugin_app.api.campaign_schemas import ListQuery, PreviewContentInput, StatusInput
from plugin_app.db import session
from plugin_app.i18n import current_language, translated, translated_fields
from sync.campaigns.attribution import attribute
from sync.campaigns.content import ContentError, Variables, clean_content, format_amount, render
from sync.campaigns.editing import (
    CampaignError,
    campaign_json,
    change_campaign,
    create_campaign,
    delete_campaign,
    find_campaign,
    set_status,
)
from sync.campaigns.models import Campaign
from sync.campaigns.results import campaign_results
from sync.messages import Text
from sync.store import Customer


def _load(schema, data):
    try:
        return schema.load(data if data is not None else {}), None
    except ValidationError as error:
        return None, problem(400, "invalid input", fields=error.messages)


def _localized(reason, fields: dict) -> dict:
    """The reason and the field-by-field details in the request's language (what the
    campaign editor shows); `fields` is there when the answer has some."""
    localized = {"language": current_language(), "message": translated(reason)}
    if fields:
        localized["fields"] = translated_fields(fields)
    return localized


def _refused(error: CampaignError):
    """`message`, `fields` and `code` are English and stable for scripts; `localized` holds
    the same reason and fields in the request's language."""
    return problem(
        error.status if error.status != 400 else 422,
        str(error),
        code=error.reason.code,
        fields=error.fields,
        localized=_localized(error.reason, error.fields),
    )


def _found(campaign_id: str) -> Campaign | None:
    return find_campaign(session(), g.shop, campaign_id)


def _not_found(campaign_id: str):
    return problem(404, f"no campaign {campaign_id} in {g.shop.domain}")


@api.get("/campaigns")
def list_campaigns():
    args, error = _load(ListQuery(), request.args.to_dict())
    if error:
        return error
    statement = select(Campaign).where(Campaign.shop_id == g.shop.id)
    if args["status"]:
        statement = statement.where(Campaign.status == args["status"])
    campaigns = session().scalars(
        statement.order_by(Campaign.priority.desc(), Campaign.created_at.desc(), Campaign.id)
    )
    return {"campaigns": [campaign_json(session(), g.shop, c) for c in campaigns]}


@api.post("/campaigns")
def create_campaign_view():
    try:
        campaign = create_campaign(session(), g.shop, request.get_json(silent=True) or {})
    except CampaignError as error:
        session().rollback()
        return _refused(error)
    session().commit()
    return campaign_json(session(), g.shop, campaign), 201


@api.get("/campaigns/<campaign_id>")
def show_campaign(campaign_id: str):
    campaign = _found(campaign_id)
    if campaign is None:
        return _not_found(campaign_id)
    return campaign_json(session(), g.shop, campaign)


@api.route("/campaigns/<campaign_id>", methods=["PATCH", "PUT"])
def change_campaign_view(campaign_id: str):
    """PATCH changes the fields given; PUT takes a whole document (missing fields get
    their defaults)."""
    campaign = _found(campaign_id)
    if campaign is None:
        return _not_found(campaign_id)
    data = request.get_json(silent=True) or {}
    try:
        change_campaign(session(), g.shop, campaign, data, whole=request.method == "PUT")
    except CampaignError as error:
        session().rollback()
        return _refused(error)
    session().commit()
    return campaign_json(session(), g.shop, campaign)


@api.post("/campaigns/<campaign_id>/status")
def change_campaign_status(campaign_id: str):
    campaign = _found(campaign_id)
    if campaign is None:
        return _not_found(campaign_id)
    data, error = _load(StatusInput(), request.get_json(silent=True))
    if error:
        return error
    try:
        set_status(session(), g.shop, campaign, data["status"])
    except CampaignError as refusal:
        session().rollback()
        return _refused(refusal)
    session().commit()
    return campaign_json(session(), g.shop, campaign)


@api.delete("/campaigns/<campaign_id>")
def delete_campaign_view(campaign_id: str):
    campaign = _found(campaign_id)
    if campaign is None:
        return _not_found(campaign_id)
    delete_campaign(session(), g.shop, campaign)
    session().commit()
    return "", 204


@api.get("/campaigns/<campaign_id>/results")
def campaign_results_view(campaign_id: str):
    campaign = _found(campaign_id)
    if campaign is None:
        return _not_found(campaign_id)
    attribute(session(), g.shop.id, campaign.id)
    session().commit()
    return campaign_results(session(), campaign)


@api.post("/campaigns/preview-content")
def preview_content():
    """The `content` object decide would send, for a sample customer (nothing stored)."""
    data, error = _load(PreviewContentInput(), request.get_json(silent=True))
    if error:
        return error
    try:
        content = clean_content(data["content"])
    except ContentError as refusal:
        fields = {"content": [Text(refusal.message)]}
        return problem(
            422,
            str(refusal),
            code=refusal.message.code,
            fields=fields,
            localized=_localized(refusal.message, fields),
        )
    statement = select(Customer).where(Customer.shop_id == g.shop.id)
    if data["customer_id"] is not None:
        statement = statement.where(Customer.id == data["customer_id"])
    else:
        statement = statement.where(Customer.first_name.is_not(None)).order_by(Customer.id)
    customer = session().scalars(statement.limit(1)).first()
    if data["customer_id"] is not None and customer is None:
        return problem(404, f"no customer {data['customer_id']} in {g.shop.domain}")
    cart = data["cart"] or {}
    variables = Variables(
        first_name=customer.first_name if customer else None,
        cart_total=format_amount(cart.get("value"), g.shop.currency, g.shop.language or "en"),
        loyalty_points=(
            str(customer.loyalty_points)
            if customer is not None and customer.loyalty_points is not None
            else None
        ),
    )
    return {
        "content": render(content, variables),
        "customer": None
        if customer is None
        else {"id": customer.id, "first_name": customer.first_name},
    }
