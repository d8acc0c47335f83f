"""The audit log across Redis and the archive: the same interface as RedisAudit (search,
entries, with_comments), so the admin API, the audit page and `moderator export decisions`
show every decision wherever it is kept.

Entries archived and not yet trimmed from Redis (between the archiver's write and its trim)
are in both: each is shown once (by audit id and site: with several partitions the same id
recurs in different partitions' streams). Search reads Redis first (the newest entries), then
goes on into the archive once Redis has nothing older in the range; its `next_before` cursor
works across both and is RedisAudit's: with several partitions it holds one position per
partition, and the archive bounds each partition's rows by that partition's position (the
partition found from the row's site), ties ordered by partition as in Redis, so paging stays
exact where Redis and the archive meet. Export merges the archive's entries and Redis's by id,
so each partition's overlap is skipped on its own (a run cut between two partitions' trims
leaves them archived up to different ids). Until such a cut run is run again, search can miss
the trimmed partition's archived entries newer than the last page Redis filled alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from moderator import keys
from moderator.adapters.archive.parquet import AUDIT_PARTITION, ParquetArchive, audit_partition
from moderator.adapters.redis.audit import (
    AuditPage,
    AuditQuery,
    RedisAudit,
    just_after,
    just_before,
)
from moderator.adapters.redis.merge import decode_cursor, encode_cursor

_PAGE = 2000


class ArchivedAudit:
    def __init__(self, hot: RedisAudit, archive: ParquetArchive | None) -> None:
        self.hot = hot
        self.archive = archive

    async def search(self, query: AuditQuery, limit: int) -> AuditPage:
        """Matching entries, newest first, each with its comment (or None); see RedisAudit.
        Once Redis has nothing older, the page is completed from the archive below the same
        cursor (an entry in both shown once)."""
        page = await self.hot.search(query, limit)
        if self.archive is None:
            return page
        await self._archived_comments(page.entries)
        if page.next_before is not None and not query.comment_id:
            return page
        seen = {_identity(e) for e in page.entries}
        where, params = _where(query, query.before)
        cold = await asyncio.to_thread(
            self.archive.audit_entries,
            where,
            params,
            newest_first=True,
            limit=limit + len(seen),
            since_ms=query.since_ms,
            until_ms=query.until_ms,
        )
        cold = [e for e in cold if _identity(e) not in seen]
        entries = sorted([*page.entries, *cold], key=_order, reverse=True)[:limit]
        taken = await self.with_comments([e for e in entries if _identity(e) not in seen])
        more = None if query.comment_id or len(entries) < limit else _cursor_after(entries[-1])
        return AuditPage(entries, more, page.scanned + len(taken))

    async def entries(
        self, since_ms: int | None = None, until_ms: int | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every entry in the range, oldest first (the archive's and Redis's merged by id, ties
        by partition), each once (from the archive when in both), with its comment (for
        export)."""
        cold, hot = self._archived(since_ms, until_ms), self.hot.entries(since_ms, until_ms)
        c, h = await anext(cold, None), await anext(hot, None)
        while c is not None or h is not None:
            if c is not None and _place(c) <= _place(h):
                if _place(h) == _place(c):
                    h = await anext(hot, None)  # archived, not yet trimmed from Redis
                yield c
                c = await anext(cold, None)
            elif h is not None:
                await self._archived_comments([h])
                yield h
                h = await anext(hot, None)

    async def _archived(
        self, since_ms: int | None, until_ms: int | None
    ) -> AsyncIterator[dict[str, Any]]:
        """The archive's entries in the range (none without an archive), oldest first (by id,
        ties by partition), read a page at a time, each with its comment."""
        if self.archive is None:
            return
        last: dict[str, Any] | None = None
        while True:
            where, params = _where(AuditQuery(since_ms=since_ms, until_ms=until_ms), None)
            if last is not None:
                bound, bound_params = _id_bound(_positions_after(last), ">")
                where += " AND " + bound
                params += bound_params
            batch = await asyncio.to_thread(
                self.archive.audit_entries,
                where,
                params,
                newest_first=False,
                limit=_PAGE,
                since_ms=since_ms,
                until_ms=until_ms,
            )
            for entry in await self.with_comments(batch):
                yield entry
            if len(batch) < _PAGE:
                return
            last = batch[-1]

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
    """SQL over the archived audit columns for the query (values as parameters); `before` is
    a search cursor (ValueError for one that is not)."""
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
        parts.append('"at" >= ?')
        params.append(query.since_ms)
    if query.until_ms is not None:
        parts.append('"at" <= ?')
        params.append(query.until_ms)
    if before:
        bound, bound_params = _id_bound(decode_cursor(before, newest_first=True), "<")
        parts.append(bound)
        params += bound_params
    return " AND ".join(parts), params


def _id_bound(positions: list[str | None], op: str) -> tuple[str, list[Any]]:
    """SQL keeping the rows whose id is `op` ("<" or ">") their partition's position (None:
    no bound there). With one partition, the plain comparison with its position."""
    bounded = [(k, p) for k, p in enumerate(positions) if p]
    if not bounded:
        return "true", []
    if len(positions) == 1:
        return _compare(bounded[0][1], op)
    cases, params = [], []
    for k, position in bounded:
        sql, values = _compare(position, op)
        cases.append(f"WHEN {k} THEN {sql}")
        params += values
    return f"(CASE {AUDIT_PARTITION} {' '.join(cases)} ELSE true END)", params


def _compare(stream_id: str, op: str) -> tuple[str, list[Any]]:
    ms, seq = _id_key(stream_id)
    return f"(id_ms {op} ? OR (id_ms = ? AND id_seq {op} ?))", [ms, ms, seq]


def _identity(entry: dict[str, Any]) -> tuple[str, Any]:
    """What tells entries apart: ids repeat across partitions, a site lives in one."""
    return entry["audit_id"], entry.get("site")


def _order(entry: dict[str, Any]) -> tuple[tuple[int, int], int]:
    """Where an entry falls in the merged order of the partitions: by id, then partition."""
    return _id_key(entry["audit_id"]), audit_partition(entry.get("site"))


def _place(entry: dict[str, Any] | None) -> tuple[tuple[int, int], int]:
    """_order, with no entry (a source used up) after every entry."""
    return _order(entry) if entry is not None else _END


def _cursor_after(entry: dict[str, Any]) -> str | None:
    """RedisAudit's `next_before` after `entry` (its `_cursor`): per partition, the id every
    entry still to come there is older than. Newest first, equal ids go from the highest
    partition down, so the partitions below the entry's may still hold its very id."""
    aid, k = entry["audit_id"], audit_partition(entry.get("site"))
    return encode_cursor(
        [aid if j >= k else just_after(aid) or aid for j in range(keys.partitions())]
    )


def _positions_after(entry: dict[str, Any]) -> list[str | None]:
    """Per partition, the id every entry still to come there is newer than, once `entry` is
    read oldest first (equal ids from the lowest partition up, as RedisAudit.entries)."""
    aid, k = entry["audit_id"], audit_partition(entry.get("site"))
    return [aid if j <= k else just_before(aid) for j in range(keys.partitions())]


_INT64 = 2**63 - 1
_END = ((_INT64 + 1, 0), 0)


def _id_key(stream_id: str) -> tuple[int, int]:
    """(ms, seq) of a stream id, each clamped to what a Parquet int64 column holds."""
    ms, _, seq = stream_id.partition("-")
    return min(int(ms), _INT64), min(int(seq or 0), _INT64)
