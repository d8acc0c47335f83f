"""Synchronous scoring through Redis (adapters/redis/sync.py, worker/sync.py) on a real Redis:
a request is answered before the batch waiting in the ingest stream, an idle worker answers at
once (it blocks on both streams), several workers and several callers share one stream, each
request is answered once, expired requests are skipped, and the detector beats the hint."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from moderator import keys
from moderator.adapters.redis.client import connect_async
from moderator.adapters.redis.sync import RedisSyncConsumer, RedisSyncScoring, SyncRequest
from moderator.core.models import Comment
from moderator.core.scoring import ScoringService
from moderator.settings import Settings
from moderator.worker.sync import SyncServer
from moderator.worker.worker import Worker
from tests.worker.test_worker import RETARD, enqueue, make_worker

SPANISH = "Esta mañana fuimos al mercado del pueblo a comprar fruta y verdura fresca."


@contextmanager
def running(*workers: Worker) -> Iterator[None]:
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    try:
        yield
    finally:
        stop.set()
        for t in threads:
            t.join(10)


def ask(redis_url: str, comments: list[Comment], hint: str | None = "en") -> list[dict]:
    """Send the requests at once, as several API processes would (one client each)."""

    async def one(comment: Comment) -> dict:
        client = connect_async(redis_url)
        try:
            return await RedisSyncScoring(client, timeout_s=4).score(comment, hint)
        finally:
            await client.aclose()

    async def every() -> list[dict]:
        return list(await asyncio.gather(*(one(c) for c in comments)))

    return asyncio.run(every())


def test_a_sync_request_is_answered_before_the_waiting_batch(
    make_settings, redis_client: redis.Redis, service: ScoringService
) -> None:
    settings: Settings = make_settings(worker={"batch_size": 4})
    enqueue(redis_client, *(Comment(f"c{i}", f"backlog comment {i}") for i in range(12)))
    worker = make_worker(settings, service, redis_client)
    worker.sync.consumer.ensure_group()
    order: list[str] = []
    process, serve = worker.process, worker.sync.serve
    worker.process = lambda batch: (order.append("batch"), process(batch))[1]  # type: ignore[method-assign]
    worker.sync.serve = lambda requests: (  # type: ignore[method-assign]
        order.extend(["sync"] * len(requests)),
        serve(requests),
    )[1]
    found: list[dict] = []
    asker = threading.Thread(
        target=lambda: found.extend(ask(settings.redis_url, [Comment("s", RETARD)]))
    )
    asker.start()
    deadline = time.monotonic() + 5
    while not redis_client.xlen(keys.SYNC_STREAM) and time.monotonic() < deadline:
        time.sleep(0.01)
    with running(worker):
        asker.join(10)
        done = time.monotonic() + 20
        while redis_client.xlen(keys.INGEST_STREAM) and time.monotonic() < done:
            time.sleep(0.02)
    (answer,) = found
    assert answer["record"]["id"] == "s" and answer["record"]["action"] in ("review", "hold")
    assert answer["policy_version"] == service.policy.version
    assert answer["record"]["spans"] == []  # no sentence pass on the sync path
    assert order == ["sync", "batch", "batch", "batch"]  # before the 3 waiting batches
    assert worker.sync.answered == 1
    assert not redis_client.exists(keys.comment("default:s"))  # sync scoring stores nothing


def test_several_workers_and_callers_share_the_stream(
    make_settings, redis_client: redis.Redis, service: ScoringService
) -> None:
    settings = make_settings()
    workers = [make_worker(settings, service, redis_client) for _ in range(2)]
    comments = [Comment(f"s{i}", f"comment number {i} for the sync path") for i in range(20)]
    with running(*workers):
        answers = ask(settings.redis_url, comments)
    assert [a["record"]["id"] for a in answers] == [c.id for c in comments]
    assert sum(w.sync.answered for w in workers) == 20
    assert redis_client.xlen(keys.SYNC_STREAM) == 0
    assert not redis_client.keys(keys.sync_reply("*"))  # each reply taken by its caller


def test_the_detector_overrides_the_hint_when_confident(
    make_settings, redis_client: redis.Redis, service_parts
) -> None:
    from moderator.adapters.language import build_detector

    settings = make_settings()
    detector = build_detector("py3langid", ["en", "es"], min_confidence=0.7, min_letters=15)
    service = ScoringService(*service_parts, detector=detector)
    worker = make_worker(settings, service, redis_client)
    with running(worker):
        spanish, short = ask(
            settings.redis_url, [Comment("es", SPANISH), Comment("lol", "lol")], hint="en"
        )
    assert spanish["record"]["language"] == "es"  # Coral says "en" for every comment
    assert short["record"]["language"] == "en"  # too short to detect: the hint


def test_an_expired_request_is_acknowledged_unanswered(redis_client: redis.Redis) -> None:
    consumer = RedisSyncConsumer(redis_client, "w1")
    consumer.ensure_group()
    redis_client.xadd(
        keys.SYNC_STREAM,
        {"id": "r1", "comment": json.dumps(Comment("x", "t").to_dict()), "deadline": 1},
    )
    redis_client.xadd(keys.SYNC_STREAM, {"junk": "1"})
    (request,) = consumer.read(10)
    assert isinstance(request, SyncRequest) and request.request_id == "r1"
    consumer.answer(request, {"record": {}})
    assert not redis_client.exists(keys.sync_reply("r1"))
    assert redis_client.xlen(keys.SYNC_STREAM) == 0


def test_a_sync_request_is_answered_while_a_batch_fills(
    make_settings, redis_client: redis.Redis, service: ScoringService
) -> None:
    settings = make_settings(worker={"batch_size": 8, "batch_wait_ms": 3000})
    worker = make_worker(settings, service, redis_client)
    order: list[str] = []
    process = worker.process
    worker.process = lambda batch: (order.append("batch"), process(batch))[1]  # type: ignore[method-assign]
    with running(worker):
        enqueue(redis_client, Comment("c1", "a comment that waits for its batch to fill"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until the worker holds it, waiting for more
            pending = redis_client.xpending(keys.INGEST_STREAM, keys.INGEST_GROUP)
            if pending["pending"]:
                break
            time.sleep(0.01)
        (answer,) = ask(settings.redis_url, [Comment("s", "quick question")])
        order.append("answered")
        done = time.monotonic() + 15
        while "batch" not in order and time.monotonic() < done:
            time.sleep(0.05)
    assert answer["record"]["id"] == "s"
    assert order == ["answered", "batch"]  # not after the 3 s batch wait


def test_a_worker_behind_drops_expired_requests_unscored(
    redis_client: redis.Redis, service: ScoringService
) -> None:
    consumer = RedisSyncConsumer(redis_client, "w1")
    consumer.ensure_group()
    server = SyncServer(consumer, service)
    comment = json.dumps(Comment("x", "t").to_dict())
    late = int(time.time() * 1000) - 1
    live = int(time.time() * 1000) + 60_000
    redis_client.xadd(keys.SYNC_STREAM, {"id": "old", "comment": comment, "deadline": late})
    redis_client.xadd(keys.SYNC_STREAM, {"id": "new", "comment": comment, "deadline": live})
    server.serve(consumer.read(10))
    assert (server.expired, server.answered) == (1, 1)
    assert not redis_client.exists(keys.sync_reply("old"))
    assert json.loads(redis_client.lpop(keys.sync_reply("new")))["record"]["id"] == "x"
    assert redis_client.xlen(keys.SYNC_STREAM) == 0


def test_requests_a_dead_worker_left_pending_are_swept(redis_client: redis.Redis) -> None:
    dead, alive = RedisSyncConsumer(redis_client, "dead"), RedisSyncConsumer(redis_client, "w2")
    dead.ensure_group()
    comment = json.dumps(Comment("x", "t").to_dict())
    redis_client.xadd(keys.SYNC_STREAM, {"id": "r", "comment": comment, "deadline": 1})
    assert len(dead.read(10)) == 1  # and then the worker dies
    time.sleep(0.05)
    assert alive.sweep(min_idle_ms=10_000) == 0  # not idle long enough yet
    assert alive.sweep(min_idle_ms=20) == 1
    assert redis_client.xpending(keys.SYNC_STREAM, keys.SYNC_GROUP)["pending"] == 0
    assert redis_client.xlen(keys.SYNC_STREAM) == 0
