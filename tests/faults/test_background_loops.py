"""Issue 9 items 4 and 5 against a real `moderator run` process (API + worker thread in one
process, as the quickstart runs) on an external Redis this test controls:

- Redis configured with `appendfsync everysec`: the start-up log warns loudly that a 202 may not
  survive a crash, and `/healthz` carries the same warning in its durability detail;
- an arbitrary Redis error in the worker's loop (the ingest stream replaced by a string: every
  stream command answers WRONGTYPE) and Redis out of memory do not kill the worker thread: once
  the fault is gone, a new comment is scored by the same process;
- the worker's heartbeat, with its last error, is in `/healthz` and `/metrics`; `/readyz` fails
  only while Redis refuses writes, never because of the worker.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from moderator import keys
from moderator.adapters.redis.embedded import EmbeddedRedis
from tests.e2e.harness import free_port
from tests.faults.harness import processes, signed_post, wait_for

RAID = "The police raid on the village was reported on the evening news."


def health(c: httpx.Client, url: str) -> dict[str, Any]:
    body: dict[str, Any] = c.get(url + "/healthz").json()
    return body


def worker_beat(c: httpx.Client, url: str) -> dict[str, Any] | None:
    beats = health(c, url)["workers"]
    return beats[0] if beats else None


def scored(client: redis.Redis, comment_id: str) -> bool:
    return client.hget(keys.comment(f"loops:{comment_id}"), "state") in ("approved", "queued")


@pytest.mark.slow
def test_moderator_run_keeps_its_worker_through_redis_errors(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis").start()
    client = redis.Redis.from_url(server.url, decode_responses=True)
    client.config_set("appendfsync", "everysec")
    try:
        with processes(server.url, tmp_path) as procs, httpx.Client(timeout=10) as c:
            port = free_port()
            run = procs.start("run", "--host", "127.0.0.1", "--port", str(port))
            url = f"http://127.0.0.1:{port}"

            def up() -> bool:
                assert run.poll() is None, procs.logs()
                with contextlib.suppress(httpx.HTTPError):
                    return c.get(url + "/healthz").status_code == 200
                return False

            wait_for(up, 90, 0.2)
            log = (tmp_path / "run-0.log").read_text()
            assert "WARNING: an accepted comment (202) may not survive a crash" in log
            durability = health(c, url)["durability"]
            assert durability["durable"] is False
            assert any("appendfsync everysec" in w for w in durability["warnings"])
            wait_for(lambda: (worker_beat(c, url) or {}).get("alive"), 30)

            client.delete(keys.INGEST_STREAM)
            client.set(keys.INGEST_STREAM, "not a stream")  # every stream command: WRONGTYPE
            wait_for(lambda: "WRONGTYPE" in (worker_beat(c, url) or {}).get("error", ""), 30)
            assert c.get(url + "/readyz").status_code == 200  # the API can still serve
            client.delete(keys.INGEST_STREAM)
            body = {"id": "after-error", "text": RAID, "site": "loops"}
            wait_for(lambda: signed_post(c, url, body).status_code in (200, 202), 30)
            wait_for(lambda: scored(client, "after-error"), 30)

            client.config_set("maxmemory", 1)  # Redis refuses every write
            refused = signed_post(c, url, {**body, "id": "during-oom"})
            assert refused.status_code == 503, refused.text
            assert c.get(url + "/readyz").status_code == 503
            assert health(c, url)["redis"] is True
            client.config_set("maxmemory", 0)
            wait_for(lambda: signed_post(c, url, {**body, "id": "after-oom"}).status_code == 202)
            wait_for(lambda: scored(client, "after-oom"), 30)
            assert c.get(url + "/readyz").status_code == 200
            assert run.poll() is None
            metrics = c.get(url + "/metrics").text
            assert "moderator_workers_alive 1" in metrics
            assert "moderator_worker_heartbeat_age_seconds{" in metrics
    finally:
        server.stop()
