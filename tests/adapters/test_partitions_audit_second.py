"""Audit search and export, a comment's context, second opinions and ingest dead letters with
three partitions (issue 14), against a real Redis: each partition's keys hold its sites' data,
listings merge the partitions in order, counts are sums and cursors resume exactly.

Data is written straight into the partitions' keys (as the decide scripts and the worker leave
it), so these tests check the readers alone. Sites "es", "blog" and "news" fall in partitions
0, 1 and 2 (tests/conftest.py SITES_BY_PARTITION)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis

from moderator import keys
from moderator.adapters.redis import audit as redis_audit
from moderator.adapters.redis.audit import AuditQuery, RedisAudit
from moderator.adapters.redis.context import RedisContext
from moderator.adapters.redis.dead_letters import RedisIngestDeadLetters
from moderator.adapters.redis.merge import id_key
from moderator.adapters.redis.second import RedisSecondOpinions
from moderator.errors import ForbiddenError, NotFoundError
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    anyio_backend_fixture,
    aredis_fixture,
)

pytestmark = pytest.mark.anyio

#: (ref, audit id), in the order written; ids tie across partitions on 1000-0 and 1003-0.
AUDIT = [
    ("es:a", "1000-0"),
    ("blog:b", "1000-0"),
    ("news:c", "1001-0"),
    ("es:d", "1002-0"),
    ("blog:e", "1003-0"),
    ("news:f", "1003-0"),
    ("es:g", "1003-0"),
    ("blog:h", "1004-5"),
]
#: Newest first as the search merges: by id, then from the highest partition down.
NEWEST_FIRST = ["blog:h", "news:f", "blog:e", "es:g", "es:d", "news:c", "blog:b", "es:a"]
REVIEWER = {"es:a": "rita", "blog:b": "bob", "news:c": "rita", "es:d": "bob"}


def put_comment(client: redis.Redis, ref: str, **fields: str) -> None:
    site, cid = ref.split(":", 1)
    comment = {
        "site": site,
        "id": cid,
        "text": f"text of {ref}",
        "author": {"id": None, "name": None},
        "thread": {"id": None, "title": None, "url": None},
    }
    mapping: dict[Any, Any] = {"comment": json.dumps(comment), **fields}
    client.hset(keys.comment(ref), mapping=mapping)


def put_audit(client: redis.Redis, ref: str, aid: str) -> None:
    """An audit entry as the decide script appends it: in the comment's partition's stream,
    its id on the comment's history list."""
    site, cid = ref.split(":", 1)
    event = {
        "site": site,
        "id": cid,
        "decision": "approve",
        "by": REVIEWER.get(ref, "ana"),
        "at": id_key(aid)[0],
    }
    client.xadd(keys.part_of(ref).audit, {"feed": "1-0", "data": json.dumps(event)}, id=aid)
    client.rpush(keys.history(ref), aid)


@pytest.fixture
def audited(partitioned: int, redis_client: redis.Redis) -> redis.Redis:
    for ref, aid in AUDIT:
        put_comment(redis_client, ref)
        put_audit(redis_client, ref, aid)
    return redis_client


def refs(entries: list[dict[str, Any]]) -> list[str]:
    return [f"{e['site']}:{e['id']}" for e in entries]


async def test_audit_entries_stay_in_their_partition_and_search_merges_them(audited, aredis):
    assert [audited.xlen(p.audit) for p in keys.parts()] == [3, 3, 2]
    in_first = [json.loads(f["data"])["site"] for _, f in audited.xrange(keys.AUDIT_STREAM)]
    assert keys.part(0).audit == keys.AUDIT_STREAM and set(in_first) == {"es"}
    page = await RedisAudit(aredis, scan_max=1000).search(AuditQuery(), 50)
    assert refs(page.entries) == NEWEST_FIRST and page.next_before is None
    assert page.scanned == len(AUDIT)
    assert [e["comment"]["text"] for e in page.entries[:2]] == ["text of blog:h", "text of news:f"]
    rita = await RedisAudit(aredis, scan_max=1000).search(AuditQuery(reviewer="rita"), 50)
    assert refs(rita.entries) == ["news:c", "es:a"]


@pytest.mark.parametrize("limit", [1, 2, 3])
@pytest.mark.parametrize("scan_max", [1, 2, 3, 1000])
@pytest.mark.parametrize("reviewer", [None, "bob"])
async def test_audit_pages_resume_exactly_across_partitions(
    audited, aredis, limit, scan_max, reviewer
):
    audit = RedisAudit(aredis, scan_max=scan_max)
    seen: list[str] = []
    before = None
    for _ in range(50):
        page = await audit.search(AuditQuery(reviewer=reviewer, before=before), limit)
        assert len(page.entries) <= limit and page.scanned <= scan_max
        seen += refs(page.entries)
        if page.next_before is None:
            break
        assert page.next_before.startswith("v2.")  # one position per partition
        before = page.next_before
    wanted = [r for r in NEWEST_FIRST if reviewer is None or REVIEWER.get(r, "ana") == reviewer]
    assert seen == wanted


async def test_an_audit_cursor_shows_nothing_newer_than_its_page(audited, aredis):
    audit = RedisAudit(aredis, scan_max=1000)
    first = await audit.search(AuditQuery(), 3)
    assert refs(first.entries) == NEWEST_FIRST[:3]
    # A tie split by the page: es:g (partition 0) shares blog:e's id and is still to come.
    assert first.next_before == "v2.1003-1.1003-0.1003-0"
    put_comment(audited, "news:late")
    put_audit(audited, "news:late", "2000-0")  # decided after the first page was read
    rest = await audit.search(AuditQuery(before=first.next_before), 50)
    assert refs(rest.entries) == NEWEST_FIRST[3:]


async def test_a_plain_audit_cursor_means_older_than_it_everywhere(audited, aredis):
    audit = RedisAudit(aredis, scan_max=1000)
    page = await audit.search(AuditQuery(before="1003-0"), 50)
    assert refs(page.entries) == ["es:d", "news:c", "blog:b", "es:a"]
    # a cursor made for two partitions is read as its latest moment (nothing passed over)
    other = await audit.search(AuditQuery(before="v2.1-0.1003-0"), 50)
    assert other.entries == page.entries


async def test_a_comments_audit_history_is_read_from_its_partition(audited, aredis):
    # blog:b's only decision has the id es:a's has in partition 0.
    page = await RedisAudit(aredis, scan_max=1000).search(
        AuditQuery(site="blog", comment_id="b"), 10
    )
    assert refs(page.entries) == ["blog:b"] and page.entries[0]["audit_id"] == "1000-0"
    item = {"ref": "blog:b", "comment": {"site": "blog", "id": "b"}}
    around = await RedisContext(aredis).around(item)
    assert [(d["site"], d["id"], d["audit_id"]) for d in around["decisions"]] == [
        ("blog", "b", "1000-0")
    ]


async def test_the_audit_export_merges_partitions_oldest_first(audited, aredis, monkeypatch):
    monkeypatch.setattr(redis_audit, "_CHUNK", 2)  # several rounds, ties across rounds
    audit = RedisAudit(aredis, scan_max=1000)
    exported = [e async for e in audit.entries()]
    assert refs(exported) == NEWEST_FIRST[::-1]
    window = [e async for e in audit.entries(since_ms=1001, until_ms=1003)]
    assert refs(window) == ["news:c", "es:d", "es:g", "blog:e", "news:f"]


async def test_second_opinions_live_in_their_comments_partitions(partitioned, redis_client, aredis):
    asked = {"es:q1": 300, "blog:q2": 100, "news:q3": 200}
    for ref in asked:
        put_comment(redis_client, ref, version="1", record=json.dumps({"matches": []}))
    second = RedisSecondOpinions(aredis, 1.0, rng=lambda: 0.0)
    for ref, at in asked.items():
        assert await second.ask(ref, "rita", "reject", 1, at)
    for ref, at in asked.items():  # in its own partition's queue, nowhere else
        scores = [redis_client.zscore(p.second_queue, ref) for p in keys.parts()]
        assert scores == [at if p == keys.part_of(ref) else None for p in keys.parts()]
    assert await second.waiting() == 3
    assert await second.next_for("rita") is None  # she decided every one first
    question = await second.next_for("bob")
    assert question is not None and question["ref"] == "blog:q2"  # asked first

    with pytest.raises(ForbiddenError):
        await second.answer("news:q3", "rita", "approve", 1000)
    assert (await second.answer("blog:q2", "bob", "approve", 1001))["agree"] is False
    assert (await second.answer("es:q1", "bob", "reject", 1002))["agree"] is True
    assert (await second.answer("news:q3", "ana", "approve", 1003))["agree"] is False
    with pytest.raises(NotFoundError):
        await second.answer("blog:q2", "ana", "approve", 1004)
    assert await second.waiting() == 0
    assert [redis_client.xlen(p.second_done) for p in keys.parts()] == [1, 1, 1]
    assert [redis_client.zcard(p.second_disagree) for p in keys.parts()] == [0, 1, 1]

    listed = await second.disagreements(10)
    assert [d["ref"] for d in listed] == ["news:q3", "blog:q2"]  # newest first
    assert [d["ref"] for d in await second.disagreements(1)] == ["news:q3"]
    done = [
        (id_key(eid), k, json.loads(f["data"])["second_by"])
        for k, p in enumerate(keys.parts())
        for eid, f in redis_client.xrange(p.second_done)
    ]
    newest = [who for *_, who in sorted(done, reverse=True)]
    assert [o.second_by for o in await second.opinions()] == newest
    assert [o.second_by for o in await second.opinions(2)] == newest[:2]


async def test_ingest_dead_letters_are_qualified_by_partition(partitioned, redis_client, aredis):
    # The same stream id in two partitions: only the qualified id tells them apart.
    for ref, state in (("es:d1", "approved"), ("blog:d2", "failed"), ("news:d3", "failed")):
        put_comment(redis_client, ref, state=state, revision="1")
    dead = {"es:d1": "5-0", "blog:d2": "5-0", "news:d3": "4-0"}
    for ref, entry in dead.items():
        fields: dict[Any, Any] = {"ref": ref, "error": "boom", "attempts": 3, "revision": 1}
        redis_client.xadd(keys.part_of(ref).dead, fields, id=entry)
    letters = RedisIngestDeadLetters(aredis, max_backlog=100)
    assert await letters.count() == 3
    listed = await letters.letters()
    assert [(d["entry_id"], d["ref"], d["rescorable"]) for d in listed] == [
        ("p1-5-0", "blog:d2", True),
        ("p0-5-0", "es:d1", False),
        ("p2-4-0", "news:d3", True),
    ]
    assert [d["ref"] for d in await letters.letters(1)] == ["blog:d2"]

    assert await letters.replay("p1-5-0") == "rescored"
    assert [redis_client.xlen(p.dead) for p in keys.parts()] == [1, 0, 1]
    assert [f["ref"] for _, f in redis_client.xrange(keys.part(1).ingest)] == ["blog:d2"]
    assert redis_client.hget(keys.comment("blog:d2"), "state") == "received"
    assert await letters.replay("p1-5-0") == "missing"
    assert await letters.replay("p7-5-0") == "missing"  # no such partition
    assert await letters.replay("5-0") == "resolved"  # a plain id: partition 0's (es:d1)
    assert [redis_client.xlen(p.dead) for p in keys.parts()] == [0, 0, 1]
    assert await letters.replay_all() == {"rescored": 1, "resolved": 0, "missing": 0}
    assert await letters.count() == 0
    assert [f["ref"] for _, f in redis_client.xrange(keys.part(2).ingest)] == ["news:d3"]
