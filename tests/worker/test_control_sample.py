"""The control sample through the real worker and review store: a sampled comment is approved at
once (feed and callback say approve) and waits in the "sample" queue; a rejection there sends a
new decision (version 1) to the platform, an approval sends nothing; the miss rate is read back
per language and site, from Redis and from the archive."""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import replace

import pytest

from moderator import keys
from moderator.adapters.archive import decided_comments
from moderator.adapters.archive.archiver import DAY_MS, Archiver
from moderator.adapters.archive.control_sample import sample_miss_rates
from moderator.adapters.archive.parquet import ParquetArchive
from moderator.adapters.redis.queue import QueueView
from moderator.adapters.redis.review import RedisReviewStore
from moderator.bootstrap import build_consumer
from moderator.cli import main
from moderator.core.models import Author, Comment, Decision
from moderator.core.scoring import ScoringService
from moderator.worker.worker import Worker
from tests.web.seeding import anyio_backend_fixture, aredis_fixture  # noqa: F401
from tests.worker.test_worker import RAID, RETARD, drain, enqueue

CLEAN_ES = "La reunión del barrio será el martes por la tarde en la biblioteca."


def sampling_worker(
    make_settings, service: ScoringService, r, rate: float, callbacks: bool = True
) -> Worker:
    url = "http://127.0.0.1:9/callback" if callbacks else ""
    settings = make_settings(callback={"url": url})
    consumer = build_consumer(settings, settings.redis_url, client=r)
    consumer.ensure_group()
    sampled = ScoringService(
        service.scorer, service.lexicon, replace(service.policy, sample_rate=rate)
    )
    return Worker(consumer, sampled, settings.worker, rng=random.Random(1))


def test_sampled_comments_are_approved_at_once_and_queued(make_settings, redis_client, service):
    worker = sampling_worker(make_settings, service, redis_client, 1.0)
    enqueue(redis_client, Comment("c1", RAID), Comment("c2", RETARD))
    drain(worker)
    sampled = redis_client.hgetall(keys.comment("default:c1"))
    record = json.loads(sampled["record"])
    assert record["action"] == "approve" and record["sampled"] is True
    assert (sampled["state"], sampled["queue"]) == ("queued", "sample")
    assert redis_client.zrange(keys.queue("sample"), 0, -1) == ["default:c1"]
    events = [json.loads(f["data"]) for _, f in redis_client.xrange(keys.FEED_STREAM)]
    assert [(e["id"], e["action"]) for e in events if e["id"] == "c1"] == [("c1", "approve")]
    (fid,) = redis_client.lrange(keys.outbox_chain("default:c1"), 0, -1)  # approve, now
    assert redis_client.zscore(keys.OUTBOX, fid) is not None
    held = redis_client.hgetall(keys.comment("default:c2"))  # only approvals are sampled
    assert held["queue"] in ("hold", "review") and "sampled" not in json.loads(held["record"])


def test_no_sample_at_rate_zero(make_settings, redis_client, service):
    worker = sampling_worker(make_settings, service, redis_client, 0.0)
    enqueue(redis_client, Comment("c1", RAID))
    drain(worker)
    assert redis_client.hget(keys.comment("default:c1"), "state") == "approved"
    assert not redis_client.exists(keys.queue("sample"))


@pytest.mark.anyio
async def test_a_rejection_in_the_sample_is_sent_an_approval_is_not(
    make_settings, redis_client, service, aredis
):
    worker = sampling_worker(make_settings, service, redis_client, 1.0)
    enqueue(redis_client, Comment("c1", RAID), Comment("c2", RAID + " Again."))
    drain(worker)
    review = RedisReviewStore(aredis, deliver_callbacks=True)
    now = int(time.time() * 1000)
    rejected = await review.decide(
        "default:c1", Decision.REJECT, by="rita", reason="spam", note=None, now_ms=now
    )
    assert (rejected["version"], rejected["state"]) == (1, "rejected")
    chain = redis_client.lrange(keys.outbox_chain("default:c1"), 0, -1)
    events = [json.loads(redis_client.xrange(keys.FEED_STREAM, f, f)[0][1]["data"]) for f in chain]
    assert [(e["event"], e.get("decision"), e.get("version")) for e in events] == [
        ("scored", None, None),
        ("decided", "reject", 1),  # a new decision, after the approval, to the platform
    ]
    await review.decide(
        "default:c2", Decision.APPROVE, by="rita", reason=None, note=None, now_ms=now
    )
    assert len(redis_client.lrange(keys.outbox_chain("default:c2"), 0, -1)) == 1  # approve only
    assert not redis_client.zrange(keys.queue("sample"), 0, -1)
    page = await review.list_queue("sample", offset=0, limit=10)
    assert page == [] and QueueView("sample").queue == "sample"


@pytest.mark.anyio
async def test_miss_rate_per_language_and_site_from_redis_and_archive(
    make_settings, redis_client, service, aredis, tmp_path, monkeypatch, capsys, redis_url
):
    worker = sampling_worker(make_settings, service, redis_client, 1.0, callbacks=False)
    comments = [
        Comment(f"en{i}", f"{RAID} Number {i}.", site="blog", language="en") for i in range(10)
    ]
    comments += [
        Comment(f"es{i}", f"{CLEAN_ES} Número {i}.", site="news", language="es") for i in range(4)
    ]
    enqueue(redis_client, *comments, Comment("never", RAID + " Unseen.", site="blog"))
    drain(worker)
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    now = int(time.time() * 1000)
    for c in comments:
        bad = c.id in ("en0", "es0", "es1")
        decision = Decision.REJECT if bad else Decision.APPROVE
        await review.decide(c.ref, decision, by="rita", reason=None, note=None, now_ms=now)
    rates = await sample_miss_rates(aredis)
    assert (rates.overall.misses, rates.overall.reviewed) == (3, 14)  # "never": not reviewed
    assert (rates.by_site["blog"].misses, rates.by_site["blog"].reviewed) == (1, 10)
    es = rates.by_language["es"]
    assert (es.misses, es.reviewed, es.value) == (2, 4, 0.5) and es.low < 0.5 < es.high
    archive = ParquetArchive(str(tmp_path / "archive"))
    report = await Archiver(aredis, archive, hot_days=14).run(now + 15 * DAY_MS)
    assert report.archived == 15  # the unreviewed sample too: approved, never looked at
    assert not redis_client.exists(keys.queue("sample"))
    assert (await sample_miss_rates(aredis, archive)).as_dict() == rates.as_dict()
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    monkeypatch.setenv("MODERATOR_ARCHIVE__URL", str(tmp_path / "archive"))
    assert await asyncio.to_thread(main, ["sample", "stats", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["by_language"]["es"]["misses"] == 2 and shown["miss_rate"]["reviewed"] == 14
    assert await asyncio.to_thread(main, ["sample", "stats"]) == 0
    assert "3/14 rejected" in capsys.readouterr().out


@pytest.mark.anyio
async def test_an_unreviewed_sample_is_archived_as_approved(
    make_settings, redis_client, service, aredis, tmp_path
):
    worker = sampling_worker(make_settings, service, redis_client, 1.0, callbacks=False)
    enqueue(redis_client, Comment("c1", RAID, author=Author("u1", None)))
    drain(worker)
    counts = keys.author_counts("default", "u1")
    assert redis_client.hgetall(counts) == {"queued": "1"}
    archive = ParquetArchive(str(tmp_path / "archive"))
    now = int(time.time() * 1000)
    assert (await Archiver(aredis, archive, hot_days=14).run(now + 15 * DAY_MS)).archived == 1
    assert redis_client.hgetall(counts) == {"queued": "0", "approved": "1"}
    assert not redis_client.exists(keys.queue("sample"), keys.comment("default:c1"))
    (item,) = [c async for c in decided_comments(aredis, archive)]
    assert (item.state, item.sampled, item.version, item.archived) == ("approved", True, 0, True)
