"""The audit log: every decision (and undo) as an immutable stream entry, searched and exported.

Each entry is the `decided` feed event, appended by the decide and undo scripts to
`keys.AUDIT_STREAM` (and its id to the comment's history list) in the same step as the decision.
Nothing ever rewrites or deletes an entry.

Search is bounded: by comment id it reads that comment's history list (O(decisions on it));
otherwise it walks the stream newest first within the time range (stream ids are times, so the
range costs O(log n) to find) and reads at most `scan_max` entries per call, returning a cursor
to go on from when it stopped early.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis.client import async_unavailable_as_error

_CHUNK = 500
_SKEW_MS = 300_000


@dataclass(frozen=True, slots=True)
class AuditQuery:
    reviewer: str | None = None
    site: str | None = None
    comment_id: str | None = None
    decision: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    before: str | None = None  # an audit id: continue with older entries

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


class RedisAudit:
    def __init__(self, client: aioredis.Redis, *, scan_max: int) -> None:
        self._client = client
        self.scan_max = scan_max

    async def search(self, query: AuditQuery, limit: int) -> AuditPage:
        """Matching entries, newest first, each with the comment it is about (or None)."""
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
        pipe = self._client.pipeline(transaction=False)
        for aid in reversed(ids):
            pipe.xrange(keys.AUDIT_STREAM, min=aid, max=aid)
        found = [_entry(e[0]) for e in await pipe.execute() if e]
        return AuditPage([e for e in found if query.matches(e)][:limit], None, len(found))

    async def _walk(self, query: AuditQuery, limit: int) -> AuditPage:
        top = just_before(query.before) if query.before else _stream_id(query.until_ms, "+")
        bottom = _stream_id(query.since_ms, "-")
        if top is None:  # before the very first id: nothing is older
            return AuditPage([], None, 0)
        out: list[dict[str, Any]] = []
        scanned, last = 0, None
        while len(out) < limit and scanned < self.scan_max:
            count = min(_CHUNK, self.scan_max - scanned)
            batch: Any = await self._client.xrevrange(keys.AUDIT_STREAM, top, bottom, count=count)
            for aid, fields in batch:
                scanned, last = scanned + 1, aid
                entry = _entry((aid, fields))
                if query.matches(entry):
                    out.append(entry)
                    if len(out) >= limit:
                        break
            if len(batch) < count:
                return AuditPage(out, last if len(out) >= limit else None, scanned)
            top = f"({last}"
        return AuditPage(out, last, scanned)

    async def entries(
        self, since_ms: int | None = None, until_ms: int | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every entry in the range, oldest first, each with its comment (for export)."""
        low = _stream_id(since_ms, "-")
        high = _stream_id(until_ms, "+")
        window = AuditQuery(since_ms=since_ms, until_ms=until_ms)
        while True:
            async with async_unavailable_as_error():
                batch: Any = await self._client.xrange(keys.AUDIT_STREAM, low, high, count=_CHUNK)
                wanted = [e for e in map(_entry, batch) if window.matches(e)]
                found = await self.with_comments(wanted)
            for entry in found:
                yield entry
            if len(batch) < _CHUNK:
                return
            low = f"({batch[-1][0]}"

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
