"""The PrestaShop module's PHP, checked by the real PHP binary: syntax, and that what it
signs is what Cible verifies (identity and pushes), including a push sent by PHP itself."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from sync.identity import push_is_signed, shop_signing_secret, verified_customer_id
from sync.store import Cart, Shop, WebhookDelivery
from tests.prestashop.conftest import connect_form

PHP = shutil.which("php") or "/usr/bin/php"
MODULE = Path(__file__).resolve().parents[2] / "manifests" / "prestashop" / "cible"

pytestmark = pytest.mark.skipif(
    not Path(PHP).exists(), reason="php-cli is needed (Debian: apt-get install php-cli)"
)


def php(script: str, *args: str) -> str:
    """Run a PHP snippet (with the module's classes folder at hand) and return its output."""
    result = subprocess.run(
        [PHP, "-d", "display_errors=stderr", "-r", script, "--", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=MODULE,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_php_file_is_valid_php():
    files = sorted(MODULE.rglob("*.php"))
    assert {f.name for f in files} >= {"cible.php", "CibleSigner.php", "CiblePusher.php",
                                       "index.php"}  # fmt: skip
    for path in files:
        result = subprocess.run([PHP, "-l", str(path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{path}: {result.stdout}{result.stderr}"


def test_every_folder_has_its_index_guard_and_the_module_its_manifest():
    for folder in [MODULE, *[p for p in MODULE.rglob("*") if p.is_dir()]]:
        assert (folder / "index.php").is_file(), folder
    config = (MODULE / "config.xml").read_text()
    assert "<name>cible</name>" in config
    source = (MODULE / "cible.php").read_text()
    assert "class Cible extends Module" in source
    assert "ps_versions_compliancy" in source
    for hook in ("displayHeader", "actionFrontControllerSetMedia", "actionCartSave",
                 "actionValidateOrder", "actionCustomerAccountAdd"):  # fmt: skip
        assert f"registerHook('{hook}')" in source
    assert "'server' => 'remote'" in source and "Media::addJsDef" in source
    assert (MODULE / "logo.png").read_bytes().startswith(b"\x89PNG")


def test_the_identity_php_signs_is_the_one_cible_verifies(settings):
    public_id = "shopPublic_123"
    secret = shop_signing_secret(settings, public_id)
    out = php(
        "require 'classes/CibleSigner.php';"
        "echo json_encode(CibleSigner::identity($argv[1], $argv[2], $argv[3], (int) $argv[4]));",
        public_id, secret, "42", str(int(time.time())),
    )  # fmt: skip
    identity = json.loads(out)
    assert verified_customer_id(settings, public_id, identity) == "42"
    # Tampering with the customer id breaks it.
    assert verified_customer_id(settings, public_id, {**identity, "customer_id": "43"}) is None
    # The settings checks the configuration page relies on.
    checks = php(
        "require 'classes/CibleSigner.php';"
        "echo json_encode([CibleSigner::validSecret($argv[1]), CibleSigner::validSecret('xyz'),"
        " CibleSigner::validUrl('https://cible.example.com'), CibleSigner::validUrl('nope'),"
        " CibleSigner::validPublicId($argv[2]), CibleSigner::validPublicId('a b')]);",
        secret, public_id,
    )  # fmt: skip
    assert json.loads(checks) == [True, False, True, False, True, False]


def test_the_push_signature_php_makes_is_the_one_cible_verifies(settings):
    public_id = "shopPublic_123"
    secret = shop_signing_secret(settings, public_id)
    out = php(
        "require 'classes/CiblePusher.php';"
        "$body = CiblePusher::body('actionCartSave', 'cart', ['id' => '7', 'products' => []]);"
        "$headers = CibleSigner::pushHeaders($argv[1], $body);"
        "echo json_encode(['body' => $body, 'headers' => $headers]);",
        secret,
    )  # fmt: skip
    signed = json.loads(out)
    body = signed["body"].encode()
    headers = signed["headers"]
    assert push_is_signed(settings, public_id, body, headers["X-Cible-Timestamp"],
                          headers["X-Cible-Signature"])  # fmt: skip
    assert not push_is_signed(settings, public_id, body + b" ", headers["X-Cible-Timestamp"],
                              headers["X-Cible-Signature"])  # fmt: skip
    assert json.loads(body)["event"] == "actionCartSave" and len(json.loads(body)["event_id"]) == 32


def test_a_push_sent_by_the_php_pusher_is_ingested(live_server, db, settings, emulator):
    assert connect_form(live_server, emulator.url).status_code == 200
    shop = db.scalar(select(Shop).where(Shop.platform == "prestashop"))
    secret = shop_signing_secret(settings, shop.public_id)
    stamp = emulator.local(emulator.now())
    out = php(
        "require 'classes/CiblePusher.php';"
        "echo CiblePusher::send($argv[1], $argv[2], $argv[3], 'actionCartSave', 'cart', ["
        "'id' => '777', 'id_customer' => '9', 'currency' => 'EUR', 'date_add' => $argv[4],"
        "'date_upd' => $argv[4], 'products' => [['id_product' => '2', 'quantity' => '3',"
        "'price' => '4.20', 'name' => 'Tablette 2', 'reference' => 'CHOC-0002']]]);",
        live_server, shop.public_id, secret, stamp,
    )  # fmt: skip
    assert out.strip() == "200"
    db.expire_all()
    cart = db.scalar(select(Cart).where(Cart.external_id == "777"))
    assert cart.items_count == 3 and str(cart.value) == "12.60"
    assert db.scalar(select(WebhookDelivery.status)) == "done"


def test_the_php_pusher_gives_up_quickly_when_cible_does_not_answer():
    """A Cible that accepts the connection but never answers costs the shop ~2 s, no more."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        out = php(
            "require 'classes/CiblePusher.php';"
            "echo CiblePusher::send($argv[1], 'shopPublic_123', str_repeat('a', 64),"
            " 'actionCartSave', 'cart', ['id' => '1']);",
            url,
        )
        elapsed = time.monotonic() - started
    assert out.strip() == "0"
    assert elapsed < 6
