"""Revisions at the worker, against a real Redis: a revision that arrives while the previous one
is still in the ingest stream, or in a worker's hands, is the one scored; the superseded one is
never scored (nor stored over the new text); each revision is scored at most once."""

from __future__ import annotations

import asyncio
import json
import time

import redis

from moderator import keys
from moderator.adapters.redis.client import connect_async
from moderator.adapters.redis.ingest import Accepted, RedisIngest
from moderator.core.models import Comment
from tests.worker.test_worker import RAID, RETARD, drain, make_worker


def accept(redis_url: str, comment: Comment) -> Accepted:
    async def go() -> Accepted:
        client = connect_async(redis_url)
        try:
            return await RedisIngest(client, max_backlog=1000).accept(
                comment, int(time.time() * 1000)
            )
        finally:
            await client.aclose()

    return asyncio.run(go())


def scored(r: redis.Redis) -> list[tuple[str, int]]:
    events = [json.loads(f["data"]) for _, f in r.xrange(keys.FEED_STREAM)]
    return [(e["id"], e["revision"]) for e in events if e["event"] == "scored"]


def test_a_revision_that_arrives_while_the_first_waits_is_the_one_scored(
    make_settings, redis_client, service
):
    settings = make_settings()
    assert accept(settings.redis_url, Comment("c1", RAID)) == Accepted("accepted", 1)
    assert accept(settings.redis_url, Comment("c1", RETARD)) == Accepted("revised", 2)
    assert accept(settings.redis_url, Comment("c1", RETARD)) == Accepted("duplicate", 2)
    drain(make_worker(settings, service, redis_client))
    assert scored(redis_client) == [("c1", 2)]
    stored = redis_client.hgetall(keys.comment("default:c1"))
    assert stored["state"] == "queued" and json.loads(stored["comment"])["text"] == RETARD
    assert redis_client.xlen(keys.INGEST_STREAM) == 0
    assert redis_client.xpending(keys.INGEST_STREAM, keys.INGEST_GROUP)["pending"] == 0


def test_a_revision_that_arrives_while_a_worker_scores_the_first_wins(
    make_settings, redis_client, service
):
    settings = make_settings()
    accept(settings.redis_url, Comment("c1", RETARD))
    worker = make_worker(settings, service, redis_client)
    in_hand = worker.consumer.read(8, None)  # the worker is scoring revision 1 ...
    assert accept(settings.redis_url, Comment("c1", RAID)).revision == 2  # ... when 2 arrives
    worker.process(in_hand)  # revision 1's record is refused: it would overwrite revision 2
    assert scored(redis_client) == []
    assert redis_client.hget(keys.comment("default:c1"), "state") == "received"
    drain(worker)
    assert scored(redis_client) == [("c1", 2)]
    stored = redis_client.hgetall(keys.comment("default:c1"))
    assert stored["state"] == "approved" and json.loads(stored["record"])["action"] == "approve"
    assert redis_client.zcard(keys.queue("hold")) + redis_client.zcard(keys.queue("review")) == 0
