"""Decided comments, wherever they are: the hot part in Redis and the archive (Parquet by day).

This is the one way the learning side (backtest, calibrate, the control sample, export) reads
decided comments:

    async for item in decided_comments(client, archive, since_ms=..., until_ms=...):
        item.comment, item.record, item.decisions, item.state, item.sampled, ...

`client` is a `redis.asyncio.Redis` (decode_responses=True, as redis_client.connect_async
builds it); `archive` is a `ParquetArchive` (adapters/archive/parquet.py), built from the
settings by `moderator.bootstrap.build_archive(settings)`, or None for Redis only. The window is
on `decided_at` (ms, inclusive both ends; None: open): the last decision, or the scoring time of
a comment the policy approved. States: approved, rejected (a comment waiting unreviewed in the
control sample's queue counts as approved, `sampled` true, `version` 0).

Guarantees: a comment is yielded once, whether it is in Redis, in the archive or (between the
archiver's write and its delete) in both: Redis wins, it is the newest. Among archived rows of
one comment the newest (latest decided_at, then highest version) wins. `decisions` is complete
for a hot comment too (entries already trimmed from the audit stream come from the archive).
Order: archive first, oldest first; then Redis, in no particular order. Redis is read with SCAN
(O(hot comments)); the archive with DuckDB over the files of the window's days.
"""

from __future__ import annotations

from moderator.adapters.archive.model import DecidedComment
from moderator.adapters.archive.reader import decided_comments

__all__ = ["DecidedComment", "decided_comments"]
