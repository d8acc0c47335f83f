"""The worker against a real Redis: batches, exactly-once queueing, reclaim, dead letters, stop."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence

import redis

from moderator import keys
from moderator.adapters.redis import scripts as redis_scripts
from moderator.bootstrap import build_consumer
from moderator.core.models import Comment, ModelInfo, Scores
from moderator.core.scoring import ScoringService
from moderator.settings import Settings
from moderator.worker.worker import Worker

RETARD = "Listen to what the retard Freddy has to say about him"
RAID = "The police raid on the village was reported on the evening news."


def enqueue(r: redis.Redis, *comments: Comment) -> None:
    accept = r.register_script(redis_scripts.ACCEPT)
    for c in comments:
        accept(
            keys=[keys.comment(c.ref), keys.INGEST_STREAM],
            args=[json.dumps(c.to_dict()), int(time.time() * 1000), c.ref, 10**9],
        )


def make_worker(settings: Settings, service: ScoringService, r: redis.Redis) -> Worker:
    consumer = build_consumer(settings, settings.redis_url, client=r)
    consumer.ensure_group()
    return Worker(consumer, service, settings.worker)


def drain(worker: Worker) -> None:
    while batch := worker.next_batch():
        worker.process(batch)


def test_scores_queues_and_acknowledges(make_settings, redis_client, service):
    worker = make_worker(make_settings(), service, redis_client)
    enqueue(redis_client, Comment("c1", RETARD), Comment("c2", RAID))
    drain(worker)
    held = redis_client.hgetall(keys.comment("default:c1"))
    record = json.loads(held["record"])
    assert held["state"] == "queued" and held["queue"] in ("hold", "review")
    assert redis_client.zrange(keys.queue(held["queue"]), 0, -1) == ["default:c1"]
    match = next(m for m in record["matches"] if m["term"].startswith("retard"))
    assert RETARD[match["start"] : match["end"]] == "retard"
    assert any("retard" in reason for reason in record["reasons"])
    assert record["model"]["name"] == "alt-profanity-check" and record["model"]["fallback"]
    clean = redis_client.hgetall(keys.comment("default:c2"))
    assert clean["state"] == "approved"
    assert float(clean["priority"]) < float(held["priority"])
    assert redis_client.xlen(keys.INGEST_STREAM) == 0
    assert redis_client.xpending(keys.INGEST_STREAM, keys.INGEST_GROUP)["pending"] == 0
    events = [json.loads(f["data"]) for _, f in redis_client.xrange(keys.FEED_STREAM)]
    assert [(e["id"], e["event"]) for e in events] == [("c1", "scored"), ("c2", "scored")]


def test_batches_up_to_batch_size(make_settings, redis_client, service):
    sizes: list[int] = []

    class Counting:
        info = service.scorer.info

        def score(self, texts: Sequence[str]) -> list[Scores]:
            sizes.append(len(texts))
            return service.scorer.score(texts)

    counted = ScoringService(Counting(), service.lexicon, service.policy)
    worker = make_worker(make_settings(worker={"batch_size": 4}), counted, redis_client)
    enqueue(redis_client, *(Comment(f"c{i}", f"comment number {i}") for i in range(10)))
    drain(worker)
    assert sizes == [4, 4, 2]


def test_message_of_a_dead_worker_is_reclaimed_and_queued_once(
    make_settings, redis_client, service
):
    settings = make_settings(worker={"claim_idle_ms": 100})
    dead = make_worker(settings, service, redis_client)
    enqueue(redis_client, Comment("c1", RETARD))
    taken = dead.consumer.read(8, None)  # the dead worker read it, then was killed: no ack
    assert len(taken) == 1
    survivor = make_worker(settings, service, redis_client)
    assert survivor.next_batch() == []  # not idle long enough yet: nothing to steal
    time.sleep(0.15)
    survivor._last_reclaim = 0.0
    drain(survivor)
    # The "dead" worker wakes up late and stores what it had read: nothing is duplicated.
    dead.process(taken)
    assert redis_client.zcard(keys.queue("hold")) + redis_client.zcard(keys.queue("review")) == 1
    assert redis_client.xlen(keys.FEED_STREAM) == 1
    assert redis_client.xpending(keys.INGEST_STREAM, keys.INGEST_GROUP)["pending"] == 0


class FailsOn:
    """Wraps the real scorer and raises for one text: a poison message."""

    def __init__(self, inner, poison: str) -> None:
        self.inner, self.poison = inner, poison

    @property
    def info(self) -> ModelInfo:
        return self.inner.info

    def score(self, texts: Sequence[str]) -> list[Scores]:
        if self.poison in texts:
            raise ValueError("model exploded on this text")
        return self.inner.score(texts)


def test_poison_message_is_isolated_then_held_for_review(make_settings, redis_client, service):
    """Issue 9 item 1: a comment whose scoring fails max_attempts times is held for a human with
    the reason, announced in the feed (so a callback goes out), and listed as a dead letter."""
    settings = make_settings(worker={"claim_idle_ms": 100, "max_attempts": 3})
    failing = ScoringService(FailsOn(service.scorer, "POISON"), service.lexicon, service.policy)
    worker = make_worker(settings, failing, redis_client)
    worker.consumer.deliver_callbacks = True
    enqueue(redis_client, Comment("ok1", RAID), Comment("bad", "POISON"), Comment("ok2", RETARD))
    deadline = time.monotonic() + 10
    while redis_client.xlen(keys.DEAD_STREAM) == 0 and time.monotonic() < deadline:
        worker._last_reclaim = 0.0
        if batch := worker.next_batch():
            worker.process(batch)
        time.sleep(0.05)
    assert redis_client.hget(keys.comment("default:ok1"), "state") == "approved"
    assert redis_client.hget(keys.comment("default:ok2"), "state") == "queued"
    ((_, dead),) = redis_client.xrange(keys.DEAD_STREAM)
    assert dead["ref"] == "default:bad" and dead["attempts"] == "3"
    assert "model exploded on this text" in dead["error"]
    held = redis_client.hgetall(keys.comment("default:bad"))
    assert (held["state"], held["queue"], held["scoring_failed"]) == ("queued", "hold", "1")
    assert "default:bad" in redis_client.zrange(keys.queue("hold"), 0, -1)
    (reason,) = json.loads(held["record"])["reasons"]
    assert reason == (
        "hold: rule scoring-failed: ValueError after 3 attempts: model exploded on this text "
        f"(model {service.scorer.info})"
    )
    events = [json.loads(f["data"]) for _, f in redis_client.xrange(keys.FEED_STREAM)]
    (bad,) = [e for e in events if e["id"] == "bad"]
    assert (bad["event"], bad["action"], bad["reasons"]) == ("scored", "hold", [reason])
    assert len(redis_client.zrange(keys.OUTBOX, 0, -1)) == 3  # its callback is due
    assert redis_client.xlen(keys.INGEST_STREAM) == 0


def test_message_that_keeps_killing_workers_is_held_for_review(
    make_settings, redis_client, service
):
    settings = make_settings(worker={"claim_idle_ms": 50, "max_attempts": 2})
    enqueue(redis_client, Comment("c1", RAID))
    make_worker(settings, service, redis_client).consumer.read(8, None)  # taken, worker dies
    for _ in range(2):  # two more workers reclaim it and die without a trace
        time.sleep(0.06)
        assert make_worker(settings, service, redis_client).consumer.reclaim(50, 8)
    time.sleep(0.06)
    survivor = make_worker(settings, service, redis_client)
    assert survivor.next_batch() == []
    ((_, dead),) = redis_client.xrange(keys.DEAD_STREAM)
    assert dead["ref"] == "default:c1" and "without being stored" in dead["error"]
    assert redis_client.xlen(keys.INGEST_STREAM) == 0
    held = redis_client.hgetall(keys.comment("default:c1"))
    assert (held["state"], held["queue"]) == ("queued", "hold")
    (reason,) = json.loads(held["record"])["reasons"]
    assert reason.startswith("hold: rule scoring-failed: WorkerLost after 4 attempts: handed")


def test_stop_lets_the_batch_in_hand_finish(make_settings, redis_client, service):
    entered, release = threading.Event(), threading.Event()

    class Slow:
        info = service.scorer.info

        def score(self, texts: Sequence[str]) -> list[Scores]:
            entered.set()
            release.wait(5)
            return service.scorer.score(texts)

    worker = make_worker(
        make_settings(), ScoringService(Slow(), service.lexicon, service.policy), redis_client
    )
    enqueue(redis_client, Comment("c1", RAID), Comment("c2", RETARD))
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    assert entered.wait(5)
    stop.set()  # SIGTERM arrives mid-batch
    release.set()
    thread.join(5)
    assert not thread.is_alive()
    assert {redis_client.hget(keys.comment(f"default:{c}"), "state") for c in ("c1", "c2")} == {
        "approved",
        "queued",
    }
    assert redis_client.xlen(keys.INGEST_STREAM) == 0


def test_worker_waits_out_a_redis_outage(make_settings, service):
    settings = make_settings(redis_url="redis://127.0.0.1:1/0")
    from moderator.adapters.redis.client import connect

    consumer = build_consumer(settings, settings.redis_url, client=connect(settings.redis_url))
    worker = Worker(consumer, service, settings.worker)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()  # it did not crash on the outage
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
