"""Issue 9 item 1: a comment whose scoring fails `worker.max_attempts` times is held for review,
listed as an ingest dead letter beside the callback dead letters (admin API and admin page), and
`moderator replay` (a real subprocess) puts it back in front of the workers, who rescore it;
one a reviewer decided meanwhile keeps its decision and its dead letter is only cleared."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import redis

from moderator import keys
from moderator.adapters.redis.auth import RedisAuthStore
from moderator.adapters.redis.client import connect_async
from moderator.core.models import Comment
from moderator.core.scoring import ScoringService
from tests.faults.harness import ROOT, api_in_thread, signed_post
from tests.worker.conftest import (  # noqa: F401 (fixtures by name)
    service_fixture,
    service_parts_fixture,
)
from tests.worker.test_worker import RAID, FailsOn, enqueue, make_worker

POISON = "POISON: the model cannot score this one"


def admin_token(redis_url: str) -> str:
    async def create() -> str:
        client = connect_async(redis_url)
        try:
            return await RedisAuthStore(client).create_token("ops", "admin")
        finally:
            await client.aclose()

    return asyncio.run(create())


def replay(redis_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MODERATOR_REDIS_URL": redis_url, "MODERATOR_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "moderator.cli", "replay"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def run_worker_until(worker, done) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 20
    while not done():
        assert time.monotonic() < deadline, "the worker never got there"
        worker._last_reclaim = 0.0
        if batch := worker.next_batch():
            worker.process(batch)
        time.sleep(0.02)


def test_failed_scoring_is_held_listed_and_replayed(
    make_settings, redis_client: redis.Redis, service, tmp_path: Path
) -> None:
    settings = make_settings(worker={"claim_idle_ms": 50, "max_attempts": 2})
    broken = ScoringService(FailsOn(service.scorer, POISON), service.lexicon, service.policy)
    worker = make_worker(settings, broken, redis_client)
    enqueue(redis_client, Comment("p1", POISON, site="s"), Comment("p2", POISON, site="s"))
    run_worker_until(worker, lambda: redis_client.xlen(keys.DEAD_STREAM) == 2)
    for ref in ("s:p1", "s:p2"):
        assert redis_client.hget(keys.comment(ref), "queue") == "hold"

    with api_in_thread(settings) as url, httpx.Client(timeout=10) as c:
        auth = {"Authorization": f"Bearer {admin_token(settings.redis_url)}"}
        listed = c.get(url + "/v1/admin/dead-letters", headers=auth).json()
        assert listed["dead_letters"] == []  # callback dead letters, beside
        letters = listed["ingest_dead_letters"]
        assert {(d["ref"], d["attempts"], d["rescorable"]) for d in letters} == {
            ("s:p1", 2, True),
            ("s:p2", 2, True),
        }
        assert all("ValueError: model exploded" in d["error"] for d in letters)
        decided = c.post(
            url + "/v1/comments/p2/decision",
            params={"site": "s"},
            json={"decision": "approve"},
            headers=auth,
        )
        assert decided.status_code == 200, decided.text  # a human read it: that stands

    out = replay(settings.redis_url, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "1 comments put back for scoring" in out.stdout and "1 already decided" in out.stdout
    assert redis_client.xlen(keys.DEAD_STREAM) == 0
    assert redis_client.hget(keys.comment("s:p1"), "state") == "received"
    assert redis_client.hget(keys.comment("s:p2"), "state") == "approved"
    assert redis_client.zrange(keys.queue("hold"), 0, -1) == []

    fixed = make_worker(settings, service, redis_client)  # the model works again
    run_worker_until(fixed, lambda: redis_client.xlen(keys.INGEST_STREAM) == 0)
    record = json.loads(redis_client.hget(keys.comment("s:p1"), "record"))
    assert not any("scoring-failed" in r for r in record["reasons"])
    events = [json.loads(f["data"]) for _, f in redis_client.xrange(keys.FEED_STREAM)]
    p1 = [(e["event"], e["action"]) for e in events if e["id"] == "p1"]
    assert p1 == [("scored", "hold"), ("scored", record["action"])]


def test_a_comment_held_for_failure_can_still_be_edited(
    make_settings, redis_client: redis.Redis, service
) -> None:
    settings = make_settings(worker={"claim_idle_ms": 50, "max_attempts": 1})
    broken = ScoringService(FailsOn(service.scorer, POISON), service.lexicon, service.policy)
    enqueue(redis_client, Comment("p1", POISON))
    run_worker_until(
        make_worker(settings, broken, redis_client),
        lambda: redis_client.xlen(keys.DEAD_STREAM) == 1,
    )
    with api_in_thread(settings) as url, httpx.Client(timeout=10) as c:
        edited = signed_post(c, url, {"id": "p1", "text": RAID})
        assert (edited.status_code, edited.json()["revision"]) == (202, 2)
    run_worker_until(
        make_worker(settings, service, redis_client),
        lambda: redis_client.hget(keys.comment("default:p1"), "state") == "approved",
    )
    assert redis_client.zrange(keys.queue("hold"), 0, -1) == []
