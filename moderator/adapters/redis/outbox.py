"""The callback outbox in Redis: what is due, what was delivered, what failed, dead letters.

Every feed event of a comment joins that comment's chain (a list, in version order) in the same
script that appends it to the feed; only a chain's head is ever due in `keys.OUTBOX`, and the
next becomes due only when the head is delivered. So one comment's events reach the platform in
order, one at a time (version n+1 never before n), while different comments go in parallel.
An event that fails `max_attempts` times is dead-lettered: it leaves the outbox, its chain waits
behind it, and an admin's replay puts it back. Each operation is O(log n).

An event that vanished from the feed (trimmed, deleted by hand) is done with as if delivered:
its chain moves on. The chain is found through `keys.OUTBOX_REFS` (feed id -> ref, written with
the chain entry); for entries older than that map, by scanning the chains (the only O(n) path,
and only for a vanished event).
"""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.client import async_unavailable_as_error


class RedisOutbox:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._claim_due = client.register_script(redis_scripts.CLAIM_DUE)
        self._done = client.register_script(redis_scripts.OUTBOX_DONE)
        self._failed = client.register_script(redis_scripts.OUTBOX_FAILED)
        self._replay = client.register_script(redis_scripts.OUTBOX_REPLAY)

    async def claim_due(self, now_ms: int, lease_ms: int, count: int) -> list[str]:
        """Feed ids due now, leased to this deliverer for `lease_ms` (see CLAIM_DUE)."""
        due: list[str] = await self._claim_due(keys=[keys.OUTBOX], args=[now_ms, lease_ms, count])
        return due

    async def event(self, fid: str) -> dict[str, Any] | None:
        """The feed event to deliver, or None when it is no longer in the feed."""
        entries = await self._client.xrange(keys.FEED_STREAM, min=fid, max=fid)
        return json.loads(entries[0][1]["data"]) if entries else None

    async def delivered(self, fid: str, ref: str, now_ms: int) -> None:
        """Done with `fid`: out of the outbox and its chain; the chain's next is due now."""
        await self._done(
            keys=[
                keys.OUTBOX,
                keys.outbox_chain(ref),
                keys.OUTBOX_ATTEMPTS,
                keys.OUTBOX_ERRORS,
                keys.OUTBOX_REFS,
            ],
            args=[fid, now_ms],
        )

    async def ref_of(self, fid: str) -> str | None:
        """The ref of the comment whose chain holds `fid` (None when no chain does)."""
        ref = await self._client.hget(keys.OUTBOX_REFS, fid)
        if ref is not None:
            return str(ref)
        prefix = keys.outbox_chain("")
        async for chain in self._client.scan_iter(match=prefix + "*", count=1000):
            if fid in await self._client.lrange(chain, 0, -1):
                return str(chain)[len(prefix) :]
        return None

    async def failed(
        self, fid: str, error: str, *, due_ms: int, max_attempts: int, now_ms: int
    ) -> int:
        """Count a failed attempt; returns attempts so far, negative once dead-lettered."""
        attempts: int = await self._failed(
            keys=[keys.OUTBOX, keys.OUTBOX_ATTEMPTS, keys.OUTBOX_ERRORS, keys.OUTBOX_DEAD],
            args=[fid, error[:2000], due_ms, max_attempts, now_ms],
        )
        return int(attempts)

    async def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest dead letters: feed id, when, attempts, last error, the event, and how
        many later events of the same comment wait behind it."""
        async with async_unavailable_as_error():
            dead: Any = await self._client.zrevrange(
                keys.OUTBOX_DEAD, 0, limit - 1, withscores=True
            )
            pipe = self._client.pipeline(transaction=False)
            for fid, _ in dead:
                pipe.xrange(keys.FEED_STREAM, min=fid, max=fid)
                pipe.hget(keys.OUTBOX_ATTEMPTS, fid)
                pipe.hget(keys.OUTBOX_ERRORS, fid)
            replies = await pipe.execute()
            out = []
            for i, (fid, at) in enumerate(dead):
                entries, attempts, error = replies[3 * i : 3 * i + 3]
                event = json.loads(entries[0][1]["data"]) if entries else {}
                out.append(
                    {
                        "feed_id": fid,
                        "dead_at": int(at),
                        "attempts": int(attempts or 0),
                        "error": error,
                        "event": event,
                    }
                )
            await self._attach(out)
        return out

    async def _attach(self, letters: list[dict[str, Any]]) -> None:
        """Add each letter's comment and the number of events waiting behind it."""
        pipe = self._client.pipeline(transaction=False)
        for letter in letters:
            ref = f"{letter['event'].get('site')}:{letter['event'].get('id')}"
            pipe.llen(keys.outbox_chain(ref))
            pipe.hget(keys.comment(ref), "comment")
        replies = await pipe.execute()
        for i, letter in enumerate(letters):
            waiting, comment = replies[2 * i : 2 * i + 2]
            letter["waiting"] = max(0, int(waiting) - 1)
            letter["comment"] = json.loads(comment) if comment else None

    async def replay(self, fid: str, now_ms: int) -> bool:
        """Put a dead letter back in the outbox, due now, attempts reset. False if it was not
        (or no longer) dead-lettered."""
        async with async_unavailable_as_error():
            done = await self._replay(
                keys=[keys.OUTBOX_DEAD, keys.OUTBOX, keys.OUTBOX_ATTEMPTS], args=[fid, now_ms]
            )
        return bool(done)

    async def sizes(self) -> tuple[int, int]:
        """(events waiting for delivery, dead letters)."""
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            pipe.zcard(keys.OUTBOX)
            pipe.zcard(keys.OUTBOX_DEAD)
            pending, dead = await pipe.execute()
        return int(pending), int(dead)
