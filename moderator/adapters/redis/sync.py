"""Synchronous scoring through Redis: a request/reply path that skips the batch wait.

The API side (`RedisSyncScoring`, async) adds a request to `keys.SYNC_STREAM` with a deadline
and waits on the request's own reply list (BLPOP) for at most `timeout_s`: any worker of any
host may answer, and any number of API processes share the stream. The worker side
(`RedisSyncConsumer`) reads the sync stream before the ingest stream (one blocking XREADGROUP
on both when idle), skips requests whose deadline has passed (nobody waits for them), and
answers by LPUSH + PEXPIRE, then acknowledges and deletes the entry. A request whose worker
dies is not retried: its caller has timed out (503) and may send it again; `sweep` forgets it.
Nothing here stores the comment.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis.client import async_unavailable_as_error, unavailable_as_error
from moderator.core.models import Comment
from moderator.errors import SyncTimeoutError

_MAX_LEN = 10_000  # the stream is a queue of live requests: trim old entries
_REPLY_TTL_MS = 30_000


class RedisSyncScoring:
    def __init__(self, client: aioredis.Redis, *, timeout_s: float) -> None:
        self._client = client
        self.timeout_s = timeout_s

    async def score(self, comment: Comment, hint: str | None) -> dict[str, Any]:
        """The score record (dict, with `policy_version`) a worker made for `comment`, the
        language `hint` used only when the detector is unsure. SyncTimeoutError when no worker
        answers within `timeout_s`; StoreUnavailableError when Redis is unreachable."""
        request_id = secrets.token_hex(12)
        deadline_ms = int((time.time() + self.timeout_s) * 1000)
        fields = {
            "id": request_id,
            "comment": json.dumps(comment.to_dict()),
            "hint": hint or "",
            "deadline": deadline_ms,
        }
        async with async_unavailable_as_error():
            await self._client.xadd(keys.SYNC_STREAM, fields, maxlen=_MAX_LEN, approximate=True)
            reply = await self._client.blpop([keys.sync_reply(request_id)], self.timeout_s)
        if reply is None:
            raise SyncTimeoutError(
                f"No scoring worker answered within {self.timeout_s:g} s; "
                "start one with `moderator worker`."
            )
        answer: dict[str, Any] = json.loads(reply[1])
        return answer


@dataclass(frozen=True, slots=True)
class SyncRequest:
    message_id: str
    request_id: str
    comment: Comment
    hint: str | None
    deadline_ms: int


class RedisSyncConsumer:
    """Worker side: read sync requests (first), answer them."""

    def __init__(self, client: redis.Redis, consumer: str) -> None:
        self._client = client
        self.consumer = consumer

    def ensure_group(self) -> None:
        with unavailable_as_error():
            try:
                self._client.xgroup_create(keys.SYNC_STREAM, keys.SYNC_GROUP, "0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def read(self, count: int) -> list[SyncRequest]:
        """Waiting requests, without blocking."""
        with unavailable_as_error():
            reply = self._client.xreadgroup(
                keys.SYNC_GROUP, self.consumer, {keys.SYNC_STREAM: ">"}, count=count
            )
        return self._requests(reply[0][1] if reply else [])

    def wait(
        self, count: int, block_ms: int, ingest: list[str], ingest_group: str
    ) -> tuple[list[SyncRequest], list[Any]]:
        """Block until a sync request or an ingest message arrives (one XREADGROUP on the sync
        stream and the `ingest` streams, so an idle worker answers a sync request at once):
        (sync requests, raw ingest entries). Every stream's group must exist; on a Redis
        Cluster the streams must share the sync stream's slot."""
        reply: Any
        with unavailable_as_error():
            reply = self._client.xreadgroup(
                keys.SYNC_GROUP,
                self.consumer,
                {keys.SYNC_STREAM: ">", **{stream: ">" for stream in ingest}},
                count=count,
                block=block_ms,
            )
        found = {stream: entries for stream, entries in reply or []}
        entries = [e for stream in ingest for e in found.get(stream, [])]
        return self._requests(found.get(keys.SYNC_STREAM, [])), entries

    def answer(self, request: SyncRequest, body: dict[str, Any]) -> None:
        """Send the answer (when its caller still waits) and forget the request."""
        with unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            if request.deadline_ms > time.time() * 1000:
                reply = keys.sync_reply(request.request_id)
                pipe.lpush(reply, json.dumps(body))
                pipe.pexpire(reply, _REPLY_TTL_MS)
            pipe.xack(keys.SYNC_STREAM, keys.SYNC_GROUP, request.message_id)
            pipe.xdel(keys.SYNC_STREAM, request.message_id)
            pipe.execute()

    def sweep(self, min_idle_ms: int, count: int = 100) -> int:
        """Forget requests left pending by a dead worker for `min_idle_ms` (their callers gave
        up long ago): acknowledged and deleted, never scored. Returns how many."""
        with unavailable_as_error():
            reply: Any = self._client.xautoclaim(
                keys.SYNC_STREAM,
                keys.SYNC_GROUP,
                self.consumer,
                min_idle_time=min_idle_ms,
                start_id="0-0",
                count=count,
                justid=True,
            )
            ids = list(reply or [])  # with JUSTID, redis-py answers the ids alone
            if ids:
                self._client.xack(keys.SYNC_STREAM, keys.SYNC_GROUP, *ids)
                self._client.xdel(keys.SYNC_STREAM, *ids)
        return len(ids)

    def _requests(self, entries: list[Any]) -> list[SyncRequest]:
        out = []
        for message_id, fields in entries:
            try:
                out.append(
                    SyncRequest(
                        message_id,
                        fields["id"],
                        Comment.from_dict(json.loads(fields["comment"])),
                        fields.get("hint") or None,
                        int(fields["deadline"]),
                    )
                )
            except (KeyError, ValueError, TypeError):  # not ours: drop it
                with unavailable_as_error():
                    self._client.xack(keys.SYNC_STREAM, keys.SYNC_GROUP, message_id)
                    self._client.xdel(keys.SYNC_STREAM, message_id)
        return out
