"""The sites moderator knows: those of the settings file (`[sites.<name>]`, the seed, read-only
here) and those added with `moderator sites add` (kept in Redis, `keys.SITES`, name -> JSON), so
every process sees a site added while it runs. A name in the settings file cannot be added or
removed from the command line (edit the file). Reads are cached for `cache_s` (2 s): a site
added or removed takes effect within that. Secrets are stored in Redis as given (Redis holds the
comments too); `sites list` shows them redacted."""

from __future__ import annotations

import json
import time

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis.client import async_unavailable_as_error
from moderator.errors import ConfigError
from moderator.settings import Settings, SiteSettings, check_site


class RedisSites:
    def __init__(self, client: aioredis.Redis, settings: Settings, *, cache_s: float = 2.0) -> None:
        self._client = client
        self._settings = settings
        self._cache_s = cache_s
        self._cached: dict[str, SiteSettings] | None = None
        self._cached_at = 0.0

    async def all(self) -> dict[str, SiteSettings]:
        """Every site by name: the settings file's, then those added at run time."""
        if self._cached is not None and time.monotonic() - self._cached_at < self._cache_s:
            return self._cached
        async with async_unavailable_as_error():
            stored = await self._client.hgetall(keys.SITES)
        sites = dict(self._settings.sites)
        for name, raw in sorted(stored.items()):
            if name not in sites:
                sites[name] = SiteSettings.model_validate(json.loads(raw))
        self._cached, self._cached_at = sites, time.monotonic()
        return sites

    async def get(self, name: str) -> SiteSettings | None:
        return (await self.all()).get(name)

    async def add(self, name: str, site: SiteSettings, *, replace: bool = False) -> None:
        """Store a site; ConfigError when it is invalid, in the settings file, or (without
        `replace`) already added."""
        if name in self._settings.sites:
            raise ConfigError(f"Site {name!r} is defined in moderator.toml; edit it there.")
        check_site(name, site, self._settings)
        async with async_unavailable_as_error():
            data = site.model_dump_json()
            if replace:
                await self._client.hset(keys.SITES, name, data)
            elif not await self._client.hsetnx(keys.SITES, name, data):
                raise ConfigError(f"Site {name!r} exists; remove it first or use --replace.")
        self._cached = None

    async def remove(self, name: str) -> bool:
        if name in self._settings.sites:
            raise ConfigError(f"Site {name!r} is defined in moderator.toml; edit it there.")
        async with async_unavailable_as_error():
            removed = await self._client.hdel(keys.SITES, name)
        self._cached = None
        return bool(removed)

    async def any_stored(self) -> bool:
        async with async_unavailable_as_error():
            return bool(await self._client.exists(keys.SITES))
