"""The campaigns pages: the list with key figures, the editor (JavaScript over the campaign
API, with a live preview by the storefront's own renderer) and the results page.

Campaigns are found by their public id and the session's shop; another shop's id is a 404.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from plugin_app import db
from plugin_app.admin import admin
from plugin_app.admin.auth import current_shop
from plugin_app.admin.formats import format_chance, format_number
from plugin_app.i18n import current_language, translated
from sync.campaigns.attribution import attribute
from sync.campaigns.editing import CampaignError, campaign_json, find_campaign, set_status
from sync.campaigns.models import Campaign, CampaignConversion, CampaignExposure
from sync.campaigns.results import campaign_results as results_of
from sync.campaigns.rules import DEVICES, PAGE_TYPES, TRIGGER_TYPES, URL_OPERATORS, VISITOR_KINDS
from sync.segments.models import Segment

# Which status changes the results page offers, from each status.
ACTIONS = {"draft": ("live",), "live": ("paused", "ended"), "paused": ("live", "ended")}


def _campaign_or_404(campaign_id: str) -> Campaign:
    found = find_campaign(db.session(), current_shop(), campaign_id)
    if found is None:
        abort(404, description=_("There is no campaign %(id)s in this shop.", id=campaign_id))
    return found


def key_figures(session, shop_id: int) -> dict[int, dict]:
    """Visitors, clicks and conversions per campaign of the shop, in two statements."""
    exposures = session.execute(
        select(
            CampaignExposure.campaign_id,
            func.count(CampaignExposure.id),
            func.sum(CampaignExposure.impressions),
            func.count(CampaignExposure.clicked_at),
        )
        .where(CampaignExposure.shop_id == shop_id)
        .group_by(CampaignExposure.campaign_id)
    ).all()
    conversions = dict(
        session.execute(
            select(CampaignConversion.campaign_id, func.count(CampaignConversion.id))
            .join(Campaign, Campaign.id == CampaignConversion.campaign_id)
            .where(Campaign.shop_id == shop_id)
            .group_by(CampaignConversion.campaign_id)
        ).all()
    )
    figures = {}
    for campaign_id, visitors, impressions, clicks in exposures:
        figures[campaign_id] = {
            "visitors": visitors,
            "impressions": impressions or 0,
            "clicks": clicks,
            "conversions": conversions.get(campaign_id, 0),
        }
    return figures


@admin.get("/campaigns")
def campaigns():
    shop = current_shop()
    session = db.session()
    found = list(
        session.scalars(
            select(Campaign)
            .where(Campaign.shop_id == shop.id)
            .order_by(Campaign.priority.desc(), Campaign.created_at.desc(), Campaign.id)
        )
    )
    figures = key_figures(session, shop.id)
    empty = {"visitors": 0, "impressions": 0, "clicks": 0, "conversions": 0}
    rows = [(campaign, figures.get(campaign.id, empty)) for campaign in found]
    return render_template("admin/campaigns.html", active="campaigns", rows=rows)


def _editor(campaign: Campaign | None):
    shop = current_shop()
    session = db.session()
    segments = session.execute(
        select(Segment.id, Segment.name, Segment.member_count)
        .where(Segment.shop_id == shop.id)
        .order_by(Segment.name)
    ).all()
    document = campaign_json(session, shop, campaign) if campaign else None
    preset = request.args.get("segment", type=int)
    return render_template(
        "admin/campaign_editor.html",
        active="campaigns",
        campaign=campaign,
        segments=segments,
        loader_url=url_for("storefront.loader", shop_public_id=shop.public_id),
        editor_config={
            "language": current_language(),
            "campaign": document,
            "presetSegment": preset if any(s.id == preset for s in segments) else None,
            "createUrl": url_for("api.create_campaign_view"),
            "updateUrl": url_for("api.change_campaign_view", campaign_id=campaign.public_id)
            if campaign
            else None,
            "previewUrl": url_for("api.preview_content"),
            "resultsUrl": url_for("admin.campaign_results", campaign_id="ID"),
            "pageTypes": list(PAGE_TYPES),
            "devices": list(DEVICES),
            "visitorKinds": list(VISITOR_KINDS),
            "triggerTypes": list(TRIGGER_TYPES),
            "urlOperators": list(URL_OPERATORS),
            "messages": {
                "saved": _("Campaign saved"),
                "failed": _("Could not save: %(reason)s"),
                "variant": _("Variant %(key)s"),
                "control": _("Control (shows nothing)"),
                "nameNeeded": _("Give the campaign a name"),
                "previewFailed": _("The preview cannot be drawn: %(reason)s"),
                "controlPreview": _(
                    "A control variant shows nothing: shoppers see the page as it is."
                ),
            },
        },
    )


@admin.get("/campaigns/new")
def campaign_new():
    return _editor(None)


@admin.get("/campaigns/<campaign_id>/edit")
def campaign_edit(campaign_id: str):
    return _editor(_campaign_or_404(campaign_id))


def _variant_label(variant: dict) -> str:
    if variant["control"]:
        return _("Control")
    return variant["name"] or _("Variant %(key)s", key=variant["key"].upper())


def reading(results: dict, language: str) -> str:
    """The results in one or two sentences a merchant can act on."""
    variants = results["variants"]
    if not variants or not sum(v["visitors"] for v in variants):
        return _("No visitor has seen this campaign yet.")
    challengers = [
        v for v in variants if not v["baseline"] and v["chance_to_beat_control"] is not None
    ]
    more = sum(v["visitors_still_needed"] or 0 for v in variants)
    needed = (
        _("%(count)s more visitors needed to be sure.", count=format_number(more, language))
        if more
        else _("More conversions are needed to be sure.")
    )
    if not challengers:
        return needed if not results["enough_data"] else _("One variant only: nothing to compare.")
    best = max(challengers, key=lambda v: v["chance_to_beat_control"])
    baseline = next(v for v in variants if v["baseline"])
    chance = best["chance_to_beat_control"]
    if chance >= 0.5:
        lead = _(
            "%(variant)s leads with %(chance)s probability",
            variant=_variant_label(best),
            chance=format_chance(chance, language),
        )
    else:
        lead = _(
            "%(baseline)s leads: %(variant)s has a %(chance)s chance of beating it",
            baseline=_variant_label(baseline),
            variant=_variant_label(best),
            chance=format_chance(chance, language),
        )
    if results["enough_data"]:
        if chance >= 0.95 or chance <= 0.05:
            return lead + "; " + _("that is enough data to decide.")
        return lead + "; " + _("the difference is too small to call a winner.")
    return lead + "; " + needed


@admin.get("/campaigns/<campaign_id>")
def campaign_results(campaign_id: str):
    campaign = _campaign_or_404(campaign_id)
    shop = current_shop()
    session = db.session()
    attribute(session, shop.id, campaign.id)
    session.commit()
    results = results_of(session, campaign)
    language = current_language()
    scale = max(
        [v["rates"][_goal_rate(results)]["high"] or 0 for v in results["variants"]]
        + [
            v["rates"][_goal_rate(results)]["high"] or 0
            for block in results["segments"]
            for v in block["variants"]
        ]
        + [0.0001]
    )
    return render_template(
        "admin/campaign.html",
        active="campaigns",
        campaign=campaign,
        document=campaign_json(session, shop, campaign),
        results=results,
        reading=reading(results, language),
        segment_readings={
            block["segment_id"]: reading(block, language) for block in results["segments"]
        },
        rate_key=_goal_rate(results),
        scale=scale,
        label=_variant_label,
        actions=ACTIONS.get(campaign.status, ()),
    )


def _goal_rate(results: dict) -> str:
    return {"conversion": "conversion", "submission": "submission", "click": "click"}.get(
        results["goal"], "conversion"
    )


@admin.post("/campaigns/<campaign_id>/status")
def campaign_status(campaign_id: str):
    campaign = _campaign_or_404(campaign_id)
    status = request.form.get("status", "")
    try:
        set_status(db.session(), current_shop(), campaign, status)
    except CampaignError as error:
        db.session().rollback()
        flash(translated(error.reason), "critical")
    else:
        db.session().commit()
        flash(
            {
                "live": _("The campaign is live: shoppers in its audience see it now."),
                "paused": _("The campaign is paused."),
                "ended": _("The campaign has ended."),
            }.get(status, _("Status changed.")),
            "success",
        )
    return redirect(url_for("admin.campaign_results", campaign_id=campaign.public_id))
