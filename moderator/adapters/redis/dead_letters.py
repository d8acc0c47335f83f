"""Ingest dead letters: comments whose scoring failed `worker.max_attempts` times.

Each such comment is already held for review (worker/worker.py, core/failure.py); its dead
letter (in its partition's `.dead` stream: ref, error, attempts, when, revision) is what admins
list beside the callback dead letters and what `moderator replay` (or the admin page) rescores:
RESCORE puts the comment back on the ingest stream, out of the hold queue, in one atomic step,
and removes the dead letter. A dead letter whose comment a reviewer has decided (or that was
revised or rescored since) is only removed: a human decision is never undone by a replay.

A stream id is unique only within one partition's stream, so with several partitions a dead
letter's id is qualified with its partition (`p<K>-<stream id>`); with one it is the plain stream
id it always was. A plain id given to a partitioned install names partition 0's (where every
dead letter was before partitions).
"""

from __future__ import annotations

import heapq
from typing import Any

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import merge
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.client import async_unavailable_as_error
from moderator.adapters.redis.merge import id_key
from moderator.adapters.redis.requeue import read_stored, requeue_keys
from moderator.errors import BacklogFullError, ConflictError

_ROUNDS = 16
#: What a dead letter's id looks like (web forms and routes check it before asking Redis).
ENTRY_ID = merge.ENTRY_ID


class RedisIngestDeadLetters:
    def __init__(self, client: aioredis.Redis, *, max_backlog: int) -> None:
        self._client = client
        self._max_backlog = max_backlog
        self._rescore = client.register_script(redis_scripts.RESCORE)

    async def letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest dead letters across partitions: entry id, ref, error, attempts, when,
        the revision that failed, the comment's state now and whether a replay would rescore
        it."""
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for part in keys.parts():
                pipe.xrevrange(part.dead, count=limit)
            found = [
                (k, entry_id, fields)
                for k, batch in enumerate(await pipe.execute())
                for entry_id, fields in batch
            ]
            entries = heapq.nlargest(limit, found, key=lambda e: (id_key(e[1]), e[0]))
            pipe = self._client.pipeline(transaction=False)
            for _, _, fields in entries:
                pipe.hmget(keys.comment(fields["ref"]), "state", "revision", "scoring_failed")
            states = await pipe.execute()
        out = []
        for (k, entry_id, fields), (state, revision, failed) in zip(entries, states, strict=True):
            out.append(
                {
                    "entry_id": merge.qualify(keys.part(k), entry_id),
                    "ref": fields["ref"],
                    "error": fields.get("error"),
                    "attempts": int(fields.get("attempts") or 0),
                    "at": int(fields.get("at") or 0),
                    "revision": int(fields.get("revision") or 1),
                    "state": state or "missing",
                    "rescorable": state == "failed"
                    or (state == "queued" and failed is not None and failed == (revision or "1")),
                }
            )
        return out

    async def count(self) -> int:
        """Dead letters in every partition."""
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for part in keys.parts():
                pipe.xlen(part.dead)
            return sum(int(n) for n in await pipe.execute())

    async def replay(self, entry_id: str) -> str:
        """Rescore the dead letter's comment: `rescored` (back on the ingest stream) or
        `resolved` (decided, revised or rescored since: the dead letter is only removed).
        An unknown entry id is `missing`. BacklogFullError when the
        ingest backlog is at its ceiling (nothing changed)."""
        located = merge.locate(entry_id)
        if located is None:
            return "missing"
        return await self._replay(*located)

    async def _replay(self, part: keys.Partition, stream_id: str) -> str:
        async with async_unavailable_as_error():
            found = await self._client.xrange(part.dead, min=stream_id, max=stream_id)
            if not found:
                return "missing"
            ref = found[0][1]["ref"]
            for _ in range(_ROUNDS):
                status = await self._try(part, stream_id, ref)
                if status == "full":
                    raise BacklogFullError(
                        f"{self._max_backlog} comments are waiting to be scored; replay later."
                    )
                if status != "retry":
                    return status
        raise ConflictError(f"Comment {ref!r} keeps changing; replay it again.")

    async def _try(self, part: keys.Partition, stream_id: str, ref: str) -> str:
        """One RESCORE: its keys are the comment's partition's, which holds its dead letter."""
        stored = await read_stored(self._client, ref)
        if stored is None:
            await self._client.xdel(part.dead, stream_id)
            return "resolved"
        script_keys, (given, has_author, _) = requeue_keys(stored, part.dead)
        status, _state = await self._rescore(
            keys=script_keys,
            args=[stream_id, ref, stored.revision, given, has_author, self._max_backlog],
        )
        return str(status)

    async def replay_all(self, batch: int = 500) -> dict[str, int]:
        """Replay every dead letter, partition by partition, oldest first; counts per
        outcome."""
        counts: dict[str, int] = {"rescored": 0, "resolved": 0, "missing": 0}
        for part in keys.parts():
            after = "-"
            while True:
                async with async_unavailable_as_error():
                    entries = await self._client.xrange(part.dead, min=after, count=batch)
                if not entries:
                    break
                for stream_id, _ in entries:
                    status = await self._replay(part, stream_id)
                    counts[status] = counts.get(status, 0) + 1
                after = "(" + str(entries[-1][0])
        return counts
