"""The callback outbox with three partitions (`partitioned`: sites es, blog and news fall in
partitions 0, 1 and 2), against a real Redis and a real HTTP endpoint. Each partition has its
own feed, so the tests give events the same feed ids in several partitions: every operation must
find the event in its own partition's keys. Outbox state is written the way the storing scripts
write it (feed entry, the comment's chain, the refs hash, the head due in the outbox)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import redis

from moderator import keys
from moderator.adapters.callbacks import OutboxDeliverer
from moderator.adapters.redis.outbox import Due, RedisOutbox
from tests.adapters.test_callbacks_outbox import (
    SECRET,
    Platform,
    deliver_until,
    first_fails,
    platform_server,
    settings,
)
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
)

pytestmark = pytest.mark.anyio


def enqueue(r: redis.Redis, ref: str, fid: str, version: int | None = None) -> None:
    """Append an event of `ref` with feed id `fid` to its partition's feed and to its chain, as
    STORE_SCORED and DECIDE do (a `scored` event, or `decided` with a version); a chain's head
    is due now. One partition's keys, so one transaction."""
    part = keys.part_of(ref)
    site, comment_id = ref.split(":", 1)
    event: dict[str, Any] = {"event": "scored", "site": site, "id": comment_id}
    if version is not None:
        event.update(event="decided", decision="reject", version=version)
    chain = keys.outbox_chain(ref)
    head = r.llen(chain) == 0
    pipe = r.pipeline(transaction=True)
    pipe.xadd(part.feed, {"data": json.dumps(event)}, id=fid)
    pipe.rpush(chain, fid)
    pipe.hset(part.outbox_refs, fid, ref)
    if head:
        pipe.zadd(part.outbox, {fid: now_ms()})
    pipe.execute()


def received_by_ref(platform: Platform) -> dict[str, list[tuple[str, Any, str, str]]]:
    """Each comment's deliveries in arrival order: (event, version, Idempotency-Key, cursor)."""
    out: dict[str, list[tuple[str, Any, str, str]]] = {}
    for e in platform.received:
        out.setdefault(f"{e['site']}:{e['id']}", []).append(
            (e["event"], e.get("version"), e["_key"], e["cursor"])
        )
    return out


def test_one_partition_names_an_event_by_its_plain_feed_id() -> None:
    due = Due(keys.part(0), "5-1")
    assert due.key == "5-1"
    assert Due.parse("5-1") == due
    assert Due.parse("p0-5-1") == Due(keys.part(0), "p0-5-1")  # no qualified names with one


def test_several_partitions_qualify_the_feed_id_with_the_partition(partitioned: int) -> None:
    assert Due(keys.part(0), "5-1").key == "p0-5-1"
    assert Due(keys.part(2), "5-1").key == "p2-5-1"
    assert Due.parse("p2-5-1") == Due(keys.part(2), "5-1")
    assert Due.parse("5-1") == Due(keys.part(0), "5-1")  # where it was before partitions
    assert Due.parse("p3-5-1") is None


async def test_the_same_feed_ids_in_three_partitions_are_each_delivered_once_in_order(
    partitioned: int, aredis, redis_client: redis.Redis
) -> None:
    refs = {k: f"{site}:c" for k, site in {0: "es", 1: "blog", 2: "news"}.items()}
    for ref in refs.values():
        enqueue(redis_client, ref, "1-0")
        enqueue(redis_client, ref, "2-0", version=1)
        enqueue(redis_client, ref, "3-0", version=2)
    for k in refs:  # only each chain's head is due, in its own partition's outbox
        assert redis_client.zrange(keys.part(k).outbox, 0, -1) == ["1-0"]
    assert redis_client.lrange(keys.outbox_chain(refs[1]), 0, -1) == ["1-0", "2-0", "3-0"]
    assert keys.outbox_chain(refs[1]).startswith("{mod:p1}:")
    # blog's first event fails three times
    fails = first_fails(3, lambda event: event["site"] == "blog" and event["event"] == "scored")
    with platform_server(Platform(fails)) as platform:
        async with httpx.AsyncClient() as http:
            deliverer = OutboxDeliverer(aredis, http, settings(platform.url), SECRET)
            await deliver_until(deliverer, lambda: len(platform.received) == 9)
    got = received_by_ref(platform)
    for k, ref in refs.items():
        assert got[ref] == [
            ("scored", None, f"p{k}-1-0", "1-0"),
            ("decided", 1, f"p{k}-2-0", "2-0"),
            ("decided", 2, f"p{k}-3-0", "3-0"),
        ]
        part = keys.part(k)
        assert redis_client.zcard(part.outbox) == 0 and redis_client.hlen(part.outbox_refs) == 0
        assert not redis_client.exists(keys.outbox_chain(ref), part.outbox_attempts)
    assert len(platform.attempts) == 9 + 3


async def test_claim_due_leases_in_each_partition_and_takes_turns(
    partitioned: int, aredis, redis_client: redis.Redis
) -> None:
    for site in ("es", "blog", "news"):
        for n in range(3):
            enqueue(redis_client, f"{site}:c{n}", f"{n + 1}-0")
    outbox = RedisOutbox(aredis)
    now = now_ms()
    first = await outbox.claim_due(now, 60_000, 2)
    assert first == [Due(keys.part(0), "1-0"), Due(keys.part(0), "2-0")]
    assert redis_client.zscore(keys.part(0).outbox, "1-0") == now + 60_000
    untouched = redis_client.zscore(keys.part(1).outbox, "1-0")  # partition 1's 1-0: not leased
    assert untouched is not None and untouched <= now
    second = await outbox.claim_due(now, 60_000, 2)  # partition 1 is asked first this time
    assert [(d.part.index, d.fid) for d in second] == [(1, "1-0"), (1, "2-0")]
    third = await outbox.claim_due(now, 60_000, 4)  # partition 2, then 0 for the rest
    assert [(d.part.index, d.fid) for d in third] == [
        (2, "1-0"),
        (2, "2-0"),
        (2, "3-0"),
        (0, "3-0"),
    ]
    rest = await outbox.claim_due(now, 60_000, 10)
    assert [(d.part.index, d.fid) for d in rest] == [(1, "3-0")]
    assert await outbox.claim_due(now, 60_000, 10) == []  # all leased
    assert await outbox.sizes() == (9, 0)


async def test_dead_letters_merge_the_partitions_newest_first_and_replay_finds_its_partition(
    partitioned: int, aredis, redis_client: redis.Redis
) -> None:
    for ref in ("es:a", "blog:b", "news:c"):
        enqueue(redis_client, ref, "1-0")
    enqueue(redis_client, "blog:b", "2-0", version=1)  # waits behind blog's dead letter
    outbox = RedisOutbox(aredis)
    for k, dead_at in ((0, 1_000), (1, 3_000), (2, 2_000)):
        due = Due(keys.part(k), "1-0")
        assert (
            await outbox.failed(due, f"HTTP 50{k}", due_ms=0, max_attempts=1, now_ms=dead_at) == -1
        )
    for k in range(3):
        part = keys.part(k)
        assert redis_client.zrange(part.outbox_dead, 0, -1) == ["1-0"]
        assert redis_client.hget(part.outbox_errors, "1-0") == f"HTTP 50{k}"
        assert redis_client.zcard(part.outbox) == 0
    letters = await outbox.dead_letters()
    assert [(d["feed_id"], d["dead_at"], d["error"], d["waiting"]) for d in letters] == [
        ("p1-1-0", 3_000, "HTTP 501", 1),
        ("p2-1-0", 2_000, "HTTP 502", 0),
        ("p0-1-0", 1_000, "HTTP 500", 0),
    ]
    assert [(d["event"]["site"], d["attempts"]) for d in letters] == [
        ("blog", 1),
        ("news", 1),
        ("es", 1),
    ]
    assert [d["feed_id"] for d in await outbox.dead_letters(2)] == ["p1-1-0", "p2-1-0"]
    assert await outbox.sizes() == (0, 3)

    assert await outbox.replay("p3-1-0", now_ms()) is False
    assert await outbox.replay("p1-1-0", now_ms()) is True
    assert await outbox.replay("p1-1-0", now_ms()) is False
    assert redis_client.zrange(keys.part(1).outbox, 0, -1) == ["1-0"]
    assert not redis_client.exists(keys.part(1).outbox_dead, keys.part(1).outbox_attempts)
    for k in (0, 2):  # the other partitions' letters with the same feed id are untouched
        assert redis_client.zrange(keys.part(k).outbox_dead, 0, -1) == ["1-0"]
        assert redis_client.hget(keys.part(k).outbox_attempts, "1-0") == "1"
    assert await outbox.sizes() == (1, 2)

    with platform_server(Platform()) as platform:
        async with httpx.AsyncClient() as http:
            deliverer = OutboxDeliverer(aredis, http, settings(platform.url), SECRET)
            await deliver_until(deliverer, lambda: len(platform.received) == 2)
            assert await deliverer.deliver_due() == 0
    assert received_by_ref(platform) == {
        "blog:b": [("scored", None, "p1-1-0", "1-0"), ("decided", 1, "p1-2-0", "2-0")]
    }
    assert [d["feed_id"] for d in await outbox.dead_letters()] == ["p2-1-0", "p0-1-0"]
    assert await outbox.replay("1-0", now_ms()) is True  # a plain feed id: partition 0's
    assert redis_client.zrange(keys.part(0).outbox, 0, -1) == ["1-0"]
    assert [d["feed_id"] for d in await outbox.dead_letters()] == ["p2-1-0"]


async def test_a_vanished_event_advances_its_chain_in_its_own_partition(
    partitioned: int, aredis, redis_client: redis.Redis
) -> None:
    enqueue(redis_client, "es:z", "1-0")  # partition 0 also has a chain holding 1-0
    for ref in ("blog:a", "news:b"):
        enqueue(redis_client, ref, "1-0")
        enqueue(redis_client, ref, "2-0", version=1)
        redis_client.xdel(keys.part_of(ref).feed, "1-0")  # the `scored` event vanishes
    redis_client.hdel(keys.part(0).outbox_refs, "1-0")
    redis_client.hdel(keys.part(2).outbox_refs, "1-0")  # news's chain predates the refs hash
    outbox = RedisOutbox(aredis)
    assert await outbox.ref_of("1-0", 1) == "blog:a"
    assert await outbox.ref_of("1-0", 2) == "news:b"  # found by scanning partition 2's chains
    assert await outbox.ref_of("1-0", 0) == "es:z"
    assert await outbox.ref_of("2-0", 0) is None
    with platform_server(Platform()) as platform:
        async with httpx.AsyncClient() as http:
            deliverer = OutboxDeliverer(aredis, http, settings(platform.url), SECRET)
            await deliver_until(deliverer, lambda: len(platform.received) == 3)
    assert received_by_ref(platform) == {
        "es:z": [("scored", None, "p0-1-0", "1-0")],
        "blog:a": [("decided", 1, "p1-2-0", "2-0")],
        "news:b": [("decided", 1, "p2-2-0", "2-0")],
    }
    for k in range(3):
        assert redis_client.zcard(keys.part(k).outbox) == 0
        assert redis_client.hlen(keys.part(k).outbox_refs) == 0
    assert not any(redis_client.exists(keys.outbox_chain(r)) for r in ("es:z", "blog:a", "news:b"))


async def test_a_vanished_event_no_chain_holds_leaves_its_own_partitions_outbox(
    partitioned: int, aredis, redis_client: redis.Redis
) -> None:
    for k in (1, 2):
        redis_client.zadd(keys.part(k).outbox, {"7-0": now_ms()})  # due, in no chain, no feed
    with platform_server(Platform()) as platform:
        async with httpx.AsyncClient() as http:
            deliverer = OutboxDeliverer(aredis, http, settings(platform.url), SECRET)
            assert await deliverer.deliver_due() == 2
    assert platform.attempts == []
    assert await deliverer.outbox.sizes() == (0, 0)
