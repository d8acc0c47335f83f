"""Comments scored synchronously (the Perspective-compatible endpoints), in Redis.

`keep` stores a comment and its score record under its ref, in state `analyzed`, not queued,
for `ttl_s`: a platform decision (`RedisReviewStore.platform_decide`) can then join it, and is
recorded in the feed and audit log like any other. `count` keeps counters only (what a
doNotStore request leaves behind). `admit` is a fixed-window rate limit per principal.
"""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.client import async_unavailable_as_error
from moderator.core.models import Comment

_WINDOW_S = 60


class RedisAnalyzed:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._keep = client.register_script(redis_scripts.KEEP_ANALYZED)

    async def keep(
        self, comment: Comment, record: dict[str, Any], *, now_ms: int, ttl_s: int
    ) -> bool:
        """Store the comment and record (unless its ref exists: then only renew its expiry).
        Returns whether it was stored now."""
        async with async_unavailable_as_error():
            stored = await self._keep(
                keys=[keys.comment(comment.ref)],
                args=[
                    json.dumps(comment.to_dict()),
                    json.dumps(record),
                    record["action"],
                    record["priority"],
                    now_ms,
                    ttl_s * 1000,
                ],
            )
        return bool(stored)

    async def count(self, name: str) -> None:
        async with async_unavailable_as_error():
            await self._client.hincrby(keys.PERSPECTIVE_COUNTERS, name, 1)

    async def counters(self) -> dict[str, int]:
        async with async_unavailable_as_error():
            raw = await self._client.hgetall(keys.PERSPECTIVE_COUNTERS)
        return {str(k): int(v) for k, v in raw.items()}

    async def admit(self, principal: str, per_minute: int, now_s: float) -> bool:
        """Count one request of `principal` in the current minute; False past `per_minute`."""
        key = keys.perspective_rate(principal, int(now_s // _WINDOW_S))
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=True)
            pipe.incr(key)
            pipe.expire(key, 2 * _WINDOW_S)
            n, _ = await pipe.execute()
        return int(n) <= per_minute
