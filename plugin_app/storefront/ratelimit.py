"""Per-visitor rate limits for the storefront endpoints: token buckets.

In-process by default (each web process keeps its own buckets, so N processes allow up to
N times the rate: a bound, not a quota); in Redis when CIBLE_REDIS_URL is set, shared by
every process and server (one Lua call per request, atomic). A bucket holds `burst`
tokens and refills `rate` per second; a request takes one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from redis.exceptions import RedisError

from sync.queue import redis_connection


@dataclass(frozen=True)
class Limit:
    burst: int
    rate: float


# decide: a page view asks once; a burst covers tabs opened together. events: batched.
DEFAULT_LIMITS = {"decide": Limit(burst=30, rate=2.0), "events": Limit(burst=20, rate=1.0)}
MAX_BUCKETS = 200_000

REDIS_BUCKET = """
local tokens = tonumber(redis.call('HGET', KEYS[1], 't') or ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], 'l') or ARGV[3])
local burst, rate, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
tokens = math.min(burst, tokens + math.max(0, now - last) * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 't', tokens, 'l', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return allowed
"""


class MemoryBuckets:
    def __init__(self):
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, limit: Limit) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + (now - last) * limit.rate)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            if len(self._buckets) >= MAX_BUCKETS:
                self._prune(now, limit)
            self._buckets[key] = (tokens, now)
            return allowed

    def _prune(self, now: float, limit: Limit) -> None:
        """Forget buckets that have refilled (they equal a fresh one)."""
        refill = limit.burst / limit.rate
        for key, (_tokens, last) in list(self._buckets.items()):
            if now - last > refill:
                del self._buckets[key]
        if len(self._buckets) >= MAX_BUCKETS:
            self._buckets.clear()


class RedisBuckets:
    def __init__(self, url: str, fallback: MemoryBuckets):
        self.connection = redis_connection(url)
        self.script = self.connection.register_script(REDIS_BUCKET)
        self.fallback = fallback

    def take(self, key: str, limit: Limit) -> bool:
        try:
            allowed = self.script(
                keys=[f"cible:ratelimit:{key}"], args=[limit.burst, limit.rate, time.time()]
            )
        except RedisError:
            # Redis down: keep limiting, per process, rather than refuse the storefront.
            return self.fallback.take(key, limit)
        return bool(allowed)


class RateLimiter:
    def __init__(self, redis_url: str = "", limits: dict[str, Limit] | None = None):
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.memory = MemoryBuckets()
        self.backend = RedisBuckets(redis_url, self.memory) if redis_url else self.memory

    def allow(self, endpoint: str, shop_public_id: str, who: str) -> bool:
        return self.backend.take(f"{endpoint}:{shop_public_id}:{who}", self.limits[endpoint])
