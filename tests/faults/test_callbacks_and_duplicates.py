"""The platform's side of the faults: its callback endpoint down for a while while the API
process is killed and restarted (every event delivered after, none twice per idempotency key,
each comment's events in order), and its webhook sending the same comment many times at once,
with different texts (one item, one revision per text accepted, scored once)."""

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
from moderator.adapters.redis.auth import RedisAuthStore
from moderator.adapters.redis.client import connect_async
from moderator.core.signing import HEADER, sign
from tests.conftest import WEBHOOK_SECRET
from tests.e2e.harness import callback_server, free_port
from tests.faults.harness import (
    api_in_thread,
    assert_each_queued_once,
    processes,
    queued_members,
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
    """Concurrent deliveries of one (site, id) with different texts: each different text Redis
    accepts is a new revision (202, numbered 1, 2, … with no gap or repeat), the same text as
    the current revision is a redelivery (200, nothing written), the revision accepted last is
    current, and the comment is one item, scored once: revisions superseded before a worker got
    to them are kept in its history unscored. A late edit after scoring is one more revision,
    scored once more."""
    ids, copies, texts = 40, 25, 5

    async def storm(url: str) -> list[tuple[str, str, int, dict]]:
        answers: list[tuple[str, str, int, dict]] = []
        limits = httpx.Limits(max_connections=50)  # 50 requests in flight at any moment
        async with httpx.AsyncClient(timeout=httpx.Timeout(30, pool=None), limits=limits) as client:

            async def post(comment_id: str, copy: int) -> None:
                text = f"{RETARD} copy {copy % texts}"  # each text sent 5 times, in any order
                raw = json.dumps({"id": comment_id, "text": text, "site": "dup"}).encode()
                headers = {
                    "Content-Type": "application/json",
                    HEADER: sign(WEBHOOK_SECRET, raw, int(time.time())),
                }
                r = await client.post(url + "/v1/comments", content=raw, headers=headers)
                answers.append((comment_id, text, r.status_code, r.json()))

            await asyncio.gather(*(post(f"d{i}", c) for c in range(copies) for i in range(ids)))
        return answers

    refs = [f"dup:d{i}" for i in range(ids)]
    with api_in_thread(make_settings()) as url:
        answers = asyncio.run(storm(url))
        assert len(answers) == ids * copies
        # 202s always; a 200 only when the storm's order put a text after itself (the late
        # deliveries below check a redelivery's 200 every time)
        assert 202 in {status for _, _, status, _ in answers}
        assert {status for _, _, status, _ in answers} <= {200, 202}
        last = _check_revisions(redis_client, answers, ids)
        assert redis_client.xlen(keys.INGEST_STREAM) == sum(last.values())  # one per revision
        with processes(redis_url, tmp_path) as procs:
            procs.worker()
            wait_for(lambda: redis_client.xlen(keys.INGEST_STREAM) == 0, 120)
            assert_each_queued_once(redis_client, refs)
            for i in range(ids):  # the scored revision is the last one accepted
                (event,) = [e for e in _events(redis_client) if e["id"] == f"d{i}"]
                assert event["revision"] == last[f"d{i}"]
            # Late deliveries after scoring: the same text changes nothing, an edit is rescored.
            with httpx.Client(timeout=10) as client:
                for i in range(ids):
                    body = {"id": f"d{i}", "text": "edited", "site": "dup"}
                    assert signed_post(client, url, body).json()["revision"] == last[f"d{i}"] + 1
                    assert signed_post(client, url, body).status_code == 200
            wait_for(lambda: len(_events(redis_client)) == 2 * ids, 120)
    per_comment = Counter(e["id"] for e in _events(redis_client))
    assert set(per_comment.values()) == {2}  # scored once per revision that was current
    members = queued_members(redis_client)
    assert len(members) == len(set(members))
    for ref in refs:
        assert json.loads(redis_client.hget(keys.comment(ref), "comment"))["text"] == "edited"


def _events(client: redis.Redis) -> list[dict]:
    return [json.loads(f["data"]) for _, f in client.xrange(keys.FEED_STREAM)]


def _check_revisions(
    client: redis.Redis, answers: list[tuple[str, str, int, dict]], ids: int
) -> dict[str, int]:
    """Per comment: the 202s are revisions 1..k, each with its own text; a 200 names the
    revision whose text it repeated; the stored comment is revision k with its text, and the
    history holds revisions 1..k-1 with theirs. Returns k per comment id."""
    last = {}
    for i in range(ids):
        mine = [a for a in answers if a[0] == f"d{i}"]
        accepted = {body["revision"]: text for _, text, status, body in mine if status == 202}
        k = len(accepted)
        assert sorted(accepted) == list(range(1, k + 1)), sorted(accepted)
        assert all(accepted[body["revision"]] == text for _, text, s, body in mine if s == 200)
        stored = client.hgetall(keys.comment(f"dup:d{i}"))
        assert int(stored["revision"]) == k
        assert json.loads(stored["comment"])["text"] == accepted[k]
        history = [json.loads(r) for r in client.lrange(keys.revisions(f"dup:d{i}"), 0, -1)]
        assert [(h["revision"], h["comment"]["text"]) for h in history] == [
            (n, accepted[n]) for n in range(1, k)
        ]
        last[f"d{i}"] = k
    return last
