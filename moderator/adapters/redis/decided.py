"""`iter_decided`: the decided comments of a time range, each with the score record of the
revision people decided and every decision on it in the range, read from the archive and Redis
together. The one place backtests, calibration and the Insights page read decisions from.

It reads through `decided_comments` (adapters/archive: each comment once, whether it is still in
Redis or was archived after `retention.hot_days`) and maps each `DecidedComment` to the
`Decided` the learning side replays (`to_decided`): the decisions made in the window, the label
standing from them, the record of the revision they decided (from the comment's earlier
revisions when a later one replaced it) and `sampled` when the comment is in the control sample.
A comment counts once it is in a final state (approved, rejected); one waiting again (escalated,
or a new revision to review) counts when it is decided again. Memory: the window's comments.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis

from moderator.adapters.archive.model import DecidedComment
from moderator.adapters.archive.reader import ArchiveSource, decided_comments
from moderator.adapters.redis.audit import AuditQuery
from moderator.adapters.redis.client import connect_async
from moderator.core.decided import Decided, decided_from


async def iter_decided(
    client: aioredis.Redis,
    archive: ArchiveSource | None = None,
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> AsyncIterator[Decided]:
    """Every comment with an approve or reject standing from the decisions made in
    [since_ms, until_ms] (either open), from the archive and Redis, each once."""
    # a comment's last decision is at or after any of its decisions in the window: read every
    # comment decided since `since_ms`, then keep only the decisions inside the window
    async for item in decided_comments(client, archive, since_ms=since_ms, until_ms=None):
        decided = to_decided(item, since_ms, until_ms)
        if decided is not None:
            yield decided


def read_decided(
    url: str,
    archive: ArchiveSource | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> list[Decided]:
    """`iter_decided` for synchronous callers (the CLI, a CPU-pool thread): the window's
    decided comments, oldest standing decision first. Runs its own event loop."""

    async def collect() -> list[Decided]:
        client = connect_async(url)
        try:
            since, until = since_ms, until_ms
            return [d async for d in iter_decided(client, archive, since_ms=since, until_ms=until)]
        finally:
            await client.aclose()

    found = asyncio.run(collect())
    return sorted(found, key=lambda d: (d.at_ms, d.site, d.id))


def to_decided(
    item: DecidedComment, since_ms: int | None = None, until_ms: int | None = None
) -> Decided | None:
    """The Decided of a decided comment over the decisions it got in the window (None when no
    approve or reject stands from them): those on the last revision decided there, with that
    revision's record and text."""
    window = AuditQuery(since_ms=since_ms, until_ms=until_ms)
    events = [e for e in item.decisions if window.matches(e)]
    if not events:
        return None
    last = int(events[-1].get("revision") or item.revision)
    mine = [e for e in events if int(e.get("revision") or last) == last]
    record: dict[str, Any] | None = item.record
    comment: dict[str, Any] | None = item.comment
    sampled = item.sampled
    if last != item.revision:
        snapshot = next((s for s in item.revisions if s.get("revision") == last), {})
        record, comment, sampled = snapshot.get("record"), snapshot.get("comment"), False
    return decided_from(mine, record, comment, sampled=sampled)


__all__ = ["Decided", "iter_decided", "read_decided", "to_decided"]
