"""Storing, deciding and undoing against a real Redis: every index, counter, list and stream the
scripts maintain, checked key by key."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis

from moderator import keys
from moderator.adapters.redis import index as redis_index
from moderator.adapters.redis.review import RedisReviewStore
from moderator.core.models import Decision
from moderator.errors import ConflictError, ForbiddenError
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    Seeder,
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
    seeder_fixture,
)

pytestmark = pytest.mark.anyio

SLUR = {"term": "retard", "match": "retard", "category": "ableist", "severity": 3}
DIMS = ["site:blog", "thread:blog:t1", "lang:es", "cat:ableist"]


def add_full(seeder: Seeder, comment_id: str = "c1", **kw: object) -> str:
    return seeder.add(
        comment_id,
        "the retard said",
        site="blog",
        language="es",
        matches=[{**SLUR, "start": 4, "end": 10}],
        author=("u1", "Ana"),
        thread=("t1", "A thread", "https://blog.example/t1"),
        **kw,  # type: ignore[arg-type]
    )


def members(r: redis.Redis, ref: str) -> dict[str, float]:
    """Every index key holding `ref`, with its score there."""
    found = {}
    for key in r.scan_iter(keys.PREFIX + "q*"):
        score = r.zscore(key, ref)
        if score is not None:
            found[key] = score
    return found


def index_keys(queue: str) -> set[str]:
    by_priority, by_age = redis_index.index_keys(queue, DIMS)
    return set(by_priority + by_age)


async def test_a_scored_comment_is_in_every_index_of_its_queue_and_its_authors_history(
    seeder, redis_client
):
    received = now_ms() - 5000
    ref = add_full(seeder, priority=0.8, received_ms=received)
    found = members(redis_client, ref)
    assert set(found) == index_keys("hold")
    assert found[keys.queue_index("hold", "oldest", "lang:es")] == received
    assert found[keys.queue("hold")] == found[keys.queue_index("hold", "priority", "cat:ableist")]
    stored = redis_client.hgetall(keys.comment(ref))
    assert json.loads(stored["ix"]) == DIMS and stored["queued_at"] == str(received)
    assert redis_client.zscore(keys.author("blog", "u1"), ref) == received
    assert redis_client.hgetall(keys.author_counts("blog", "u1")) == {"queued": "1"}


async def test_an_approved_comment_is_in_no_queue_but_in_the_history(seeder, redis_client):
    ref = seeder.add("ok", action="approve", author=("u1", None), priority=0.1)
    assert members(redis_client, ref) == {}
    assert redis_client.hgetall(keys.author_counts("default", "u1")) == {"approved": "1"}


async def test_storing_the_same_delivery_twice_changes_nothing(seeder, redis_client):
    ref = add_full(seeder)
    comment_hash_before = redis_client.hgetall(keys.comment(ref))
    feed_before = redis_client.xlen(keys.FEED_STREAM)
    # a redelivered message for a comment that is already scored is only acknowledged
    redis_client.xadd(keys.INGEST_STREAM, {"ref": ref})
    (delivery,) = seeder.consumer.read(1, None)
    other = {"action": "review", "priority": 0.1, "reasons": [], "model": {}, "matches": []}
    seeder.consumer.store(delivery, other, 1, now_ms())
    assert redis_client.hgetall(keys.comment(ref)) == comment_hash_before
    assert redis_client.xlen(keys.FEED_STREAM) == feed_before
    assert set(members(redis_client, ref)) == index_keys("hold")
    assert redis_client.hget(keys.author_counts("blog", "u1"), "queued") == "1"
    assert redis_client.xlen(keys.INGEST_STREAM) == 0


async def test_a_decision_leaves_every_index_and_is_recorded_everywhere(
    aredis, seeder, redis_client
):
    ref = add_full(seeder, priority=0.7)
    review = RedisReviewStore(aredis, deliver_callbacks=True)
    result = await review.decide(
        ref, Decision.REJECT, by="rita", reason="spam", note="n", now_ms=now_ms()
    )
    assert (result["version"], result["state"], result["by"]) == (1, "rejected", "rita")
    assert members(redis_client, ref) == {}
    assert redis_client.hgetall(keys.author_counts("blog", "u1")) == {
        "queued": "0",
        "rejected": "1",
    }
    assert redis_client.zscore(keys.RECENT, ref) == result["at"]
    ((aid, fields),) = redis_client.xrange(keys.AUDIT_STREAM)
    audit = json.loads(fields["data"])
    assert audit["decision"] == "reject" and audit["by"] == "rita" and audit["version"] == 1
    assert audit["previous_state"] == "queued" and audit["state"] == "rejected"
    assert audit["policy_version"] == "test-policy-1" and audit["model"]["name"] == "test-model"
    assert audit["scores"] == {"toxicity": 0.7, "insult": None}
    assert redis_client.lrange(keys.history(ref), 0, -1) == [aid]
    assert fields["feed"] == result["feed_id"]
    feed = [json.loads(f["data"]) for _, f in redis_client.xrange(keys.FEED_STREAM)]
    assert [e["event"] for e in feed] == ["scored", "decided"] and feed[1] == audit
    assert redis_client.lrange(keys.outbox_chain(ref), 0, -1) == [result["feed_id"]]
    assert redis_client.zscore(keys.OUTBOX, result["feed_id"]) is not None


async def test_escalated_comments_wait_for_an_admin(aredis, seeder, redis_client):
    ref = add_full(seeder)
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    at = now_ms()
    await review.decide(ref, Decision.ESCALATE, by="rita", reason=None, note=None, now_ms=at)
    found = members(redis_client, ref)
    assert set(found) == index_keys("escalated")
    assert found[keys.queue_index("escalated", "oldest")] == at
    with pytest.raises(ForbiddenError):
        await review.decide(ref, Decision.APPROVE, by="rita", reason=None, note=None, now_ms=at)
    with pytest.raises(ConflictError):
        await review.decide(
            ref, Decision.ESCALATE, by="ada", reason=None, note=None, now_ms=at, is_admin=True
        )
    done = await review.decide(
        ref, Decision.APPROVE, by="ada", reason=None, note=None, now_ms=at, is_admin=True
    )
    assert (done["version"], done["state"]) == (2, "approved")
    assert members(redis_client, ref) == {}
    counts = redis_client.hgetall(keys.author_counts("blog", "u1"))
    assert counts == {"queued": "0", "escalated": "0", "approved": "1"}


async def test_undo_puts_the_comment_back_in_the_same_place(aredis, seeder, redis_client):
    ref = add_full(seeder, priority=0.9, received_ms=now_ms() - 60000)
    before = members(redis_client, ref)
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    done = await review.decide(
        ref, Decision.ESCALATE, by="rita", reason=None, note=None, now_ms=now_ms()
    )
    undone = await review.undo(
        ref, done["version"], by="rita", now_ms=now_ms(), window_ms=10000, lease_ms=60000
    )
    assert (undone["version"], undone["state"], undone["decision"]) == (2, "queued", "undo")
    assert members(redis_client, ref) == before
    assert redis_client.hget(keys.CLAIMS, ref).endswith(":rita")
    assert redis_client.zscore(keys.RECENT, ref) is None
    assert redis_client.hgetall(keys.author_counts("blog", "u1")) == {
        "queued": "1",
        "escalated": "0",
    }
    events = [json.loads(f["data"]) for _, f in redis_client.xrange(keys.AUDIT_STREAM)]
    assert [(e["decision"], e["version"], e["state"]) for e in events] == [
        ("escalate", 1, "escalated"),
        ("undo", 2, "queued"),
    ]
    assert events[1]["undoes"] == 1
    with pytest.raises(ConflictError):  # an undo is not itself undone
        await review.undo(ref, 2, by="rita", now_ms=now_ms(), window_ms=10000, lease_ms=1000)
    again = await review.decide(
        ref, Decision.APPROVE, by="rita", reason=None, note=None, now_ms=now_ms()
    )
    assert again["version"] == 3


async def test_undo_only_by_its_reviewer_within_the_window_and_while_latest(
    aredis, seeder, redis_client
):
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    ref = seeder.add("c1")
    at = now_ms()
    await review.decide(ref, Decision.REJECT, by="rita", reason=None, note=None, now_ms=at)
    with pytest.raises(ForbiddenError):
        await review.undo(ref, 1, by="bob", now_ms=at, window_ms=10000, lease_ms=1000)
    with pytest.raises(ConflictError):
        await review.undo(ref, 1, by="rita", now_ms=at + 10001, window_ms=10000, lease_ms=1000)
    with pytest.raises(ConflictError):
        await review.undo(ref, 7, by="rita", now_ms=at, window_ms=10000, lease_ms=1000)
    assert redis_client.hget(keys.comment(ref), "state") == "rejected"
    auto = seeder.add("auto", action="approve")
    with pytest.raises(ConflictError):  # an automatic approval is not a reviewer's to undo
        await review.undo(auto, 0, by="rita", now_ms=at, window_ms=10000, lease_ms=1000)


async def test_concurrent_decisions_on_one_comment_one_wins(aredis, seeder, redis_client):
    ref = seeder.add("c1")
    review = RedisReviewStore(aredis, deliver_callbacks=False)

    async def attempt(who: str) -> str:
        try:
            await review.decide(
                ref, Decision.REJECT, by=who, reason=None, note=None, now_ms=now_ms()
            )
        except ConflictError:
            return "refused"
        return who

    outcomes = await asyncio.gather(*(attempt(f"r{i}") for i in range(12)))
    winners = [o for o in outcomes if o != "refused"]
    assert len(winners) == 1
    assert redis_client.xlen(keys.AUDIT_STREAM) == 1
    assert json.loads(redis_client.hget(keys.comment(ref), "decision"))["by"] == winners[0]


async def test_notes_are_kept_in_order(aredis, seeder):
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    ref = seeder.add("c1")
    for text in ("first", "second"):
        await review.add_note(ref, by="rita", text=text, now_ms=now_ms())
    from moderator.adapters.redis.context import RedisContext

    around = await RedisContext(aredis).around(await review.get(ref))
    assert [n["text"] for n in around["notes"]] == ["first", "second"]
