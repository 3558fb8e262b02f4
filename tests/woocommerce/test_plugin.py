"""The WordPress plugin, checked with the real PHP binary: every file parses (`php -l`), the
header declares what WordPress and WooCommerce read, and the plugin's signatures are the
ones Cible verifies (sync/identity.py)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from sync.identity import push_is_signed, shop_signing_secret, verified_customer_id
from sync.settings import Settings

PLUGIN = Path(__file__).resolve().parents[2] / "manifests" / "woocommerce" / "cible"
PHP = shutil.which("php") or "/usr/bin/php"
SETTINGS = Settings(secret_key="s" * 48)

needs_php = pytest.mark.skipif(not Path(PHP).exists(), reason="php-cli is not installed")


def php_files() -> list[Path]:
    return sorted(PLUGIN.rglob("*.php"))


@needs_php
@pytest.mark.parametrize("path", php_files(), ids=lambda p: str(p.relative_to(PLUGIN)))
def test_every_php_file_parses(path):
    result = subprocess.run([PHP, "-l", str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_plugin_header_and_files():
    main = (PLUGIN / "cible.php").read_text()
    for header in (
        "Plugin Name: ",
        "Requires Plugins: ",
        "WC requires at least: ",
        "Requires at least: ",
        "Requires PHP: ",
        "Version: ",
    ):
        assert re.search(rf"^ \* {re.escape(header)}\s*\S", main, re.M), header
    assert re.search(r"Requires Plugins:\s+woocommerce\b", main)
    assert "declare_compatibility( 'custom_order_tables', __FILE__, true )" in main
    assert "'before_woocommerce_init'" in main
    storefront = (PLUGIN / "includes" / "class-cible-storefront.php").read_text()
    assert "'strategy'  => 'defer'" in storefront and "window.cibleSettings" in storefront
    cart = (PLUGIN / "includes" / "class-cible-cart.php").read_text()
    for hook in ("woocommerce_add_to_cart", "woocommerce_cart_updated"):
        assert f"'{hook}'" in cart
    assert "'blocking'    => false" in cart
    readme = (PLUGIN / "readme.txt").read_text()
    assert readme.startswith("=== Cible ===")
    for section in ("== Description ==", "== Installation ==", "== Changelog =="):
        assert section in readme
    assert "Stable tag: 0.1.0" in readme
    assert "WP_UNINSTALL_PLUGIN" in (PLUGIN / "uninstall.php").read_text()


HARNESS = """<?php
define('ABSPATH', __DIR__ . '/');
require %(signing)s;
$input = json_decode(stream_get_contents(STDIN), true);
$identity = cible_sign_identity($input['public_id'], $input['customer_id'], $input['ts'],
                                $input['secret']);
$headers = cible_push_headers($input['body'], $input['ts'], $input['secret']);
echo json_encode(array('identity' => $identity, 'headers' => $headers));
"""


@needs_php
def test_the_plugins_signatures_verify_in_python(tmp_path):
    harness = tmp_path / "harness.php"
    harness.write_text(HARNESS % {"signing": repr(str(PLUGIN / "includes" / "signing.php"))})
    public_id = "Xb3-q_shop"
    secret = shop_signing_secret(SETTINGS, public_id)
    now = int(time.time())
    body = json.dumps({"topic": "cible.cart", "event_id": "é1", "cart": {"id": "c"}})
    given = {"public_id": public_id, "customer_id": 42, "ts": now, "secret": secret, "body": body}
    result = subprocess.run(
        [PHP, str(harness)], input=json.dumps(given), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    signed = json.loads(result.stdout)

    identity = signed["identity"]
    assert identity["customer_id"] == "42" and identity["ts"] == now
    assert verified_customer_id(SETTINGS, public_id, identity, now=now) == "42"
    # Another shop's secret, or an edited id, verifies as nobody.
    assert verified_customer_id(SETTINGS, "another", identity, now=now) is None
    assert (
        verified_customer_id(SETTINGS, public_id, {**identity, "customer_id": "43"}, now=now)
        is None
    )

    headers = signed["headers"]
    raw = body.encode()
    assert push_is_signed(
        SETTINGS,
        public_id,
        raw,
        headers["X-Cible-Timestamp"],
        headers["X-Cible-Signature"],
        now=now,
    )
    assert not push_is_signed(
        SETTINGS,
        public_id,
        raw + b" ",
        headers["X-Cible-Timestamp"],
        headers["X-Cible-Signature"],
        now=now,
    )
