"""The platform's side of the faults: its callback endpoint down for a while while the API
process is killed and restarted (every event delivered after, none twice per idempotency key,
each comment's events in order), and its webhook sending the same comment many times at once
(one item)."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import redis

from moderator import keys
from moderator.adapters.redis_auth import RedisAuthStore
from moderator.adapters.redis_client import connect_async
from moderator.core.signing import HEADER, sign
from tests.conftest import WEBHOOK_SECRET
from tests.e2e.harness import callback_server, free_port
from tests.faults.harness import (
    api_in_thread,
    assert_each_queued_once,
    processes,
    signed_post,
    wait_for,
)

RETARD = "Listen to what the retard Freddy has to say about him"


def token(redis_url: str) -> str:
    async def create() -> str:
        client = connect_async(redis_url)
        try:
            return await RedisAuthStore(client).create_token("faults", "admin")
        finally:
            await client.aclose()

    return asyncio.run(create())


@pytest.mark.slow
def test_callbacks_survive_an_outage_and_an_api_restart(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    comments = 20
    with callback_server() as platform:
        platform.down.set()
        callback = {
            "MODERATOR_CALLBACK_URL": platform.url,
            "MODERATOR_CALLBACK__BACKOFF_BASE_S": "0.05",
            "MODERATOR_CALLBACK__BACKOFF_MAX_S": "0.5",
            "MODERATOR_CALLBACK__MAX_ATTEMPTS": "1000",  # down longer than the default allows
        }
        with processes(redis_url, tmp_path, **callback) as procs:
            port = free_port()
            first_api = procs.api(port)
            procs.worker()
            url = f"http://127.0.0.1:{port}"
            auth = {"Authorization": f"Bearer {token(redis_url)}"}
            with httpx.Client(timeout=10) as client:
                for n in range(comments):
                    body = {"id": f"c{n}", "text": f"{RETARD} {n}", "site": "blog"}
                    assert signed_post(client, url, body).status_code == 202
                wait_for(lambda: redis_client.xlen(keys.INGEST_STREAM) == 0, 120)
                decided = 0
                for n in range(comments):
                    r = client.post(
                        f"{url}/v1/comments/c{n}/decision",
                        params={"site": "blog"},
                        json={"decision": "reject" if n % 2 else "approve"},
                        headers=auth,
                    )
                    decided += r.status_code == 200
                    assert r.status_code in (200, 409), r.text  # 409: approved without review
            wait_for(lambda: platform.attempts >= 10)  # deliveries are failing and retried
            first_api.send_signal(signal.SIGKILL)
            first_api.wait()
            attempts = platform.attempts
            procs.api(port)  # restarted, and a second API process delivering beside it
            procs.api(free_port())
            wait_for(lambda: platform.attempts > attempts + 5)
            assert platform.received == []
            platform.down.clear()
            expected = redis_client.xlen(keys.FEED_STREAM)
            assert expected == comments + decided > comments
            wait_for(lambda: len(platform.received) >= expected, 60)
            time.sleep(1.0)  # anything sent twice would arrive now
    ids = [call["headers"]["Idempotency-Key"] for call in platform.received]
    assert len(ids) == len(set(ids)) == expected, Counter(ids).most_common(3)
    assert set(ids) == {fid for fid, _ in redis_client.xrange(keys.FEED_STREAM)}
    for call in platform.received:
        assert call["json"]["cursor"] == call["headers"]["Idempotency-Key"]
    per_comment: dict[str, list[str]] = {}
    for call in platform.received:
        per_comment.setdefault(call["json"]["id"], []).append(call["json"]["event"])
    assert all(events[0] == "scored" for events in per_comment.values())  # in order


def test_concurrent_duplicate_deliveries_make_one_item(
    make_settings, redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    ids, copies = 40, 25

    async def storm(url: str) -> Counter[tuple[str, int]]:
        answers: Counter[tuple[str, int]] = Counter()
        limits = httpx.Limits(max_connections=50)  # 50 requests in flight at any moment
        async with httpx.AsyncClient(timeout=httpx.Timeout(30, pool=None), limits=limits) as client:

            async def post(comment_id: str, copy: int) -> None:
                # Redeliveries may differ (an edit in between): the first one stored wins.
                raw = json.dumps(
                    {"id": comment_id, "text": f"{RETARD} copy {copy}", "site": "dup"}
                ).encode()
                headers = {
                    "Content-Type": "application/json",
                    HEADER: sign(WEBHOOK_SECRET, raw, int(time.time())),
                }
                r = await client.post(url + "/v1/comments", content=raw, headers=headers)
                answers[(comment_id, r.status_code)] += 1

            await asyncio.gather(*(post(f"d{i}", c) for c in range(copies) for i in range(ids)))
        return answers

    with api_in_thread(make_settings()) as url:
        answers = asyncio.run(storm(url))
        assert all(answers[(f"d{i}", 202)] == 1 for i in range(ids)), answers
        assert sum(answers.values()) == ids * copies
        assert {status for _, status in answers} == {200, 202}
        assert redis_client.xlen(keys.INGEST_STREAM) == ids
        with processes(redis_url, tmp_path) as procs:
            procs.worker()
            wait_for(lambda: redis_client.xlen(keys.INGEST_STREAM) == 0, 120)
            # Late redeliveries, after scoring, change nothing either.
            with httpx.Client(timeout=10) as client:
                for i in range(ids):
                    body = {"id": f"d{i}", "text": "edited", "site": "dup"}
                    assert signed_post(client, url, body).status_code == 200
    assert_each_queued_once(redis_client, [f"dup:d{i}" for i in range(ids)])
