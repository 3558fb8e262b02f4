"""Ready-made segments a merchant adds in one step, named in French and English.

Each is a plain query in the segment language, so a merchant can open it, read it and
change it like any segment of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from sync.segments.evaluate import SegmentError, create_segment
from sync.segments.models import Segment
from sync.store import Shop


@dataclass(frozen=True)
class Template:
    key: str
    en: str
    fr: str
    query: str

    def name(self, language: str) -> str:
        return self.fr if language.lower().startswith("fr") else self.en


TEMPLATES: tuple[Template, ...] = (
    Template(
        "lapsed_6_months",
        "No order for 6 months",
        "Sans commande depuis 6 mois",
        "number_of_orders > 0 AND last_order_date < -6m",
    ),
    Template(
        "new_without_order",
        "Registered, never ordered",
        "Inscrits sans commande",
        "number_of_orders = 0",
    ),
    Template(
        "best_customers",
        "Best customers (spent over 500)",
        "Meilleurs clients (plus de 500 dépensés)",
        "amount_spent > 500",
    ),
    Template(
        "women_25_34",
        "Women 25-34",
        "Femmes 25-34 ans",
        "gender = 'female' AND age BETWEEN 25 AND 34",
    ),
    Template(
        "birthday_7_days",
        "Birthday in the next 7 days",
        "Anniversaire dans les 7 jours",
        "anniversary(date: 'birth_date') BETWEEN today AND +7d",
    ),
    Template(
        "near_nantes",
        "Within 30 km of Nantes",
        "À moins de 30 km de Nantes",
        "customer_within_distance(latitude: 47.2184, longitude: -1.5536, km: 30) = true",
    ),
    Template(
        "dark_chocolate_90_days",
        "Bought dark chocolate in the last 90 days",
        "Ont acheté du chocolat noir ces 90 derniers jours",
        "products_purchased(category: 'Chocolat noir', since: -90d) = true",
    ),
    Template("vip", "VIP customers", "Clients VIP", "customer_tags CONTAINS 'vip'"),
    Template(
        "loyalty_members",
        "Loyalty members",
        "Membres du programme de fidélité",
        "loyalty_tier IS NOT NULL",
    ),
    Template(
        "abandoned_cart_last_day",
        "Abandoned a cart in the last day",
        "Panier abandonné depuis hier",
        "abandoned_checkout_date >= yesterday",
    ),
    Template(
        "b2b_hospitality",
        "B2B, hospitality",
        "B2B, hôtellerie-restauration",
        "company IS NOT NULL AND industry = 'hospitality'",
    ),
)
BY_KEY = {template.key: template for template in TEMPLATES}


def add_template(session: Session, shop: Shop, key: str, language: str | None = None) -> Segment:
    """The template as a new segment of the shop, named in the shop's language."""
    template = BY_KEY.get(key)
    if template is None:
        raise SegmentError(f"no template {key!r}: one of {', '.join(BY_KEY)}")
    name = template.name(language or shop.language)
    return create_segment(session, shop, name, template.query, template=key)
