"""The ingest stream: the webhook appends, workers consume through a consumer group.

Delivery is at-least-once into the stream and exactly-once into the queue: storing a scored
comment, queueing it and acknowledging its message happen in one Lua script, and a comment that
is already scored is only acknowledged when its message comes round again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis
import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters import redis_index, redis_scripts
from moderator.adapters.redis_client import async_unavailable_as_error, unavailable_as_error
from moderator.core.models import Comment
from moderator.errors import BacklogFullError


class RedisIngest:
    """Web side: store a comment durably and put it on the stream, once per (site, id)."""

    def __init__(self, client: aioredis.Redis, *, max_backlog: int) -> None:
        self._client = client
        self._max_backlog = max_backlog
        self._accept = client.register_script(redis_scripts.ACCEPT)

    async def accept(self, comment: Comment, received_ms: int) -> bool:
        """True when stored now, False for a redelivery (nothing written).

        StoreUnavailableError when Redis is down, BacklogFullError when the workers are too far
        behind: in both cases nothing was stored and the sender must retry.
        """
        async with async_unavailable_as_error():
            created = await self._accept(
                keys=[keys.comment(comment.ref), keys.INGEST_STREAM],
                args=[json.dumps(comment.to_dict()), received_ms, comment.ref, self._max_backlog],
            )
        if created == -1:
            raise BacklogFullError(
                f"{self._max_backlog} comments are waiting to be scored; retry later."
            )
        return bool(created)

    async def backlog(self) -> int:
        """Entries not yet scored (pending ones included): scored entries are deleted."""
        async with async_unavailable_as_error():
            return int(await self._client.xlen(keys.INGEST_STREAM))


@dataclass(frozen=True, slots=True)
class Delivery:
    message_id: str
    ref: str
    comment: Comment | None  # None when the hash is gone (nothing to score: acknowledge it)
    received_ms: int
    deliveries: int = 1  # how many times the stream has handed this message out


class RedisIngestConsumer:
    """Worker side of the stream (synchronous: scoring is CPU-bound and runs in this thread)."""

    def __init__(self, client: redis.Redis, consumer: str, *, deliver_callbacks: bool) -> None:
        self._client = client
        self.consumer = consumer
        self.deliver_callbacks = deliver_callbacks
        self._store = client.register_script(redis_scripts.STORE_SCORED)
        self._fail = client.register_script(redis_scripts.FAIL)

    @property
    def client(self) -> redis.Redis:
        return self._client

    def ensure_group(self) -> None:
        with unavailable_as_error():
            try:
                self._client.xgroup_create(
                    keys.INGEST_STREAM, keys.INGEST_GROUP, "0", mkstream=True
                )
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def read(self, count: int, block_ms: int | None) -> list[Delivery]:
        """New messages for this consumer; block_ms None means do not block."""
        with unavailable_as_error():
            reply = self._client.xreadgroup(
                keys.INGEST_GROUP,
                self.consumer,
                {keys.INGEST_STREAM: ">"},
                count=count,
                block=block_ms,
            )
            entries = reply[0][1] if reply else []
            return self._load(entries)

    def reclaim(self, min_idle_ms: int, count: int) -> list[Delivery]:
        """Take over messages pending on any consumer for at least `min_idle_ms` (a dead worker's,
        or our own that failed), oldest first."""
        with unavailable_as_error():
            reply = self._client.xautoclaim(
                keys.INGEST_STREAM,
                keys.INGEST_GROUP,
                self.consumer,
                min_idle_time=min_idle_ms,
                start_id="0-0",
                count=count,
            )
            entries = [e for e in reply[1] if e[1] is not None]
            loaded = self._load(entries)
            return [
                Delivery(d.message_id, d.ref, d.comment, d.received_ms, self._times_delivered(d))
                for d in loaded
            ]

    def _times_delivered(self, delivery: Delivery) -> int:
        info = self._client.xpending_range(
            keys.INGEST_STREAM,
            keys.INGEST_GROUP,
            min=delivery.message_id,
            max=delivery.message_id,
            count=1,
        )
        return int(info[0]["times_delivered"]) if info else 1

    def store(self, delivery: Delivery, record: dict, queue_score: int, now_ms: int) -> None:
        """Store the scored record, queue it (unless approved), append the feed event and
        acknowledge, atomically."""
        action = record["action"]
        comment = delivery.comment
        assert comment is not None
        event = {
            "event": "scored",
            "site": comment.site,
            "id": comment.id,
            "action": action,
            "priority": record["priority"],
            "reasons": record["reasons"],
            "model": record["model"],
            "at": now_ms,
        }
        queue = keys.queue(action) if action != "approve" else keys.queue("review")
        extra_keys, extra_args = redis_index.scored_extras(
            delivery.ref, comment.to_dict(), record, queue_score
        )
        with unavailable_as_error():
            self._store(
                keys=[
                    keys.comment(delivery.ref),
                    queue,
                    keys.FEED_STREAM,
                    keys.OUTBOX,
                    keys.INGEST_STREAM,
                    *extra_keys,
                ],
                args=[
                    delivery.message_id,
                    keys.INGEST_GROUP,
                    json.dumps(record),
                    action,
                    record["priority"],
                    queue_score,
                    now_ms,
                    json.dumps(event),
                    "1" if self.deliver_callbacks else "0",
                    delivery.ref,
                    *extra_args,
                ],
            )

    def ack_missing(self, delivery: Delivery) -> None:
        with unavailable_as_error():
            self._client.xack(keys.INGEST_STREAM, keys.INGEST_GROUP, delivery.message_id)
            self._client.xdel(keys.INGEST_STREAM, delivery.message_id)

    def fail(
        self, delivery: Delivery, error: str, max_attempts: int, now_ms: int, *, force: bool = False
    ) -> int:
        """Count a failed attempt; returns attempts so far, negative once dead-lettered (at
        `max_attempts`, or at once with `force`)."""
        with unavailable_as_error():
            return int(
                self._fail(
                    keys=[keys.comment(delivery.ref), keys.INGEST_STREAM, keys.DEAD_STREAM],
                    args=[
                        delivery.message_id,
                        keys.INGEST_GROUP,
                        error[:2000],
                        max_attempts,
                        now_ms,
                        delivery.ref,
                        "1" if force else "0",
                    ],
                )
            )

    def _load(self, entries: list) -> list[Delivery]:
        if not entries:
            return []
        pipe = self._client.pipeline(transaction=False)
        for _, fields in entries:
            pipe.hmget(keys.comment(fields["ref"]), "comment", "received_at")
        out = []
        for (message_id, fields), (raw, received) in zip(entries, pipe.execute(), strict=True):
            comment = Comment.from_dict(json.loads(raw)) if raw else None
            out.append(Delivery(message_id, fields["ref"], comment, int(received or 0)))
        return out
