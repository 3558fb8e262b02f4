"""`cible shop secret DOMAIN`: what the merchant pastes into the plugin."""

from sync.identity import shop_signing_secret


def test_prints_public_id_and_secret(cli_runner, shop, settings):
    result = cli_runner("shop", "secret", shop.domain)
    assert result.exit_code == 0, result.output
    assert f"public id:      {shop.public_id}" in result.output
    assert f"signing secret: {shop_signing_secret(settings, shop.public_id)}" in result.output


def test_unknown_shop_is_a_clear_error(cli_runner, shop):
    result = cli_runner("shop", "secret", "nowhere.example")
    assert result.exit_code != 0 and "no shop with domain nowhere.example" in result.output
