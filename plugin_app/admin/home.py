"""The admin home: the shop's overview, or (development only) the list of shops to pick from."""

from __future__ import annotations

from flask import g, redirect, render_template, url_for
from sqlalchemy import func, select

from plugin_app import db
from plugin_app.admin import admin
from plugin_app.admin.auth import open_session
from plugin_app.admin.glance import campaigns_glance, next_steps, segments_glance
from plugin_app.admin.queries import shop_overview
from plugin_app.admin.sync_status import duration_words, latest_progress
from sync.store import Customer, Shop


@admin.get("/")
def home():
    shop = g.shop
    if shop is None:
        return _pick_a_shop()
    session = db.session()
    overview = shop_overview(session, shop.id)
    runs = latest_progress(session, shop.id)
    segments = segments_glance(session, shop.id)
    campaigns = campaigns_glance(session, shop.id)
    return render_template(
        "admin/home.html",
        overview=overview,
        runs=runs,
        syncing=any(run.status in ("running", "queued") for run in runs),
        segments=segments,
        campaigns=campaigns,
        steps=next_steps(session, shop, overview, segments, campaigns),
        duration=duration_words,
        active="home",
    )


def _pick_a_shop():
    """Development, demo and tests only (production answered 401 before reaching here)."""
    session = db.session()
    shops = list(
        session.scalars(select(Shop).where(Shop.uninstalled_at.is_(None)).order_by(Shop.domain))
    )
    if len(shops) == 1:
        open_session(shops[0])
        return redirect(url_for("admin.home"))
    counts = dict(
        session.execute(
            select(Customer.shop_id, func.count(Customer.id)).group_by(Customer.shop_id)
        ).all()
    )
    return render_template("admin/shops.html", shops=shops, counts=counts)
