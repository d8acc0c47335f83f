"""Second opinions (issue 13 section 4): a share (`review.second_opinion_rate`) of reviewers'
approve/reject decisions is asked of a second reviewer, blind to the first decision. The answer
changes neither the decision nor the callback; a disagreement goes to the admins' list. A first
decision undone or superseded before the answer drops the question (STALE).

Keys, each in the comment's partition (`keys.part_of(ref)`): `.second_queue` (refs awaiting an
opinion), `keys.second_first(ref)` (the first decision, never shown to the second reviewer),
`.second_done` (every answered pair), `.second_disagree` (ids of the pairs that disagree).
Answering is one script (SECOND_RECORD) over those keys and the comment hash, so 30 reviewers
answering the same question at once record one opinion. Listings merge the partitions: the
queue by ask time, the answers and disagreements newest first; an answer's `id` is its entry in
its partition's `.second_done`.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import random
from collections.abc import Callable
from typing import Any

import redis
import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.client import async_unavailable_as_error
from moderator.adapters.redis.merge import id_key
from moderator.core.agreement import Opinions
from moderator.errors import ConflictError, ForbiddenError, NotFoundError

_LABELS = ("approve", "reject")
_SCAN = 50


class RedisSecondOpinions:
    def __init__(
        self, client: aioredis.Redis, rate: float, rng: Callable[[], float] = random.random
    ) -> None:
        self._client = client
        self.rate = rate
        self.rng = rng
        self._record = client.register_script(redis_scripts.SECOND_RECORD)

    async def ask(self, ref: str, by: str, decision: str, version: int, at_ms: int) -> bool:
        """Maybe ask for a second opinion on this decision (at `rate`); whether it did."""
        if decision not in _LABELS or self.rate <= 0 or self.rng() >= self.rate:
            return False
        async with async_unavailable_as_error():
            raw: Any = await self._client.hget(keys.comment(ref), "record")
            matches = (json.loads(raw) if raw else {}).get("matches") or []
            categories = sorted({m.get("category") for m in matches if m.get("category")})
            pipe = self._client.pipeline(transaction=True)
            pipe.delete(keys.second_first(ref))
            pipe.hset(
                keys.second_first(ref),
                mapping={
                    "by": by,
                    "decision": decision,
                    "version": version,
                    "at": at_ms,
                    "categories": json.dumps(categories),
                },
            )
            pipe.zadd(keys.part_of(ref).second_queue, {ref: at_ms})
            await pipe.execute()
        return True

    async def next_for(self, reviewer: str) -> dict[str, Any] | None:
        """The oldest question `reviewer` did not decide first: the comment and its score
        record, without the first decision; None when there is none."""
        async with async_unavailable_as_error():
            for ref in await self._oldest():
                if await self._client.hget(keys.second_first(ref), "by") == reviewer:
                    continue
                comment, record = await self._client.hmget(keys.comment(ref), "comment", "record")
                return {
                    "ref": ref,
                    "comment": json.loads(comment) if comment else None,
                    "record": json.loads(record) if record else None,
                }
        return None

    async def _oldest(self) -> list[str]:
        """The `_SCAN` questions asked first, across partitions (ties: the lower partition
        first, then each partition's own order)."""
        pipe = self._client.pipeline(transaction=False)
        for part in keys.parts():
            pipe.zrange(part.second_queue, 0, _SCAN - 1, withscores=True)
        found = [
            (at, k, i, ref)
            for k, batch in enumerate(await pipe.execute())
            for i, (ref, at) in enumerate(batch)
        ]
        return [ref for *_, ref in heapq.nsmallest(_SCAN, found)]

    async def answer(self, ref: str, by: str, decision: str, now_ms: int) -> dict[str, Any]:
        """Record `by`'s opinion. NotFoundError: not awaiting one; ForbiddenError: the first
        reviewer; ConflictError: the first decision changed since (the question is dropped)."""
        part = keys.part_of(ref)
        keys_ = [
            part.second_queue,
            keys.second_first(ref),
            part.second_done,
            part.second_disagree,
            keys.comment(ref),
        ]
        try:
            async with async_unavailable_as_error():
                entry, agree = await self._record(keys=keys_, args=[ref, by, decision, now_ms])
        except redis.ResponseError as exc:
            message = str(exc)
            if "NOTASKED" in message:
                raise NotFoundError(f"{ref!r} is not awaiting a second opinion.") from None
            if "SAME" in message:
                raise ForbiddenError("A second opinion must come from another reviewer.") from None
            if "STALE" in message:
                raise ConflictError(
                    f"The decision on {ref!r} changed since it was asked about; dropped."
                ) from None
            raise
        return {"ref": ref, "id": entry, "agree": agree == "1"}

    async def opinions(self, count: int = 5000) -> list[Opinions]:
        """The latest `count` answered pairs across partitions (merged and parsed in a thread:
        thousands of entries)."""
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for part in keys.parts():
                pipe.xrevrange(part.second_done, count=count)
            batches: list[Any] = await pipe.execute()
        return await asyncio.to_thread(_opinions, batches, count)

    async def disagreements(self, limit: int) -> list[dict[str, Any]]:
        """The admins' list: disagreeing pairs across partitions, newest first (ties: the lower
        partition first, then each partition's own order)."""
        parts = keys.parts()
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for part in parts:
                pipe.zrevrange(part.second_disagree, 0, limit - 1, withscores=True)
            found = [
                (-at, k, i, entry)
                for k, batch in enumerate(await pipe.execute())
                for i, (entry, at) in enumerate(batch)
            ]
            newest = heapq.nsmallest(limit, found)
            pipe = self._client.pipeline(transaction=False)
            for _, k, _, entry in newest:
                pipe.xrange(parts[k].second_done, entry, entry)
            pairs = await pipe.execute() if newest else []
        return [{"id": e[0][0], **json.loads(e[0][1]["data"])} for e in pairs if e]

    async def waiting(self) -> int:
        """Questions awaiting an opinion, in every partition."""
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for part in keys.parts():
                pipe.zcard(part.second_queue)
            return sum(int(n) for n in await pipe.execute())


def _opinions(batches: list[Any], count: int) -> list[Opinions]:
    """The newest `count` pairs among every partition's batch (each newest first)."""
    found = ((id_key(eid), k, fields) for k, batch in enumerate(batches) for eid, fields in batch)
    out = []
    for _, _, fields in heapq.nlargest(count, found, key=lambda e: (e[0], e[1])):
        d = json.loads(fields["data"])
        categories = d.get("categories") or []
        out.append(
            Opinions(
                d["first_by"],
                d["first"],
                d["second_by"],
                d["second"],
                tuple(categories) if isinstance(categories, list) else (),
            )
        )
    return out
