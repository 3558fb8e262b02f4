"""The demo shop's campaigns: what a newcomer sees as a shopper on /demo/store.

Made through the campaign model's own entry points (sync.campaigns.editing), exactly as the
API makes them, and live at once:

- a welcome signup for new visitors (email capture with consent, after a few seconds);
- an exit-intent popup on the cart page (the shopper leaving with a cart: "your cart waits");
- a free-delivery slide-in when the cart goes over a threshold (a cart trigger);
- a birthday offer for customers whose birthday is within 7 days (a segment);
- a VIP block in the home page's `home-hero` slot for the best customers (a segment).

Adding them twice changes nothing: a campaign whose name the shop already has is left as
it is (the merchant may have edited it in the admin).
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.campaigns.editing import create_campaign, set_status
from sync.campaigns.models import Campaign
from sync.segments.evaluate import evaluate_segment
from sync.segments.models import Segment
from sync.segments.templates import add_template
from sync.store import Shop

CONSENT = (
    "J'accepte de recevoir la lettre de Cacao & Café (nouveautés, offres) par e-mail. "
    "Je peux me désinscrire à tout moment via le lien présent dans chaque message."
)
FREE_DELIVERY_FROM = 50


def _segment(session: Session, shop: Shop, template: str, now: datetime) -> int:
    """The shop's segment made from this template (created and evaluated when missing)."""
    found = session.scalar(
        select(Segment).where(Segment.shop_id == shop.id, Segment.template == template)
    )
    if found is None:
        found = add_template(session, shop, template)
        evaluate_segment(session, found, now)
    return found.id


def demo_campaigns(birthday: int, best: int) -> list[dict]:
    """The campaign documents (the API's shape), given the two segments' ids."""
    return [
        {
            "name": "Bienvenue : 10 % contre votre e-mail",
            "kind": "popup",
            "priority": 10,
            "goal": "submission",
            "audience": {"visitors": "anonymous", "returning": False},
            "triggers": [{"type": "delay", "seconds": 6}, {"type": "scroll", "percent": 60}],
            "frequency": {
                "per_session": 1,
                "every_days": 30,
                "stop_after_conversion": True,
                "stop_after_closes": 2,
            },
            "variants": [
                {
                    "key": "a",
                    "content": {
                        "title": "Bienvenue chez Cacao & Café",
                        "html": "<p>Inscrivez-vous à notre lettre : <strong>10 %</strong> "
                        "sur votre première commande.</p>",
                        "form": {
                            "fields": ["email"],
                            "consent_text": CONSENT,
                            "submit_label": "Je m'inscris",
                            "success_text": "Merci ! Votre code BIENVENUE10 arrive par e-mail.",
                        },
                    },
                }
            ],
        },
        {
            "name": "Panier : ne partez pas sans lui",
            "kind": "popup",
            "priority": 30,
            "pages": {"page_types": ["cart"]},
            "triggers": [{"type": "exit_intent"}],
            "frequency": {"per_session": 1, "every_days": 2},
            "variants": [
                {
                    "key": "a",
                    "weight": 1,
                    "content": {
                        "title": "Votre panier vous attend",
                        "html": "<p>Finalisez votre commande aujourd'hui : 5 % de remise "
                        "avec ce code.</p>",
                        "discount_code": "PANIER5",
                        "button": {"label": "Reprendre ma commande", "action": "close"},
                    },
                },
                # The control shows nothing: the results page measures the real lift.
                {"key": "control", "weight": 1, "control": True},
            ],
        },
        {
            "name": "Livraison offerte dès 50 €",
            "kind": "slide_in",
            "priority": 5,
            "triggers": [{"type": "cart_value", "above": FREE_DELIVERY_FROM}],
            "frequency": {"per_session": 1},
            "variants": [
                {
                    "key": "a",
                    "content": {
                        "title": "La livraison est offerte",
                        "html": f"<p>Votre panier dépasse {FREE_DELIVERY_FROM} € : "
                        "nous vous l'envoyons gratuitement.</p>",
                        "button": {
                            "label": "Voir mon panier",
                            "action": "link",
                            "url": "/demo/store/cart",
                        },
                    },
                }
            ],
        },
        {
            "name": "Joyeux anniversaire",
            "kind": "popup",
            "priority": 20,
            "audience": {"segments": {"include": [birthday]}, "visitors": "identified"},
            "triggers": [{"type": "delay", "seconds": 2}],
            "frequency": {"per_session": 1, "every_days": 7},
            "variants": [
                {
                    "key": "a",
                    "content": {
                        "title": "Joyeux anniversaire {{ first_name }} !",
                        "html": "<p>Pour fêter ça, 15 % sur toute la boutique cette semaine.</p>",
                        "discount_code": "ANNIV15",
                        "button": {"label": "J'en profite", "action": "close"},
                    },
                }
            ],
        },
        {
            "name": "Accueil VIP",
            "kind": "inline",
            "slot": "home-hero",
            "priority": 10,
            "audience": {"segments": {"include": [best]}, "visitors": "identified"},
            "triggers": [{"type": "load"}],
            "variants": [
                {
                    "key": "a",
                    "content": {
                        "title": "Bonjour {{ first_name }}, merci de votre fidélité",
                        "html": "<p>En avant-première pour nos meilleurs clients : le "
                        "coffret Prestige de Noël, et la livraison offerte toute l'année.</p>",
                        "button": {
                            "label": "Découvrir les coffrets",
                            "action": "link",
                            "url": "/demo/store/category/coffrets",
                        },
                    },
                }
            ],
        },
    ]


def add_demo_campaigns(session: Session, shop: Shop, now: datetime | None = None) -> int:
    """Create the demo campaigns the shop does not have yet, live; returns how many."""
    now = now or datetime.now()
    birthday = _segment(session, shop, "birthday_7_days", now)
    best = _segment(session, shop, "best_customers", now)
    existing = set(session.scalars(select(Campaign.name).where(Campaign.shop_id == shop.id)))
    added = 0
    for document in demo_campaigns(birthday, best):
        if document["name"] in existing:
            continue
        campaign = create_campaign(session, shop, document)
        set_status(session, shop, campaign, "live")
        added += 1
    session.flush()
    return added


def at_noon(day) -> datetime:
    """The demo's "now" for a build day (segments read dates in the shop's time zone)."""
    return datetime.combine(day, time(12))
