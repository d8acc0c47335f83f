"""Comment records, decisions (versioned, undoable), notes and the pull feed.

A decision is one atomic script (redis_scripts.DECIDE): state, version, the queue indexes, the
claim, the author's counts, the recently-decided list, the feed event, the audit entry, the
decision history and the callback all change together or not at all. A platform's own verdict
(redis_scripts.PLATFORM_DECIDE) does the same in any state, without a callback.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis
import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import index as redis_index
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.audit import just_after
from moderator.adapters.redis.claims import live_claim
from moderator.adapters.redis.client import async_unavailable_as_error
from moderator.adapters.redis.merge import decode_cursor, encode_cursor, merge_forward
from moderator.core.models import Decision
from moderator.core.ordering import queue_score
from moderator.errors import (
    ClaimedError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    StaleRevisionError,
)

ALL_QUEUES = redis_index.QUEUE_NAMES
REJECT_REASONS = (
    "abusive",
    "hate speech",
    "harassment",
    "threat",
    "spam",
    "off-topic",
    "illegal",
    "other",
)
_STATES = {"approve": "approved", "reject": "rejected", "escalate": "escalated"}
_RETRIES = 5
_NOTES_MAX = 100


class _StaleError(Exception):
    """The comment changed between reading it and deciding: read it again."""


class RedisReviewStore:
    def __init__(
        self, client: aioredis.Redis, *, deliver_callbacks: bool, recent_max: int = 500
    ) -> None:
        self._client = client
        self.deliver_callbacks = deliver_callbacks
        self.recent_max = recent_max
        self._decide = client.register_script(redis_scripts.DECIDE)
        self._undo = client.register_script(redis_scripts.UNDO)
        self._platform_decide = client.register_script(redis_scripts.PLATFORM_DECIDE)

    async def list_queue(self, queue: str, *, offset: int, limit: int) -> list[dict[str, Any]]:
        """Comments in priority order (then oldest first), by offset (see RedisQueues for
        filtered views and cursors); several partitions' queues are merged by score (each
        read to offset + limit)."""
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for part in keys.parts():
                pipe.zrange(part.queue(queue), 0, offset + limit - 1, withscores=True)
            merged = sorted((score, ref) for found in await pipe.execute() for ref, score in found)
            refs = [ref for _, ref in merged[offset : offset + limit]]
            items = await load_items(self._client, refs)
        return [i for i in items if i is not None]

    async def list_refs(self, refs: list[str]) -> list[dict[str, Any]]:
        """The named comments that exist, in the order given."""
        async with async_unavailable_as_error():
            items = await load_items(self._client, refs)
        return [i for i in items if i is not None]

    async def get(self, ref: str) -> dict[str, Any]:
        """The comment with its record, decision, version and claim; NotFoundError if none."""
        async with async_unavailable_as_error():
            (item,) = await load_items(self._client, [ref])
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
        is_admin: bool = False,
        revision: int | None = None,
    ) -> dict[str, Any]:
        """Record a reviewer's decision atomically with its feed, audit and outbox entries, and
        release their claim. `revision` is the revision the reviewer saw (None: the current
        one, whatever it is).

        NotFoundError for an unknown comment; StaleRevisionError when `revision` is not the
        current revision (the comment was edited since); ConflictError when it is not awaiting
        a decision; ClaimedError when another reviewer's claim has not expired; ForbiddenError
        for an escalated comment and a caller who is not an admin.
        """
        for _ in range(_RETRIES):
            item = await self.get(ref)
            body = {
                "decision": str(decision),
                "reason": reason,
                "note": note,
                "by": by,
                "at": now_ms,
                "version": item["version"] + 1,
                "revision": item["revision"] if revision is None else revision,
                "previous": {
                    k: item.get(k) for k in ("state", "queue", "queue_score", "queued_at")
                },
            }
            try:
                return await self._run_decide(item, decision, body, is_admin)
            except StaleRevisionError:
                if revision is not None:
                    raise
            except _StaleError:
                continue
        raise ConflictError(f"Comment {ref!r} keeps changing; reload it and try again.")

    async def _run_decide(
        self, item: dict[str, Any], decision: Decision, body: dict[str, Any], is_admin: bool
    ) -> dict[str, Any]:
        ref, now_ms = item["ref"], body["at"]
        adding: list[str] = []
        if decision is Decision.ESCALATE:
            by_priority, by_age = redis_index.index_keys(
                "escalated", item["dims"], keys.part_of(ref)
            )
            adding = by_priority + by_age
        state = _STATES[str(decision)]
        reply = await self._script(
            self._decide,
            item,
            adding,
            [
                str(decision),
                body["by"],
                now_ms,
                json.dumps(body),
                json.dumps(_event(item, body, state)),
                "1" if self._delivers(item, decision) else "0",
                ref,
                item["version"],
                "1" if is_admin else "0",
                queue_score(float(item.get("priority") or 0), now_ms),
                len(redis_index.all_index_keys(item["dims"])),
                len(adding) // 2,
                self.recent_max,
                "1" if redis_index.author_keys(item["comment"])[2] else "0",
                body["revision"],
            ],
        )
        return {**body, "ref": ref, "feed_id": reply[0], "version": int(reply[1]), "state": state}

    def _delivers(self, item: dict[str, Any], decision: Decision) -> bool:
        """Whether a decision goes to the platform by callback. From the control sample's
        queue only a rejection does: the platform was told "approve" when it was scored."""
        if item.get("queue") == redis_index.SAMPLE_QUEUE:
            return self.deliver_callbacks and decision is Decision.REJECT
        return self.deliver_callbacks

    async def platform_decide(
        self,
        ref: str,
        decision: Decision,
        *,
        by: str,
        reason: str | None,
        note: str | None,
        now_ms: int,
    ) -> dict[str, Any]:
        """Record a verdict the platform made itself (PLATFORM_DECIDE: any state; out of every
        queue; feed, audit and history; no callback). The same verdict repeated by the same
        platform (a retried request) changes nothing and comes back with `repeated: true`.
        NotFoundError for an unknown comment."""
        for _ in range(_RETRIES):
            item = await self.get(ref)
            last = item.get("decision") or {}
            same = (last.get("by"), last.get("decision"), last.get("reason"))
            if same == (by, str(decision), reason) and item["state"] == _STATES[str(decision)]:
                return {**last, "ref": ref, "state": item["state"], "repeated": True}
            body: dict[str, Any] = {"decision": str(decision), "reason": reason, "note": note}
            body |= {"by": by, "at": now_ms, "version": item["version"] + 1, "previous": None}
            state = _STATES[str(decision)]
            args: list[Any] = [str(decision), by, now_ms, json.dumps(body)]
            args += [json.dumps(_event(item, body, state)), ref, item["version"]]
            args += [len(redis_index.all_index_keys(item["dims"])), self.recent_max]
            args += ["1" if redis_index.author_keys(item["comment"])[2] else "0"]
            try:
                reply = await self._script(self._platform_decide, item, [], args)
            except _StaleError:
                continue
            return {**body, "ref": ref, "version": int(reply[1]), "state": state, "repeated": False}
        raise ConflictError(f"Comment {ref!r} keeps changing; try again.")

    async def undo(
        self, ref: str, version: int, *, by: str, now_ms: int, window_ms: int, lease_ms: int
    ) -> dict[str, Any]:
        """Undo decision `version` on the comment: a new decision (version + 1) that puts it
        back where it was, claimed by `by`. Only the reviewer who made it, only while it is the
        latest decision, only within `window_ms`: ConflictError (or ForbiddenError) otherwise."""
        item = await self.get(ref)
        previous = _undoable(item, version, by, now_ms - window_ms)
        queue = previous["queue"]
        restored = "escalated" if queue == "escalated" else "queued"
        by_priority, by_age = redis_index.index_keys(queue, item["dims"], keys.part_of(ref))
        body = {"decision": "undo", "reason": None, "note": None, "by": by, "at": now_ms}
        body |= {"version": version + 1, "undoes": version, "previous": None}
        reply = await self._script(
            self._undo,
            item,
            by_priority + by_age,
            [
                by,
                now_ms,
                json.dumps(body),
                json.dumps(_event(item, body, restored)),
                "1" if self.deliver_callbacks else "0",
                ref,
                version,
                queue,
                previous.get("queue_score") or 0,
                previous.get("queued_at") or now_ms,
                len(redis_index.all_index_keys(item["dims"])),
                len(by_priority),
                "1" if redis_index.author_keys(item["comment"])[2] else "0",
                lease_ms,
            ],
        )
        return {
            **body,
            "ref": ref,
            "feed_id": reply[0],
            "version": int(reply[1]),
            "state": restored,
        }

    async def _script(
        self, script: Any, item: dict[str, Any], adding: list[str], args: list[Any]
    ) -> list[Any]:
        ref = item["ref"]
        part = keys.part_of(ref)
        _, counts, _ = redis_index.author_keys(item["comment"])
        script_keys = [
            keys.comment(ref),
            part.claims,
            part.feed,
            part.audit,
            part.outbox,
            keys.outbox_chain(ref),
            part.recent,
            counts,
            keys.history(ref),
            part.outbox_refs,
            *redis_index.all_index_keys(item["dims"], part),
            *adding,
        ]
        async with async_unavailable_as_error():
            try:
                reply: list[Any] = await script(keys=script_keys, args=args)
            except redis.ResponseError as exc:
                raise _script_error(ref, str(exc)) from None
        return reply

    async def revisions(self, ref: str) -> list[dict[str, Any]]:
        """The comment's earlier revisions, oldest first: each {revision, state (when it was
        superseded: `received` means it was never scored), received_at, superseded_at,
        version, comment, record, decision}. The current revision is the comment itself."""
        async with async_unavailable_as_error():
            raw = await self._client.lrange(keys.revisions(ref), 0, -1)
        return [json.loads(r) for r in raw]

    async def add_note(self, ref: str, *, by: str, text: str, now_ms: int) -> dict[str, Any]:
        """Append a reviewer's note to the comment (the newest 100 are kept)."""
        await self.get(ref)
        note = {"by": by, "at": now_ms, "text": text}
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=True)
            pipe.rpush(keys.notes(ref), json.dumps(note))
            pipe.ltrim(keys.notes(ref), -_NOTES_MAX, -1)
            await pipe.execute()
        return note

    async def feed(self, after: str | None, limit: int) -> list[dict[str, Any]]:
        """Feed events after the cursor, oldest first; `cursor` on each is the position after
        it (merge.py: the event's feed id with one partition, `v2.…` with several). ValueError
        for a cursor that is not one."""
        starts = decode_cursor(after)
        parts = keys.parts()

        async def read(k: int, start: str | None, n: int) -> list[Any]:
            low = just_after(start) if start else "-"
            if low is None:  # the last possible id: nothing can come after it
                return []
            found: Any = await self._client.xrange(parts[k].feed, min=low, count=n)
            return list(found)

        async with async_unavailable_as_error():
            taken, _ = await merge_forward(read, starts, limit)
        positions, events = list(starts), []
        for k, fid, fields in taken:
            positions[k] = fid
            events.append({"cursor": encode_cursor(positions), **json.loads(fields["data"])})
        return events


def _undoable(item: dict[str, Any], version: int, by: str, since_ms: int) -> dict[str, Any]:
    """Where decision `version` took the comment from, if `by` may undo it now (it is the
    latest, theirs, made after `since_ms`); ConflictError or ForbiddenError otherwise."""
    ref, last = item["ref"], item.get("decision") or {}
    if item["version"] != version or last.get("decision") not in _STATES:
        raise ConflictError(f"Decision {version} on {ref!r} is not the latest; not undone.")
    if last.get("by") != by:
        raise ForbiddenError(f"Only {last.get('by')} can undo their decision.")
    if int(last.get("at") or 0) < since_ms:
        raise ConflictError(f"The undo window for {ref!r} has passed.")
    previous: dict[str, Any] = last.get("previous") or {}
    if previous.get("queue") not in ALL_QUEUES:
        raise ConflictError(f"Comment {ref!r} has no queue to go back to.")
    return previous


def _event(item: dict[str, Any], body: dict[str, Any], state: str) -> dict[str, Any]:
    """The `decided` feed event (DESIGN.md): what was decided, by whom, and what they saw."""
    comment, record = item["comment"], item.get("record") or {}
    event = {
        "event": "decided",
        "site": comment["site"],
        "id": comment["id"],
        **{k: body[k] for k in ("decision", "reason", "note", "by", "at", "version")},
        "revision": item["revision"],
        "state": state,
        "previous_state": item["state"],
        "queue": item.get("queue"),
        "scores": record.get("scores"),
        "model": record.get("model"),
        "policy_version": record.get("policy_version"),
        "priority": item.get("priority"),
    }
    if "undoes" in body:
        event["undoes"] = body["undoes"]
    return event


def _script_error(ref: str, message: str) -> Exception:
    if message.startswith("NOTFOUND"):
        return NotFoundError(f"No comment {ref!r}.")
    if message.startswith("STALE"):
        return _StaleError()
    if message.startswith("REVISION "):
        current = int(message.removeprefix("REVISION ").strip() or 0)
        return StaleRevisionError(
            f"Comment {ref!r} was edited: revision {current} is current; reload it and decide "
            "what it says now.",
            current,
        )
    if message.startswith("FORBIDDEN"):
        return ForbiddenError("Only admins decide escalated comments.")
    if message.startswith("CLAIMED "):
        owner = message.removeprefix("CLAIMED ").strip()
        return ClaimedError(f"Comment {ref!r} is being reviewed by {owner}.", owner)
    state = message.removeprefix("STATE ").strip()
    return ConflictError(f"Comment {ref!r} is {state}, not awaiting this decision.")


async def load_items(client: aioredis.Redis, refs: list[str]) -> list[dict[str, Any] | None]:
    """The comments (None where missing), each with its live claim (or None)."""
    if not refs:
        return []
    pipe = client.pipeline(transaction=False)
    for ref in refs:
        pipe.hgetall(keys.comment(ref))
    for ref in refs:
        pipe.hget(keys.part_of(ref).claims, ref)
    replies = await pipe.execute()
    hashes, claims = replies[: len(refs)], replies[len(refs) :]
    now_ms = int(time.time() * 1000)
    out = []
    for ref, h, value in zip(refs, hashes, claims, strict=True):
        held = live_claim(value, now_ms)
        claim = {"by": held[0], "expires_at_ms": held[1]} if held else None
        out.append(_decode(ref, h, claim))
    return out


def _decode(ref: str, h: dict[str, str], claim: dict[str, Any] | None) -> dict[str, Any] | None:
    if not h:
        return None
    comment = json.loads(h["comment"])
    record = json.loads(h["record"]) if "record" in h else None
    return {
        "ref": ref,
        "state": h.get("state"),
        "queue": h.get("queue"),
        "priority": float(h["priority"]) if "priority" in h else None,
        "received_at": int(h.get("received_at", 0)),
        "queued_at": int(h["queued_at"]) if "queued_at" in h else None,
        "queue_score": int(float(h["queue_score"])) if "queue_score" in h else None,
        "comment": comment,
        "record": record,
        "decision": json.loads(h["decision"]) if "decision" in h else None,
        "decided_at": int(h["decided_at"]) if "decided_at" in h else None,
        "version": int(h.get("version", 0)),
        "revision": int(h.get("revision", 1)),
        "dims": json.loads(h["ix"]) if "ix" in h else redis_index.dims(comment, record),
        "claim": claim,
        "attempts": int(h.get("attempts", 0)),
        "last_error": h.get("last_error"),
    }
