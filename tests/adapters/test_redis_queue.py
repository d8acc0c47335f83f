"""Queue views against a real Redis: counts and ages, both orders, every filter alone and
combined, cursor pages that cover a view exactly once, the scan bound, and score scopes."""

from __future__ import annotations

import pytest

from moderator.adapters.redis.queue import QueueView, RedisQueues
from moderator.adapters.redis.review import RedisReviewStore
from moderator.core.models import Decision
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    Seeder,
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
    seeder_fixture,
)

pytestmark = pytest.mark.anyio


def cat(category: str) -> list[dict]:
    return [{"term": "t", "match": "t", "category": category, "severity": 3, "start": 0, "end": 1}]


async def walk(queues: RedisQueues, view: QueueView, size: int) -> list[str]:
    """Every ref of the view, page by page."""
    seen: list[str] = []
    after = None
    for _ in range(100):
        page = await queues.page(view, after, size)
        seen += [i["ref"] for i in page.items]
        if page.next is None:
            return seen
        after = page.next
    raise AssertionError("the pages never ended")


async def test_counts_and_ages_per_queue(aredis, seeder):
    base = now_ms() - 100_000
    seeder.add("old", priority=0.2, received_ms=base)
    seeder.add("worst", priority=0.9, received_ms=base + 50_000)
    seeder.add("new", priority=0.5, received_ms=base + 90_000)
    seeder.add("r1", action="review", received_ms=base + 10)
    queues = RedisQueues(aredis, scan_max=1000, recent_max=10)
    stats = {s.name: s for s in await queues.stats(since_ms=base + 40_000)}
    hold = stats["hold"]
    # the oldest is the earliest arrival, not the head of the priority order
    assert (hold.count, hold.oldest_ms, hold.newest_ms, hold.new) == (
        3,
        base,
        base + 90_000,
        2,
    )
    assert (stats["review"].count, stats["escalated"].count, stats["recent"].count) == (1, 0, 0)


async def test_priority_order_or_oldest_first(aredis, seeder):
    base = now_ms() - 100_000
    for i, priority in enumerate((0.3, 0.9, 0.6, 0.9)):
        seeder.add(f"c{i}", priority=priority, received_ms=base + i * 1000)
    queues = RedisQueues(aredis, scan_max=1000, recent_max=10)
    by_priority = await queues.page(QueueView("hold"), None, 10)
    assert [i["comment"]["id"] for i in by_priority.items] == ["c1", "c3", "c2", "c0"]
    oldest = await queues.page(QueueView("hold", "oldest"), None, 10)
    assert [i["comment"]["id"] for i in oldest.items] == ["c0", "c1", "c2", "c3"]


async def test_each_filter_alone_and_combined(aredis, seeder):
    seeder.add("a", site="blog", language="en", matches=cat("ableist"), thread=("t1", None, None))
    seeder.add("b", site="blog", language="es", matches=cat("ableist"), thread=("t2", None, None))
    seeder.add("c", site="news", language="es", matches=cat("threat"), thread=("t1", None, None))
    seeder.add("d", site="news", language="es", matches=cat("ableist") + cat("threat"))
    queues = RedisQueues(aredis, scan_max=1000, recent_max=10)

    async def ids(**filters: str) -> set[str]:
        page = await queues.page(QueueView("hold", **filters), None, 50)
        return {i["comment"]["id"] for i in page.items}

    assert await ids(site="blog") == {"a", "b"}
    assert await ids(language="es") == {"b", "c", "d"}
    assert await ids(category="ableist") == {"a", "b", "d"}
    assert await ids(site="blog", thread="t1") == {"a"}
    assert await ids(site="news", thread="t1") == {"c"}
    assert await ids(site="news", category="ableist", language="es") == {"d"}
    assert await ids(site="nowhere") == set()
    assert await queues.count(QueueView("hold", category="threat")) == 2
    assert await queues.count(QueueView("hold", site="news", category="threat")) is None


async def test_cursor_pages_cover_a_view_exactly_once_even_with_ties(aredis, seeder):
    at = now_ms() - 1000
    refs = [seeder.add(f"c{i:02d}", priority=0.5, received_ms=at) for i in range(23)]  # one score
    refs += [seeder.add(f"d{i:02d}", priority=0.7, received_ms=at + i) for i in range(9)]
    queues = RedisQueues(aredis, scan_max=1000, recent_max=10)
    for size in (1, 4, 7, 50):
        seen = await walk(queues, QueueView("hold"), size)
        assert sorted(seen) == sorted(refs) and len(seen) == len(refs), size
    seen = await walk(queues, QueueView("hold", "oldest"), 5)
    assert sorted(seen) == sorted(refs)


async def test_pages_of_a_filtered_view_while_items_are_decided(aredis, seeder):
    refs = [seeder.add(f"c{i}", site="blog", priority=0.1 * i) for i in range(1, 9)]
    queues = RedisQueues(aredis, scan_max=1000, recent_max=10)
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    first = await queues.page(QueueView("hold", site="blog"), None, 3)
    for item in first.items:  # the reviewer decides the first page, then asks for the next
        await review.decide(
            item["ref"], Decision.APPROVE, by="rita", reason=None, note=None, now_ms=now_ms()
        )
    rest = await walk(queues, QueueView("hold", site="blog"), 3)
    second = await queues.page(QueueView("hold", site="blog"), first.next, 3)
    assert [i["ref"] for i in second.items] == rest[:3]
    assert sorted(rest + [i["ref"] for i in first.items]) == sorted(refs)


async def test_combined_filters_read_at_most_scan_max_and_resume(aredis, seeder):
    for i in range(30):  # the smaller index (lang:es) is mostly other sites
        seeder.add(f"x{i}", site="other", language="es", priority=0.9)
    wanted = [seeder.add(f"w{i}", site="blog", language="es", priority=0.1) for i in range(3)]
    for i in range(40):
        seeder.add(f"b{i}", site="blog", language="en", priority=0.5)
    queues = RedisQueues(aredis, scan_max=10, recent_max=10)
    view = QueueView("hold", site="blog", language="es")
    page = await queues.page(view, None, 5)
    assert page.items == [] and page.partial and page.next is not None
    found: list[str] = []
    after = None
    for _ in range(10):
        page = await queues.page(view, after, 5)
        found += [i["ref"] for i in page.items]
        if page.next is None:
            break
        after = page.next
    assert found == wanted


async def test_score_scope_counts_and_claims_only_at_or_above(aredis, seeder):
    for i, priority in enumerate((0.95, 0.81, 0.80, 0.79, 0.2)):
        seeder.add(f"c{i}", priority=priority)
    queues = RedisQueues(aredis, scan_max=1000, recent_max=10)
    assert await queues.count(QueueView("hold"), 0.8) == 3
    claimed = await queues.claim_next(
        QueueView("hold", "oldest"), "rita", 60000, 100, min_priority=0.8
    )
    assert sorted(claimed) == ["default:c0", "default:c1", "default:c2"]


async def test_recently_decided_is_newest_first_and_capped(aredis, seeder):
    refs = [seeder.add(f"c{i}") for i in range(5)]
    review = RedisReviewStore(aredis, deliver_callbacks=False, recent_max=3)
    at = now_ms()
    for i, ref in enumerate(refs):
        await review.decide(ref, Decision.APPROVE, by="rita", reason=None, note=None, now_ms=at + i)
    queues = RedisQueues(aredis, scan_max=1000, recent_max=3)
    recent = await queues.recent(10)
    assert [i["ref"] for i in recent] == refs[::-1][:3]
    stats = {s.name: s for s in await queues.stats()}
    assert (stats["recent"].count, stats["recent"].oldest_ms) == (3, at + 2)
