"""Review queues (sorted sets by priority then age), comment records, decisions and the feed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters import redis_scripts
from moderator.adapters.redis_client import async_unavailable_as_error
from moderator.core.models import Decision
from moderator.core.ordering import queue_score, queued_at_ms
from moderator.errors import ConflictError, NotFoundError

ALL_QUEUES = ("hold", "review", "escalated")


@dataclass(frozen=True, slots=True)
class QueueStats:
    name: str
    count: int
    oldest_ms: int | None


class RedisReviewStore:
    def __init__(self, client: aioredis.Redis, *, deliver_callbacks: bool) -> None:
        self._client = client
        self.deliver_callbacks = deliver_callbacks
        self._decide = client.register_script(redis_scripts.DECIDE)

    async def stats(self) -> list[QueueStats]:
        """Count and oldest enqueue time per queue: O(1) each (ZCARD and the lowest score)."""
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for name in ALL_QUEUES:
                pipe.zcard(keys.queue(name))
                pipe.zrange(keys.queue(name), 0, 0, withscores=True)
            replies = await pipe.execute()
        out = []
        for i, name in enumerate(ALL_QUEUES):
            first = replies[2 * i + 1]
            oldest = queued_at_ms(first[0][1]) if first else None
            out.append(QueueStats(name, int(replies[2 * i]), oldest))
        return out

    async def list_queue(self, queue: str, *, offset: int, limit: int) -> list[dict[str, Any]]:
        """Comments in priority order (then oldest first)."""
        async with async_unavailable_as_error():
            refs = await self._client.zrange(keys.queue(queue), offset, offset + limit - 1)
            items = await self._load(refs)
        return [i for i in items if i is not None]

    async def get(self, ref: str) -> dict[str, Any]:
        async with async_unavailable_as_error():
            (item,) = await self._load([ref])
        if item is None:
            raise NotFoundError(f"No comment {ref!r}.")
        return item

    async def decide(
        self,
        ref: str,
        decision: Decision,
        *,
        by: str,
        reason: str | None,
        note: str | None,
        now_ms: int,
    ) -> dict[str, Any]:
        """Record a reviewer's decision atomically with its feed (audit) entry and outbox entry.

        NotFoundError for an unknown comment; ConflictError when it is not awaiting a decision.
        """
        item = await self.get(ref)
        body = {"decision": str(decision), "reason": reason, "note": note, "by": by, "at": now_ms}
        comment = item["comment"]
        event = {
            "event": "decided",
            "site": comment["site"],
            "id": comment["id"],
            **body,
            "previous_state": item["state"],
            "scores": (item.get("record") or {}).get("scores"),
            "model": (item.get("record") or {}).get("model"),
        }
        escalated_score = queue_score(float(item.get("priority") or 0), now_ms)
        async with async_unavailable_as_error():
            try:
                fid, version = await self._decide(
                    keys=[
                        keys.comment(ref),
                        *(keys.queue(q) for q in ALL_QUEUES),
                        keys.FEED_STREAM,
                        keys.OUTBOX,
                    ],
                    args=[
                        str(decision),
                        json.dumps(body),
                        now_ms,
                        json.dumps(event),
                        "1" if self.deliver_callbacks else "0",
                        escalated_score,
                        ref,
                    ],
                )
            except redis.ResponseError as exc:
                raise _decide_error(ref, str(exc)) from None
        return {**body, "feed_id": fid, "version": int(version)}

    async def feed(self, after: str | None, limit: int) -> list[dict[str, Any]]:
        """Feed events after the cursor (a feed id), oldest first; `cursor` on each is its id."""
        start = f"({after}" if after else "-"
        async with async_unavailable_as_error():
            entries = await self._client.xrange(keys.FEED_STREAM, min=start, count=limit)
        return [{"cursor": fid, **json.loads(f["data"])} for fid, f in entries]

    async def _load(self, refs: list[str]) -> list[dict[str, Any] | None]:
        pipe = self._client.pipeline(transaction=False)
        for ref in refs:
            pipe.hgetall(keys.comment(ref))
        return [_decode(ref, h) for ref, h in zip(refs, await pipe.execute(), strict=True)]


def _decide_error(ref: str, message: str) -> Exception:
    if message.startswith("NOTFOUND"):
        return NotFoundError(f"No comment {ref!r}.")
    state = message.removeprefix("STATE ").strip()
    return ConflictError(f"Comment {ref!r} is {state}, not awaiting a decision.")


def _decode(ref: str, h: dict[str, str]) -> dict[str, Any] | None:
    if not h:
        return None
    return {
        "ref": ref,
        "state": h.get("state"),
        "queue": h.get("queue"),
        "priority": float(h["priority"]) if "priority" in h else None,
        "received_at": int(h.get("received_at", 0)),
        "comment": json.loads(h["comment"]),
        "record": json.loads(h["record"]) if "record" in h else None,
        "decision": json.loads(h["decision"]) if "decision" in h else None,
        "version": int(h.get("version", 0)),
        "attempts": int(h.get("attempts", 0)),
        "last_error": h.get("last_error"),
    }
