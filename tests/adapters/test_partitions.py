"""Several partitions (keys.py, `redis.partitions`) on the suite's real Redis: every comment's
keys sit in its site's partition, and what reads across partitions (queue pages, claim-next,
counts, the recently decided list, the pull feed) answers as one queue and one feed would:
merged in order, nothing skipped or repeated, counts summed, two reviewers never handed the
same comment. Sites "es", "blog" and "news" fall in partitions 0, 1 and 2."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import redis

from moderator import keys
from moderator.adapters.redis.claims import RedisClaims
from moderator.adapters.redis.ingest import Accepted, RedisIngest
from moderator.adapters.redis.queue import QueueView, RedisQueues
from moderator.adapters.redis.review import RedisReviewStore
from moderator.core.models import Comment, Decision
from moderator.errors import BacklogFullError, TooManyClaimsError
from tests.conftest import SITES_BY_PARTITION
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    Seeder,
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
)

pytestmark = pytest.mark.anyio
SITES = list(SITES_BY_PARTITION.values())


def seed(redis_client: redis.Redis, n: int, **kw: Any) -> list[str]:
    """n comments spread over the three sites, priorities all different and interleaved."""
    seeder = Seeder(redis_client)
    received = now_ms() - 60_000
    return [
        seeder.add(
            f"c{i}",
            site=SITES[i % 3],
            priority=round(0.30 + 0.01 * ((i * 7) % n), 2),
            received_ms=received + i,
            **kw,
        )
        for i in range(n)
    ]


async def test_each_comment_and_its_queue_entries_live_in_its_sites_partition(
    partitioned, redis_client, aredis
) -> None:
    refs = seed(redis_client, 6)
    for ref in refs:
        part = keys.part_of(ref)
        assert part.index == {v: k for k, v in SITES_BY_PARTITION.items()}[ref.split(":")[0]]
        assert redis_client.exists(f"{part.prefix}comment:{ref}")
        assert redis_client.zscore(part.queue("hold"), ref) is not None
        others = [p for p in keys.parts() if p != part]
        assert all(redis_client.zscore(p.queue("hold"), ref) is None for p in others)
    assert all(redis_client.zcard(p.queue("hold")) == 2 for p in keys.parts())


async def test_pages_of_the_merged_queue_follow_one_order_without_gaps_or_repeats(
    partitioned, redis_client, aredis
) -> None:
    refs = seed(redis_client, 17)
    queues = RedisQueues(aredis, scan_max=1000, recent_max=100)
    expected = await _one_queue_order(redis_client, refs)
    for limit in (1, 2, 5, 17, 40):
        seen, after = [], None
        while True:
            page = await queues.page(QueueView("hold"), after, limit)
            seen += page.refs
            if page.next is None:
                break
            after = page.next
        assert seen == expected, limit
    counted = await queues.count(QueueView("hold"))
    assert counted == 17
    assert await queues.count(QueueView("hold", site="blog")) == 6
    stats = {s.name: s for s in await queues.stats()}
    assert stats["hold"].count == 17


async def _one_queue_order(redis_client: redis.Redis, refs: list[str]) -> list[str]:
    scored = [(redis_client.zscore(keys.part_of(r).queue("hold"), r), r) for r in refs]
    return [r for _, r in sorted(scored)]


async def test_a_filtered_view_walks_every_partition_and_says_partial_at_the_scan_cap(
    partitioned, redis_client, aredis
) -> None:
    """Two filters: each partition's walk goes down the smaller index checking the other, and
    stops at scan_max; the merged pages say partial and resume without losing anything."""
    seeder, t0 = Seeder(redis_client), now_ms() - 60_000
    cat = [{"category": "ableist", "term": "x", "severity": 2, "start": 0, "end": 1}]
    wanted = []
    for k, site in enumerate(SITES):
        for i in range(4):  # English with the category: walked past
            seeder.add(f"en{i}", site=site, matches=cat, received_ms=t0 + 10 * i + k)
            seeder.add(f"es{i}", site=site, language="es", received_ms=t0 + 10 * i + k)
        wanted.append(seeder.add("hit", site=site, language="es", matches=cat, received_ms=t0 + k))
    queues = RedisQueues(aredis, scan_max=2, recent_max=100)
    view = QueueView("hold", order="oldest", language="es", category="ableist")
    seen, after, partials = [], None, 0
    for _ in range(30):
        page = await queues.page(view, after, 2)
        seen += page.refs
        partials += page.partial
        if page.next is None:
            break
        after = page.next
    assert seen == wanted  # in age order across partitions, each once
    assert partials >= 1


async def test_claim_next_over_partitions_never_hands_one_comment_to_two_reviewers(
    partitioned, redis_client, aredis
) -> None:
    refs = seed(redis_client, 30)
    queues = RedisQueues(aredis, scan_max=1000, recent_max=100)

    async def reviewer(name: str) -> list[str]:
        return await queues.claim_next(QueueView("hold"), name, 60_000, 10)

    got = await asyncio.gather(*(reviewer(n) for n in ("ana", "bo", "cy")))
    flat = [r for per in got for r in per]
    assert len(flat) == len(set(flat)) == 30 and set(flat) == set(refs)
    holders = await RedisClaims(aredis).holders(refs, now_ms())
    for name, per in zip(("ana", "bo", "cy"), got, strict=True):
        assert all(holders[r].by == name for r in per)


async def test_the_claim_cap_counts_claims_in_every_partition(
    partitioned, redis_client, aredis
) -> None:
    refs = seed(redis_client, 6)
    claims = RedisClaims(aredis)
    first = next(r for r in refs if r.startswith("es:"))
    second = next(r for r in refs if r.startswith("blog:"))
    await claims.claim(first, "ana", 60_000, now_ms(), max_claims=2)
    await claims.claim(second, "ana", 60_000, now_ms(), max_claims=2)
    third = next(r for r in refs if r.startswith("news:"))
    with pytest.raises(TooManyClaimsError):
        await claims.claim(third, "ana", 60_000, now_ms(), max_claims=2)
    await claims.claim(second, "ana", 60_000, now_ms(), max_claims=2)  # a renewal passes
    queues = RedisQueues(aredis, scan_max=1000, recent_max=100)
    with pytest.raises(TooManyClaimsError):
        await queues.claim_next(QueueView("hold"), "ana", 60_000, 1, max_claims=2)
    with pytest.raises(TooManyClaimsError):
        await queues.claim_next(QueueView("hold", site="news"), "ana", 60_000, 1, max_claims=2)


async def test_the_feed_merges_partitions_in_time_and_resumes_from_any_event(
    partitioned, redis_client, aredis
) -> None:
    refs = seed(redis_client, 9)
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    t0 = now_ms()
    for i, ref in enumerate(refs):  # decision times one apart: the recent list's order
        await review.decide(ref, Decision.APPROVE, by="ana", reason=None, note=None, now_ms=t0 + i)
    everything = await review.feed(None, 1000)
    assert len(everything) == 18  # 9 scored, 9 decided
    assert everything[-1]["cursor"].startswith("v2.")
    ids = [_last_moved(a, b) for a, b in zip([None, *everything], everything, strict=False)]
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))
    for i in range(len(everything)):  # resuming after any event gives exactly the rest
        after = everything[i]["cursor"]
        assert await review.feed(after, 1000) == everything[i + 1 :]
    pages, after = [], None
    while batch := await review.feed(after, 4):
        pages += batch
        after = batch[-1]["cursor"]
    assert pages == everything
    first_id = everything[0]["cursor"].split(".")[1:]  # a v1 cursor: a moment, everywhere
    v1 = min((i for i in first_id if i != "0-0"), key=lambda i: tuple(map(int, i.split("-"))))

    # every event strictly after that moment in its own partition: an event of another partition
    # written in the same millisecond (same id, another stream) is not after it (CI saw 16 of 17)
    def order(i: str) -> tuple[int, ...]:
        return tuple(map(int, i.split("-")))

    later = [e for e, i in zip(everything, ids, strict=True) if order(i) > order(v1)]
    assert 0 < len(later) <= 17

    def events(feed: list[dict[str, Any]]) -> list[dict[str, Any]]:  # cursors start elsewhere
        return [{k: v for k, v in e.items() if k != "cursor"} for e in feed]

    assert events(await review.feed(v1, 1000)) == events(later)
    other = f"v2.{v1}.0-0"  # made for two partitions: read as its earliest moment, like v1
    assert await review.feed(other, 1000) == await review.feed(v1, 1000)
    with pytest.raises(ValueError):
        await review.feed("v2.1-x", 10)
    decided = await RedisQueues(aredis, scan_max=1000, recent_max=100).recent(5)
    assert [d["ref"] for d in decided] == refs[::-1][:5]


def _last_moved(before: dict[str, Any] | None, event: dict[str, Any]) -> str:
    """The feed id an event's cursor moved to (the one position that changed)."""
    now = event["cursor"].split(".")[1:]
    was = before["cursor"].split(".")[1:] if before else ["0-0"] * len(now)
    (moved,) = [n for n, w in zip(now, was, strict=True) if n != w]
    return moved


async def test_accepting_revising_and_the_backlog_use_the_comments_partition(
    partitioned, redis_client, aredis
) -> None:
    ingest = RedisIngest(aredis, max_backlog=2)
    for site in SITES:
        for n in range(2):
            accepted = await ingest.accept(Comment(f"c{n}", "hola", site=site), now_ms())
            assert accepted.status == "accepted"
    assert await ingest.backlog() == 6  # the ceiling (2) is per partition
    assert all(redis_client.xlen(p.ingest) == 2 for p in keys.parts())
    with pytest.raises(BacklogFullError):  # news's partition is at its ceiling
        await ingest.accept(Comment("c0", "hola, editado", site="news"), now_ms())
    redis_client.xtrim(keys.part_of("news:c0").ingest, maxlen=0)
    revised = await ingest.accept(Comment("c0", "hola, editado", site="news"), now_ms())
    assert revised == Accepted("revised", 2)
    assert redis_client.xlen(keys.part_of("news:c0").ingest) == 1
    assert json.loads(redis_client.hget(keys.comment("news:c0"), "comment"))["text"] == (
        "hola, editado"
    )


async def test_a_callback_is_filed_under_its_ref_in_its_own_partition(
    partitioned, redis_client, aredis
) -> None:
    refs = seed(redis_client, 3)
    review = RedisReviewStore(aredis, deliver_callbacks=True)
    for ref in refs:
        done = await review.decide(
            ref, Decision.REJECT, by="ana", reason=None, note=None, now_ms=now_ms()
        )
        part = keys.part_of(ref)
        assert redis_client.hget(part.outbox_refs, done["feed_id"]) == ref
        assert redis_client.zscore(part.outbox, done["feed_id"]) is not None
        assert redis_client.lrange(keys.outbox_chain(ref), 0, -1) == [done["feed_id"]]


async def test_equal_scores_in_two_partitions_are_both_paged(partitioned, redis_client, aredis):
    """A page that ends on a member of one partition resumes in the others at that score,
    passing over only the members that sort before it (WALK's tie rule)."""
    seeder, at = Seeder(redis_client), now_ms() - 1000
    refs = [seeder.add(f"t{i}", site=site, received_ms=at) for i, site in enumerate(SITES)]
    queues = RedisQueues(aredis, scan_max=1000, recent_max=100)
    assert len({redis_client.zscore(keys.part_of(r).queue("hold"), r) for r in refs}) == 1
    seen, after = [], None
    while True:
        page = await queues.page(QueueView("hold"), after, 1)
        seen += page.refs
        if page.next is None:
            break
        after = page.next
    assert seen == sorted(refs)
