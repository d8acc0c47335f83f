"""The callback outbox in Redis: what is due, what was delivered, what failed, dead letters.

Every feed event of a comment joins that comment's chain (a list, in version order) in the same
script that appends it to the feed; only a chain's head is ever due in the outbox, and the next
becomes due only when the head is delivered. So one comment's events reach the platform in
order, one at a time (version n+1 never before n), while different comments go in parallel.
An event that fails `max_attempts` times is dead-lettered: it leaves the outbox, its chain waits
behind it, and an admin's replay puts it back. Each operation is O(log n).

Each partition (keys.py: `redis.partitions`) has its own feed, outbox, attempts, errors, dead
letters and refs, and a comment's chain lives in its site's partition, so every script here
touches one partition's keys. A feed id is unique only within its partition's feed: an event
is a `Due` (partition, feed id), named across partitions by `Due.key`: the plain feed id with
one partition; `p<K>-<feed id>` with several, where a plain feed id names partition 0's (where
every event was before partitions).

An event that vanished from the feed (trimmed, deleted by hand) is done with as if delivered:
its chain moves on. The chain is found through the partition's refs hash (feed id -> ref,
written with the chain entry); for entries older than that map, by scanning the partition's
chains (the only O(n) path, and only for a vanished event).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import merge
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.client import async_unavailable_as_error

#: What a dead letter's name looks like (web forms check it before asking Redis).
FEED_ID = merge.ENTRY_ID


@dataclass(frozen=True, slots=True)
class Due:
    """One event of the outbox: the partition whose keys hold it and its id in that feed."""

    part: keys.Partition
    fid: str

    @property
    def key(self) -> str:
        """The event's name across partitions: the feed id with one partition, `p<K>-<feed
        id>` with several (feed ids repeat across partitions). The callback's Idempotency-Key,
        a dead letter's `feed_id` and what `RedisOutbox.replay` takes."""
        return merge.qualify(self.part, self.fid)

    @classmethod
    def parse(cls, key: str) -> Due | None:
        """The event a `key` names (see the module's docstring); None for a partition there is
        not. With one partition a key is taken as it is (a `p0-…` key names no event)."""
        if keys.partitions() == 1:
            return cls(keys.part(0), key)
        found = merge.locate(key)
        return cls(*found) if found else None


class RedisOutbox:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._claim_due = client.register_script(redis_scripts.CLAIM_DUE)
        self._done = client.register_script(redis_scripts.OUTBOX_DONE)
        self._failed = client.register_script(redis_scripts.OUTBOX_FAILED)
        self._replay = client.register_script(redis_scripts.OUTBOX_REPLAY)
        self._turn = 0

    async def claim_due(self, now_ms: int, lease_ms: int, count: int) -> list[Due]:
        """Up to `count` events due now, leased to this deliverer for `lease_ms` (see
        CLAIM_DUE), taken from one partition's outbox after another. The partition asked first
        turns from call to call, so a backlog in one never starves the others."""
        parts = keys.parts()
        first = self._turn % len(parts)
        self._turn += 1
        claimed: list[Due] = []
        for part in parts[first:] + parts[:first]:
            if len(claimed) >= count:
                break
            fids = await self._claim_due(
                keys=[part.outbox], args=[now_ms, lease_ms, count - len(claimed)]
            )
            claimed += [Due(part, fid) for fid in fids]
        return claimed

    async def event(self, due: Due) -> dict[str, Any] | None:
        """The feed event to deliver, or None when it is no longer in the feed."""
        entries = await self._client.xrange(due.part.feed, min=due.fid, max=due.fid)
        return json.loads(entries[0][1]["data"]) if entries else None

    async def delivered(self, fid: str, ref: str, now_ms: int) -> None:
        """Done with `fid` of the comment `ref` (its partition's feed id): out of the outbox and
        its chain; the chain's next is due now."""
        part = keys.part_of(ref)
        await self._done(
            keys=[
                part.outbox,
                keys.outbox_chain(ref),
                part.outbox_attempts,
                part.outbox_errors,
                part.outbox_refs,
            ],
            args=[fid, now_ms],
        )

    async def ref_of(self, fid: str, part: int = 0) -> str | None:
        """The ref of the comment whose chain holds `fid` of partition `part` (None when no
        chain does)."""
        where = keys.part(part)
        ref = await self._client.hget(where.outbox_refs, fid)
        if ref is not None:
            return str(ref)
        prefix = _chain_prefix(where)
        async for chain in self._client.scan_iter(match=prefix + "*", count=1000):
            if fid in await self._client.lrange(chain, 0, -1):
                return str(chain)[len(prefix) :]
        return None

    async def drop(self, due: Due) -> None:
        """Take an event no chain holds out of the outbox."""
        await self._client.zrem(due.part.outbox, due.fid)

    async def attempts(self, due: Due) -> int:
        """Failed attempts so far."""
        return int(await self._client.hget(due.part.outbox_attempts, due.fid) or 0)

    async def failed(
        self, due: Due, error: str, *, due_ms: int, max_attempts: int, now_ms: int
    ) -> int:
        """Count a failed attempt; returns attempts so far, negative once dead-lettered."""
        part = due.part
        attempts: int = await self._failed(
            keys=[part.outbox, part.outbox_attempts, part.outbox_errors, part.outbox_dead],
            args=[due.fid, error[:2000], due_ms, max_attempts, now_ms],
        )
        return int(attempts)

    async def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest dead letters of every partition, newest first: name (`feed_id`, a
        `Due.key`), when, attempts, last error, the event, and how many later events of the
        same comment wait behind it."""
        async with async_unavailable_as_error():
            dead = await self._newest_dead(limit)
            pipe = self._client.pipeline(transaction=False)
            for due, _ in dead:
                pipe.xrange(due.part.feed, min=due.fid, max=due.fid)
                pipe.hget(due.part.outbox_attempts, due.fid)
                pipe.hget(due.part.outbox_errors, due.fid)
            replies = await pipe.execute()
            out = []
            for i, (due, at) in enumerate(dead):
                entries, attempts, error = replies[3 * i : 3 * i + 3]
                event = json.loads(entries[0][1]["data"]) if entries else {}
                out.append(
                    {
                        "feed_id": due.key,
                        "dead_at": int(at),
                        "attempts": int(attempts or 0),
                        "error": error,
                        "event": event,
                    }
                )
            await self._attach(out)
        return out

    async def _newest_dead(self, limit: int) -> list[tuple[Due, float]]:
        """The `limit` newest dead letters over all partitions with when they died, newest
        first (a stable sort: one partition's own order is kept as its zset gives it)."""
        parts = keys.parts()
        pipe = self._client.pipeline(transaction=False)
        for part in parts:
            pipe.zrevrange(part.outbox_dead, 0, limit - 1, withscores=True)
        found = await pipe.execute()
        dead = [
            (Due(part, fid), at)
            for part, letters in zip(parts, found, strict=True)
            for fid, at in letters
        ]
        return sorted(dead, key=lambda letter: letter[1], reverse=True)[:limit]

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

    async def replay(self, key: str, now_ms: int) -> bool:
        """Put the dead letter `key` (a `Due.key`) back in its outbox, due now, attempts reset.
        False if it was not (or no longer) dead-lettered."""
        due = Due.parse(key)
        if due is None:
            return False
        part = due.part
        async with async_unavailable_as_error():
            done = await self._replay(
                keys=[part.outbox_dead, part.outbox, part.outbox_attempts], args=[due.fid, now_ms]
            )
        return bool(done)

    async def sizes(self) -> tuple[int, int]:
        """(events waiting for delivery, dead letters), summed over the partitions."""
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for part in keys.parts():
                pipe.zcard(part.outbox)
                pipe.zcard(part.outbox_dead)
            counts = await pipe.execute()
        return sum(counts[0::2]), sum(counts[1::2])


def _chain_prefix(part: keys.Partition) -> str:
    """What every chain key of the partition starts with (`keys.outbox_chain` with its tag)."""
    return part.prefix + keys.outbox_chain("")[len(keys.PREFIX) :]
