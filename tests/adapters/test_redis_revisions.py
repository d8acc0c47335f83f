"""New revisions and DECIDE's refusals against a real Redis, key by key: a revision takes its
comment out of every queue index, its claim, its author's counts and the recently-decided list
in one step, keeps the old revision (record and decision) in the history, and puts the new text
on the ingest stream; DECIDE refuses a decision read before a newer decision (STALE: retried
with a fresh read) and one on an older revision (REVISION: refused, 409)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis

from moderator import keys
from moderator.adapters.redis.ingest import Accepted, RedisIngest
from moderator.adapters.redis.review import RedisReviewStore, _StaleError
from moderator.core.models import Author, Comment, Decision, Thread
from moderator.errors import StaleRevisionError
from tests.adapters.test_redis_review import add_full, members
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
    seeder_fixture,
)

pytestmark = pytest.mark.anyio


def edit(text: str) -> Comment:
    return Comment(
        "c1",
        text,
        site="blog",
        author=Author("u1", "Ana"),
        thread=Thread("t1", "A thread", "https://blog.example/t1"),
        language="es",
    )


async def decide(review: RedisReviewStore, ref: str, **kw: Any) -> dict[str, Any]:
    return await review.decide(ref, Decision.APPROVE, by="rita", reason=None, note=None, **kw)


async def test_a_revision_of_a_claimed_queued_comment_takes_it_out_of_everything(
    aredis, seeder, redis_client: redis.Redis
) -> None:
    ref = add_full(seeder)
    redis_client.hset(keys.CLAIMS, ref, f"{now_ms() + 60_000}:rita")
    assert members(redis_client, ref)  # in its queue's indexes
    assert redis_client.hget(keys.author_counts("blog", "u1"), "queued") == "1"
    ingest = RedisIngest(aredis, max_backlog=100)
    assert await ingest.accept(edit("an edited text"), now_ms()) == Accepted("revised", 2)
    assert members(redis_client, ref) == {}
    assert not redis_client.hexists(keys.CLAIMS, ref)
    assert redis_client.hget(keys.author_counts("blog", "u1"), "queued") == "0"
    stored = redis_client.hgetall(keys.comment(ref))
    assert (stored["state"], stored["revision"]) == ("received", "2")
    assert "record" not in stored and "queue" not in stored and "ix" not in stored
    (old,) = [json.loads(r) for r in redis_client.lrange(keys.revisions(ref), 0, -1)]
    assert (old["revision"], old["state"], old["comment"]["text"]) == (
        1,
        "queued",
        "the retard said",
    )
    assert old["record"]["matches"][0]["term"] == "retard"
    ((_, entry),) = redis_client.xrange(keys.INGEST_STREAM)
    assert entry == {"ref": ref, "rev": "2"}


async def test_a_revision_of_a_decided_comment_keeps_the_decision_in_history(
    aredis, seeder, redis_client: redis.Redis
) -> None:
    ref = add_full(seeder)
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    await decide(review, ref, now_ms=now_ms())
    assert redis_client.zscore(keys.RECENT, ref) is not None
    await RedisIngest(aredis, max_backlog=100).accept(edit("edited after approval"), now_ms())
    assert redis_client.zscore(keys.RECENT, ref) is None
    assert redis_client.hget(keys.author_counts("blog", "u1"), "approved") == "0"
    item = await review.get(ref)
    assert (item["state"], item["version"], item["decision"]) == ("received", 1, None)
    (old,) = await review.revisions(ref)
    assert (old["state"], old["version"], old["decision"]["by"]) == ("approved", 1, "rita")


async def test_decide_refuses_an_older_revision_and_a_stale_version(
    aredis, seeder, redis_client: redis.Redis
) -> None:
    ref = add_full(seeder)
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    read_before = await review.get(ref)
    # Another admin escalates it meanwhile (version 1): the decision read before is STALE.
    await review.decide(
        ref, Decision.ESCALATE, by="ed", reason=None, note=None, now_ms=now_ms(), is_admin=True
    )
    body = {"decision": "approve", "reason": None, "note": None, "by": "rita", "at": now_ms()}
    body |= {"version": 1, "revision": 1, "previous": {}}
    with pytest.raises(_StaleError):
        await review._run_decide(read_before, Decision.APPROVE, body, True)
    assert redis_client.hget(keys.comment(ref), "version") == "1"  # nothing written
    # decide() itself reads again and goes on from the fresh read.
    done = await decide(review, ref, now_ms=now_ms(), is_admin=True)
    assert done["version"] == 2
    # An older revision is refused outright (not retried), with the current one named.
    redis_client.hset(keys.comment(ref), mapping={"state": "queued", "revision": 3})
    with pytest.raises(StaleRevisionError) as refused:
        await decide(review, ref, now_ms=now_ms(), revision=2)
    assert refused.value.current == 3
    assert redis_client.hget(keys.comment(ref), "version") == "2"
    assert (await decide(review, ref, now_ms=now_ms(), revision=3))["version"] == 3
