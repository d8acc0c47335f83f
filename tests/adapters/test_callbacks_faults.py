"""Callback delivery when things go wrong, against a real Redis and real HTTP servers:

- an event that vanished from the feed advances its comment's chain (issue 9 item 2), also for
  chains written before the feed-id → ref map existed; a delivery done for an event that is not
  at its chain's head leaves the head in place (OUTBOX_DONE's non-head branch, item 17);
- a slow-drip answer (headers at once, then a byte every 0.25 s) is cut off by the whole-request
  limit, long before the lease ends (item 6);
- an invalid callback URL, Redis out of memory and an arbitrary Redis error never end the
  delivery loop: it logs, backs off, beats its heartbeat and delivers once the fault is gone
  (item 5).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from moderator import keys
from moderator.adapters.callbacks import OutboxDeliverer
from moderator.adapters.redis.client import connect_async
from moderator.adapters.redis.embedded import EmbeddedRedis
from moderator.adapters.redis.review import RedisReviewStore
from moderator.core.models import Decision
from moderator.settings import CallbackSettings
from tests.adapters.test_callbacks_outbox import (
    SECRET,
    Platform,
    deliver_until,
    platform_server,
    settings,
    timeline,
)
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    Seeder,
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
)

pytestmark = pytest.mark.anyio


async def _decide(review: RedisReviewStore, ref: str, decision: Decision) -> dict:
    return await review.decide(ref, decision, by="rita", reason=None, note=None, now_ms=now_ms())


async def test_a_vanished_event_advances_its_chain(aredis, redis_client: redis.Redis) -> None:
    seeder = Seeder(redis_client, deliver_callbacks=True)
    review = RedisReviewStore(aredis, deliver_callbacks=True)
    refs = [seeder.add("a"), seeder.add("b")]
    for ref in refs:
        await _decide(review, ref, Decision.REJECT)  # chain: scored, decided
    heads = [redis_client.lindex(keys.outbox_chain(ref), 0) for ref in refs]
    redis_client.xdel(keys.FEED_STREAM, *heads)  # both `scored` events vanish from the feed
    redis_client.hdel(keys.OUTBOX_REFS, heads[1])  # b's chain predates the feed-id → ref map
    with platform_server(Platform()) as platform:
        async with httpx.AsyncClient() as http:
            deliverer = OutboxDeliverer(aredis, http, settings(platform.url), SECRET)
            await deliver_until(deliverer, lambda: len(platform.received) == 2)
    assert timeline(platform.received, "a") == [("decided", 1)]
    assert timeline(platform.received, "b") == [("decided", 1)]
    assert redis_client.zcard(keys.OUTBOX) == 0
    assert not any(redis_client.exists(keys.outbox_chain(ref)) for ref in refs)
    assert redis_client.hlen(keys.OUTBOX_REFS) == 0


async def test_done_with_an_event_behind_the_head_keeps_the_head(
    aredis, redis_client: redis.Redis
) -> None:
    seeder = Seeder(redis_client, deliver_callbacks=True)
    review = RedisReviewStore(aredis, deliver_callbacks=True)
    ref = seeder.add("a")
    v1 = await _decide(review, ref, Decision.REJECT)
    await review.undo(ref, v1["version"], by="rita", now_ms=now_ms(), window_ms=10_000, lease_ms=1)
    head, middle, last = redis_client.lrange(keys.outbox_chain(ref), 0, -1)
    with platform_server(Platform()) as platform:
        async with httpx.AsyncClient() as http:
            deliverer = OutboxDeliverer(aredis, http, settings(platform.url), SECRET)
            await deliverer.outbox.delivered(middle, ref, now_ms())  # not the head
            assert redis_client.lrange(keys.outbox_chain(ref), 0, -1) == [head, last]
            assert redis_client.zrange(keys.OUTBOX, 0, -1) == [head]
            await deliver_until(deliverer, lambda: len(platform.received) == 2)
    assert [e["_key"] for e in platform.received] == [head, last]
    assert timeline(platform.received, "a") == [("scored", None), ("decided", 2)]


@dataclass
class Drip:
    """An HTTP server that sends its headers at once and then its body one byte every
    `every_s`: each phase is quick, the whole answer is slow."""

    url: str = ""
    body_bytes: int = 40
    every_s: float = 0.25
    sent: int = 0
    finished: bool = False
    done: threading.Event = threading.Event()  # noqa: RUF009 (one server per test)

    def serve(self, listener: socket.socket) -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                + f"Content-Length: {self.body_bytes}\r\nConnection: close\r\n\r\n".encode()
            )
            try:
                for _ in range(self.body_bytes):
                    time.sleep(self.every_s)
                    conn.sendall(b"x")
                    self.sent += 1
                self.finished = True
            except OSError:
                pass  # the client hung up
        self.done.set()


@contextmanager
def drip_server() -> Iterator[Drip]:
    drip = Drip(done=threading.Event())
    listener = socket.create_server(("127.0.0.1", 0))
    drip.url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    thread = threading.Thread(target=drip.serve, args=(listener,), daemon=True)
    thread.start()
    try:
        yield drip
    finally:
        listener.close()


async def test_a_slow_drip_answer_is_cut_off_by_the_whole_request_limit(
    aredis, redis_client: redis.Redis
) -> None:
    Seeder(redis_client, deliver_callbacks=True).add("a")
    (fid,) = redis_client.zrange(keys.OUTBOX, 0, -1)
    with drip_server() as drip:
        async with httpx.AsyncClient() as http:
            s = CallbackSettings(url=drip.url, timeout_s=1.0, backoff_base_s=60, backoff_max_s=60)
            deliverer = OutboxDeliverer(aredis, http, s, SECRET)
            assert await deliverer.deliver_due() == 1
            lease_end_ms = int(redis_client.zscore(keys.OUTBOX, fid) or 0)
        assert await asyncio.to_thread(drip.done.wait, 15)
    assert not drip.finished and drip.sent < drip.body_bytes  # abandoned mid-answer
    assert redis_client.hget(keys.OUTBOX_ATTEMPTS, fid) == "1"
    assert redis_client.hget(keys.OUTBOX_ERRORS, fid).startswith("TimeoutError: no complete")
    # Rescheduled by the backoff (60 s ± 20 % jitter: at least 48 s), not left to the 11 s lease.
    assert lease_end_ms > now_ms() + 30_000


@contextmanager
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path / "own-redis").start()
    try:
        yield server
    finally:
        server.stop()


async def test_the_delivery_loop_survives_a_bad_url_oom_and_redis_errors(tmp_path: Path) -> None:
    with own_redis(tmp_path) as server, platform_server(Platform()) as platform:
        r = redis.Redis.from_url(server.url, decode_responses=True)
        aredis = connect_async(server.url)
        seeder = Seeder(r, deliver_callbacks=True)
        seeder.add("a")
        stop = asyncio.Event()
        async with httpx.AsyncClient() as http:
            bad = settings("http://127.0.0.1:99999/hook")  # refused by settings, not by httpx
            deliverer = OutboxDeliverer(aredis, http, bad, SECRET, name="test-deliverer")
            task = asyncio.create_task(deliverer.run(stop, idle_s=0.02))
            try:
                await _until(lambda: int(r.hget(keys.OUTBOX_ATTEMPTS, _first(r)) or 0) >= 2)
                assert not task.done(), "an invalid URL ended delivery"
                assert "port" in r.hget(keys.OUTBOX_ERRORS, _first(r))
                # The loop is stopped between passes, so no attempt is in flight (one would
                # meet the full Redis while recording its own result, and keep its lease).
                stop.set()
                await asyncio.wait_for(task, 10)
                r.config_set("maxmemory", 1)  # Redis fills up: every write is refused
                deliverer._settings = settings(platform.url)  # and the operator fixes the URL
                stop = asyncio.Event()
                task = asyncio.create_task(deliverer.run(stop, idle_s=0.02))
                await _until(lambda: "OOM" in (deliverer.last_error or ""))
                assert not task.done(), "Redis out of memory ended delivery"
                assert platform.received == []  # the claim itself is refused
                r.config_set("maxmemory", 0)
                r.rename(keys.OUTBOX, "saved-outbox")
                r.set(keys.OUTBOX, "not a sorted set")  # an arbitrary Redis error (WRONGTYPE)
                await _until(lambda: "WRONGTYPE" in (_beat(r) or ""))
                assert not task.done(), "a Redis error ended delivery"
                r.delete(keys.OUTBOX)
                r.rename("saved-outbox", keys.OUTBOX)
                await _until(lambda: len(platform.received) == 1)
            finally:
                stop.set()
                await asyncio.wait_for(task, 10)
                await aredis.aclose()
                r.close()
    assert timeline(platform.received, "a") == [("scored", None)]


async def test_an_error_of_one_entry_reaches_the_heartbeat(tmp_path: Path) -> None:
    """The pass itself ends normally; the entry's error (here while its delivery was being
    recorded) must still show in the heartbeat, not be cleared as the pass ends."""
    with own_redis(tmp_path) as server:
        r = redis.Redis.from_url(server.url, decode_responses=True)

        def break_the_bookkeeping(event: dict) -> bool:
            r.delete(keys.OUTBOX_ERRORS)
            r.set(keys.OUTBOX_ERRORS, "not a hash")  # recording the delivery fails: WRONGTYPE
            return False  # the platform takes it

        with platform_server(Platform(fails=break_the_bookkeeping)) as platform:
            aredis = connect_async(server.url)
            Seeder(r, deliver_callbacks=True).add("a")
            stop = asyncio.Event()
            async with httpx.AsyncClient() as http:
                deliverer = OutboxDeliverer(
                    aredis, http, settings(platform.url), SECRET, name="test-deliverer"
                )
                task = asyncio.create_task(deliverer.run(stop, idle_s=0.02))
                try:
                    # well inside the entry's lease (15 s): no second attempt can set it again
                    await _until(lambda: "WRONGTYPE" in (_beat(r) or ""), timeout_s=5)
                    assert len(platform.received) == 1 and not task.done()
                finally:
                    stop.set()
                    await asyncio.wait_for(task, 10)
                    await aredis.aclose()
                    r.close()


def _beat(r: redis.Redis) -> str | None:
    beat = r.hget(keys.heartbeats("deliverer"), "test-deliverer")
    return None if beat is None else str(beat)


def _first(r: redis.Redis) -> str:
    fids = r.zrange(keys.OUTBOX, 0, 0) or r.zrange("saved-outbox", 0, 0)
    return str(fids[0])


async def _until(predicate, timeout_s: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)
