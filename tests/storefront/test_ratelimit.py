"""Rate limits: token buckets in memory, and shared through a real Redis."""

from __future__ import annotations

import secrets
import time

from plugin_app.storefront.ratelimit import Limit, MemoryBuckets, RateLimiter


def test_memory_buckets_allow_a_burst_then_the_rate():
    limiter = RateLimiter(limits={"decide": Limit(burst=5, rate=50.0)})
    who = secrets.token_hex(8)
    assert [limiter.allow("decide", "shop", who) for _ in range(6)] == [True] * 5 + [False]
    time.sleep(0.05)  # 50/s: about two tokens back
    assert limiter.allow("decide", "shop", who)
    assert limiter.allow("decide", "shop", "someone else")
    assert limiter.allow("decide", "another shop", who)


def test_memory_buckets_stay_bounded(monkeypatch):
    from plugin_app.storefront import ratelimit

    monkeypatch.setattr(ratelimit, "MAX_BUCKETS", 100)
    buckets = MemoryBuckets()
    for n in range(1000):
        buckets.take(f"visitor-{n}", Limit(burst=2, rate=1.0))
    assert len(buckets._buckets) <= 100


def test_redis_buckets_are_shared_between_processes(redis_url):
    limit = {"events": Limit(burst=4, rate=0.5)}
    first, second = RateLimiter(redis_url, limit), RateLimiter(redis_url, limit)
    who = "v_" + secrets.token_hex(8)
    answers = [(first if n % 2 else second).allow("events", "shop", who) for n in range(6)]
    assert answers == [True] * 4 + [False, False]
    assert first.allow("events", "shop", "v_" + secrets.token_hex(8))


def test_redis_down_falls_back_to_memory():
    limiter = RateLimiter("redis://127.0.0.1:1/0", {"decide": Limit(burst=2, rate=0.1)})
    assert [limiter.allow("decide", "s", "v") for _ in range(3)] == [True, True, False]
