"""The archiver against a real Redis and real Parquet files: what is older than hot_days moves,
with its record, decisions, notes and audit entries; an interrupted run, killed at every step in
turn, loses nothing and writes nothing twice; one archiver at a time; the feed keeps what the
callback outbox still owes."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from moderator import keys
from moderator.adapters.archive import decided_comments
from moderator.adapters.archive.archiver import DAY_MS, Archiver
from moderator.adapters.archive.parquet import ParquetArchive
from moderator.adapters.redis.review import RedisReviewStore
from moderator.core.models import Decision
from moderator.errors import ConflictError
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    Seeder,
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
    seeder_fixture,
)

LATER = 15 * DAY_MS  # archive as if run 15 days from now: everything decided today is cold


class Killed(BaseException):
    """A crash at a checkpoint: like SIGKILL, nothing after it runs (the lease stays held)."""


async def seed(aredis, seeder: Seeder, n: int = 7) -> dict[str, str]:
    """n comments: even ones approved by the policy, odd ones decided by rita with a note;
    one more still waiting in the hold queue. Returns ref -> expected final state."""
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    expected = {}
    for i in range(n):
        if i % 2 == 0:
            ref = seeder.add(f"a{i}", f"fine {i}", action="approve", author=(f"u{i}", None))
            expected[ref] = "approved"
            continue
        ref = seeder.add(f"r{i}", f"bad {i}", action="review", author=(f"u{i}", None))
        await review.add_note(ref, by="rita", text=f"why {i}", now_ms=now_ms())
        decision = Decision.REJECT if i % 4 == 1 else Decision.APPROVE
        await review.decide(ref, decision, by="rita", reason=None, note=None, now_ms=now_ms())
        expected[ref] = "rejected" if decision is Decision.REJECT else "approved"
    seeder.add("waiting", "held", action="hold")
    return expected


def archiver(aredis, tmp_path, **kw) -> Archiver:
    return Archiver(aredis, ParquetArchive(str(tmp_path / "archive")), hot_days=14, **kw)


async def everything(aredis, archive: ParquetArchive | None) -> list[tuple[str, str, int, int]]:
    found = [
        (c.ref, c.state, len(c.decisions), len(c.notes))
        async for c in decided_comments(aredis, archive)
    ]
    return sorted(found)


@pytest.mark.anyio
async def test_old_decided_comments_move_to_parquet(aredis, seeder, tmp_path, redis_client):
    expected = await seed(aredis, seeder)
    before = await everything(aredis, None)
    worker = archiver(aredis, tmp_path, batch_size=3)
    report = await worker.run(now_ms() + LATER)
    assert report.archived == len(expected) and report.kept == 0
    assert report.audit_entries == 3  # r1, r3, r5
    for ref in expected:  # gone from Redis, with everything about it
        assert not redis_client.exists(
            keys.comment(ref), keys.notes(ref), keys.history(ref), keys.revisions(ref)
        )
    assert redis_client.exists(keys.comment("default:waiting"))  # not decided: stays
    assert redis_client.xlen(keys.AUDIT_STREAM) == 0
    assert not redis_client.hlen(keys.ARCHIVE_PENDING)
    files = worker.archive.files("comments")
    assert len(files) == 3 and all("/comments/day=" in f for f in files)  # 7 in batches of 3
    rows = pq.read_table(files[0]).to_pylist()
    assert json.loads(rows[0]["comment"])["text"] and json.loads(rows[0]["record"])["scores"]
    # nothing disappears from a reader's view
    assert await everything(aredis, worker.archive) == before
    (rejected,) = [c async for c in decided_comments(aredis, worker.archive) if c.id == "r1"]
    assert rejected.archived and rejected.decisions[0]["decision"] == "reject"
    assert rejected.notes[0]["text"] == "why 1" and rejected.record


@pytest.mark.anyio
async def test_recent_comments_stay(aredis, seeder, tmp_path, redis_client):
    expected = await seed(aredis, seeder, n=3)
    report = await archiver(aredis, tmp_path).run(now_ms() + 13 * DAY_MS)
    assert report.archived == 0 and not report.files
    assert all(redis_client.exists(keys.comment(ref)) for ref in expected)


STEPS = ("planned", "written", "deleted", "batch-done", "audit-written", "trimmed")


def killer(kind: str, occurrence: int):
    """A checkpoint hook that crashes at the `occurrence`-th step of `kind`."""
    seen = 0

    def kill(step: str) -> None:
        nonlocal seen
        seen += step == kind
        if step == kind and seen == occurrence:
            raise Killed(step)

    return kill


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("kind", "occurrence"), [(k, n) for k in STEPS for n in (1, 2) if (k, n) != ("trimmed", 2)]
)
async def test_killed_at_any_step_then_rerun_loses_nothing_and_writes_nothing_twice(
    aredis, seeder, tmp_path, redis_client, kind, occurrence
):
    await seed(aredis, seeder)
    before = await everything(aredis, None)
    crashes = []
    for hook in (killer(kind, occurrence), killer("written", 1), None):  # crash, crash, finish
        worker = archiver(aredis, tmp_path, batch_size=2, lease_ms=60_000, checkpoint=hook)
        try:
            await worker.run(now_ms() + LATER)
        except Killed as exc:
            crashes.append(str(exc))
            assert redis_client.exists(keys.ARCHIVE_LEASE)  # a crash leaves its lease ...
            assert await everything(aredis, worker.archive) == before  # ... and loses nothing
            redis_client.delete(keys.ARCHIVE_LEASE)  # as when its lease runs out
    assert crashes[0] == kind  # 7 comments in batches of 2, 3 audit entries: every step is hit
    archive = worker.archive
    assert await everything(aredis, archive) == before
    refs = [r for f in archive.files("comments") for r in pq.read_table(f, columns=["ref"])["ref"]]
    assert len(refs) == len(set(refs)) == len(before)  # each comment once in the archive
    ids = [a for f in archive.files("audit") for a in pq.read_table(f)["audit_id"].to_pylist()]
    assert len(ids) == len(set(ids)) == 3
    assert not redis_client.hlen(keys.ARCHIVE_PENDING)
    assert not redis_client.exists(keys.ARCHIVE_LEASE)
    assert redis_client.xlen(keys.AUDIT_STREAM) == 0


@pytest.mark.anyio
async def test_one_archiver_at_a_time(aredis, seeder, tmp_path, redis_client):
    await seed(aredis, seeder, n=2)
    redis_client.set(keys.ARCHIVE_LEASE, "someone-else", px=60_000)
    with pytest.raises(ConflictError, match="Another archiver"):
        await archiver(aredis, tmp_path).run(now_ms() + LATER)
    assert redis_client.exists(keys.comment("default:a0"))


@pytest.mark.anyio
async def test_a_comment_changed_after_writing_stays_and_the_newest_is_read(
    aredis, seeder, tmp_path, redis_client
):
    await seed(aredis, seeder, n=2)

    def late_verdict(step: str) -> None:
        if step == "written":  # between the file and the delete, the platform decides a0
            redis_client.hset(keys.comment("default:a0"), "version", 1)

    worker = archiver(aredis, tmp_path, checkpoint=late_verdict)
    report = await worker.run(now_ms() + LATER)
    assert report.kept == 1 and redis_client.exists(keys.comment("default:a0"))
    found = [c async for c in decided_comments(aredis, worker.archive)]
    assert sorted(c.ref for c in found) == ["default:a0", "default:r1"]  # once each
    assert [c.archived for c in found if c.ref == "default:a0"] == [False]  # Redis's, newer


@pytest.mark.anyio
async def test_feed_is_trimmed_only_behind_what_the_outbox_owes(aredis, redis_client, tmp_path):
    owing = Seeder(redis_client, deliver_callbacks=True)
    owed_ref = owing.add("owed", "fine", action="approve")  # its callback is still due
    (owed_fid,) = redis_client.lrange(keys.outbox_chain(owed_ref), 0, -1)
    Seeder(redis_client).add("later", "fine", action="approve")
    worker = archiver(aredis, tmp_path)
    report = await worker.run(now_ms() + LATER)
    assert redis_client.exists(keys.comment(owed_ref))  # kept until delivered
    feed_ids = [fid for fid, _ in redis_client.xrange(keys.FEED_STREAM)]
    assert feed_ids[0] == owed_fid and report.feed_trimmed == 0
    assert not redis_client.exists(keys.comment("default:later"))  # archived


@pytest.mark.anyio
async def test_a_hot_comment_keeps_its_archived_decisions(aredis, redis_client, tmp_path):
    """Held in Redis by an owed callback, its audit entry archived and trimmed: read whole."""
    ref = Seeder(redis_client).add("r1", "bad", action="review")
    review = RedisReviewStore(aredis, deliver_callbacks=True)
    await review.decide(ref, Decision.REJECT, by="rita", reason=None, note=None, now_ms=now_ms())
    worker = archiver(aredis, tmp_path)
    report = await worker.run(now_ms() + LATER)
    assert report.audit_entries == 1 and redis_client.xlen(keys.AUDIT_STREAM) == 0
    assert redis_client.exists(keys.comment(ref))  # its callback is still owed
    (hot,) = [c async for c in decided_comments(aredis, worker.archive)]
    assert not hot.archived and [d["decision"] for d in hot.decisions] == ["reject"]
    (partial,) = [c async for c in decided_comments(aredis, None)]
    assert partial.decisions == []  # Redis alone no longer has it


@pytest.mark.anyio
async def test_any_fsspec_url_works_like_a_directory(aredis, seeder, tmp_path, redis_client):
    """fsspec's in-memory filesystem stands in for object storage (one PUT per file, DuckDB
    reading through fsspec): the same archive, the same reads."""
    await seed(aredis, seeder, n=3)
    before = await everything(aredis, None)
    archive = ParquetArchive(f"memory://moderator-test/{tmp_path.name}")
    report = await Archiver(aredis, archive, hot_days=14).run(now_ms() + LATER)
    assert report.archived == 3 and not archive.local
    assert all(f.startswith("/moderator-test/") for f in archive.files("comments"))
    assert not redis_client.exists(keys.comment("default:a0"))
    assert await everything(aredis, archive) == before
