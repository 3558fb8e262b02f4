"""`cible campaign`: create from JSON, list, status, results."""

from __future__ import annotations

import json

from tests.storefront.conftest import popup


def test_create_list_status_results(cli_runner, shop, tmp_path):
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(popup("Depuis la ligne de commande")))
    created = cli_runner("campaign", "create", "--shop", shop.domain, str(path), "--live")
    assert created.exit_code == 0, created.output
    campaign_id = created.output.strip().splitlines()[-1]
    listed = cli_runner("campaign", "list", "--shop", shop.domain)
    assert campaign_id in listed.output and "live" in listed.output
    paused = cli_runner("campaign", "status", "--shop", shop.domain, campaign_id, "paused")
    assert paused.exit_code == 0
    results = cli_runner("campaign", "results", "--shop", shop.domain, campaign_id)
    assert results.exit_code == 0 and "Not enough data yet" in results.output
    as_json = cli_runner("campaign", "results", "--shop", shop.domain, campaign_id, "--json")
    assert json.loads(as_json.output)["campaign"] == campaign_id
    shown = cli_runner("campaign", "show", "--shop", shop.domain, campaign_id)
    assert json.loads(shown.output)["status"] == "paused"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x", "kind": "popup"}))
    refused = cli_runner("campaign", "create", "--shop", shop.domain, str(bad))
    assert refused.exit_code != 0 and "variants" in refused.output
    assert cli_runner("campaign", "show", "--shop", shop.domain, "nope").exit_code != 0


def test_public_ids_never_read_as_command_line_options():
    from sync.store import new_public_id

    ids = [new_public_id() for _ in range(2000)]
    assert all(len(i) == 16 and i[0].isalnum() for i in ids)
    assert len(set(ids)) == len(ids)
