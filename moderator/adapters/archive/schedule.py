"""The daily archive run inside the service: every web process looks every `check_s` whether
the last run (keys.ARCHIVE_LAST_RUN, whoever made it) is `every_s` old, and if so runs the
archiver; the lease lets only one of them run at a time, the others skip. Nothing ends the loop
but `stop`: an error (Redis away, the archive unwritable) is logged and tried again at the next
look. The first look is `check_s` after start, so a process that lives a few seconds (a test,
a health check) never archives."""

from __future__ import annotations

import asyncio
import logging
import time

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.archive.archiver import Archiver
from moderator.errors import ConflictError

log = logging.getLogger(__name__)


class ArchiveSchedule:
    def __init__(
        self, client: aioredis.Redis, archiver: Archiver, *, every_s: float, check_s: float = 300
    ) -> None:
        self._client = client
        self.archiver = archiver
        self.every_s = every_s
        self.check_s = check_s

    async def due(self, now_ms: int) -> bool:
        last = await self._client.hget(keys.ARCHIVE_LAST_RUN, "at")
        return last is None or now_ms - int(float(last)) >= self.every_s * 1000

    async def run(self, stop: asyncio.Event) -> None:
        while not await _wait(stop, self.check_s):
            try:
                now_ms = int(time.time() * 1000)
                if await self.due(now_ms):
                    await self.archiver.run(now_ms)
            except ConflictError:
                log.info("archive: another process is archiving; skipped")
            except Exception:  # logged, retried at the next look; the service goes on
                log.exception("archive run failed; trying again in %.0f s", self.check_s)


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Wait `seconds` or until stop; True when stopped."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True
