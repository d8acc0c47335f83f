"""/metrics, the queue SLA, the audit search and the ingest dead letters of the admin API and
pages with three partitions (issue 14), in process on a real Redis: sizes are sums over the
partitions, the SLA reads the newest decisions of all of them, audit cursors page through every
partition, and a dead letter's qualified id finds its partition.

Sites "es", "blog" and "news" fall in partitions 0, 1 and 2 (tests/conftest.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import redis

from moderator import keys
from moderator.settings import Settings
from moderator.web import sla
from tests.adapters.test_partitions_audit_second import AUDIT, NEWEST_FIRST, put_audit, put_comment
from tests.web.conftest import Web
from tests.web.seeding import now_ms

pytestmark = pytest.mark.anyio


@pytest.fixture
def web_settings(partitioned: int, make_settings: Callable[..., Settings]) -> Settings:
    """The app of tests/web/conftest.py's `web`, on three partitions."""
    return make_settings(redis={"partitions": 3})


def metric(text: str, name: str) -> str:
    (line,) = [x for x in text.splitlines() if x.startswith(name + " ")]
    return line.split()[-1]


async def test_metrics_sum_the_partitions(web: Web, redis_client: redis.Redis):
    assert keys.partitions() == 3
    p = keys.parts()
    for part, n in ((p[1], 2), (p[2], 1)):
        for _ in range(n):
            redis_client.xadd(part.ingest, {"ref": f"x:{part.index}"})
    for part in (p[0], p[2]):
        redis_client.xadd(part.dead, {"ref": "x:1"})
    for part, n in ((p[0], 1), (p[1], 2)):
        for _ in range(n):
            redis_client.xadd(part.feed, {"data": "{}"})
    redis_client.zadd(p[1].outbox, {"1-0": 1})
    redis_client.zadd(p[2].outbox, {"1-0": 1})
    redis_client.zadd(p[2].outbox_dead, {"2-0": 1})
    text = (await web.client().get("/metrics")).text
    assert metric(text, "moderator_ingest_backlog") == "3"
    assert metric(text, "moderator_dead_letters") == "2"
    assert metric(text, "moderator_feed_events") == "3"
    assert metric(text, "moderator_outbox_pending") == "2"
    assert metric(text, "moderator_callback_dead_letters") == "1"


async def test_the_sla_reads_the_newest_decisions_of_every_partition(
    web: Web, redis_client: redis.Redis, monkeypatch
):
    now = now_ms()
    # (ref, reviewer, wait s, decided ms before now): newest is blog's, oldest news's.
    for ref, by, wait_s, ago in (
        ("news:s3", "bob", 300, 3000),
        ("es:s1", "rita", 100, 2000),
        ("blog:s2", "rita", 200, 1000),
    ):
        site, cid = ref.split(":")
        put_comment(
            redis_client,
            ref,
            received_at=str(now - ago - wait_s * 1000),
            record=json.dumps({"language": "es"}),
        )
        event = {"site": site, "id": cid, "decision": "reject", "by": by, "at": now - ago}
        event["queue"] = "hold"
        redis_client.xadd(keys.part_of(ref).audit, {"data": json.dumps(event)}, id=f"{now - ago}-0")
    client = web.client()
    text = (await client.get("/metrics")).text
    assert 'moderator_decision_wait_seconds_count{queue="hold",language="es"} 3' in text
    assert 'moderator_reviewer_decisions_last_hour{reviewer="bob"} 1' in text
    median = 'moderator_decision_wait_seconds{queue="hold",language="es",quantile="0.5"}'
    assert f"{median} 200.000" in text
    monkeypatch.setattr(sla, "SLA_DECISIONS", 2)  # the two newest: es's and blog's
    text = (await client.get("/metrics")).text
    assert 'moderator_decision_wait_seconds_count{queue="hold",language="es"} 2' in text
    assert 'moderator_reviewer_decisions_last_hour{reviewer="rita"} 2' in text
    assert 'reviewer="bob"' not in text


async def test_the_audit_api_and_page_page_through_every_partition(
    web: Web, redis_client: redis.Redis
):
    for ref, aid in AUDIT:
        put_comment(redis_client, ref)
        put_audit(redis_client, ref, aid)
    api = await web.bearer("admin", "ops")
    for limit in (1, 3, 4):  # 4: the last page is empty in Redis and goes on in the archive
        seen: list[str] = []
        params: dict[str, str | int] = {"limit": limit}
        for _ in range(10):
            body = (await api.get("/v1/admin/audit", params=params)).json()
            seen += [f"{e['site']}:{e['id']}" for e in body["entries"]]
            if body["next_before"] is None:
                break
            params["before"] = body["next_before"]
        assert seen == NEWEST_FIRST, limit
    stale = await api.get("/v1/admin/audit", params={"before": "v2.1-0.1-0"})
    assert stale.status_code == 200  # made for two partitions: read as a moment
    bad = await api.get("/v1/admin/audit", params={"before": "v2.1-x"})
    assert bad.status_code == 422
    admin = await web.session("ada", "admin")
    page = await admin.get("/ui/admin/audit", params={"before": "v2.1003-1.1003-0.1003-0"})
    assert page.status_code == 200
    assert "text of es:g" in page.text and "text of blog:e" not in page.text


async def test_ingest_dead_letters_are_listed_and_rescored_by_qualified_id(
    web: Web, redis_client: redis.Redis
):
    for ref, state, entry in (
        ("es:d1", "approved", "5-0"),
        ("blog:d2", "failed", "5-0"),
        ("news:d3", "failed", "4-0"),
    ):
        put_comment(redis_client, ref, state=state, revision="1")
        fields: dict[Any, Any] = {"ref": ref, "error": "boom", "attempts": 3, "revision": 1}
        redis_client.xadd(keys.part_of(ref).dead, fields, id=entry)
    api = await web.bearer("admin", "ops")
    listed = (await api.get("/v1/admin/dead-letters")).json()["ingest_dead_letters"]
    assert [d["entry_id"] for d in listed] == ["p1-5-0", "p0-5-0", "p2-4-0"]
    done = await api.post("/v1/admin/ingest-dead-letters/p1-5-0/replay")
    assert done.json() == {"entry_id": "p1-5-0", "status": "rescored"}
    assert [redis_client.xlen(p.dead) for p in keys.parts()] == [1, 0, 1]
    for gone in ("p1-5-0", "p9-5-0", "q1-5-0"):
        assert (await api.post(f"/v1/admin/ingest-dead-letters/{gone}/replay")).status_code == 404

    admin = await web.session("ada", "admin")
    page = await admin.get("/ui/admin/dead")
    assert re.findall(r'name="entry_id" value="([^"]+)"', page.text) == ["p0-5-0", "p2-4-0"]
    cleared = await admin.post(
        "/ui/admin/dead/rescore",
        data={"entry_id": "p0-5-0", "csrf": admin.csrf},  # type: ignore[attr-defined]
    )
    assert cleared.status_code == 303 and cleared.headers["location"].endswith("notice=cleared")
    assert [redis_client.xlen(p.dead) for p in keys.parts()] == [0, 0, 1]
