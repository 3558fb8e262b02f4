"""Bulk operations: start a bulk query, wait for it, stream its JSONL result to disk, read it.

A bulk query returns every object of a connection as one JSON object per line; the nodes of
a nested connection (an order's line items) come as their own lines carrying `__parentId`.
Since API 2026-01 lines are not grouped under their parent by default (grouping is slower
and fails more often on Shopify's side), so a child may come before its parent. Two ways to
put them back together, both here:
- `reassemble`: parents with their children attached, held in memory: for connections of
  modest size (products, checkouts);
- `parents` then `children`: two streaming passes over the downloaded file, so an order
  backfill of any size needs memory for one batch only; each child names its parent.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from connectors.shopify import queries
from connectors.shopify.graphql import GraphQLClient, ShopifyError, send_with_retries

log = logging.getLogger(__name__)

FINISHED = {"COMPLETED", "FAILED", "CANCELED", "EXPIRED"}
CHUNK = 1 << 20


class BulkOperationError(ShopifyError):
    """A bulk operation that Shopify refused to start, or that ended without results."""


@dataclass
class BulkOperation:
    id: str
    status: str
    object_count: int = 0
    root_object_count: int = 0
    url: str | None = None
    error_code: str | None = None


def start(client: GraphQLClient, query: str, *, attempts: int = 20, sleep=time.sleep) -> str:
    """Start a bulk query; waits while the shop's bulk slots are busy (OPERATION_IN_PROGRESS)."""
    for attempt in range(attempts):
        data = client.execute(queries.BULK_RUN, {"query": query})
        payload = data["bulkOperationRunQuery"]
        errors = payload.get("userErrors") or []
        if not errors and payload.get("bulkOperation"):
            return payload["bulkOperation"]["id"]
        busy = any(error.get("code") == "OPERATION_IN_PROGRESS" for error in errors)
        if not busy or attempt + 1 == attempts:
            messages = "; ".join(error.get("message", "") for error in errors)
            raise BulkOperationError(client.shop, f"bulk query refused: {messages}", errors=errors)
        sleep(min(2 + attempt, 10))
    raise BulkOperationError(client.shop, "bulk query could not start")


def status(client: GraphQLClient, operation_id: str) -> BulkOperation:
    node = client.execute(queries.BULK_STATUS, {"id": operation_id})["node"]
    if node is None:
        raise BulkOperationError(client.shop, f"bulk operation {operation_id} not found")
    return BulkOperation(
        id=node["id"],
        status=node["status"],
        object_count=int(node.get("objectCount") or 0),
        root_object_count=int(node.get("rootObjectCount") or 0),
        url=node.get("url"),
        error_code=node.get("errorCode"),
    )


def wait(
    client: GraphQLClient,
    operation_id: str,
    *,
    timeout: float = 6 * 3600,
    interval: float = 0.05,
    max_interval: float = 2.0,
    on_poll: Callable[[BulkOperation], None] | None = None,
    sleep=time.sleep,
) -> BulkOperation:
    """Poll until the operation finishes; the interval grows from `interval` to `max_interval`
    (a bulk query of a big shop runs for minutes; a small one in a second)."""
    deadline = time.monotonic() + timeout
    while True:
        operation = status(client, operation_id)
        if on_poll is not None:
            on_poll(operation)
        if operation.status in FINISHED:
            if operation.status != "COMPLETED":
                raise BulkOperationError(
                    client.shop,
                    f"bulk operation {operation_id} ended {operation.status}"
                    f" ({operation.error_code or 'no error code'})",
                )
            return operation
        if time.monotonic() > deadline:
            raise BulkOperationError(client.shop, f"bulk operation {operation_id} timed out")
        sleep(interval)
        interval = min(interval * 1.5, max_interval)


def download(client: GraphQLClient, url: str | None, directory: str | None = None) -> str:
    """Stream the JSONL result into a temporary file (deleted by the caller); no URL (an
    operation that found nothing) gives an empty file."""
    handle, path = tempfile.mkstemp(prefix="shopify-bulk-", suffix=".jsonl", dir=directory)
    with os.fdopen(handle, "wb") as out:
        if url:
            response = send_with_retries(
                client.session, "GET", url, shop=client.shop, sleep=client.sleep, stream=True
            )
            with response:
                if response.status_code != 200:
                    raise BulkOperationError(
                        client.shop, f"bulk result download answered HTTP {response.status_code}"
                    )
                for chunk in response.iter_content(CHUNK):
                    out.write(chunk)
    return path


def run(client: GraphQLClient, query: str, *, on_poll=None, directory: str | None = None):
    """Start, wait and download: (the finished operation, the path of its JSONL file)."""
    operation_id = start(client, query, sleep=client.sleep)
    operation = wait(client, operation_id, on_poll=on_poll, sleep=client.sleep)
    return operation, download(client, operation.url, directory)


def read(path: str) -> Iterator[dict]:
    with open(path, "rb") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def parents(path: str) -> Iterator[dict]:
    """First pass: the top-level objects only."""
    with open(path, "rb") as lines:
        for line in lines:
            if line.strip() and b'"__parentId"' not in line:
                yield json.loads(line)


def children(path: str) -> Iterator[dict]:
    """Second pass: the nested nodes, each with its `__parentId`."""
    with open(path, "rb") as lines:
        for line in lines:
            if b'"__parentId"' in line:
                yield json.loads(line)


def reassemble(objects, child_key: str) -> list[dict]:
    """Parents (in file order) with their children attached under `child_key` as a
    connection (`{"nodes": [...]}`), whatever the order of the lines."""
    by_id: dict[str, dict] = {}
    ordered: list[dict] = []
    waiting: dict[str, list[dict]] = {}
    for item in objects:
        parent_id = item.pop("__parentId", None)
        if parent_id is None:
            item[child_key] = {"nodes": waiting.pop(item["id"], [])}
            by_id[item["id"]] = item
            ordered.append(item)
        elif parent_id in by_id:
            by_id[parent_id][child_key]["nodes"].append(item)
        else:
            waiting.setdefault(parent_id, []).append(item)
    if waiting:
        log.warning("bulk result: %d children whose parent is missing", len(waiting))
    return ordered
