"""Serving loader.js: versioned and immutable, ETag, gzip, 404 for unknown shops."""

from __future__ import annotations

import gzip
import os

import requests

from plugin_app.storefront.loader import LOADER_PATH, loader_file, loader_url

SCRIPT = b"(function(){window.Cible={version:'test'};})();\n" + b"// padding\n" * 200


def test_versioned_urls_are_immutable_and_etags_save_bytes(app, live_server, shop, tmp_path):
    path = tmp_path / "loader.js"
    path.write_bytes(SCRIPT)
    app.config["CIBLE_STOREFRONT_LOADER"] = str(path)
    version = loader_file(path).version
    url = f"{live_server}/storefront/v1/{shop.public_id}/loader.js"

    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert plain.status_code == 200 and plain.content == SCRIPT
    assert plain.headers["Content-Type"].startswith("application/javascript")
    assert plain.headers["Cache-Control"] == "public, max-age=300"
    assert plain.headers["ETag"] == f'"{version}"'

    versioned = requests.get(
        f"{url}?v={version}", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10
    )
    raw = versioned.raw.read()
    assert versioned.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(raw) == SCRIPT and len(raw) < len(SCRIPT)
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in versioned.headers["Vary"]

    stale = requests.get(f"{url}?v=0000", timeout=10)
    assert stale.headers["Cache-Control"] == "public, max-age=300"
    again = requests.get(url, headers={"If-None-Match": f'"{version}"'}, timeout=10)
    assert again.status_code == 304 and not again.content

    # A new release changes the version (the file is re-read when it changes).
    path.write_bytes(SCRIPT + b"//v2\n")
    os.utime(path, (1, 1))
    assert loader_file(path).version != version

    missing = requests.get(f"{live_server}/storefront/v1/nope/loader.js", timeout=10)
    assert missing.status_code == 404


def test_the_script_url_carries_the_current_version():
    found = loader_file(LOADER_PATH)
    url = loader_url("https://cible.example/", "abc")
    if found is None:  # the script is built by the storefront script's author
        assert url == "https://cible.example/storefront/v1/abc/loader.js"
    else:
        assert url == f"https://cible.example/storefront/v1/abc/loader.js?v={found.version}"
