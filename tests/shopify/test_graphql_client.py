"""The GraphQL client against the emulator over real HTTP: retries (500, 429 with
Retry-After, connection errors), a 401 refreshed without losing a page, the cost throttle
waited out (THROTTLED with HTTP 200) and paced before the bucket runs dry."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from connectors.shopify import queries
from connectors.shopify.graphql import (
    GraphQLClient,
    ShopifyAuthError,
    ShopifyError,
    ShopifyQueryError,
    retry_after_seconds,
)

SHOP = "client-test.myshopify.com"


class Sleeps(list):
    """Records the waits and really waits (briefly), so throttle timing stays real."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        time.sleep(min(seconds, 0.5))


def refreshing_provider(emulator, tokens: dict, calls: list):
    """A token provider that refreshes over HTTP at the emulator's token endpoint."""

    def provide(force: bool) -> str:
        calls.append(force)
        if force:
            answer = requests.post(
                f"{emulator.admin_url(SHOP)}/admin/oauth/access_token",
                data={
                    "client_id": emulator.api_key,
                    "client_secret": emulator.api_secret,
                    "grant_type": "refresh_token",
                    "refresh_token": tokens["refresh_token"],
                },
                timeout=5,
            ).json()
            tokens.update(answer)
        return tokens["access_token"]

    return provide


def client_for(emulator, provider, **kwargs) -> GraphQLClient:
    return GraphQLClient(SHOP, provider, base_url=emulator.shop_base_url, **kwargs)


def all_customer_ids(client: GraphQLClient, page_size: int = 7) -> list[str]:
    ids, after = [], None
    while True:
        data = client.execute(
            queries.CUSTOMERS_PAGE, {"first": page_size, "after": after, "query": None}
        )
        connection = data["customers"]
        ids.extend(node["id"] for node in connection["nodes"])
        if not connection["pageInfo"]["hasNextPage"]:
            return ids
        after = connection["pageInfo"]["endCursor"]


def test_500_and_429_are_retried_honouring_retry_after(shopify_emulator):
    shopify_emulator.seed(SHOP, customers=5, orders=0)
    tokens = shopify_emulator.issue_tokens(SHOP)
    sleeps = Sleeps()
    client = client_for(shopify_emulator, lambda force: tokens["access_token"], sleep=sleeps)
    shopify_emulator.fail_next(500)
    shopify_emulator.fail_next(429, retry_after="0.3")
    shopify_emulator.fail_next(503, retry_after="0")
    assert len(all_customer_ids(client)) == 5
    statuses = [r["status"] for r in shopify_emulator.requests_to("graphql")]
    assert statuses[:4] == [500, 429, 503, 200]
    assert sleeps[1] == pytest.approx(0.3) and sleeps[2] == 0
    assert 0.2 < sleeps[0] < 1.0  # backoff when no Retry-After


def test_retries_give_up_with_the_reason(shopify_emulator):
    shopify_emulator.add_shop(SHOP)
    tokens = shopify_emulator.issue_tokens(SHOP)
    sleeps = Sleeps()
    client = client_for(
        shopify_emulator, lambda force: tokens["access_token"], sleep=sleeps, attempts=3
    )
    shopify_emulator.fail_next(502, times=3)
    with pytest.raises(ShopifyError, match="after 3 attempts: HTTP 502"):
        client.execute(queries.GRANTED_SCOPES)
    assert len(sleeps) == 2


def test_connection_errors_are_retried():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    client = GraphQLClient(
        SHOP, lambda force: "t", base_url=f"http://127.0.0.1:{port}", sleep=sleeps, attempts=3
    )
    with pytest.raises(ShopifyError, match="ConnectionError"):
        client.execute(queries.GRANTED_SCOPES)
    assert len(sleeps) == 2


def test_token_expiring_mid_pagination_is_refreshed_without_losing_a_page(shopify_emulator):
    shopify_emulator.seed(SHOP, customers=40, orders=0)
    tokens = shopify_emulator.issue_tokens(SHOP)
    calls: list = []
    client = client_for(shopify_emulator, refreshing_provider(shopify_emulator, tokens, calls))
    shopify_emulator.expire_tokens_after(SHOP, 3)
    ids = all_customer_ids(client)
    expected = sorted(c["id"] for c in shopify_emulator.data[SHOP]["customers"].values())
    assert sorted(ids) == expected and len(ids) == len(set(ids))
    assert calls == [False, True] and client.refreshes == 1
    statuses = [r["status"] for r in shopify_emulator.requests_to("graphql")]
    assert statuses.count(401) == 1
    assert statuses.index(401) == 3  # the fourth page, asked again with the new token


def test_a_token_refused_after_refresh_is_an_auth_error(shopify_emulator):
    shopify_emulator.add_shop(SHOP)
    calls: list = []

    def provide(force: bool) -> str:
        calls.append(force)
        return "shpat_revoked"

    with pytest.raises(ShopifyAuthError, match="refused even after a refresh"):
        client_for(shopify_emulator, provide).execute(queries.GRANTED_SCOPES)
    assert calls == [False, True]


def test_throttled_answer_is_waited_out(shopify_emulator):
    shopify_emulator.seed(SHOP, customers=30, orders=0)
    tokens = shopify_emulator.issue_tokens(SHOP)
    # An empty bucket refilled at 20 points a second: a 22-point query must wait about 1 s.
    shopify_emulator.set_bucket(SHOP, maximum=400, restore_rate=20, available=0)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    client = client_for(shopify_emulator, lambda force: tokens["access_token"], sleep=sleep)
    data = client.execute(queries.CUSTOMERS_PAGE, {"first": 20, "after": None, "query": None})
    assert len(data["customers"]["nodes"]) == 20
    assert client.throttled == len(waits) >= 1
    # (requested - currently available) / restore rate, plus a small margin.
    assert 0.05 < waits[0] <= 22 / 20 + 0.05
    statuses = [r["status"] for r in shopify_emulator.requests_to("graphql")]
    assert statuses[0] == "throttled" and statuses[-1] == 200


def test_queries_are_paced_before_the_bucket_runs_dry(shopify_emulator):
    shopify_emulator.seed(SHOP, customers=300, orders=0)
    tokens = shopify_emulator.issue_tokens(SHOP)
    shopify_emulator.set_bucket(SHOP, maximum=300, restore_rate=300)
    client = client_for(shopify_emulator, lambda force: tokens["access_token"], sleep=time.sleep)
    for _ in range(4):  # 252 points each, from a 300-point bucket refilled at 300/s
        client.execute(queries.CUSTOMERS_PAGE, {"first": 250, "after": None, "query": None})
    assert client.throttled == 0
    assert "throttled" not in [r["status"] for r in shopify_emulator.requests_to("graphql")]
    assert client.paced_seconds > 0


def test_a_query_costing_too_much_is_a_query_error(shopify_emulator):
    shopify_emulator.add_shop(SHOP)
    tokens = shopify_emulator.issue_tokens(SHOP)
    client = client_for(shopify_emulator, lambda force: tokens["access_token"])
    too_much = "{ orders(first: 250) { nodes { id lineItems(first: 250) { nodes { id } } } } }"
    with pytest.raises(ShopifyQueryError, match="MAX_COST_EXCEEDED"):
        client.execute(too_much)
    with pytest.raises(ShopifyQueryError, match="doesn't exist on type 'Customer'"):
        client.execute("{ customers(first: 1) { nodes { id favouriteChocolate } } }")


def test_retry_after_reads_seconds_and_dates():
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
