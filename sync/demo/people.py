"""French names, e-mail domains and B2B companies for demo customers.

Lists are plain tuples so the generator can index them with one random number; the weights
of e-mail domains follow the rough market shares of French consumer mailboxes.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# fmt: off
FEMALE_FIRST_NAMES = (
    "Marie", "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Laura",
    "Pauline", "Clara", "Anaïs", "Mathilde", "Lucie", "Océane", "Élodie", "Charlotte", "Marine",
    "Justine", "Émilie", "Claire", "Sophie", "Isabelle", "Nathalie", "Sandrine", "Valérie",
    "Céline", "Stéphanie", "Christine", "Catherine", "Sylvie", "Véronique", "Martine",
    "Françoise", "Monique", "Nicole", "Brigitte", "Chantal", "Dominique", "Anne", "Hélène",
    "Caroline", "Aurélie", "Audrey", "Virginie", "Delphine", "Laetitia", "Sabrina", "Jessica",
    "Amandine", "Mélanie", "Morgane", "Alice", "Louise", "Jade", "Lina", "Rose", "Anna",
    "Mila", "Ambre", "Juliette", "Zoé", "Lola", "Romane", "Agathe", "Margaux", "Héloïse",
    "Capucine", "Apolline", "Adèle", "Victoire", "Eva", "Nina", "Lou", "Elsa", "Gabrielle",
    "Maëlle", "Nolwenn", "Gwenaëlle", "Solène", "Coralie", "Ophélie", "Fanny", "Marion",
    "Estelle", "Noémie", "Agnès", "Jacqueline", "Danielle", "Colette", "Odile", "Bernadette",
    "Geneviève", "Annick", "Yvette", "Josiane", "Corinne", "Karine", "Patricia", "Florence",
    "Béatrice", "Laurence", "Élise",
)

MALE_FIRST_NAMES = (
    "Jean", "Pierre", "Michel", "Philippe", "Alain", "Nicolas", "Christophe", "Patrick",
    "Daniel", "Bernard", "Éric", "Laurent", "Frédéric", "Stéphane", "David", "Julien",
    "Sébastien", "Olivier", "Thierry", "Pascal", "François", "Jacques", "Christian", "Gérard",
    "Dominique", "Didier", "Bruno", "Denis", "Yves", "Marc", "Vincent", "Jérôme", "Franck",
    "Guillaume", "Thomas", "Alexandre", "Antoine", "Maxime", "Romain", "Mathieu", "Kévin",
    "Florian", "Benjamin", "Adrien", "Hugo", "Lucas", "Louis", "Gabriel", "Arthur", "Jules",
    "Raphaël", "Léo", "Adam", "Paul", "Nathan", "Ethan", "Théo", "Tom", "Noah", "Sacha",
    "Victor", "Martin", "Baptiste", "Clément", "Quentin", "Valentin", "Alexis", "Corentin",
    "Damien", "Cédric", "Fabrice", "Ludovic", "Arnaud", "Emmanuel", "Grégory", "Hervé",
    "Joël", "Gilles", "René", "Roger", "André", "Claude", "Henri", "Marcel", "Yann", "Loïc",
    "Erwan", "Gwenaël", "Ronan", "Tanguy", "Mathis", "Enzo", "Timothée", "Gaspard", "Aurélien",
    "Benoît", "Cyril", "Jean-Luc", "Jean-Marc", "Jean-Pierre", "Luc",
)

LAST_NAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand",
    "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
    "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier",
    "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin",
    "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas",
    "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc",
    "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte", "Lopez", "Jean", "Dupuy",
    "Guillot", "Hubert", "Berger", "Carpentier", "Sanchez", "Dupuis", "Moulin", "Louis",
    "Deschamps", "Huet", "Vasseur", "Perez", "Boucher", "Fleury", "Royer", "Klein", "Jacquet",
    "Adam", "Paris", "Poirier", "Marty", "Aubry", "Guyot", "Carré", "Charles", "Renault",
    "Charpentier", "Ménard", "Maillard", "Baron", "Bertin", "Bailly", "Hervé", "Schneider",
    "Fernandez", "Le Gall", "Collet", "Léger", "Bouvier", "Julien", "Prévost", "Millet",
    "Perrot", "Daniel", "Le Roux", "Cousin", "Germain", "Breton", "Besson", "Langlois",
    "Le Goff", "Tessier", "Le Bihan", "Guillou", "Kerboriou", "Le Floch", "Jégou",
)

# fmt: on

# (domain, weight): consumer mailboxes as French shoppers use them.
EMAIL_DOMAINS = (
    ("gmail.com", 38),
    ("orange.fr", 14),
    ("hotmail.fr", 9),
    ("yahoo.fr", 7),
    ("free.fr", 7),
    ("laposte.net", 5),
    ("sfr.fr", 5),
    ("outlook.fr", 5),
    ("wanadoo.fr", 4),
    ("icloud.com", 3),
    ("hotmail.com", 2),
    ("bbox.fr", 1),
)

# Sectors of B2B buyers, as the merchant labels them (customers.industry), with weights.
SECTORS = (
    ("Hôtellerie-restauration", 40),
    ("Cadeaux d'entreprise", 30),
    ("Commerce de détail", 18),
    ("Bureaux", 12),
)

# Company name patterns per sector; {last} is a family name, {place} a city.
COMPANY_PATTERNS = {
    "Hôtellerie-restauration": (
        "Hôtel {last}",
        "Grand Hôtel de {place}",
        "Restaurant Le {noun}",
        "Brasserie {last}",
        "Café du {noun}",
        "Auberge {last}",
        "Salon de thé {last}",
        "Hôtel Le {noun}",
    ),
    "Cadeaux d'entreprise": (
        "{last} Conseil",
        "Cabinet {last} & Associés",
        "{last} Immobilier",
        "Agence {last}",
        "{place} Événements",
        "Groupe {last}",
    ),
    "Commerce de détail": (
        "Épicerie fine {last}",
        "Cave {last}",
        "Comptoir de {place}",
        "Boulangerie {last}",
        "Maison {last}",
        "Primeur {last}",
    ),
    "Bureaux": (
        "{last} Informatique",
        "{last} Ingénierie",
        "Études {last}",
        "{place} Logistique",
        "{last} Expertise Comptable",
    ),
}

# fmt: off
COMPANY_NOUNS = (
    "Commerce", "Port", "Théâtre", "Marché", "Quai", "Château", "Jardin", "Pont", "Phare",
    "Passage", "Cèdre", "Lion d'Or", "Cheval Blanc", "Boulevard", "Moulin",
)
# fmt: on


@lru_cache(maxsize=4096)
def ascii_slug(text: str, separator: str = "") -> str:
    """Lower-case ASCII letters and digits only: names as they appear in e-mail addresses."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = "".join(c if c.isalnum() else " " for c in plain.lower()).split()
    return separator.join(words)
