"""The control sample's outcomes, read from the archive and Redis together (decided_comments):
each sampled comment a person decided is one outcome, a miss when it ended rejected. Sampled
comments nobody looked at are left out (they estimate nothing)."""

from __future__ import annotations

import redis.asyncio as aioredis

from moderator.adapters.archive.model import DecidedComment
from moderator.adapters.archive.reader import ArchiveSource, decided_comments
from moderator.core.sampling import MissRates, SampleOutcome, miss_rates


def outcome(item: DecidedComment) -> SampleOutcome | None:
    """The sample outcome of a decided comment (None: not sampled, or never reviewed)."""
    if not item.sampled or not item.by_reviewer:
        return None
    language = (item.record or {}).get("language")
    return SampleOutcome(item.site, language, item.state == "rejected")


async def sample_miss_rates(
    client: aioredis.Redis,
    archive: ArchiveSource | None = None,
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> MissRates:
    """The miss rate of auto-approval over the window, overall, per language and per site,
    with Wilson 95 % intervals (core/sampling.py)."""
    found = []
    async for item in decided_comments(client, archive, since_ms=since_ms, until_ms=until_ms):
        if (o := outcome(item)) is not None:
            found.append(o)
    return miss_rates(found)
