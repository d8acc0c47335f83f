"""Claims against a real Redis: many processes claiming from one queue are never handed the same
comment; leases expire on their own, renew, release; decisions respect them."""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import time

import pytest

from moderator import keys
from moderator.adapters.redis.claims import RedisClaims
from moderator.adapters.redis.client import connect_async
from moderator.adapters.redis.queue import QueueView, RedisQueues
from moderator.adapters.redis.review import RedisReviewStore
from moderator.core.models import Decision
from moderator.errors import ClaimedError, ConflictError, NotFoundError
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    Seeder,
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
    seeder_fixture,
)

ITEMS = 240
PROCESSES = 6
READY = "test:ready"  # a scratch counter in the test database


def _work_the_queue(args: tuple[str, str, int]) -> list[str]:
    """One reviewer in its own process: claim a few, decide them, until the queue is empty.
    Returns every ref it was handed, in order."""
    url, who, seed = args
    rng = random.Random(seed)

    async def go() -> list[str]:
        client = connect_async(url)
        queues = RedisQueues(client, scan_max=10_000, recent_max=10)
        review = RedisReviewStore(client, deliver_callbacks=False)
        handed: list[str] = []
        try:
            await client.incr(READY)  # start together: wait for every process to be up
            while int(await client.get(READY) or 0) < PROCESSES:
                await asyncio.sleep(0.01)
            while True:
                order = rng.choice(("priority", "oldest"))
                refs = await queues.claim_next(
                    QueueView("hold", order), who, 60_000, rng.randint(1, 6)
                )
                if not refs:
                    return handed
                handed += refs
                for ref in refs:
                    await review.decide(
                        ref, Decision.APPROVE, by=who, reason=None, note=None, now_ms=now_ms()
                    )
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_concurrent_reviewers_are_never_handed_the_same_comment(redis_url, seeder, redis_client):
    refs = {seeder.add(f"c{i}", priority=random.random()) for i in range(ITEMS)}
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        handed = pool.map(_work_the_queue, [(redis_url, f"r{i}", i) for i in range(PROCESSES)])
    everything = [ref for per in handed for ref in per]
    assert len(everything) == len(set(everything)) == ITEMS  # each handed out exactly once
    assert set(everything) == refs
    for a in range(PROCESSES):
        for b in range(a + 1, PROCESSES):
            assert not set(handed[a]) & set(handed[b])
    assert sum(1 for per in handed if per) >= 3  # they really did share the queue
    assert redis_client.zcard(keys.queue("hold")) == 0
    assert redis_client.xlen(keys.AUDIT_STREAM) == ITEMS  # every decision went through


def test_concurrent_claim_bursts_split_one_queue(redis_url, seeder):
    """All reviewers ask at once for more than their share, without deciding: the claims they
    get are disjoint and together cover at most the queue."""
    refs = {seeder.add(f"c{i}") for i in range(60)}

    async def burst() -> list[list[str]]:
        clients = [connect_async(redis_url) for _ in range(8)]
        try:
            return await asyncio.gather(
                *(
                    RedisQueues(c, scan_max=10_000, recent_max=10).claim_next(
                        QueueView("hold"), f"r{i}", 60_000, 20
                    )
                    for i, c in enumerate(clients)
                )
            )
        finally:
            for c in clients:
                await c.aclose()

    got = asyncio.run(burst())
    flat = [r for per in got for r in per]
    assert len(flat) == len(set(flat)) == 60
    assert set(flat) == refs


@pytest.mark.anyio
async def test_a_claim_shows_its_holder_renews_and_releases(aredis, seeder, redis_client):
    ref = seeder.add("c1")
    claims = RedisClaims(aredis)
    first = await claims.claim(ref, "rita", 5000, now_ms())
    assert first.by == "rita"
    with pytest.raises(ClaimedError) as refused:
        await claims.claim(ref, "bob", 5000, now_ms())
    assert refused.value.owner == "rita"
    redis_client.hset(keys.CLAIMS, ref, f"{now_ms() + 1000}:rita")
    await claims.claim(ref, "rita", 5000, now_ms())  # renewal resets the lease
    expiry, _, who = redis_client.hget(keys.CLAIMS, ref).partition(":")
    assert who == "rita" and int(expiry) > now_ms() + 1000
    holders = await claims.holders([ref, "default:nobody"], now_ms())
    assert list(holders) == [ref] and holders[ref].by == "rita"
    with pytest.raises(ClaimedError):
        await claims.release(ref, "bob")
    assert await claims.release(ref, "rita") is True
    assert await claims.release(ref, "rita") is False
    with pytest.raises(NotFoundError):
        await claims.claim("default:missing", "rita", 5000, now_ms())


@pytest.mark.anyio
async def test_leases_expire_on_their_own_and_decisions_respect_them(aredis, seeder):
    ref, other = seeder.add("c1"), seeder.add("c2")
    claims = RedisClaims(aredis)
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    await claims.claim(ref, "rita", 150, now_ms())
    with pytest.raises(ClaimedError):
        await review.decide(ref, Decision.REJECT, by="bob", reason=None, note=None, now_ms=now_ms())
    time.sleep(0.3)  # the lease runs out with nobody renewing it
    queues = RedisQueues(aredis, scan_max=100, recent_max=10)
    assert set(await queues.claim_next(QueueView("hold"), "bob", 60_000, 5)) == {ref, other}
    done = await review.decide(
        ref, Decision.REJECT, by="bob", reason=None, note=None, now_ms=now_ms()
    )
    assert done["state"] == "rejected"
    assert await claims.holders([ref], now_ms()) == {}  # a decision releases the claim
    with pytest.raises(ConflictError):
        await claims.claim(ref, "rita", 5000, now_ms())  # decided: nothing to claim
