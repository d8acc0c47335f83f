"""The archiver with three partitions (the `partitioned` fixture: sites es, blog and news in
partitions 0, 1 and 2): each comment leaves Redis with its own partition's keys, each partition's
audit stream is archived behind its own checkpoint into files that cannot overwrite another
partition's, each feed is trimmed behind its own partition's owed callbacks, and an interrupted
run still loses nothing and writes nothing twice."""

from __future__ import annotations

import json
from typing import Any

import pyarrow.parquet as pq
import pytest

from moderator import keys
from moderator.adapters.archive import decided_comments, redis_source
from moderator.adapters.archive.archiver import (
    DAY_MS,
    Archiver,
    audit_upto_key,
)
from moderator.adapters.archive.parquet import ParquetArchive
from moderator.adapters.redis.review import RedisReviewStore
from moderator.core.models import Decision
from tests.adapters.test_archiver import Killed, killer
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    Seeder,
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
    seeder_fixture,
)

LATER = 15 * DAY_MS
SITES = ("es", "blog", "news")  # partitions 0, 1, 2


async def seed(aredis, seeder: Seeder) -> dict[str, str]:
    """In each site: one comment the policy approved, one rita rejected with a note; one more
    still waiting in blog's hold queue. Returns ref -> expected final state."""
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    expected = {}
    for site in SITES:
        ref = seeder.add("a", "fine", site=site, action="approve", author=("u1", None))
        expected[ref] = "approved"
        ref = seeder.add("r", "bad", site=site, action="review", author=("u2", None))
        await review.add_note(ref, by="rita", text=f"why {site}", now_ms=now_ms())
        await review.decide(
            ref, Decision.REJECT, by="rita", reason=None, note=None, now_ms=now_ms()
        )
        expected[ref] = "rejected"
    seeder.add("waiting", "held", site="blog", action="hold")
    return expected


def archiver(aredis, tmp_path, **kw: Any) -> Archiver:
    return Archiver(aredis, ParquetArchive(str(tmp_path / "archive")), hot_days=14, **kw)


async def everything(aredis, archive: ParquetArchive | None) -> list[tuple[Any, ...]]:
    found = [
        (c.ref, c.state, [d["decision"] for d in c.decisions], len(c.notes), c.archived)
        async for c in decided_comments(aredis, archive)
    ]
    return sorted(found)


def audit_rows(archive: ParquetArchive) -> list[tuple[str, str, str]]:
    """(file name, site, audit id) of every archived audit row."""
    return [
        (f.rsplit("/", 1)[-1], row["site"], row["audit_id"])
        for f in archive.files("audit")
        for row in pq.read_table(f, columns=["site", "audit_id"]).to_pylist()
    ]


@pytest.mark.anyio
async def test_each_partition_is_archived_with_its_own_keys(
    partitioned, aredis, seeder, tmp_path, redis_client
):
    expected = await seed(aredis, seeder)
    for k, site in enumerate(SITES):  # the data really is spread: each site in its partition
        part = keys.part(k)
        assert redis_client.xlen(part.audit) == 1
        assert redis_client.zrange(part.recent, 0, -1) == [f"{site}:r"]
        assert redis_client.exists(f"{part.prefix}comment:{site}:a")
    before = await everything(aredis, None)
    assert [c[2] for c in before if c[1] == "rejected"] == [["reject"]] * 3

    worker = archiver(aredis, tmp_path, batch_size=4)
    report = await worker.run(now_ms() + LATER)

    assert (report.archived, report.kept, report.audit_entries) == (6, 0, 3)
    assert report.audit_trimmed == 3 and report.feed_trimmed == 10  # 7 scored, 3 decided
    for ref in expected:
        assert not redis_client.exists(keys.comment(ref), keys.notes(ref), keys.history(ref))
    for k in range(3):
        part = keys.part(k)
        assert not redis_client.xlen(part.audit) and not redis_client.xlen(part.feed)
        assert not redis_client.zcard(part.recent)
        assert redis_client.get(audit_upto_key(part))  # each partition's own checkpoint
    assert audit_upto_key(keys.part(0)) == keys.ARCHIVE_AUDIT_UPTO  # partition 0: as before
    assert audit_upto_key(keys.part(2)) == keys.ARCHIVE_AUDIT_UPTO + ":p2"
    assert redis_client.exists(keys.comment("blog:waiting"))  # not decided: stays
    suffixes = {site: name.removeprefix(aid) for name, site, aid in audit_rows(worker.archive)}
    assert suffixes == {"es": ".parquet", "blog": ".p1.parquet", "news": ".p2.parquet"}
    after = await everything(aredis, worker.archive)  # the same, read from the archive
    assert [c[:4] for c in after] == [c[:4] for c in before] and all(c[4] for c in after)


@pytest.mark.anyio
async def test_the_same_audit_id_in_two_partitions_makes_two_files(
    partitioned, aredis, seeder, tmp_path, redis_client
):
    """Stream ids are times: two partitions' audit streams can hold the same id on the same
    day. Each batch goes to its own file, behind its own checkpoint, and a comment still in
    Redis gets its own partition's archived entries back."""
    for site, decision in (("es", "reject"), ("blog", "approve")):
        ref = seeder.add("a", "fine", site=site, action="approve")  # decided now: stays hot
        event = {"event": "decided", "site": site, "id": "a", "decision": decision, "by": "rita"}
        for aid in ("1000-0", "2000-0"):
            redis_client.xadd(keys.part_of(ref).audit, {"data": json.dumps(event)}, id=aid)
            redis_client.rpush(keys.history(ref), aid)
    worker = archiver(aredis, tmp_path, batch_size=1)
    report = await worker.run(now_ms())
    assert report.audit_entries == 4 and report.audit_trimmed == 4 and report.archived == 0
    assert sorted(audit_rows(worker.archive)) == [
        ("1000-0.p1.parquet", "blog", "1000-0"),
        ("1000-0.parquet", "es", "1000-0"),
        ("2000-0.p1.parquet", "blog", "2000-0"),
        ("2000-0.parquet", "es", "2000-0"),
    ]
    assert redis_client.get(keys.ARCHIVE_AUDIT_UPTO) == "2000-0"
    assert redis_client.get(audit_upto_key(keys.part(1))) == "2000-0"
    found = {
        c.ref: [(d["audit_id"], d["decision"]) for d in c.decisions]
        async for c in decided_comments(aredis, worker.archive)
    }
    assert found == {
        "es:a": [("1000-0", "reject"), ("2000-0", "reject")],
        "blog:a": [("1000-0", "approve"), ("2000-0", "approve")],
    }


@pytest.mark.anyio
async def test_a_partitions_feed_is_trimmed_behind_its_own_owed_callbacks(
    partitioned, aredis, redis_client, tmp_path
):
    """blog owes a callback for its oldest event; news owes nothing: news's feed is trimmed
    whole though its events are newer than the one blog still owes."""
    owed_ref = Seeder(redis_client, deliver_callbacks=True).add("owed", "ok", site="blog")
    (owed_fid,) = redis_client.lrange(keys.outbox_chain(owed_ref), 0, -1)
    plain = Seeder(redis_client)
    plain.add("later", "fine", site="blog", action="approve")
    plain.add("n", "fine", site="news", action="approve")
    assert redis_client.hkeys(keys.part(1).outbox_refs) == [owed_fid]
    assert not redis_client.hlen(keys.part(2).outbox_refs)
    report = await archiver(aredis, tmp_path).run(now_ms() + LATER)
    blog_feed = [fid for fid, _ in redis_client.xrange(keys.part(1).feed)]
    assert blog_feed[0] == owed_fid and len(blog_feed) == 2  # kept from the owed event on
    assert redis_client.xlen(keys.part(2).feed) == 0 and report.feed_trimmed == 1
    assert redis_client.exists(keys.comment(owed_ref))  # kept until delivered
    assert not redis_client.exists(keys.comment("news:n"), keys.comment("blog:later"))


@pytest.mark.anyio
async def test_hot_comments_keep_their_archived_decisions_in_every_partition(
    partitioned, aredis, redis_client, tmp_path
):
    """Held in Redis by owed callbacks, their audit entries archived and trimmed from their
    partitions' streams: each is read whole, with its own partition's entries."""
    review = RedisReviewStore(aredis, deliver_callbacks=True)
    refs = [Seeder(redis_client).add("r", "bad", site=site, action="review") for site in SITES]
    for ref, decision in zip(
        refs, (Decision.REJECT, Decision.APPROVE, Decision.REJECT), strict=True
    ):
        await review.decide(ref, decision, by="rita", reason=None, note=None, now_ms=now_ms())
    worker = archiver(aredis, tmp_path)
    report = await worker.run(now_ms() + LATER)
    assert report.audit_entries == 3 and report.archived == 0
    assert all(redis_client.xlen(p.audit) == 0 for p in keys.parts())
    found = {
        c.ref: [d["decision"] for d in c.decisions]
        async for c in decided_comments(aredis, worker.archive)
    }
    assert found == {"es:r": ["reject"], "blog:r": ["approve"], "news:r": ["reject"]}


@pytest.mark.anyio
async def test_decided_refs_finds_every_partitions_comments(partitioned, aredis, seeder):
    for site in SITES:
        seeder.add("a", "fine", site=site, action="approve")
    seeder.add("h", "held", site="news", action="hold")
    found = [ref async for batch in redis_source.decided_refs(aredis) for ref, _ in batch]
    assert sorted(found) == ["blog:a", "es:a", "news:a"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("kind", "occurrence"),
    [("written", 2), ("deleted", 2), ("audit-written", 1), ("audit-written", 2), ("trimmed", 2)],
)
async def test_killed_then_rerun_loses_nothing_and_writes_nothing_twice(
    partitioned, aredis, seeder, tmp_path, redis_client, kind, occurrence
):
    await seed(aredis, seeder)
    before = await everything(aredis, None)
    crashes = []
    for hook in (killer(kind, occurrence), None):
        worker = archiver(aredis, tmp_path, batch_size=2, checkpoint=hook)
        try:
            await worker.run(now_ms() + LATER)
        except Killed as exc:
            crashes.append(str(exc))
            assert [c[:4] for c in await everything(aredis, worker.archive)] == [
                c[:4] for c in before
            ]
            redis_client.delete(keys.ARCHIVE_LEASE)  # as when its lease runs out
    assert crashes == [kind]
    archive = worker.archive
    assert [c[:4] for c in await everything(aredis, archive)] == [c[:4] for c in before]
    refs = [r for f in archive.files("comments") for r in pq.read_table(f, columns=["ref"])["ref"]]
    assert len(refs) == len(set(refs)) == 6  # each comment once in the archive
    rows = [(site, aid) for _, site, aid in audit_rows(archive)]
    assert len(rows) == len(set(rows)) == 3 and {s for s, _ in rows} == set(SITES)
    assert all(redis_client.xlen(p.audit) == 0 for p in keys.parts())
    assert not redis_client.hlen(keys.ARCHIVE_PENDING)
