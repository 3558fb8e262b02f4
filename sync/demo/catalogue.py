"""The demo shop's catalogue: a Nantes chocolatier that also sells coffee, machines and tea.

Prices are in euros, as on the shop's pages. Coffee machines say which consumable they take
(`capsules` or `grains`): a customer who buys one buys that consumable more afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from connectors import records
from sync.demo.people import ascii_slug

DARK = "Chocolat noir"
MILK = "Chocolat au lait"
WHITE = "Chocolat blanc"
PRALINES = "Pralinés"
BOXES = "Coffrets"
MACHINES = "Machines à café"
CAPSULES = "Capsules"
BEANS = "Café en grains"
TEAS = "Thés"
ACCESSORIES = "Accessoires"

CATEGORIES = (DARK, MILK, WHITE, PRALINES, BOXES, MACHINES, CAPSULES, BEANS, TEAS, ACCESSORIES)
CHOCOLATE_CATEGORIES = frozenset((DARK, MILK, WHITE, PRALINES, BOXES))
SKU_PREFIX = {
    DARK: "CN",
    MILK: "CL",
    WHITE: "CB",
    PRALINES: "PR",
    BOXES: "CO",
    MACHINES: "MC",
    CAPSULES: "CA",
    BEANS: "CG",
    TEAS: "TH",
    ACCESSORIES: "AC",
}

HOUSE = "Atelier Cacao Nantais"
ROASTER = "Brûlerie de l'Erdre"


@dataclass(frozen=True, slots=True)
class Item:
    title: str
    category: str
    vendor: str
    price: str
    tags: tuple[str, ...] = ()
    # For coffee machines: what the machine consumes ("capsules" or "grains").
    takes: str | None = None
    status: str = "active"


# Within a category, earlier items sell more (the shop's best sellers come first).
# fmt: off
ITEMS = (
    Item("Tablette Noir 70 % Pérou", DARK, HOUSE, "6.90", ("pure-origine",)),
    Item("Tablette Noir 85 % Équateur", DARK, HOUSE, "7.20", ("pure-origine",)),
    Item("Tablette Noir Fleur de sel de Guérande", DARK, HOUSE, "6.50", ("local",)),
    Item("Tablette Noir 64 % Madagascar", DARK, "Valrhona", "5.90", ("pure-origine",)),
    Item("Tablette Noir 75 % Tanzanie", DARK, "Bonnat", "7.50", ("pure-origine",)),
    Item("Orangettes confites 200 g", DARK, HOUSE, "14.90"),
    Item("Mendiants noirs 150 g", DARK, HOUSE, "11.50"),
    Item("Tablette Noir 100 % Pur cacao", DARK, "Michel Cluizel", "6.80", ("sans-sucre",)),
    Item("Tablette Noir Éclats de fèves", DARK, HOUSE, "6.90"),
    Item("Tablette Noir Gingembre confit", DARK, HOUSE, "6.90"),
    Item("Tablette Noir 72 % Bio Saint-Domingue", DARK, "Bonnat", "7.90", ("bio",)),
    Item("Tablette Lait Caramel beurre salé", MILK, HOUSE, "6.50", ("local",)),
    Item("Tablette Lait 40 % Java", MILK, "Valrhona", "5.90"),
    Item("Tablette Lait Noisettes entières", MILK, HOUSE, "6.90"),
    Item("Rochers lait 180 g", MILK, HOUSE, "12.90"),
    Item("Oursons guimauve lait 200 g", MILK, HOUSE, "9.90", ("enfants",)),
    Item("Tablette Lait 46 % Ghana", MILK, "Michel Cluizel", "6.20"),
    Item("Tablette Lait Crêpe dentelle", MILK, HOUSE, "6.90", ("local",)),
    Item("Tablette Lait Amandes caramélisées", MILK, HOUSE, "6.90"),
    Item("Tablette Blanc Vanille Bourbon", WHITE, HOUSE, "6.20"),
    Item("Tablette Blanc Framboise", WHITE, HOUSE, "6.50"),
    Item("Tablette Blond Dulcey", WHITE, "Valrhona", "6.40"),
    Item("Tablette Blanc Citron vert", WHITE, HOUSE, "6.50"),
    Item("Tablette Blanc Matcha", WHITE, HOUSE, "6.90"),
    Item("Ballotin pralinés 250 g", PRALINES, HOUSE, "19.50"),
    Item("Ballotin pralinés 500 g", PRALINES, HOUSE, "36.00"),
    Item("Muscadines nantaises 200 g", PRALINES, HOUSE, "17.90", ("local",)),
    Item("Truffes nature 200 g", PRALINES, HOUSE, "15.90"),
    Item("Pralinés noisette du Piémont 250 g", PRALINES, HOUSE, "21.00"),
    Item("Ballotin pralinés 1 kg", PRALINES, HOUSE, "68.00"),
    Item("Gianduja à l'ancienne 200 g", PRALINES, HOUSE, "14.50"),
    Item("Rochers praliné 250 g", PRALINES, HOUSE, "16.90"),
    Item("Amandes et noisettes enrobées 250 g", PRALINES, HOUSE, "15.50"),
    Item("Coffret Découverte Grands crus", BOXES, HOUSE, "29.00"),
    Item("Coffret Noël Prestige 48 pièces", BOXES, HOUSE, "59.00", ("noël",)),
    Item("Calendrier de l'Avent", BOXES, HOUSE, "34.90", ("noël",)),
    Item("Coffret Fête des mères", BOXES, HOUSE, "39.00", ("fête-des-mères",)),
    Item("Coffret Cœurs Saint-Valentin", BOXES, HOUSE, "24.90", ("saint-valentin",)),
    Item("Coffret Pâques Œufs et friture", BOXES, HOUSE, "27.50", ("pâques",)),
    Item("Coffret Café et chocolat", BOXES, HOUSE, "44.00"),
    Item("Coffret Thés et douceurs", BOXES, HOUSE, "38.00"),
    Item("Coffret Entreprise 24 pièces", BOXES, HOUSE, "32.00", ("b2b",)),
    Item("Coffret Entreprise 64 pièces", BOXES, HOUSE, "79.00", ("b2b",)),
    Item("Krups Inissia", MACHINES, "Krups", "89.00", takes="capsules"),
    Item("Magimix Citiz", MACHINES, "Magimix", "149.00", takes="capsules"),
    Item("De'Longhi Lattissima One", MACHINES, "De'Longhi", "219.00", takes="capsules"),
    Item("De'Longhi Magnifica S", MACHINES, "De'Longhi", "399.00", takes="grains"),
    Item("Melitta Caffeo Solo", MACHINES, "Melitta", "329.00", takes="grains"),
    Item("Sage Barista Express", MACHINES, "Sage", "699.00", takes="grains"),
    Item("Jura E8", MACHINES, "Jura", "1099.00", takes="grains"),
    Item("Capsules Ristretto Intenso x10", CAPSULES, ROASTER, "3.90"),
    Item("Capsules Espresso Colombie x10", CAPSULES, ROASTER, "3.90"),
    Item("Capsules Lungo Forte x10", CAPSULES, ROASTER, "3.90"),
    Item("Capsules compostables Brésil x10", CAPSULES, ROASTER, "4.20", ("bio",)),
    Item("Capsules Éthiopie Yirgacheffe x10", CAPSULES, ROASTER, "4.50"),
    Item("Capsules Décaféiné x10", CAPSULES, ROASTER, "3.90"),
    Item("Capsules Vanille x10", CAPSULES, "Cafés Richard", "4.10"),
    Item("Capsules Caramel x10", CAPSULES, "Cafés Richard", "4.10"),
    Item("Mélange Maison Espresso 1 kg", BEANS, ROASTER, "24.00"),
    Item("Éthiopie Sidamo 250 g", BEANS, ROASTER, "9.80", ("pure-origine",)),
    Item("Colombie Huila 250 g", BEANS, ROASTER, "9.20", ("pure-origine",)),
    Item("Brésil Cerrado 1 kg", BEANS, ROASTER, "21.00"),
    Item("Guatemala Antigua 250 g", BEANS, ROASTER, "10.50"),
    Item("Pérou Bio 250 g", BEANS, ROASTER, "9.90", ("bio",)),
    Item("Décaféiné Mexique 250 g", BEANS, ROASTER, "9.50"),
    Item("Moka d'Éthiopie 250 g", BEANS, ROASTER, "11.90"),
    Item("Earl Grey Bergamote 100 g", TEAS, "Dammann Frères", "9.50"),
    Item("Thé vert Sencha 100 g", TEAS, "Palais des Thés", "10.50"),
    Item("Rooibos Vanille 100 g", TEAS, "Dammann Frères", "8.90"),
    Item("Thé de Noël 100 g", TEAS, "Kusmi Tea", "12.90", ("noël",)),
    Item("Darjeeling Première récolte 100 g", TEAS, "Palais des Thés", "16.50"),
    Item("Thé au jasmin 100 g", TEAS, "Dammann Frères", "9.90"),
    Item("Thé noir Assam 100 g", TEAS, "Kusmi Tea", "8.50"),
    Item("Infusion Verveine menthe 50 g", TEAS, "Palais des Thés", "7.20"),
    Item("Chocolat chaud à l'ancienne 250 g", ACCESSORIES, HOUSE, "12.50"),
    Item("Tasses espresso x2", ACCESSORIES, HOUSE, "18.00"),
    Item("Moulin à café manuel", ACCESSORIES, "Hario", "45.00"),
    Item("Mousseur à lait", ACCESSORIES, "Aeroccino", "69.00"),
    Item("Boîte à thé métal", ACCESSORIES, HOUSE, "12.00"),
    Item("Théière en fonte 0,8 L", ACCESSORIES, "Théières du Japon", "39.00"),
    Item("Détartrant machine à café", ACCESSORIES, "Durgol", "9.90"),
    Item("Calendrier de l'Avent 2021", BOXES, HOUSE, "32.00", ("noël",), status="archived"),
)
# fmt: on


@dataclass(frozen=True, slots=True)
class Product:
    """A catalogue item with its stable demo identity (external id, SKU) and Decimal price."""

    index: int
    external_id: str
    sku: str
    slug: str
    item: Item
    price: Decimal
    # Popularity weight within its category (best sellers first).
    weight: float = field(default=1.0)

    @property
    def category(self) -> str:
        return self.item.category

    @property
    def title(self) -> str:
        return self.item.title

    @property
    def vendor(self) -> str:
        return self.item.vendor


def _products() -> tuple[Product, ...]:
    made = []
    rank_in_category: dict[str, int] = {}
    for index, item in enumerate(ITEMS):
        rank = rank_in_category.get(item.category, 0)
        rank_in_category[item.category] = rank + 1
        made.append(
            Product(
                index=index,
                external_id=f"P{index + 1:04d}",
                sku=f"{SKU_PREFIX[item.category]}-{index + 1:04d}",
                slug=ascii_slug(item.title, "-"),
                item=item,
                price=Decimal(item.price),
                weight=0.0 if item.status != "active" else 1.0 / (rank + 1) ** 0.6,
            )
        )
    return tuple(made)


PRODUCTS = _products()


def by_category() -> dict[str, tuple[Product, ...]]:
    """Sellable products of each category, best sellers first."""
    grouped: dict[str, list[Product]] = {category: [] for category in CATEGORIES}
    for product in PRODUCTS:
        if product.weight > 0:
            grouped[product.category].append(product)
    return {category: tuple(items) for category, items in grouped.items()}


def product_records(domain: str, anchor: datetime) -> list[records.Product]:
    """The catalogue as neutral records; dates are fixed offsets from the demo's anchor."""
    made = []
    for product in PRODUCTS:
        created = anchor - timedelta(days=1500 - 9 * product.index, hours=product.index % 7)
        made.append(
            records.Product(
                external_id=product.external_id,
                title=product.title,
                sku=product.sku,
                category=product.category,
                vendor=product.vendor,
                price=product.price,
                status=product.item.status,
                url=f"https://{domain}/produits/{product.slug}",
                image_url=f"https://{domain}/images/produits/{product.slug}.jpg",
                tags=list(product.item.tags),
                created_at=created,
                updated_at=anchor - timedelta(days=1 + product.index % 30),
            )
        )
    return made
