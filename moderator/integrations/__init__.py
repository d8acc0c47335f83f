"""Platform integrations: for each platform, the receiving side (its webhooks mapped to core
comments) and the decision adapter (core decisions mapped to its API), in
`moderator/integrations/<platform>.py`. Code that runs on a platform lives in
`integrations/<platform>/` at the repository root. Core, the worker and the queue know nothing of
platforms (an import-linter contract): they see a site name, and the outbox deliverer asks
`targets()` where a site's events go."""

from __future__ import annotations

import redis.asyncio as aioredis

from moderator.adapters.callbacks import DeliveryTarget, HttpCallback, TargetResolver
from moderator.adapters.redis.sites import RedisSites
from moderator.settings import Settings, SiteSettings


def target_for(
    name: str, site: SiteSettings | None, settings: Settings, client: aioredis.Redis
) -> DeliveryTarget | None:
    """Where a site's events go: its platform's adapter; for generic and wordpress sites (and
    unknown site names) our signed callback, to the site's URL or else the global one."""
    if site is not None and site.platform == "discourse":
        from moderator.integrations.discourse import DiscourseTarget

        return DiscourseTarget(site)
    if site is not None and site.platform == "coral":
        from moderator.integrations.coral import CoralTarget

        return CoralTarget(site, name, client)
    url = (site.callback_url if site else "") or settings.callback.url
    if not url:
        return None
    own = site is not None and bool(site.callback_secret)
    secret = site.callback_secret if site is not None and own else settings.callback.secret
    return HttpCallback(url, secret, site.signing if site is not None and own else "moderator")


def targets(sites: RedisSites, settings: Settings, client: aioredis.Redis) -> TargetResolver:
    async def resolve(name: str) -> DeliveryTarget | None:
        return target_for(name, await sites.get(name), settings, client)

    return resolve
