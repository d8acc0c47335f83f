"""Ingest dead letters: comments whose scoring failed `worker.max_attempts` times.

Each such comment is already held for review (worker/worker.py, core/failure.py); its dead
letter (`keys.DEAD_STREAM`: ref, error, attempts, when, revision) is what admins list beside the
callback dead letters and what `moderator replay` (or the admin page) rescores: RESCORE puts the
comment back on the ingest stream, out of the hold queue, in one atomic step, and removes the
dead letter. A dead letter whose comment a reviewer has decided (or that was revised or
rescored since) is only removed: a human decision is never undone by a replay.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.client import async_unavailable_as_error
from moderator.adapters.redis.requeue import read_stored, requeue_keys
from moderator.errors import BacklogFullError, ConflictError

_ROUNDS = 16


class RedisIngestDeadLetters:
    def __init__(self, client: aioredis.Redis, *, max_backlog: int) -> None:
        self._client = client
        self._max_backlog = max_backlog
        self._rescore = client.register_script(redis_scripts.RESCORE)

    async def letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest dead letters: entry id, ref, error, attempts, when, the revision that
        failed, the comment's state now and whether a replay would rescore it."""
        async with async_unavailable_as_error():
            entries = await self._client.xrevrange(keys.DEAD_STREAM, count=limit)
            pipe = self._client.pipeline(transaction=False)
            for _, fields in entries:
                pipe.hmget(keys.comment(fields["ref"]), "state", "revision", "scoring_failed")
            states = await pipe.execute()
        out = []
        for (entry_id, fields), (state, revision, failed) in zip(entries, states, strict=True):
            out.append(
                {
                    "entry_id": entry_id,
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
        async with async_unavailable_as_error():
            return int(await self._client.xlen(keys.DEAD_STREAM))

    async def replay(self, entry_id: str) -> str:
        """Rescore the dead letter's comment: `rescored` (back on the ingest stream) or
        `resolved` (decided, revised or rescored since: the dead letter is only removed).
        An unknown entry id is `missing`. BacklogFullError when the
        ingest backlog is at its ceiling (nothing changed)."""
        async with async_unavailable_as_error():
            found = await self._client.xrange(keys.DEAD_STREAM, min=entry_id, max=entry_id)
            if not found:
                return "missing"
            ref = found[0][1]["ref"]
            for _ in range(_ROUNDS):
                status = await self._try(entry_id, ref)
                if status == "full":
                    raise BacklogFullError(
                        f"{self._max_backlog} comments are waiting to be scored; replay later."
                    )
                if status != "retry":
                    return status
        raise ConflictError(f"Comment {ref!r} keeps changing; replay it again.")

    async def _try(self, entry_id: str, ref: str) -> str:
        stored = await read_stored(self._client, ref)
        if stored is None:
            await self._client.xdel(keys.DEAD_STREAM, entry_id)
            return "resolved"
        script_keys, (given, has_author, _) = requeue_keys(stored, keys.DEAD_STREAM)
        status, _state = await self._rescore(
            keys=script_keys,
            args=[entry_id, ref, stored.revision, given, has_author, self._max_backlog],
        )
        return str(status)

    async def replay_all(self, batch: int = 500) -> dict[str, int]:
        """Replay every dead letter, oldest first; counts per outcome."""
        counts: dict[str, int] = {"rescored": 0, "resolved": 0, "missing": 0}
        after = "-"
        while True:
            async with async_unavailable_as_error():
                entries = await self._client.xrange(keys.DEAD_STREAM, min=after, count=batch)
            if not entries:
                return counts
            for entry_id, _ in entries:
                status = await self.replay(entry_id)
                counts[status] = counts.get(status, 0) + 1
            after = "(" + str(entries[-1][0])
