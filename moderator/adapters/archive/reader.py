"""decided_comments: the archive and Redis read together (see the package docstring)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, Protocol

import redis.asyncio as aioredis

from moderator.adapters.archive import redis_source
from moderator.adapters.archive.model import DecidedComment
from moderator.adapters.redis.client import async_unavailable_as_error

_CHUNK = 500


def _take(rows: Iterator[DecidedComment], n: int) -> list[DecidedComment]:
    return list(itertools.islice(rows, n))


class ArchiveSource(Protocol):
    """What decided_comments needs of the archive (ParquetArchive implements it)."""

    def comments(self, since_ms: int | None, until_ms: int | None) -> Iterable[DecidedComment]:
        """Archived comments decided in the window, the newest row of each, oldest first."""
        ...

    def audit_by_ids(self, ids: list[str]) -> list[dict[str, Any]]:
        """Archived audit entries by id (for hot comments whose entries were trimmed)."""
        ...


async def decided_comments(
    client: aioredis.Redis,
    archive: ArchiveSource | None = None,
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> AsyncIterator[DecidedComment]:
    """Every comment in a final state (approved, rejected) whose last decision (or, for one the
    policy approved, its scoring) falls in [since_ms, until_ms], each once: from the archive
    (oldest first) unless Redis still holds it, then from Redis. RedisUnavailableError when
    Redis cannot be reached; an unreadable archive file raises ArchiveError naming it."""
    hot: list[tuple[str, int]] = []
    async with async_unavailable_as_error():
        async for batch in redis_source.decided_refs(client, since_ms=since_ms, until_ms=until_ms):
            hot += batch
    hot_refs = {ref for ref, _ in hot}
    if archive is not None:
        rows = iter(archive.comments(since_ms, until_ms))  # streamed, _CHUNK rows at a time
        while chunk := await asyncio.to_thread(_take, rows, _CHUNK):
            for item in chunk:
                if item.ref not in hot_refs:
                    yield item
    for start in range(0, len(hot), 200):
        async with async_unavailable_as_error():
            refs = [ref for ref, _ in hot[start : start + 200]]
            items = await redis_source.load(client, refs, archive)
        for item in items:
            yield item
