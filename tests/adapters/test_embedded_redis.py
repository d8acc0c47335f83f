"""The embedded Redis: starts in a data dir, is shared by several processes, and keeps every
acknowledged write across an abrupt kill (append-only file, fsync always)."""

from __future__ import annotations

from pathlib import Path

import redis

from moderator.adapters.embedded_redis import EmbeddedRedis


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
