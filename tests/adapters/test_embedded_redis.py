"""The embedded Redis: starts in a data dir, is shared by several processes, and keeps every
acknowledged write across an abrupt kill (append-only file, fsync always)."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from moderator.adapters.redis.embedded import EmbeddedRedis


def test_acknowledged_writes_survive_kill_9(tmp_path: Path):
    server = EmbeddedRedis(tmp_path / "var").start()
    client = redis.Redis.from_url(server.url)
    for i in range(200):
        client.xadd("s", {"i": i})
    server.kill()  # SIGKILL: no shutdown, no save
    again = EmbeddedRedis(tmp_path / "var").start()
    try:
        assert redis.Redis.from_url(again.url).xlen("s") == 200
    finally:
        again.stop()


def test_second_process_attaches_instead_of_starting(tmp_path: Path):
    first = EmbeddedRedis(tmp_path / "var").start()
    second = EmbeddedRedis(tmp_path / "var").start()
    try:
        assert first.owner and not second.owner
        assert second.url == first.url
        second.stop()  # a non-owner never shuts the server down
        assert redis.Redis.from_url(first.url).ping()
    finally:
        first.stop()


def test_long_data_dir_gets_a_short_socket(tmp_path: Path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    server = EmbeddedRedis(deep).start()
    try:
        assert len(str(server.socket_path)) <= 100
        assert redis.Redis.from_url(server.url).ping()
    finally:
        server.stop()


def _rewrite_aof(client: redis.Redis) -> None:
    client.bgrewriteaof()
    time.sleep(0.1)
    while any(
        client.info("persistence")[k] for k in ("aof_rewrite_in_progress", "aof_rewrite_scheduled")
    ):
        time.sleep(0.05)


@pytest.mark.slow
def test_a_loading_server_is_waited_for_not_treated_as_dead(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    """Issue 9 item 2: a server loading a big data set answers LOADING; start() waits through
    it (logging progress) for as long as it keeps loading, well past `start_timeout_s`, and
    attaches; it never starts a second server on the same data."""
    first = EmbeddedRedis(tmp_path / "var").start()
    client = redis.Redis.from_url(
        first.url, retry=Retry(NoBackoff(), 0), decode_responses=True, socket_timeout=120
    )
    try:
        client.config_set("rdbcompression", "no")  # 20 MB on disk: LOADING is answered
        client.execute_command("DEBUG", "POPULATE", 40_000, "key", 500)
        _rewrite_aof(client)
        client.config_set("key-load-delay", 50)  # µs per key: a load of several seconds
        loader = threading.Thread(target=client.execute_command, args=("DEBUG", "LOADAOF"))
        loader.start()
        caplog.set_level(logging.INFO, logger="moderator.embedded_redis")
        second = EmbeddedRedis(tmp_path / "var", start_timeout_s=0.5).start()
        loader.join()
        assert not second.owner, "a second server was started on the same data"
        assert redis.Redis.from_url(second.url).dbsize() == 40_000
        assert any("is loading its data" in r.getMessage() for r in caplog.records)
    finally:
        client.config_set("key-load-delay", 0)
        first.stop()


def test_runs_with_noeviction_and_the_configured_maxmemory(tmp_path: Path):
    server = EmbeddedRedis(tmp_path / "var", maxmemory="64mb").start()
    try:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        assert client.config_get("maxmemory") == {"maxmemory": str(64 * 1024 * 1024)}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    finally:
        server.stop()
