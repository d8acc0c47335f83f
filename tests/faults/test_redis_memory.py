"""Issue 9 item 2: when Redis refuses writes for memory (an embedded Redis at its `redis.maxmemory`,
noeviction), the webhook answers 503 with Retry-After and stores nothing, `/readyz` fails, and
both recover by themselves when there is room again. `/readyz` never depends on a worker: with
no worker at all it stays ready (item 5), while `/healthz` says no worker is beating."""

from __future__ import annotations

from pathlib import Path

import httpx
import redis

from moderator import keys
from moderator.adapters.redis.embedded import EmbeddedRedis
from tests.faults.harness import api_in_thread, signed_post, wait_for


def test_out_of_memory_answers_503_and_fails_readiness(make_settings, tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis", maxmemory="4mb").start()
    client = redis.Redis.from_url(server.url, decode_responses=True)
    body = {"id": "before", "text": "The raid was on the evening news.", "site": "mem"}
    try:
        with (
            api_in_thread(make_settings(redis_url=server.url)) as url,
            httpx.Client(timeout=10) as c,
        ):
            assert signed_post(c, url, body).status_code == 202
            assert c.get(url + "/readyz").status_code == 200  # no worker, still ready
            health = c.get(url + "/healthz").json()
            assert health["workers"] == [] and any("worker" in w for w in health["warnings"])
            assert health["durability"]["durable"] is True

            fill(client)  # Redis at its ceiling: writes are refused, nothing is evicted
            full = signed_post(c, url, {**body, "id": "during"})
            assert full.status_code == 503, full.text
            assert full.headers["content-type"] == "application/problem+json"
            assert full.headers["retry-after"].isdigit()
            assert "out of memory" in full.json()["detail"]
            ready = c.get(url + "/readyz")
            assert ready.status_code == 503 and "out of memory" in ready.json()["detail"]
            assert c.get(url + "/healthz").json()["redis"] is True
            assert client.exists(keys.comment("mem:before"))  # nothing was evicted

            client.delete(*client.keys("filler:*"))
            wait_for(lambda: signed_post(c, url, {**body, "id": "after"}).status_code == 202, 10)
            assert c.get(url + "/readyz").status_code == 200
        assert not client.exists(keys.comment("mem:during"))
        assert client.exists(keys.comment("mem:before"), keys.comment("mem:after")) == 2
    finally:
        server.stop()


def fill(client: redis.Redis) -> None:
    """Write ever smaller values until even a tiny write is refused (a refused big value's own
    request counts against the memory, so the first refusal does not mean full)."""
    n = 0
    for size in (100_000, 1_000, 10):
        while True:
            n += 1
            assert n < 100_000, "Redis never reached its maxmemory"
            try:
                client.set(f"filler:{n}", "x" * size)
            except redis.exceptions.OutOfMemoryError:
                break
