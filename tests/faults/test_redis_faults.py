"""Redis faults, on an embedded Redis this test starts (append-only file, fsync always):
killed and restarted mid-stream nothing accepted is lost; while it is down the webhook answers
503 and the same API process recovers by itself when it returns."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
import redis

from moderator import keys
from moderator.adapters.redis.embedded import EmbeddedRedis
from tests.faults.harness import (
    Sender,
    api_in_thread,
    assert_each_queued_once,
    processes,
    signed_post,
    wait_for,
)

COMMENTS = 1500


@pytest.fixture
def embedded(tmp_path: Path):
    """An embedded Redis of our own; restart() brings back the same data directory."""

    class Server:
        def __init__(self) -> None:
            self.data = tmp_path / "redis"
            self.server = EmbeddedRedis(self.data).start()
            self.url = self.server.url

        def kill(self) -> None:
            self.server.kill()  # SIGKILL: no shutdown, no final save

        def stop(self) -> None:
            self.server.stop()

        def restart(self) -> None:
            self.server = EmbeddedRedis(self.data).start()
            assert self.server.url == self.url

    server = Server()
    yield server
    server.stop()


@pytest.mark.slow
def test_redis_killed_and_restarted_mid_stream_loses_nothing(
    make_settings, embedded, tmp_path: Path
) -> None:
    client = redis.Redis.from_url(embedded.url, decode_responses=True)
    with (
        processes(embedded.url, tmp_path) as procs,
        api_in_thread(make_settings(redis_url=embedded.url)) as url,
    ):
        procs.worker()
        wait_for(lambda: client.exists(keys.MODEL_INFO), 120)
        sender = Sender(url, COMMENTS, per_s=150).start()
        for outage in (embedded.kill, embedded.stop):  # abrupt, then orderly
            wait_for(lambda: client.xlen(keys.FEED_STREAM) >= len(sender.accepted) // 2 > 100)
            before = len(sender.accepted)
            outage()
            time.sleep(1.5)
            embedded.restart()
            wait_for(lambda b=before: len(sender.accepted) > b + 50, 60)
        sender.join()
        try:
            wait_for(lambda: client.xlen(keys.INGEST_STREAM) == 0, 120, 0.2)
        except AssertionError:
            raise AssertionError(f"the backlog never drained:\n{procs.logs()}") from None
    print(f"{COMMENTS} accepted across 2 Redis outages; {sender.refused} answers retried")
    assert sender.refused > 0, "the outages were never noticed"
    assert len(sender.accepted) == COMMENTS
    assert_each_queued_once(client, sender.refs())


def test_webhook_answers_503_while_redis_is_down_and_recovers_by_itself(
    make_settings, embedded
) -> None:
    body = {"id": "before", "text": "The raid was on the evening news.", "site": "faults"}
    with api_in_thread(make_settings(redis_url=embedded.url)) as url, httpx.Client(timeout=10) as c:
        assert signed_post(c, url, body).status_code == 202
        embedded.kill()

        down = signed_post(c, url, {**body, "id": "during"})
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/problem+json"
        assert down.headers["retry-after"].isdigit()
        health = c.get(url + "/healthz")
        assert health.status_code == 200 and health.json()["redis"] is False
        assert c.get(url + "/readyz").status_code == 503

        embedded.restart()  # the same API process, never restarted
        wait_for(lambda: signed_post(c, url, {**body, "id": "after"}).status_code == 202, 30)
        assert c.get(url + "/readyz").status_code == 200
        assert signed_post(c, url, body).status_code == 200  # accepted before: still there
    client = redis.Redis.from_url(embedded.url, decode_responses=True)
    assert client.exists(keys.comment("faults:before"), keys.comment("faults:after")) == 2
    assert not client.exists(keys.comment("faults:during"))
