"""Queue views: counts and ages per queue, filtered and ordered pages, and claim-next.

Complexity (n: items in the queue, p: page size):
- counts, oldest and newest age, arrivals since a time: O(log n) per queue (ZCARD, ZRANGE 0 0,
  ZCOUNT on the by-age index): no scans, whatever the queue's length.
- a page with no filter or one filter: O(log n + p) on that filter's own index.
- a page with several filters walks the smallest of their indexes and checks each entry's
  membership in the others (O(1) each), reading at most `scan_max` entries per call; a page cut
  short says so (`partial`) and its cursor continues where the walk stopped.
- claim-next is the same walk with the claim taken inside it (one Lua script).
- with several partitions (keys.py), a view of one site reads that site's partition; any other
  view reads each partition as above and merges them in the view's order (counts add up).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.claims import RedisClaims, held_elsewhere, too_many_claims
from moderator.adapters.redis.client import async_unavailable_as_error
from moderator.adapters.redis.index import QUEUE_NAMES, thread_dim
from moderator.adapters.redis.review import load_items
from moderator.core.ordering import queue_score
from moderator.errors import ConflictError, TooManyClaimsError

#: A position in a view: (score, ref) of the last entry read.
Position = tuple[int, str]
#: Claim-next over several partitions lists this many pages at most before it gives up filling.
_CLAIM_ROUNDS = 5


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
        then the recently decided list as "recent" (its oldest: the earliest decision kept).
        Over every partition: counts add up, the oldest is the least, the newest the most."""
        parts = keys.parts()
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for part in parts:
                for name in QUEUE_NAMES:
                    by_age = part.queue_index(name, "oldest")
                    pipe.zcard(part.queue(name))
                    pipe.zrange(by_age, 0, 0, withscores=True)
                    pipe.zrange(by_age, -1, -1, withscores=True)
                    pipe.zcount(by_age, f"({since_ms or 0}", "+inf")
                pipe.zcard(part.recent)
                pipe.zrange(part.recent, 0, 0, withscores=True)
            replies = await pipe.execute()
        per_part = 4 * len(QUEUE_NAMES) + 2
        out = []
        for i, name in enumerate(QUEUE_NAMES):
            count, oldest, newest, new = 0, [], [], 0
            for k in range(len(parts)):
                c, o, n, a = replies[k * per_part + 4 * i : k * per_part + 4 * i + 4]
                count, new = count + int(c), new + int(a)
                oldest += [int(o[0][1])] if o else []
                newest += [int(n[0][1])] if n else []
            out.append(
                QueueStats(
                    name,
                    count,
                    min(oldest) if oldest else None,
                    max(newest) if newest else None,
                    new if since_ms is not None else 0,
                )
            )
        recent_count, recent_oldest = 0, []
        for k in range(len(parts)):
            c, o = replies[(k + 1) * per_part - 2 : (k + 1) * per_part]
            recent_count += int(c)
            recent_oldest += [int(o[0][1])] if o else []
        out.append(
            QueueStats("recent", recent_count, min(recent_oldest) if recent_oldest else None)
        )
        return out

    async def count(self, view: QueueView, min_priority: float | None = None) -> int | None:
        """How many comments the view holds (at or above `min_priority`): exact with at most one
        filter, O(log n) per partition; None with several (it would take a scan)."""
        view_dims = view.dims()
        if len(view_dims) > 1:
            return None
        dim = view_dims[0] if view_dims else None
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for part in self._parts_for(view):
                key = part.queue_index(view.queue, "priority", dim)
                if min_priority is None:
                    pipe.zcard(key)
                else:
                    pipe.zcount(key, "-inf", min_priority_score(min_priority))
            return sum(int(n) for n in await pipe.execute())

    async def page(self, view: QueueView, after: Position | None, limit: int) -> Page:
        """Up to `limit` comments of the view after `after`, in order, with their claims.
        Several partitions: each is walked from `after`, and their pages are merged in the
        view's order (below)."""
        parts = self._parts_for(view)
        if len(parts) == 1:
            read, last, refs, _ = await self._run_walk(parts[0], view, "", 0, limit, after, "+inf")
            more = len(refs) == limit or read >= self.scan_max
            items = await self._load(refs)
            return Page(items, last if more and last else None, len(refs) < limit and more, refs)
        refs, resume, partial = await self._merged(parts, view, limit, after, "+inf")
        return Page(await self._load(refs), resume, partial, refs)

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
        and TooManyClaimsError when none could be claimed for that reason.

        In one partition (one partition in all, or a view of one site) the walk takes its
        claims as it goes, in one script. Over several, the merged view is listed a page at a
        time and each comment claimed by itself (CLAIM_ONE) in that order: a comment someone
        else took meanwhile is passed over, so two reviewers still never get the same one."""
        if not who:
            raise ValueError("A claim needs a reviewer name.")
        top = "+inf"
        if min_priority is not None:
            view = replace(view, order="priority")
            top = str(min_priority_score(min_priority))
        parts = self._parts_for(view)
        if len(parts) == 1:
            elsewhere = 0
            if max_claims:
                elsewhere = await held_elsewhere(self._client, who, parts[0], _now_ms())
                if elsewhere >= max_claims:
                    raise too_many_claims(elsewhere)
            _, _, refs, capped = await self._run_walk(
                parts[0], view, who, lease_ms, count, after, top, max_claims - elsewhere
            )
            if capped and not refs:
                raise too_many_claims(max_claims)
            return refs
        return await self._claim_merged(parts, view, who, lease_ms, count, after, top, max_claims)

    async def _claim_merged(
        self,
        parts: list[keys.Partition],
        view: QueueView,
        who: str,
        lease_ms: int,
        count: int,
        after: Position | None,
        top: str,
        max_claims: int,
    ) -> list[str]:
        claims = RedisClaims(self._client)
        out: list[str] = []
        for _ in range(_CLAIM_ROUNDS):
            refs, resume, _ = await self._merged(parts, view, count + 10, after, top)
            for ref in refs:
                try:
                    await claims.claim(ref, who, lease_ms, _now_ms(), max_claims=max_claims)
                except TooManyClaimsError:
                    if not out:
                        raise
                    return out
                except ConflictError:  # taken by someone else, or decided, meanwhile
                    continue
                out.append(ref)
                if len(out) >= count:
                    return out
            if resume is None:
                break
            after = resume
        return out

    async def _merged(
        self,
        parts: list[keys.Partition],
        view: QueueView,
        limit: int,
        after: Position | None,
        top: str,
    ) -> tuple[list[str], Position | None, bool]:
        """Up to `limit` refs of the view after `after`, merged over `parts` in score order (a
        tie in member order, as Redis orders one set), with the position to resume from and
        whether a walk stopped at scan_max. Each partition is walked from `after` for up to
        `limit`; only entries up to the least position a stopped walk reached are taken, so
        the next page, starting there, neither skips nor repeats one."""
        found: list[tuple[int, str]] = []
        bound: Position | None = None
        partial = False
        for part in parts:
            read, last, refs, _ = await self._run_walk(part, view, "", 0, limit, after, top)
            scores = await self._scores(part, view, refs)
            found += list(zip(scores, refs, strict=True))
            stopped = read >= self.scan_max and len(refs) < limit
            if (stopped or len(refs) == limit) and last is not None:
                bound = last if bound is None else min(bound, last)
                partial = partial or stopped
        found.sort()
        if bound is not None:
            found = [f for f in found if f <= bound]
        taken = found[:limit]
        if len(taken) == limit:
            return [r for _, r in taken], taken[-1], False
        return [r for _, r in taken], bound, partial and len(taken) < limit

    async def _scores(self, part: keys.Partition, view: QueueView, refs: list[str]) -> list[int]:
        """The refs' scores in the view's own order index (what the walk sorted them by)."""
        if not refs:
            return []
        driving, _ = await self._keys_for(part, view)
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for ref in refs:
                pipe.zscore(driving, ref)
            return [int(float(s or 0)) for s in await pipe.execute()]

    async def recent(self, limit: int, before_ms: int | None = None) -> list[dict[str, Any]]:
        """The most recently decided comments, newest first (each partition's list keeps
        `recent_max`; several are merged by decision time)."""
        top = f"({before_ms}" if before_ms else "+inf"
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for part in keys.parts():
                pipe.zrevrangebyscore(part.recent, top, "-inf", 0, limit, withscores=True)
            found = [(-score, ref) for got in await pipe.execute() for ref, score in got]
        refs = [ref for _, ref in sorted(found)[:limit]]
        return await self._load(refs)

    def _parts_for(self, view: QueueView) -> list[keys.Partition]:
        """The partitions a view reads: its site's alone, or every one."""
        return [keys.part_of_site(view.site)] if view.site else keys.parts()

    async def _run_walk(
        self,
        part: keys.Partition,
        view: QueueView,
        who: str,
        lease_ms: int,
        count: int,
        after: Position | None,
        top: str,
        max_claims: int = 0,
    ) -> tuple[int, Position | None, list[str], bool]:
        """(entries read, last position read, refs, whether the claim cap stopped the walk)."""
        driving, others = await self._keys_for(part, view)
        async with async_unavailable_as_error():
            reply = await self._walk(
                keys=[driving, part.claims_of(who), part.claims, *others],
                args=[
                    who,
                    lease_ms,
                    count,
                    self.scan_max,
                    top,
                    after[1] if after else "",
                    after[0] if after else 0,
                    max_claims,
                    _now_ms(),
                ],
            )
        read, last, last_score, capped, *refs = reply
        position = (int(float(last_score)), last) if last else None
        return int(read), position, refs, bool(capped)

    async def _keys_for(self, part: keys.Partition, view: QueueView) -> tuple[str, list[str]]:
        """The index to walk (the smallest filter's, in the view's order) and the others."""
        view_dims = view.dims()
        if len(view_dims) <= 1:
            only = view_dims[0] if view_dims else None
            return part.queue_index(view.queue, view.order, only), []
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for d in view_dims:
                pipe.zcard(part.queue_index(view.queue, "priority", d))
            sizes = await pipe.execute()
        ranked = [d for _, d in sorted(zip(sizes, view_dims, strict=True))]
        driving = part.queue_index(view.queue, view.order, ranked[0])
        return driving, [part.queue_index(view.queue, "priority", d) for d in ranked[1:]]

    async def _load(self, refs: list[str]) -> list[dict[str, Any]]:
        async with async_unavailable_as_error():
            items = await load_items(self._client, refs)
        return [i for i in items if i is not None]


def _now_ms() -> int:
    return int(time.time() * 1000)
