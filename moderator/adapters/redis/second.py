"""Second opinions (issue 13 section 4): a share (`review.second_opinion_rate`) of reviewers'
approve/reject decisions is asked of a second reviewer, blind to the first decision. The answer
changes neither the decision nor the callback; a disagreement goes to the admins' list. A first
decision undone or superseded before the answer drops the question (STALE).

Keys: `keys.SECOND_QUEUE` (refs awaiting an opinion), `keys.second_first(ref)` (the first
decision, never shown to the second reviewer), `keys.SECOND_DONE` (every answered pair),
`keys.SECOND_DISAGREE` (ids of the pairs that disagree). Answering is one script (SECOND_RECORD),
so 30 reviewers answering the same question at once record one opinion.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import redis
import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.client import async_unavailable_as_error
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
            pipe.zadd(keys.SECOND_QUEUE, {ref: at_ms})
            await pipe.execute()
        return True

    async def next_for(self, reviewer: str) -> dict[str, Any] | None:
        """The oldest question `reviewer` did not decide first: the comment and its score
        record, without the first decision; None when there is none."""
        async with async_unavailable_as_error():
            refs: Any = await self._client.zrange(keys.SECOND_QUEUE, 0, _SCAN - 1)
            for ref in refs:
                if await self._client.hget(keys.second_first(ref), "by") == reviewer:
                    continue
                comment, record = await self._client.hmget(keys.comment(ref), "comment", "record")
                return {
                    "ref": ref,
                    "comment": json.loads(comment) if comment else None,
                    "record": json.loads(record) if record else None,
                }
        return None

    async def answer(self, ref: str, by: str, decision: str, now_ms: int) -> dict[str, Any]:
        """Record `by`'s opinion. NotFoundError: not awaiting one; ForbiddenError: the first
        reviewer; ConflictError: the first decision changed since (the question is dropped)."""
        keys_ = [
            keys.SECOND_QUEUE,
            keys.second_first(ref),
            keys.SECOND_DONE,
            keys.SECOND_DISAGREE,
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
        """The latest `count` answered pairs."""
        async with async_unavailable_as_error():
            entries: Any = await self._client.xrevrange(keys.SECOND_DONE, count=count)
        out = []
        for _, fields in entries:
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

    async def disagreements(self, limit: int) -> list[dict[str, Any]]:
        """The admins' list: disagreeing pairs, newest first."""
        async with async_unavailable_as_error():
            ids: Any = await self._client.zrevrange(keys.SECOND_DISAGREE, 0, limit - 1)
            pipe = self._client.pipeline(transaction=False)
            for entry in ids:
                pipe.xrange(keys.SECOND_DONE, entry, entry)
            found = await pipe.execute() if ids else []
        return [{"id": e[0][0], **json.loads(e[0][1]["data"])} for e in found if e]

    async def waiting(self) -> int:
        async with async_unavailable_as_error():
            return int(await self._client.zcard(keys.SECOND_QUEUE))
