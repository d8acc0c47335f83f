"""The ingest stream: the webhook appends, workers consume through a consumer group.

Delivery is at-least-once into the stream and exactly-once into the queue: storing a scored
comment, queueing it and acknowledging its message happen in one Lua script, and a comment that
is already scored is only acknowledged when its message comes round again.

Revisions: a `(site, id)` sent again with the same text is a redelivery (nothing is written);
with different text it is a new revision (REVISE, adapters/redis/requeue.py): the old one joins
the comment's history and the new one goes on the stream with its revision number. Each stream
entry names the revision it was written for; an entry whose revision was superseded before it
was scored is acknowledged without scoring, and STORE_SCORED refuses a record for a revision
that is no longer current, so each revision is scored at most once and the current one exactly
once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import redis
import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import index as redis_index
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.client import (
    adata_node,
    async_unavailable_as_error,
    unavailable_as_error,
)
from moderator.adapters.redis.requeue import read_stored, requeue_keys, text_digest
from moderator.core.models import Comment
from moderator.errors import BacklogFullError, NotReplicatedError, StoreUnavailableError

#: How often accept() reads and tries again when the comment changes under it (concurrent
#: deliveries of different texts); each round at least one of them wins.
_ACCEPT_ROUNDS = 64
#: keys.WAIT_MARK lives this long: it only has to reach the replicas, nobody reads it.
_WAIT_MARK_TTL_MS = 10_000


@dataclass(frozen=True, slots=True)
class Accepted:
    """What the webhook answers: `accepted` (new comment), `revised` (new text for a known one)
    or `duplicate` (the current revision's text again: nothing written); `revision` is the
    comment's current revision number."""

    status: str
    revision: int

    @property
    def created(self) -> bool:
        return self.status != "duplicate"


class RedisIngest:
    """Web side: store a comment (or a new revision of it) durably and put it on the stream."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        max_backlog: int,
        wait_replicas: int = 0,
        wait_timeout_ms: int = 1000,
    ) -> None:
        self._client = client
        self._max_backlog = max_backlog
        self._wait_replicas, self._wait_timeout_ms = wait_replicas, wait_timeout_ms
        self._accept = client.register_script(redis_scripts.ACCEPT)
        self._revise = client.register_script(redis_scripts.REVISE)

    async def accept(self, comment: Comment, received_ms: int) -> Accepted:
        """Store `comment` (_store), then, with wait_replicas, WAIT for that many replicas.

        NotReplicatedError when fewer replicas confirmed in time: the comment IS stored on the
        primary (a retry is answered 200, after its own WAIT), but a failover now could lose
        it, so the sender is told to retry. A redelivery (`duplicate`) waits too: it may be the
        retry of exactly such a 503.
        """
        accepted = await self._store(comment, received_ms)
        if self._wait_replicas:
            await self._wait(comment.ref)
        return accepted

    async def _wait(self, ref: str) -> None:
        """A replicated write (SET keys.wait_mark(ref)) then WAIT, on one connection (a
        pipeline): that write is replicated after every write already made on any connection,
        so WAIT counts the replicas holding them all. On a Redis Cluster both go to the primary
        that owns the comment's partition (WAIT names no key; left to itself, redis-py would
        send it to any node), so the replicas counted are the ones holding the comment."""
        mark = keys.wait_mark(ref)
        async with async_unavailable_as_error():
            target = await adata_node(self._client, mark)
            pipe = self._client.pipeline(transaction=False)
            pipe.set(mark, ref, px=_WAIT_MARK_TTL_MS)
            wait = ("WAIT", self._wait_replicas, self._wait_timeout_ms)
            pipe.execute_command(*wait, **target)
            _, acknowledged = await pipe.execute()
        if int(acknowledged) < self._wait_replicas:
            raise NotReplicatedError(
                f"Comment {ref!r} is stored on the Redis primary, but only {acknowledged} of "
                f"{self._wait_replicas} replica(s) confirmed it within {self._wait_timeout_ms} "
                "ms (webhook.wait_replicas); retry: the comment is kept and a retry is recognised."
            )

    async def _store(self, comment: Comment, received_ms: int) -> Accepted:
        """Store `comment` as revision 1, as a new revision, or recognise a redelivery.

        StoreUnavailableError when Redis is down or refuses writes (out of memory),
        BacklogFullError when the workers are too far behind: in both cases nothing was stored
        and the sender must retry.
        """
        body, digest = json.dumps(comment.to_dict()), text_digest(comment.text)
        async with async_unavailable_as_error():
            for _ in range(_ACCEPT_ROUNDS):
                created = await self._accept(
                    keys=[keys.comment(comment.ref), keys.part_of(comment.ref).ingest],
                    args=[body, received_ms, comment.ref, self._max_backlog, digest],
                )
                if created == -1:
                    raise self._full()
                if created == 1:
                    return Accepted("accepted", 1)
                found = await self._revision(comment, body, digest, received_ms)
                if found is not None:
                    return found
        raise StoreUnavailableError(
            f"Comment {comment.ref!r} changed {_ACCEPT_ROUNDS} times while being stored; retry."
        )

    async def _revision(
        self, comment: Comment, body: str, digest: str, received_ms: int
    ) -> Accepted | None:
        """A redelivery or a new revision of a stored comment; None to look again."""
        stored = await read_stored(self._client, comment.ref)
        if stored is None:
            return None  # gone between the two reads: ACCEPT again
        if stored.digest == digest:
            return Accepted("duplicate", stored.revision)
        script_keys, (given, has_author, changed) = requeue_keys(
            stored, keys.revisions(comment.ref), comment.to_dict()
        )
        status, revision = await self._revise(
            keys=script_keys,
            args=[
                body,
                digest,
                received_ms,
                comment.ref,
                self._max_backlog,
                stored.revision,
                given,
                has_author,
                changed,
                received_ms,
            ],
        )
        if status == "full":
            raise self._full()
        if status in ("revised", "duplicate"):
            return Accepted(status, int(revision))
        return None  # retry, missing: read again

    def _full(self) -> BacklogFullError:
        return BacklogFullError(
            f"{self._max_backlog} comments are waiting to be scored; retry later."
        )

    async def backlog(self) -> int:
        """Entries not yet scored (pending ones included), over every partition: scored
        entries are deleted. (The ceiling, ingest.max_backlog, is per partition.)"""
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for part in keys.parts():
                pipe.xlen(part.ingest)
            return sum(int(n) for n in await pipe.execute())


@dataclass(frozen=True, slots=True)
class Delivery:
    message_id: str
    ref: str
    comment: Comment | None  # None when the hash is gone (nothing to score: acknowledge it)
    received_ms: int
    deliveries: int = 1  # how many times the stream has handed this message out
    revision: int = 1  # the comment's revision when the message was read (what is scored)
    entry_revision: int | None = None  # the revision the entry was written for (None: old entry)

    @property
    def superseded(self) -> bool:
        """A newer revision arrived before this entry was scored: its own entry scores it."""
        return self.entry_revision is not None and self.entry_revision < self.revision


class RedisIngestConsumer:
    """Worker side of the stream (synchronous: scoring is CPU-bound and runs in this thread)."""

    def __init__(self, client: redis.Redis, consumer: str, *, deliver_callbacks: bool) -> None:
        self._client = client
        self.consumer = consumer
        self.deliver_callbacks = deliver_callbacks
        self._store = client.register_script(redis_scripts.STORE_SCORED)
        self._fail = client.register_script(redis_scripts.FAIL)
        self._turn = 0

    @property
    def client(self) -> redis.Redis:
        return self._client

    def ensure_group(self) -> None:
        """The consumer group on every partition's ingest stream."""
        with unavailable_as_error():
            for part in keys.parts():
                try:
                    self._client.xgroup_create(part.ingest, keys.INGEST_GROUP, "0", mkstream=True)
                except redis.ResponseError as exc:
                    if "BUSYGROUP" not in str(exc):
                        raise

    def read(self, count: int, block_ms: int | None) -> list[Delivery]:
        """New messages for this consumer from any partition; block_ms None means do not
        block. (Not on a Redis Cluster with several partitions: their streams are on several
        nodes; the worker polls them there, worker.py.)"""
        reply: Any
        with unavailable_as_error():
            reply = self._client.xreadgroup(
                keys.INGEST_GROUP,
                self.consumer,
                {part.ingest: ">" for part in keys.parts()},
                count=count,
                block=block_ms,
            )
            return self._load([e for _, entries in reply or [] for e in entries])

    def poll(self, count: int, skip: keys.Partition | None = None) -> list[Delivery]:
        """New messages from every partition but `skip`, without blocking, one XREADGROUP per
        partition (each may be on another cluster node), starting at a rotating partition so
        none waits behind a busy one."""
        others = [p for p in keys.parts() if p != skip]
        if not others:
            return []
        self._turn = (self._turn + 1) % len(others)
        entries: list[Any] = []
        with unavailable_as_error():
            for part in others[self._turn :] + others[: self._turn]:
                if len(entries) >= count:
                    break
                reply = self._client.xreadgroup(
                    keys.INGEST_GROUP, self.consumer, {part.ingest: ">"}, count=count - len(entries)
                )
                entries += reply[0][1] if reply else []
        return self._load(entries)

    def reclaim(self, min_idle_ms: int, count: int) -> list[Delivery]:
        """Take over messages pending on any consumer for at least `min_idle_ms` (a dead worker's,
        or our own that failed), oldest first, partition after partition."""
        out: list[Delivery] = []
        with unavailable_as_error():
            for part in keys.parts():
                if len(out) >= count:
                    break
                reply = self._client.xautoclaim(
                    part.ingest,
                    keys.INGEST_GROUP,
                    self.consumer,
                    min_idle_time=min_idle_ms,
                    start_id="0-0",
                    count=count - len(out),
                )
                entries = [e for e in reply[1] if e[1] is not None]
                loaded = self._load(entries)
                out += [replace(d, deliveries=self._times_delivered(d)) for d in loaded]
        return out

    def _times_delivered(self, delivery: Delivery) -> int:
        info = self._client.xpending_range(
            keys.part_of(delivery.ref).ingest,
            keys.INGEST_GROUP,
            min=delivery.message_id,
            max=delivery.message_id,
            count=1,
        )
        return int(info[0]["times_delivered"]) if info else 1

    def store(
        self,
        delivery: Delivery,
        record: dict,
        queue_score: int,
        now_ms: int,
        *,
        failed: tuple[str, int] | None = None,
    ) -> str:
        """Store the scored record of the delivery's revision, queue it (unless approved),
        append the feed event and acknowledge, atomically. `failed` (error, attempts) marks a
        record made because scoring failed for good: the comment is also listed as an ingest
        dead letter. A record marked `sampled` (the control sample) is approved all the same
        (the feed event and callback say approve) and queued in the "sample" queue. Returns the
        state found before ('superseded' when a newer revision arrived meanwhile: nothing
        stored, only acknowledged)."""
        action = record["action"]
        comment = delivery.comment
        assert comment is not None
        event = {
            "event": "scored",
            "site": comment.site,
            "id": comment.id,
            "revision": delivery.revision,
            "action": action,
            "priority": record["priority"],
            "reasons": record["reasons"],
            "model": record["model"],
            "at": now_ms,
        }
        placed = (
            redis_index.SAMPLE_QUEUE if action == "approve" and record.get("sampled") else action
        )
        part = keys.part_of(delivery.ref)
        queue = part.queue(placed) if placed != "approve" else part.queue("review")
        extra_keys, extra_args = redis_index.scored_extras(
            delivery.ref, comment.to_dict(), {**record, "action": placed}, queue_score
        )
        error, attempts = failed or ("", 0)
        with unavailable_as_error():
            found = self._store(
                keys=[
                    keys.comment(delivery.ref),
                    queue,
                    part.feed,
                    part.outbox,
                    part.ingest,
                    *extra_keys,
                ],
                args=[
                    delivery.message_id,
                    keys.INGEST_GROUP,
                    json.dumps(record),
                    placed,
                    record["priority"],
                    queue_score,
                    now_ms,
                    json.dumps(event),
                    "1" if self.deliver_callbacks else "0",
                    delivery.ref,
                    *extra_args,
                    delivery.revision,
                    error[:2000],
                    attempts,
                ],
            )
        return str(found)

    def ack_missing(self, delivery: Delivery) -> None:
        """Acknowledge and delete a message with nothing to score (comment gone, or superseded
        by a newer revision whose own message scores it)."""
        with unavailable_as_error():
            ingest = keys.part_of(delivery.ref).ingest
            self._client.xack(ingest, keys.INGEST_GROUP, delivery.message_id)
            self._client.xdel(ingest, delivery.message_id)

    def fail(self, delivery: Delivery, error: str) -> int:
        """Count a failed scoring attempt of the delivery's revision; returns the attempts so
        far, or 0 when it no longer matters (scored meanwhile, or superseded)."""
        with unavailable_as_error():
            return int(
                self._fail(
                    keys=[keys.comment(delivery.ref)], args=[error[:2000], delivery.revision]
                )
            )

    def deliveries(self, entries: list) -> list[Delivery]:
        """Raw entries of the ingest stream (read elsewhere, e.g. together with the sync
        stream) as deliveries."""
        return self._load(entries)

    def _load(self, entries: list) -> list[Delivery]:
        if not entries:
            return []
        pipe = self._client.pipeline(transaction=False)
        for _, fields in entries:
            pipe.hmget(keys.comment(fields["ref"]), "comment", "received_at", "revision")
        out = []
        for (message_id, fields), (raw, received, revision) in zip(
            entries, pipe.execute(), strict=True
        ):
            comment = Comment.from_dict(json.loads(raw)) if raw else None
            entry_revision = int(fields["rev"]) if fields.get("rev") else None
            out.append(
                Delivery(
                    message_id,
                    fields["ref"],
                    comment,
                    int(received or 0),
                    revision=int(revision or 1),
                    entry_revision=entry_revision,
                )
            )
        return out
