"""The audit log across Redis and the archive with three partitions (issue 14): the archive keeps
entries of different partitions that share an id, search pages from Redis into the archive with
RedisAudit's per-partition cursors without skipping or repeating, and export gives every entry
once, oldest first, even when a run was cut between two partitions.

Entries are written straight into the partitions' audit streams (as the decide script leaves
them) with ids that tie across partitions, then archived by the real Archiver (killed at a
chosen step, as in test_archiver_partitions). Sites "es", "blog" and "news" fall in partitions
0, 1 and 2 (tests/conftest.py SITES_BY_PARTITION)."""

from __future__ import annotations

import json
from typing import Any

import pyarrow.parquet as pq
import pytest
import redis

from moderator import keys
from moderator.adapters.archive import audit as archived_audit
from moderator.adapters.archive.archiver import Archiver, audit_upto_key
from moderator.adapters.archive.audit import ArchivedAudit
from moderator.adapters.archive.parquet import ParquetArchive
from moderator.adapters.redis.audit import AuditQuery, RedisAudit
from moderator.adapters.redis.merge import id_key
from tests.adapters.test_archive_audit import ALL, archive_then_decide
from tests.adapters.test_archiver import Killed, killer
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
    seeder_fixture,
)

pytestmark = pytest.mark.anyio

NOW = now_ms()
#: (ref, audit id) in the order written: old ones (archived), then three decided now (hot).
#: Ids tie across partitions on 1000-0, 1003-0 and NOW-0.
AUDIT = [
    ("es:a", "1000-0"),
    ("blog:b", "1000-0"),
    ("news:c", "1001-0"),
    ("es:d", "1002-0"),
    ("blog:e", "1003-0"),
    ("news:f", "1003-0"),
    ("es:g", "1003-0"),
    ("es:h", f"{NOW}-0"),
    ("blog:i", f"{NOW}-0"),
    ("news:j", f"{NOW}-1"),
]
HOT = {"es:h", "blog:i", "news:j"}
#: The partitions merged as Redis merges them: by id, equal ids by partition.
OLDEST_FIRST = [
    "es:a",
    "blog:b",
    "news:c",
    "es:d",
    "es:g",
    "blog:e",
    "news:f",
    "es:h",
    "blog:i",
    "news:j",
]
NEWEST_FIRST = OLDEST_FIRST[::-1]
REVIEWER = {"blog:b": "bob", "es:d": "bob", "blog:e": "bob", "es:g": "bob", "blog:i": "bob"}
#: Archiver runs cut where Redis and the archive both hold some entries: a partition's batch
#: written but not checkpointed, one partition checkpointed and the next written, partition 0
#: trimmed and the others not yet.
CUTS = [("audit-written", 1), ("audit-written", 4), ("trimmed", 1)]


def put(client: redis.Redis, ref: str, aid: str) -> None:
    """The comment and its audit entry, in the comment's partition's stream."""
    site, cid = ref.split(":", 1)
    comment = {"site": site, "id": cid, "text": f"text of {ref}"}
    client.hset(keys.comment(ref), "comment", json.dumps(comment))
    event = {
        "event": "decided",
        "site": site,
        "id": cid,
        "decision": "approve",
        "by": REVIEWER.get(ref, "rita"),
        "at": id_key(aid)[0],
    }
    client.xadd(keys.part_of(ref).audit, {"feed": "1-0", "data": json.dumps(event)}, id=aid)
    client.rpush(keys.history(ref), aid)


async def archived(
    redis_client: redis.Redis, aredis: Any, tmp_path: Any, cut: tuple[str, int] | None = None
) -> ParquetArchive:
    """Every entry written, then the old ones archived (one per file; the run killed at `cut`)."""
    for ref, aid in AUDIT:
        put(redis_client, ref, aid)
    archive = ParquetArchive(str(tmp_path / "archive"))
    hook = killer(*cut) if cut else None
    try:
        await Archiver(aredis, archive, hot_days=14, batch_size=1, checkpoint=hook).run(now_ms())
    except Killed:
        assert cut is not None
    return archive


def refs(entries: list[dict[str, Any]]) -> list[str]:
    return [f"{e['site']}:{e['id']}" for e in entries]


async def test_the_archive_keeps_each_partitions_entry_of_an_id(
    partitioned, redis_client, aredis, tmp_path
):
    archive = await archived(redis_client, aredis, tmp_path)
    assert [redis_client.xlen(p.audit) for p in keys.parts()] == [1, 1, 1]  # the hot ones
    in_files = {
        (f.rsplit("/", 1)[-1], row["site"])
        for f in archive.files("audit")
        for row in pq.read_table(f, columns=["site"]).to_pylist()
    }
    assert ("1000-0.parquet", "es") in in_files and ("1000-0.p1.parquet", "blog") in in_files
    found = archive.audit_entries("true", [], newest_first=True)
    assert refs(found) == [r for r in NEWEST_FIRST if r not in HOT]
    assert refs(archive.audit_entries("true", [], newest_first=False)) == [
        r for r in OLDEST_FIRST if r not in HOT
    ]
    assert refs(archive.audit_by_ids(["1000-0", "1003-0"])) == [
        "es:a",
        "blog:b",
        "es:g",
        "blog:e",
        "news:f",
    ]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 50])
@pytest.mark.parametrize("reviewer", [None, "bob"])
@pytest.mark.parametrize("cut", [None, *CUTS[:2]])  # not a cut between trims: see ArchivedAudit
async def test_search_pages_from_redis_into_the_archive_exactly(
    partitioned, redis_client, aredis, tmp_path, limit, reviewer, cut
):
    """Each page reads Redis, then the archive below the same per-partition cursor; entries
    in both (archived, not yet trimmed) show once."""
    audit = ArchivedAudit(
        RedisAudit(aredis, scan_max=1000), await archived(redis_client, aredis, tmp_path, cut)
    )
    seen: list[str] = []
    before = None
    for _ in range(20):
        page = await audit.search(AuditQuery(reviewer=reviewer, before=before), limit)
        assert len(page.entries) <= limit
        texts = [e["comment"]["text"] for e in page.entries]
        assert texts == [f"text of {r}" for r in refs(page.entries)]
        seen += refs(page.entries)
        if page.next_before is None:
            break
        assert page.next_before.startswith("v2.")
        before = page.next_before
    assert seen == [r for r in NEWEST_FIRST if reviewer is None or REVIEWER.get(r) == reviewer]


async def test_an_archive_cursor_is_redis_audits(partitioned, redis_client, aredis, tmp_path):
    """A page ending in the archive hands back RedisAudit's v2 cursor; a plain id means "older
    than it" in every partition; a comment's history is its own partition's."""
    audit = ArchivedAudit(
        RedisAudit(aredis, scan_max=1000), await archived(redis_client, aredis, tmp_path)
    )
    page = await audit.search(AuditQuery(), 5)
    assert refs(page.entries) == NEWEST_FIRST[:5]
    # blog:e (partition 1) ended the page: es:g, with its id in partition 0, is still to come.
    assert page.next_before == "v2.1003-1.1003-0.1003-0"
    page = await audit.search(AuditQuery(before=page.next_before), 2)
    assert refs(page.entries) == NEWEST_FIRST[5:7]
    assert page.next_before == "v2.1002-0.1002-0.1002-0"
    page = await audit.search(AuditQuery(before="1003-0"), 50)
    assert refs(page.entries) == ["es:d", "news:c", "blog:b", "es:a"]
    assert page.next_before is None
    page = await audit.search(AuditQuery(site="blog", comment_id="b"), 10)
    assert refs(page.entries) == ["blog:b"] and page.entries[0]["audit_id"] == "1000-0"
    older = await audit.search(AuditQuery(before="v2.1-0.1003-0"), 50)  # two partitions' cursor
    assert refs(older.entries) == ["es:d", "news:c", "blog:b", "es:a"]


@pytest.mark.parametrize("page", [1, 2, 2000])
@pytest.mark.parametrize("cut", [None, *CUTS])
async def test_export_gives_each_entry_once_oldest_first(
    partitioned, redis_client, aredis, tmp_path, monkeypatch, page, cut
):
    """The archive (read `page` entries at a time) and Redis merged: an entry in both is given
    once, whichever partitions the cut run had archived, checkpointed or trimmed."""
    archive = await archived(redis_client, aredis, tmp_path, cut)
    if cut == ("trimmed", 1):  # partition 0 trimmed, the others still hold their old entries
        assert [redis_client.xlen(p.audit) for p in keys.parts()] == [1, 3, 3]
        assert all(redis_client.get(audit_upto_key(p)) for p in keys.parts())
    monkeypatch.setattr(archived_audit, "_PAGE", page)
    audit = ArchivedAudit(RedisAudit(aredis, scan_max=1000), archive)
    found = [e async for e in audit.entries()]
    assert refs(found) == OLDEST_FIRST
    assert [e["comment"]["text"] for e in found] == [f"text of {r}" for r in OLDEST_FIRST]
    window = [e async for e in audit.entries(since_ms=1001, until_ms=1003)]
    assert refs(window) == ["news:c", "es:d", "es:g", "blog:e", "news:f"]


@pytest.mark.parametrize("stop", ["audit-written", ""])
async def test_export_with_one_partition_gives_an_entry_in_both_once(
    aredis, seeder, tmp_path, stop
):
    """One partition: an entry archived and not yet trimmed ("audit-written": the file is
    written, the checkpoint not moved) is exported once; a time window reads the archive too."""
    archive = ParquetArchive(str(tmp_path / "archive"))
    await archive_then_decide(aredis, seeder, archive, stop)
    assert archive.files("audit") and keys.partitions() == 1
    assert await aredis.xlen(keys.AUDIT_STREAM) == (len(ALL) if stop else 1)
    audit = ArchivedAudit(RedisAudit(aredis, scan_max=1000), archive)
    found = [e async for e in audit.entries()]
    assert [(e["id"], e["decision"]) for e in found] == ALL
    at = {e["id"]: e["at"] for e in found if e["decision"] != "undo"}
    window = audit.entries(since_ms=at["c1"], until_ms=at["c3"])
    assert [(e["id"], e["decision"]) async for e in window] == ALL[1:2] + ALL[3:5]
