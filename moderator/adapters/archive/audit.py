"""The audit log across Redis and the archive: the same interface as RedisAudit (search,
entries, with_comments), so the admin API, the audit page and `moderator export decisions`
show every decision wherever it is kept.

Entries archived and not yet trimmed from Redis (between the archiver's write and its trim)
are in both: each is shown once (by audit id). Search reads Redis first (the newest entries),
then goes on into the archive once Redis has nothing older in the range; its `next_before`
cursor works across both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from moderator.adapters.archive.parquet import ParquetArchive
from moderator.adapters.redis.audit import AuditPage, AuditQuery, RedisAudit

_PAGE = 2000


class ArchivedAudit:
    def __init__(self, hot: RedisAudit, archive: ParquetArchive | None) -> None:
        self.hot = hot
        self.archive = archive

    async def search(self, query: AuditQuery, limit: int) -> AuditPage:
        """Matching entries, newest first, each with its comment (or None); see RedisAudit."""
        page = await self.hot.search(query, limit)
        if self.archive is None:
            return page
        await self._archived_comments(page.entries)
        if page.next_before is not None and not query.comment_id:
            return page
        seen = {e["audit_id"] for e in page.entries}
        bound = query.before
        if page.entries and not query.comment_id:
            bound = page.entries[-1]["audit_id"]
        want = limit if query.comment_id else limit - len(page.entries)
        where, params = _where(query, bound)
        cold = await asyncio.to_thread(
            self.archive.audit_entries,
            where,
            params,
            newest_first=True,
            limit=want + len(seen),
            since_ms=query.since_ms,
            until_ms=query.until_ms,
        )
        cold = await self.with_comments([e for e in cold if e["audit_id"] not in seen][:want])
        entries = sorted([*page.entries, *cold], key=lambda e: _id_key(e["audit_id"]), reverse=True)
        more = None if query.comment_id or len(cold) < want else cold[-1]["audit_id"]
        return AuditPage(entries[:limit], more, page.scanned + len(cold))

    async def entries(
        self, since_ms: int | None = None, until_ms: int | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every entry in the range, oldest first (archive, then Redis), each once, with its
        comment (for export)."""
        last: str | None = None
        if self.archive is not None:
            while True:
                where, params = _where(AuditQuery(since_ms=since_ms, until_ms=until_ms), None)
                if last:
                    ms, seq = _id_key(last)
                    where += " AND (id_ms > ? OR (id_ms = ? AND id_seq > ?))"
                    params += [ms, ms, seq]
                batch = await asyncio.to_thread(
                    self.archive.audit_entries,
                    where,
                    params,
                    newest_first=False,
                    limit=_PAGE,
                    since_ms=since_ms,
                    until_ms=until_ms,
                )
                batch = await self.with_comments(batch)
                for entry in batch:
                    yield entry
                if len(batch) < _PAGE:
                    break
                last = batch[-1]["audit_id"]
        async for entry in self.hot.entries(since_ms, until_ms):
            if last is not None and _id_key(entry["audit_id"]) <= _id_key(last):
                continue  # archived already (written, not yet trimmed)
            await self._archived_comments([entry])
            yield entry

    async def with_comments(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Attach each entry's comment and record: from Redis, else from the archive."""
        entries = await self.hot.with_comments(entries)
        await self._archived_comments(entries)
        return entries

    async def _archived_comments(self, entries: list[dict[str, Any]]) -> None:
        """Entries whose comment left Redis get it (and its record) from the archive."""
        if self.archive is not None and any(e.get("comment") is None for e in entries):
            await asyncio.to_thread(self.archive.attach_comments, entries)


def _where(query: AuditQuery, before: str | None) -> tuple[str, list[Any]]:
    """SQL over the archived audit columns for the query (values as parameters)."""
    parts: list[str] = ["true"]
    params: list[Any] = []
    site = query.site or ("default" if query.comment_id else None)
    for column, value in (
        ('"by"', query.reviewer),
        ("site", site),
        ("id", query.comment_id),
        ("decision", query.decision),
    ):
        if value:
            parts.append(f"{column} = ?")
            params.append(value)
    if query.since_ms is not None:
        parts.append("at >= ?")
        params.append(query.since_ms)
    if query.until_ms is not None:
        parts.append("at <= ?")
        params.append(query.until_ms)
    if before:
        ms, seq = _id_key(before)
        parts.append("(id_ms < ? OR (id_ms = ? AND id_seq < ?))")
        params += [ms, ms, seq]
    return " AND ".join(parts), params


_INT64 = 2**63 - 1


def _id_key(stream_id: str) -> tuple[int, int]:
    """(ms, seq) of a stream id, each clamped to what a Parquet int64 column holds."""
    ms, _, seq = stream_id.partition("-")
    return min(int(ms), _INT64), min(int(seq or 0), _INT64)
