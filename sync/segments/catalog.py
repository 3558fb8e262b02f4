"""The attribute catalogue: every name a segment query may use, as data.

One table drives validation (names, operators, value kinds, arguments), the editor's
autocomplete (`catalog_json()`), the "did you mean" suggestions and the reference in
docs/segments.md, so the four never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sync.store import CHANNELS, SUBSCRIPTION_STATUSES

# Operators and accepted value kinds per attribute type.
TYPE_OPERATORS = {
    "integer": ("=", "!=", ">", ">=", "<", "<=", "BETWEEN", "IN", "IS NULL", "IS NOT NULL"),
    "decimal": ("=", "!=", ">", ">=", "<", "<=", "BETWEEN", "IN", "IS NULL", "IS NOT NULL"),
    "date": ("=", "!=", ">", ">=", "<", "<=", "BETWEEN", "IS NULL", "IS NOT NULL"),
    "string": (
        "=",
        "!=",
        "IN",
        "CONTAINS",
        "NOT CONTAINS",
        "STARTS WITH",
        "IS NULL",
        "IS NOT NULL",
    ),
    "enum": ("=", "!=", "IN", "IS NULL", "IS NOT NULL"),
    "tags": ("CONTAINS", "NOT CONTAINS"),
    "boolean": ("=", "!="),
}
TYPE_VALUE_KINDS = {
    "integer": ("int",),
    "decimal": ("int", "decimal"),
    "date": ("date", "relative", "day"),
    "string": ("string",),
    "enum": ("string",),
    "tags": ("string",),
    "boolean": ("bool",),
}

RFM_GROUPS = (
    "champions",
    "loyal",
    "active",
    "promising",
    "new",
    "needs_attention",
    "at_risk",
    "previously_loyal",
    "almost_lost",
    "dormant",
    "prospects",
)
ANNIVERSARY_DATES = ("birth_date", "customer_added_date", "first_order_date")
GENDERS = ("female", "male", "other")
# Storefront events of a campaign (storefront_events.kind), for campaign_events(type:).
CAMPAIGN_EVENT_TYPES = ("impression", "click", "submit", "close")


@dataclass(frozen=True)
class Parameter:
    """A named function argument: `since: -90d`."""

    name: str
    type: str
    en: str
    fr: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str
    group: str
    en: str
    fr: str
    # Allowed values: enforced for type "enum", offered (not enforced) otherwise.
    values: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    required: tuple[str, ...] = ()
    # Exactly one of these parameters must be given (what was bought, what was viewed).
    one_of: tuple[str, ...] = ()
    # At most one of these.
    at_most_one_of: tuple[str, ...] = ()
    # Its value changes with the passing of time alone (not only with data).
    time_relative: bool = False
    example: str = ""
    operators: tuple[str, ...] = field(default=())

    def __post_init__(self):
        if not self.operators:
            object.__setattr__(self, "operators", TYPE_OPERATORS[self.type])

    @property
    def is_function(self) -> bool:
        return bool(self.parameters)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


SINCE = Parameter("since", "date", "only from this day on", "seulement à partir de ce jour")
UNTIL = Parameter("until", "date", "only until this day", "seulement jusqu'à ce jour")

ATTRIBUTES: tuple[Attribute, ...] = (
    # orders
    Attribute(
        "number_of_orders",
        "integer",
        "orders",
        "Number of orders (cancelled and refunded orders do not count)",
        "Nombre de commandes (hors commandes annulées ou remboursées)",
        example="number_of_orders >= 2",
    ),
    Attribute(
        "amount_spent",
        "decimal",
        "orders",
        "Total spent over counted orders",
        "Montant total dépensé",
        example="amount_spent > 500",
    ),
    Attribute(
        "average_order_value",
        "decimal",
        "orders",
        "Average order value (missing without orders)",
        "Panier moyen (absent sans commande)",
        example="average_order_value >= 60",
    ),
    Attribute(
        "first_order_date",
        "date",
        "orders",
        "Day of the first order",
        "Date de la première commande",
        example="first_order_date >= -30d",
    ),
    Attribute(
        "last_order_date",
        "date",
        "orders",
        "Day of the last order",
        "Date de la dernière commande",
        example="last_order_date < -6m",
    ),
    Attribute(
        "orders_placed",
        "integer",
        "orders",
        "Number of orders placed in a period or on a channel",
        "Nombre de commandes passées sur une période ou un canal",
        parameters=(
            SINCE,
            UNTIL,
            Parameter("channel", "string", "sales channel", "canal de vente", CHANNELS),
        ),
        operators=("=", "!=", ">", ">=", "<", "<=", "BETWEEN", "IN"),
        example="orders_placed(since: -1y) >= 3",
    ),
    Attribute(
        "products_purchased",
        "boolean",
        "orders",
        "Bought a product of a category, SKU, product id or vendor (in a period)",
        "A acheté un produit d'une catégorie, d'un SKU, d'un produit ou d'une marque",
        parameters=(
            Parameter("category", "string", "product category", "catégorie de produit"),
            Parameter("sku", "string", "product SKU", "référence (SKU)"),
            Parameter("product_id", "string", "the platform's product id", "id du produit"),
            Parameter("vendor", "string", "brand or vendor", "marque ou fournisseur"),
            SINCE,
            UNTIL,
        ),
        one_of=("category", "sku", "product_id", "vendor"),
        example="products_purchased(category: 'Chocolat noir', since: -90d) = true",
    ),
    Attribute(
        "rfm_group",
        "enum",
        "orders",
        "Recency-frequency-monetary group (see docs/segments.md for the method)",
        "Groupe RFM récence-fréquence-montant (méthode dans docs/segments.md)",
        values=RFM_GROUPS,
        operators=("=", "!=", "IN"),
        time_relative=True,
        example="rfm_group IN ('champions', 'loyal')",
    ),
    # carts
    Attribute(
        "abandoned_checkout_date",
        "date",
        "carts",
        "Day of the latest cart with items, idle for an hour and not followed by an order",
        "Date du dernier panier abandonné (inactif depuis une heure, sans commande ensuite)",
        time_relative=True,
        example="abandoned_checkout_date >= yesterday",
    ),
    Attribute(
        "abandoned_checkout_value",
        "decimal",
        "carts",
        "Value of the latest abandoned cart",
        "Montant du dernier panier abandonné",
        time_relative=True,
        example="abandoned_checkout_value > 50",
    ),
    # profile
    Attribute(
        "customer_added_date",
        "date",
        "profile",
        "Day the customer account was created",
        "Date de création du compte client",
        example="customer_added_date >= -30d",
    ),
    Attribute(
        "customer_email_domain",
        "string",
        "profile",
        "Domain of the e-mail address (lower case)",
        "Domaine de l'adresse e-mail (en minuscules)",
        example="customer_email_domain = 'gmail.com'",
    ),
    Attribute(
        "customer_tags",
        "tags",
        "profile",
        "Tags of the customer",
        "Étiquettes du client",
        example="customer_tags CONTAINS 'vip'",
    ),
    Attribute(
        "gender",
        "string",
        "profile",
        "Gender",
        "Genre",
        values=GENDERS,
        example="gender = 'female'",
    ),
    Attribute(
        "birth_date",
        "date",
        "profile",
        "Date of birth",
        "Date de naissance",
        example="birth_date < 2000-01-01",
    ),
    Attribute(
        "age",
        "integer",
        "profile",
        "Age in whole years today",
        "Âge en années révolues aujourd'hui",
        time_relative=True,
        example="age BETWEEN 25 AND 34",
    ),
    Attribute(
        "anniversary",
        "date",
        "profile",
        "Next yearly occurrence of a date, on or after today (29 February: 28 February "
        "in other years)",
        "Prochain anniversaire d'une date, aujourd'hui ou après (29 février : 28 février "
        "les autres années)",
        parameters=(Parameter("date", "string", "which date", "quelle date", ANNIVERSARY_DATES),),
        required=("date",),
        operators=("=", "!=", ">", ">=", "<", "<=", "BETWEEN", "IS NULL", "IS NOT NULL"),
        time_relative=True,
        example="anniversary(date: 'birth_date') BETWEEN today AND +7d",
    ),
    Attribute(
        "language", "string", "profile", "Language code", "Langue", example="language = 'fr'"
    ),
    # place
    Attribute("city", "string", "place", "City", "Ville", example="city = 'Nantes'"),
    Attribute(
        "postal_code",
        "string",
        "place",
        "Postal code",
        "Code postal",
        example="postal_code STARTS WITH '44'",
    ),
    Attribute("region", "string", "place", "Region", "Région", example="region = 'Bretagne'"),
    Attribute(
        "country",
        "string",
        "place",
        "Country (ISO code, upper case)",
        "Pays (code ISO, en majuscules)",
        example="country IN ('FR', 'BE')",
    ),
    Attribute(
        "customer_within_distance",
        "boolean",
        "place",
        "Lives within a distance (km) of a point",
        "Habite à moins d'une distance (km) d'un point",
        parameters=(
            Parameter("latitude", "decimal", "latitude in degrees", "latitude en degrés"),
            Parameter("longitude", "decimal", "longitude in degrees", "longitude en degrés"),
            Parameter("km", "decimal", "distance in kilometres", "distance en kilomètres"),
        ),
        required=("latitude", "longitude", "km"),
        example="customer_within_distance(latitude: 47.2184, longitude: -1.5536, km: 30) = true",
    ),
    # marketing
    Attribute(
        "email_subscription_status",
        "enum",
        "marketing",
        "E-mail marketing consent",
        "Consentement e-mail",
        values=SUBSCRIPTION_STATUSES,
        example="email_subscription_status = 'SUBSCRIBED'",
    ),
    Attribute(
        "sms_subscription_status",
        "enum",
        "marketing",
        "SMS marketing consent",
        "Consentement SMS",
        values=SUBSCRIPTION_STATUSES,
        example="sms_subscription_status = 'SUBSCRIBED'",
    ),
    Attribute(
        "loyalty_tier",
        "string",
        "marketing",
        "Loyalty programme tier",
        "Niveau de fidélité",
        example="loyalty_tier IS NOT NULL",
    ),
    Attribute(
        "loyalty_points",
        "integer",
        "marketing",
        "Loyalty points",
        "Points de fidélité",
        example="loyalty_points >= 100",
    ),
    # B2B
    Attribute("company", "string", "b2b", "Company", "Entreprise", example="company IS NOT NULL"),
    Attribute(
        "industry",
        "string",
        "b2b",
        "Industry or sector",
        "Secteur d'activité",
        example="industry = 'hospitality'",
    ),
    # storefront behaviour: visits change it without any ingest, so segments using it are
    # re-evaluated daily with the time-relative ones.
    Attribute(
        "last_seen_date",
        "date",
        "storefront",
        "Last day seen on the storefront",
        "Dernière visite sur la boutique",
        example="last_seen_date >= -7d",
        time_relative=True,
    ),
    Attribute(
        "page_views",
        "integer",
        "storefront",
        "Number of pages viewed (of a category or product, in a period)",
        "Nombre de pages vues (d'une catégorie ou d'un produit, sur une période)",
        parameters=(
            Parameter("category", "string", "product category", "catégorie de produit"),
            Parameter("product_id", "string", "the platform's product id", "id du produit"),
            SINCE,
            UNTIL,
        ),
        at_most_one_of=("category", "product_id"),
        time_relative=True,
        operators=("=", "!=", ">", ">=", "<", "<=", "BETWEEN", "IN"),
        example="page_views(category: 'Chocolat noir', since: -30d) >= 3",
    ),
    Attribute(
        "campaign_events",
        "integer",
        "storefront",
        "Number of times a campaign was shown to, clicked, submitted or closed by the "
        "customer (in a period)",
        "Nombre d'affichages, de clics, d'envois ou de fermetures d'une campagne par le "
        "client (sur une période)",
        parameters=(
            Parameter("campaign", "string", "the campaign's id", "l'id de la campagne"),
            Parameter("type", "string", "which event", "quel événement", CAMPAIGN_EVENT_TYPES),
            SINCE,
            UNTIL,
        ),
        required=("campaign",),
        time_relative=True,
        operators=("=", "!=", ">", ">=", "<", "<=", "BETWEEN", "IN"),
        example="campaign_events(campaign: 'k3Jd9aQ2xY7b', type: 'click', since: -30d) >= 1",
    ),
)

# `attributes.<key>`: declared preferences, compared as text.
DECLARED = Attribute(
    "attributes.",
    "string",
    "preferences",
    "A declared preference: attributes.<key>, compared as text",
    "Une préférence déclarée : attributes.<clé>, comparée comme du texte",
    example="attributes.favorite_chocolate = 'dark'",
)

BY_NAME = {attribute.name: attribute for attribute in ATTRIBUTES}


def find(name: str) -> Attribute | None:
    if name.startswith("attributes.") and len(name) > len("attributes."):
        return DECLARED
    return BY_NAME.get(name)


def names() -> list[str]:
    return [attribute.name for attribute in ATTRIBUTES] + ["attributes.<key>"]


def catalog_json() -> list[dict]:
    """The catalogue for the editor's autocomplete and the API."""
    result = []
    for attribute in (*ATTRIBUTES, DECLARED):
        result.append(
            {
                "name": "attributes.<key>" if attribute is DECLARED else attribute.name,
                "type": attribute.type,
                "group": attribute.group,
                "operators": list(attribute.operators),
                "values": list(attribute.values),
                "values_enforced": attribute.type == "enum",
                "parameters": [
                    {
                        "name": p.name,
                        "type": p.type,
                        "values": list(p.values),
                        "description": {"en": p.en, "fr": p.fr},
                    }
                    for p in attribute.parameters
                ],
                "required": list(attribute.required),
                "one_of": list(attribute.one_of),
                "time_relative": attribute.time_relative,
                "description": {"en": attribute.en, "fr": attribute.fr},
                "example": attribute.example,
            }
        )
    return result
