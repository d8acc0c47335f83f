"""Queue views: counts and ages per queue, filtered and ordered pages, and claim-next.

Complexity (n: items in the queue, p: page size):
- counts, oldest and newest age, arrivals since a time: O(log n) per queue (ZCARD, ZRANGE 0 0,
  ZCOUNT on the by-age index): no scans, whatever the queue's length.
- a page with no filter or one filter: O(log n + p) on that filter's own index.
- a page with several filters walks the smallest of their indexes and checks each entry's
  membership in the others (O(1) each), reading at most `scan_max` entries per call; a page cut
  short says so (`partial`) and its cursor continues where the walk stopped.
- claim-next is the same walk with the claim taken inside it (one Lua script).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.claims import too_many_claims
from moderator.adapters.redis.client import async_unavailable_as_error
from moderator.adapters.redis.index import QUEUE_NAMES, thread_dim
from moderator.adapters.redis.review import load_items
from moderator.core.ordering import queue_score

#: A position in a view: (score, ref) of the last entry read.
Position = tuple[int, str]


@dataclass(frozen=True, slots=True)
class QueueView:
    """Which comments, in which order: a queue, `priority` or `oldest` first, and filters."""

    queue: str
    order: str = "priority"
    site: str | None = None
    thread: str | None = None  # a thread id; needs `site` (thread ids are per site)
    language: str | None = None
    category: str | None = None

    def dims(self) -> list[str]:
        out = []
        if self.site:  # a thread's index already holds only that site's comments
            out.append(thread_dim(self.site, self.thread) if self.thread else f"site:{self.site}")
        if self.language:
            out.append(f"lang:{self.language}")
        if self.category:
            out.append(f"cat:{self.category}")
        return out


@dataclass(frozen=True, slots=True)
class QueueStats:
    name: str
    count: int
    oldest_ms: int | None
    newest_ms: int | None = None
    new: int = 0  # arrivals after the `since` time asked about


@dataclass(slots=True)
class Page:
    items: list[dict[str, Any]]
    next: Position | None  # None: the view has nothing after this page
    partial: bool = False  # the walk stopped at scan_max before filling the page
    refs: list[str] = field(default_factory=list)


def min_priority_score(min_priority: float) -> int:
    """The highest queue score whose priority is at least `min_priority` (the scores of one
    priority bucket cover every age, so this is the bucket's last possible score)."""
    return queue_score(min_priority, 2**63)


class RedisQueues:
    def __init__(self, client: aioredis.Redis, *, scan_max: int, recent_max: int) -> None:
        self._client = client
        self.scan_max = scan_max
        self.recent_max = recent_max
        self._walk = client.register_script(redis_scripts.WALK)

    async def stats(self, since_ms: int | None = None) -> list[QueueStats]:
        """Per queue: count, oldest and newest enqueue time, and arrivals after `since_ms`;
        then the recently decided list as "recent" (its oldest: the earliest decision kept)."""
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for name in QUEUE_NAMES:
                by_age = keys.queue_index(name, "oldest")
                pipe.zcard(keys.queue(name))
                pipe.zrange(by_age, 0, 0, withscores=True)
                pipe.zrange(by_age, -1, -1, withscores=True)
                pipe.zcount(by_age, f"({since_ms or 0}", "+inf")
            pipe.zcard(keys.RECENT)
            pipe.zrange(keys.RECENT, 0, 0, withscores=True)
            replies = await pipe.execute()
        out = []
        for i, name in enumerate(QUEUE_NAMES):
            count, oldest, newest, new = replies[4 * i : 4 * i + 4]
            out.append(
                QueueStats(
                    name,
                    int(count),
                    int(oldest[0][1]) if oldest else None,
                    int(newest[0][1]) if newest else None,
                    int(new) if since_ms is not None else 0,
                )
            )
        recent_oldest = replies[-1]
        out.append(
            QueueStats(
                "recent", int(replies[-2]), int(recent_oldest[0][1]) if recent_oldest else None
            )
        )
        return out

    async def count(self, view: QueueView, min_priority: float | None = None) -> int | None:
        """How many comments the view holds (at or above `min_priority`): exact with at most one
        filter, O(log n); None with several (it would take a scan)."""
        view_dims = view.dims()
        if len(view_dims) > 1:
            return None
        key = keys.queue_index(view.queue, "priority", view_dims[0] if view_dims else None)
        async with async_unavailable_as_error():
            if min_priority is None:
                return int(await self._client.zcard(key))
            return int(await self._client.zcount(key, "-inf", min_priority_score(min_priority)))

    async def page(self, view: QueueView, after: Position | None, limit: int) -> Page:
        """Up to `limit` comments of the view after `after`, in order, with their claims."""
        read, last, refs, _ = await self._run_walk(view, "", 0, limit, after, "+inf")
        items = await self._load(refs)
        more = len(refs) == limit or read >= self.scan_max
        return Page(items, last if more and last else None, len(refs) < limit and more, refs)

    async def claim_next(
        self,
        view: QueueView,
        who: str,
        lease_ms: int,
        count: int,
        *,
        after: Position | None = None,
        min_priority: float | None = None,
        max_claims: int = 0,
    ) -> list[str]:
        """Claim for `who` up to `count` comments of the view that nobody else holds (their own
        are renewed and returned too), walking from the start or from `after`; with
        `min_priority`, only comments at or above it (the priority order is used then). With
        `max_claims`, new claims stop once `who` holds that many live ones: fewer come back,
        and TooManyClaimsError when none could be claimed for that reason."""
        if not who:
            raise ValueError("A claim needs a reviewer name.")
        top = "+inf"
        if min_priority is not None:
            view = replace(view, order="priority")
            top = str(min_priority_score(min_priority))
        _, _, refs, capped = await self._run_walk(
            view, who, lease_ms, count, after, top, max_claims
        )
        if capped and not refs:
            raise too_many_claims(max_claims)
        return refs

    async def recent(self, limit: int, before_ms: int | None = None) -> list[dict[str, Any]]:
        """The most recently decided comments, newest first (the list keeps `recent_max`)."""
        top = f"({before_ms}" if before_ms else "+inf"
        async with async_unavailable_as_error():
            refs = await self._client.zrevrangebyscore(keys.RECENT, top, "-inf", 0, limit)
        return await self._load(refs)

    async def _run_walk(
        self,
        view: QueueView,
        who: str,
        lease_ms: int,
        count: int,
        after: Position | None,
        top: str,
        max_claims: int = 0,
    ) -> tuple[int, Position | None, list[str], bool]:
        """(entries read, last position read, refs, whether the claim cap stopped the walk)."""
        driving, others = await self._keys_for(view)
        async with async_unavailable_as_error():
            reply = await self._walk(
                keys=[driving, keys.claims_of(who), keys.CLAIMS, *others],
                args=[
                    who,
                    lease_ms,
                    count,
                    self.scan_max,
                    top,
                    after[1] if after else "",
                    after[0] if after else 0,
                    max_claims,
                    int(time.time() * 1000),
                ],
            )
        read, last, last_score, capped, *refs = reply
        position = (int(float(last_score)), last) if last else None
        return int(read), position, refs, bool(capped)

    async def _keys_for(self, view: QueueView) -> tuple[str, list[str]]:
        """The index to walk (the smallest filter's, in the view's order) and the others."""
        view_dims = view.dims()
        if len(view_dims) <= 1:
            only = view_dims[0] if view_dims else None
            return keys.queue_index(view.queue, view.order, only), []
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for d in view_dims:
                pipe.zcard(keys.queue_index(view.queue, "priority", d))
            sizes = await pipe.execute()
        ranked = [d for _, d in sorted(zip(sizes, view_dims, strict=True))]
        driving = keys.queue_index(view.queue, view.order, ranked[0])
        return driving, [keys.queue_index(view.queue, "priority", d) for d in ranked[1:]]

    async def _load(self, refs: list[str]) -> list[dict[str, Any]]:
        async with async_unavailable_as_error():
            items = await load_items(self._client, refs)
        return [i for i in items if i is not None]
