"""The audit log: every decision (and undo) as an immutable stream entry, searched and exported.

Each entry is the `decided` feed event, appended by the decide and undo scripts to the audit
stream of the comment's partition (`keys.part_of(ref).audit`, and its id to the comment's
history list) in the same step as the decision. Nothing ever rewrites or deletes an entry.

Search is bounded: by comment id it reads that comment's history list (O(decisions on it));
otherwise it walks the partitions' streams merged newest first within the time range (stream
ids are times, so the range costs O(log n) to find) and reads at most `scan_max` entries per
call, returning a cursor to go on from when it stopped early. Between equal ids of different
partitions the walk goes from the highest partition down. The cursor (`next_before`) is the
last entry read's id with one partition, exactly as before partitions; with several it is
merge.py's v2 form holding, per partition, the id every entry still to come there is older
than, so the next page resumes exactly and never shows entries newer than the last one. A
plain id given as `before` to a partitioned install means "older than this" everywhere.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import merge
from moderator.adapters.redis.client import async_unavailable_as_error
from moderator.adapters.redis.merge import decode_cursor, encode_cursor, id_key, merge_forward

_CHUNK = 500
_SKEW_MS = 300_000
#: What a `before` cursor looks like (web routes check it before asking Redis).
CURSOR = merge.CURSOR


@dataclass(frozen=True, slots=True)
class AuditQuery:
    reviewer: str | None = None
    site: str | None = None
    comment_id: str | None = None
    decision: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    before: str | None = None  # a cursor (`next_before`): continue with older entries

    def matches(self, event: dict[str, Any]) -> bool:
        return (
            (not self.reviewer or event.get("by") == self.reviewer)
            and (not self.site or event.get("site") == self.site)
            and (not self.comment_id or event.get("id") == self.comment_id)
            and (not self.decision or event.get("decision") == self.decision)
            and (self.since_ms is None or int(event.get("at") or 0) >= self.since_ms)
            and (self.until_ms is None or int(event.get("at") or 0) <= self.until_ms)
        )


@dataclass(slots=True)
class AuditPage:
    entries: list[dict[str, Any]]
    next_before: str | None  # set when more may match: pass it as `before`
    scanned: int


Found = tuple[int, str, dict[str, str]]  # (partition, audit id, fields)


class RedisAudit:
    def __init__(self, client: aioredis.Redis, *, scan_max: int) -> None:
        self._client = client
        self.scan_max = scan_max

    async def search(self, query: AuditQuery, limit: int) -> AuditPage:
        """Matching entries, newest first, each with the comment it is about (or None).
        ValueError for a `before` that is no cursor (or one made for another number of
        partitions)."""
        async with async_unavailable_as_error():
            if query.comment_id:
                page = await self._by_comment(query, limit)
            else:
                page = await self._walk(query, limit)
            page.entries = await self.with_comments(page.entries)
        return page

    async def _by_comment(self, query: AuditQuery, limit: int) -> AuditPage:
        ref = f"{query.site or 'default'}:{query.comment_id}"
        ids = await self._client.lrange(keys.history(ref), 0, -1)
        stream = keys.part_of(ref).audit
        pipe = self._client.pipeline(transaction=False)
        for aid in reversed(ids):
            pipe.xrange(stream, min=aid, max=aid)
        found = [_entry(e[0]) for e in await pipe.execute() if e]
        return AuditPage([e for e in found if query.matches(e)][:limit], None, len(found))

    async def _walk(self, query: AuditQuery, limit: int) -> AuditPage:
        high = _stream_id(query.until_ms, "+")
        positions = decode_cursor(query.before, newest_first=True)
        tops = [high if p is None else just_before(p) for p in positions]
        bottom = _stream_id(query.since_ms, "-")
        out: list[dict[str, Any]] = []
        scanned, last = 0, None
        while len(out) < limit and scanned < self.scan_max:
            count = min(_CHUNK, self.scan_max - scanned)
            batch = await self._newest(tops, bottom, count)
            for k, aid, fields in batch:
                scanned, last = scanned + 1, (k, aid)
                entry = _entry((aid, fields))
                if query.matches(entry):
                    out.append(entry)
                    if len(out) >= limit:
                        break
            if len(batch) < count:
                return AuditPage(out, _cursor(last) if len(out) >= limit else None, scanned)
            k, aid, _ = batch[-1]
            tops = [just_before(p) for p in _older_than(k, aid)]
        return AuditPage(out, _cursor(last), scanned)

    async def _newest(self, tops: list[str | None], bottom: str, count: int) -> list[Found]:
        """The newest `count` entries down to `bottom` across partitions, merged (ties: the
        highest partition first); partition k is read from `tops[k]` down (None: nothing
        left there)."""
        parts = keys.parts()
        wanted = [k for k, top in enumerate(tops) if top is not None]
        if not wanted:
            return []
        pipe = self._client.pipeline(transaction=False)
        for k in wanted:
            pipe.xrevrange(parts[k].audit, tops[k], bottom, count=count)
        found = [
            (k, aid, fields)
            for k, batch in zip(wanted, await pipe.execute(), strict=True)
            for aid, fields in batch
        ]
        return heapq.nlargest(count, found, key=lambda e: (id_key(e[1]), e[0]))

    async def entries(
        self, since_ms: int | None = None, until_ms: int | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every entry in the range, oldest first (the partitions merged), each with its
        comment (for export)."""
        low = _stream_id(since_ms, "-")
        high = _stream_id(until_ms, "+")
        window = AuditQuery(since_ms=since_ms, until_ms=until_ms)
        parts = keys.parts()

        async def read(k: int, after: str | None, n: int) -> list[Any]:
            start = low if after is None else f"({after}"
            found: Any = await self._client.xrange(parts[k].audit, start, high, count=n)
            return list(found)

        positions: list[str | None] = [None] * len(parts)
        while True:
            async with async_unavailable_as_error():
                taken, positions = await merge_forward(read, positions, _CHUNK)
                batch = [_entry((aid, fields)) for _, aid, fields in taken]
                found = await self.with_comments([e for e in batch if window.matches(e)])
            for entry in found:
                yield entry
            if len(taken) < _CHUNK:
                return

    async def with_comments(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Attach to each entry the comment it is about (text, author, thread) or None."""
        if not entries:
            return entries
        pipe = self._client.pipeline(transaction=False)
        for e in entries:
            pipe.hmget(keys.comment(f"{e.get('site')}:{e.get('id')}"), "comment", "record")
        for entry, (comment, record) in zip(entries, await pipe.execute(), strict=True):
            entry["comment"] = json.loads(comment) if comment else None
            entry["record"] = json.loads(record) if record else None
        return entries


def _entry(item: tuple[str, dict[str, str]]) -> dict[str, Any]:
    aid, fields = item
    return {"audit_id": aid, "feed_id": fields.get("feed"), **json.loads(fields["data"])}


def _older_than(k: int, aid: str) -> list[str]:
    """Per partition, the id every entry still to come there is older than once entry `aid`
    of partition k was read: the walk takes equal ids from the highest partition down, so the
    partitions below k may still hold one with this very id."""
    return [aid if j >= k else just_after(aid) or aid for j in range(keys.partitions())]


def _cursor(last: tuple[int, str] | None) -> str | None:
    """`next_before` after the entry `last` (partition, id): its id with one partition."""
    return None if last is None else encode_cursor(_older_than(*last))


_ID_MAX = 2**64 - 1


def just_before(stream_id: str) -> str | None:
    """The greatest stream id below `stream_id` (None when there is none), so a cursor Redis
    would refuse as an exclusive bound ("(0-0", parts past 2^64) cannot reach it."""
    ms_text, _, seq_text = stream_id.partition("-")
    ms, seq = min(int(ms_text), _ID_MAX), min(int(seq_text or 0), _ID_MAX)
    if seq > 0:
        return f"{ms}-{seq - 1}"
    return f"{ms - 1}-{_ID_MAX}" if ms > 0 else None


def just_after(stream_id: str) -> str | None:
    """The least stream id above `stream_id` (None when there is none); see just_before."""
    ms_text, _, seq_text = stream_id.partition("-")
    ms, seq = min(int(ms_text), _ID_MAX), min(int(seq_text or 0), _ID_MAX)
    if seq < _ID_MAX:
        return f"{ms}-{seq + 1}"
    return f"{ms + 1}-0" if ms < _ID_MAX else None


def _stream_id(ms: int | None, default: str) -> str:
    """A stream id bound for a time: ids are `<ms>-<seq>` (Redis's clock), so a time range is
    an id range. Widened by _SKEW_MS for clock skew between web hosts and Redis; entries are
    then matched on their own `at`."""
    if ms is None:
        return default
    if default == "-":
        return f"{min(max(0, ms - _SKEW_MS), _ID_MAX)}-0"
    return f"{min(ms + _SKEW_MS, _ID_MAX)}-{_ID_MAX}"
