"""French cities for demo addresses: postal codes, regions, real coordinates and population.

The demo shop is a chocolatier in Nantes, so Loire-Atlantique is over-represented (local
customers, a physical store) beside the big cities weighted by population. Several towns
lie within 30 km of Nantes (47.2184, -1.5536) for "lives near the shop" segments.
"""

from __future__ import annotations

from dataclasses import dataclass

NANTES = (47.2184, -1.5536)
# Weight multiplier for the shop's own département (its store and local reputation).
LOCAL_BOOST = 6.0
LOCAL_DEPARTMENT = "44"


@dataclass(frozen=True, slots=True)
class City:
    name: str
    postal_codes: tuple[str, ...]
    region: str
    latitude: float
    longitude: float
    # Inhabitants, in thousands (commune, rounded).
    population: int

    @property
    def is_local(self) -> bool:
        return self.postal_codes[0].startswith(LOCAL_DEPARTMENT)


def _arrondissements(prefix: str, count: int) -> tuple[str, ...]:
    """Postal codes of a city's arrondissements: 75001..75020, 69001..69009, 13001..13016."""
    width = 5 - len(prefix)
    return tuple(f"{prefix}{n:0{width}d}" for n in range(1, count + 1))


IDF = "Île-de-France"
ARA = "Auvergne-Rhône-Alpes"
PACA = "Provence-Alpes-Côte d'Azur"
OCC = "Occitanie"
NAQ = "Nouvelle-Aquitaine"
HDF = "Hauts-de-France"
GES = "Grand Est"
BRE = "Bretagne"
PDL = "Pays de la Loire"
CVL = "Centre-Val de Loire"
NOR = "Normandie"
BFC = "Bourgogne-Franche-Comté"
COR = "Corse"

# fmt: off
CITIES = (
    City("Paris", _arrondissements("75", 20), IDF, 48.8566, 2.3522, 2100),
    City("Boulogne-Billancourt", ("92100",), IDF, 48.8397, 2.2399, 120),
    City("Montreuil", ("93100",), IDF, 48.8638, 2.4485, 110),
    City("Saint-Denis", ("93200",), IDF, 48.9362, 2.3574, 113),
    City("Nanterre", ("92000",), IDF, 48.8924, 2.2071, 96),
    City("Versailles", ("78000",), IDF, 48.8049, 2.1204, 85),
    City("Vincennes", ("94300",), IDF, 48.8474, 2.4396, 50),
    City("Lyon", _arrondissements("690", 9), ARA, 45.7640, 4.8357, 520),
    City("Villeurbanne", ("69100",), ARA, 45.7719, 4.8902, 150),
    City("Grenoble", ("38000",), ARA, 45.1885, 5.7245, 158),
    City("Saint-Étienne", ("42000",), ARA, 45.4397, 4.3872, 173),
    City("Clermont-Ferrand", ("63000",), ARA, 45.7772, 3.0870, 147),
    City("Annecy", ("74000",), ARA, 45.8992, 6.1294, 130),
    City("Marseille", _arrondissements("130", 16), PACA, 43.2965, 5.3698, 870),
    City("Nice", ("06000", "06100", "06200", "06300"), PACA, 43.7102, 7.2620, 342),
    City("Toulon", ("83000", "83100", "83200"), PACA, 43.1242, 5.9280, 180),
    City("Aix-en-Provence", ("13090", "13100"), PACA, 43.5297, 5.4474, 145),
    City("Avignon", ("84000",), PACA, 43.9493, 4.8055, 91),
    City("Toulouse", ("31000", "31100", "31200", "31300", "31400", "31500"), OCC,
         43.6047, 1.4442, 500),
    City("Montpellier", ("34000", "34070", "34080", "34090"), OCC, 43.6108, 3.8767, 300),
    City("Nîmes", ("30000", "30900"), OCC, 43.8367, 4.3601, 148),
    City("Perpignan", ("66000", "66100"), OCC, 42.6887, 2.8948, 120),
    City("Bordeaux", ("33000", "33100", "33200", "33300", "33800"), NAQ, 44.8378, -0.5792, 260),
    City("Limoges", ("87000", "87100"), NAQ, 45.8336, 1.2611, 130),
    City("Poitiers", ("86000",), NAQ, 46.5802, 0.3404, 89),
    City("La Rochelle", ("17000",), NAQ, 46.1603, -1.1511, 77),
    City("Pau", ("64000",), NAQ, 43.2951, -0.3708, 75),
    City("Bayonne", ("64100",), NAQ, 43.4929, -1.4748, 52),
    City("Lille", ("59000", "59160", "59260", "59800"), HDF, 50.6292, 3.0573, 236),
    City("Amiens", ("80000", "80080", "80090"), HDF, 49.8941, 2.2958, 134),
    City("Roubaix", ("59100",), HDF, 50.6942, 3.1746, 98),
    City("Strasbourg", ("67000", "67100", "67200"), GES, 48.5734, 7.7521, 290),
    City("Reims", ("51100",), GES, 49.2583, 4.0317, 180),
    City("Metz", ("57000", "57050", "57070"), GES, 49.1193, 6.1757, 120),
    City("Nancy", ("54000", "54100"), GES, 48.6921, 6.1844, 105),
    City("Mulhouse", ("68100", "68200"), GES, 47.7508, 7.3359, 108),
    City("Rennes", ("35000", "35200", "35700"), BRE, 48.1173, -1.6778, 222),
    City("Brest", ("29200",), BRE, 48.3904, -4.4861, 140),
    City("Quimper", ("29000",), BRE, 47.9960, -4.1024, 63),
    City("Lorient", ("56100",), BRE, 47.7483, -3.3700, 57),
    City("Vannes", ("56000",), BRE, 47.6582, -2.7608, 54),
    City("Saint-Malo", ("35400",), BRE, 48.6493, -2.0257, 47),
    City("Nantes", ("44000", "44100", "44200", "44300"), PDL, 47.2184, -1.5536, 320),
    City("Saint-Herblain", ("44800",), PDL, 47.2122, -1.6497, 47),
    City("Rezé", ("44400",), PDL, 47.1833, -1.5500, 42),
    City("Saint-Sébastien-sur-Loire", ("44230",), PDL, 47.2081, -1.5022, 28),
    City("Orvault", ("44700",), PDL, 47.2711, -1.6225, 27),
    City("Vertou", ("44120",), PDL, 47.1689, -1.4697, 25),
    City("Carquefou", ("44470",), PDL, 47.2975, -1.4914, 20),
    City("Bouguenais", ("44340",), PDL, 47.1778, -1.6236, 20),
    City("Clisson", ("44190",), PDL, 47.0869, -1.2819, 7),
    City("Ancenis-Saint-Géréon", ("44150",), PDL, 47.3656, -1.1772, 11),
    City("Saint-Nazaire", ("44600",), PDL, 47.2735, -2.2138, 72),
    City("La Baule-Escoublac", ("44500",), PDL, 47.2867, -2.3906, 16),
    City("Pornic", ("44210",), PDL, 47.1158, -2.1036, 15),
    City("Guérande", ("44350",), PDL, 47.3281, -2.4292, 16),
    City("Angers", ("49000", "49100"), PDL, 47.4784, -0.5632, 155),
    City("Cholet", ("49300",), PDL, 47.0600, -0.8789, 54),
    City("Le Mans", ("72000", "72100"), PDL, 48.0061, 0.1996, 145),
    City("La Roche-sur-Yon", ("85000",), PDL, 46.6705, -1.4260, 55),
    City("Les Sables-d'Olonne", ("85100",), PDL, 46.4969, -1.7831, 48),
    City("Tours", ("37000", "37100", "37200"), CVL, 47.3941, 0.6848, 137),
    City("Orléans", ("45000", "45100"), CVL, 47.9030, 1.9093, 117),
    City("Rouen", ("76000", "76100"), NOR, 49.4432, 1.0999, 114),
    City("Le Havre", ("76600", "76610", "76620"), NOR, 49.4944, 0.1079, 167),
    City("Caen", ("14000",), NOR, 49.1829, -0.3707, 106),
    City("Dijon", ("21000",), BFC, 47.3220, 5.0415, 159),
    City("Besançon", ("25000",), BFC, 47.2378, 6.0241, 117),
    City("Ajaccio", ("20000", "20090"), COR, 41.9192, 8.7386, 72),
)
# fmt: on


def city_weight(city: City) -> float:
    """How likely a demo customer lives there: population, boosted around the shop."""
    return city.population * (LOCAL_BOOST if city.is_local else 1.0)
