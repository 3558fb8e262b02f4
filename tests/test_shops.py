from sqlalchemy import func, select, text

from sync.secrets import SecretBox
from sync.shops import read_credentials, store_credentials
from sync.store import Customer, Order, Shop


def test_shop_add_list_remove(cli_runner, db):
    result = cli_runner(
        "shop",
        "add",
        "--platform",
        "woocommerce",
        "--domain",
        "https://Boutique.Example.fr/",
        "--timezone",
        "Europe/Paris",
        "--currency",
        "eur",
    )
    assert result.exit_code == 0, result.output
    assert "added boutique.example.fr (woocommerce, Europe/Paris, EUR)" in result.output

    listed = cli_runner("shop", "list")
    assert "boutique.example.fr\twoocommerce\tEurope/Paris\tEUR\tinstalled\t0 customers" in (
        listed.output
    )

    duplicate = cli_runner("shop", "add", "--platform", "csv", "--domain", "boutique.example.fr")
    assert duplicate.exit_code != 0
    assert "already exists" in duplicate.output

    removed = cli_runner("shop", "remove", "boutique.example.fr", "--yes")
    assert removed.exit_code == 0, removed.output
    assert db.scalar(select(func.count()).select_from(Shop)) == 0


def test_shop_add_refuses_unknown_time_zone_and_currency(cli_runner):
    bad_zone = cli_runner(
        "shop", "add", "--platform", "csv", "--domain", "a.example", "--timezone", "Europe/Nantes"
    )
    assert bad_zone.exit_code != 0 and "unknown time zone 'Europe/Nantes'" in bad_zone.output
    bad_currency = cli_runner(
        "shop", "add", "--platform", "csv", "--domain", "a.example", "--currency", "EURO"
    )
    assert bad_currency.exit_code != 0 and "ISO 4217" in bad_currency.output


def test_remove_asks_for_confirmation_and_erases_only_that_shop(cli_runner, db, shop):
    from sync.shops import create_shop

    other = create_shop(db, platform="csv", domain="other.example")
    for owner in (shop, other):
        customer = Customer(shop_id=owner.id, external_id="c1", tags=[], attributes={})
        db.add(customer)
        db.flush()
        db.add(
            Order(
                shop_id=owner.id,
                external_id="o1",
                customer_id=customer.id,
                created_at=shop.created_at,
                created_date=shop.created_at.date(),
            )
        )
    db.commit()

    declined = cli_runner("shop", "remove", shop.domain, input="n\n")
    assert declined.exit_code != 0
    assert db.scalar(select(func.count()).select_from(Customer)) == 2

    accepted = cli_runner("shop", "remove", shop.domain, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    db.expire_all()
    assert db.scalars(select(Customer.shop_id)).all() == [other.id]
    assert db.scalars(select(Order.shop_id)).all() == [other.id]

    missing = cli_runner("shop", "remove", "nowhere.example", "--yes")
    assert missing.exit_code != 0 and "no shop with domain nowhere.example" in missing.output


def test_credentials_are_encrypted_at_rest(db, shop, settings):
    box = SecretBox.from_settings(settings)
    store_credentials(shop, box, {"consumer_secret": "cs_secret_value"})
    db.commit()
    raw = db.execute(text("SELECT credentials FROM shops WHERE id = :id"), {"id": shop.id}).scalar()
    assert "cs_secret_value" not in raw
    db.expire_all()
    assert read_credentials(db.get(Shop, shop.id), box) == {"consumer_secret": "cs_secret_value"}
