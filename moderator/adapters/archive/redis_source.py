"""Decided comments still in Redis: a SCAN over the comment hashes of every partition (one SCAN,
O(hot comments)), then each one's notes, earlier revisions and audit entries (its history list,
ids of its own partition's audit stream) in one pipeline per batch."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any, Protocol

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.archive.model import FINAL_STATES, DecidedComment
from moderator.adapters.redis.index import SAMPLE_QUEUE

_SCAN_COUNT = 1000
_BATCH = 200
_FIELDS = ("state", "decided_at", "scored_at", "queue")


def final_state(state: str | None, queue: str | None) -> str | None:
    """The comment's final state, or None while it awaits a decision. A comment waiting in
    the control sample's queue is approved (the platform was told so when it was scored)."""
    if state == "queued" and queue == SAMPLE_QUEUE:
        return "approved"
    return state if state in FINAL_STATES else None


def last_change_ms(
    state: str | None, decided_at: str | None, scored_at: str | None, queue: str | None = None
) -> int | None:
    """When a comment in a final state got there (None: not in a final state)."""
    if final_state(state, queue) is None:
        return None
    value = decided_at or scored_at
    return int(float(value)) if value else None


def in_window(at: int, since_ms: int | None, until_ms: int | None) -> bool:
    return (since_ms is None or at >= since_ms) and (until_ms is None or at <= until_ms)


async def decided_refs(
    client: aioredis.Redis,
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> AsyncIterator[list[tuple[str, int]]]:
    """Batches of (ref, decided_at) of every comment in a final state decided in the window,
    in every partition."""
    pattern, prefixes = _comment_keys()
    pending: list[tuple[str, str]] = []
    async for key in client.scan_iter(match=pattern, count=_SCAN_COUNT, _type="hash"):
        ref = _ref_of(str(key), prefixes)
        if ref is not None:
            pending.append((str(key), ref))
        if len(pending) >= _BATCH:
            yield await _filter(client, pending, since_ms, until_ms)
            pending = []
    if pending:
        yield await _filter(client, pending, since_ms, until_ms)


def _comment_keys() -> tuple[str, list[str]]:
    """(SCAN pattern, the comment key prefix of each partition). With one partition the pattern
    is that prefix's; with several, one pattern covers every tag (`{mod` then anything), and a
    key counts only when it starts with one of the prefixes exactly."""
    prefixes = [f"{part.prefix}comment:" for part in keys.parts()]
    if len(prefixes) == 1:
        return prefixes[0] + "*", prefixes
    stem = keys.tag(0).removesuffix("}")  # "{mod": what every partition's tag starts with
    return stem + "*:comment:*", prefixes


def _ref_of(key: str, prefixes: list[str]) -> str | None:
    """The ref of a comment key (None: not one, e.g. another key the broad pattern matched)."""
    for prefix in prefixes:
        if key.startswith(prefix):
            return key[len(prefix) :]
    return None


async def _filter(
    client: aioredis.Redis,
    found: list[tuple[str, str]],
    since_ms: int | None,
    until_ms: int | None,
) -> list[tuple[str, int]]:
    pipe = client.pipeline(transaction=False)
    for key, _ in found:
        pipe.hmget(key, *_FIELDS)
    out = []
    for (_, ref), values in zip(found, await pipe.execute(), strict=True):
        at = last_change_ms(*values)
        if at is not None and in_window(at, since_ms, until_ms):
            out.append((ref, at))
    return out


class AuditArchive(Protocol):
    def audit_by_ids(self, ids: list[str]) -> list[dict[str, Any]]: ...


async def load(
    client: aioredis.Redis, refs: list[str], archive: AuditArchive | None = None
) -> list[DecidedComment]:
    """The named comments with everything kept about them (missing or undecided ones left
    out). A decision whose audit entry was already archived and trimmed from the stream (the
    comment stayed hot: a callback still owed, a later edit) is read from `archive` (matched by
    id and comment: ids of different partitions' streams repeat)."""
    pipe = client.pipeline(transaction=False)
    for ref in refs:
        pipe.hgetall(keys.comment(ref))
        pipe.lrange(keys.notes(ref), 0, -1)
        pipe.lrange(keys.revisions(ref), 0, -1)
        pipe.lrange(keys.history(ref), 0, -1)
    replies = await pipe.execute()
    audit_pipe = client.pipeline(transaction=False)
    for i, ref in enumerate(refs):
        for aid in replies[4 * i + 3]:
            audit_pipe.xrange(keys.part_of(ref).audit, min=aid, max=aid)
    found = iter(await audit_pipe.execute())
    per_ref, missing = [], []
    for i in range(len(refs)):
        entries = [(aid, next(found)) for aid in replies[4 * i + 3]]
        missing += [aid for aid, e in entries if not e]
        per_ref.append([audit_entry(e[0]) for _, e in entries if e])
    if missing and archive is not None:
        cold = await asyncio.to_thread(archive.audit_by_ids, missing)
        by_id = {(e["audit_id"], f"{e.get('site')}:{e.get('id')}"): e for e in cold}
        for i, ref in enumerate(refs):
            have = {e["audit_id"] for e in per_ref[i]}
            extra = [
                by_id[(a, ref)] for a in replies[4 * i + 3] if a not in have and (a, ref) in by_id
            ]
            per_ref[i] = sorted(per_ref[i] + extra, key=lambda e: _id_key(e["audit_id"]))
    out = []
    for i, ref in enumerate(refs):
        h, notes, revisions, _ = replies[4 * i : 4 * i + 4]
        item = from_hash(ref, h, notes, revisions, per_ref[i])
        if item is not None:
            out.append(item)
    return out


def _id_key(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


def audit_entry(item: tuple[str, dict[str, str]]) -> dict[str, Any]:
    aid, fields = item
    return {"audit_id": aid, "feed_id": fields.get("feed"), **json.loads(fields["data"])}


def from_hash(
    ref: str,
    h: dict[str, str],
    notes: list[str],
    revisions: list[str],
    decisions: list[dict[str, Any]],
) -> DecidedComment | None:
    at = last_change_ms(h.get("state"), h.get("decided_at"), h.get("scored_at"), h.get("queue"))
    state = final_state(h.get("state"), h.get("queue"))
    if at is None or state is None:
        return None
    comment = json.loads(h["comment"])
    site, _, cid = ref.partition(":")
    return DecidedComment(
        ref=ref,
        site=site,
        id=cid,
        state=state,
        decided_at=at,
        version=int(h.get("version", 0)),
        revision=int(h.get("revision", 1)),
        received_at=int(float(h.get("received_at", 0))),
        comment=comment,
        record=json.loads(h["record"]) if "record" in h else None,
        decision=json.loads(h["decision"]) if "decision" in h else None,
        decisions=decisions,
        notes=[json.loads(n) for n in notes],
        revisions=[json.loads(r) for r in revisions],
        action=h.get("action"),
        sampled=h.get("action") == SAMPLE_QUEUE,
    )
