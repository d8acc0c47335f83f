"""Issue 9 item 4: what Redis's persistence settings mean for a 202, read from a real Redis whose
settings the test changes at run time (its own embedded server, so the shared one is untouched)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from moderator.adapters.redis.durability import assess, check
from moderator.adapters.redis.embedded import EmbeddedRedis


@pytest.fixture
def own(tmp_path: Path) -> Iterator[redis.Redis]:
    server = EmbeddedRedis(tmp_path / "redis").start()
    client = redis.Redis.from_url(server.url, decode_responses=True)
    yield client
    server.stop()


def test_the_embedded_settings_are_durable(own: redis.Redis) -> None:
    found = check(own)
    assert found.durable is True and found.warnings == []
    assert found.settings == {
        "appendonly": "yes",
        "appendfsync": "always",
        "maxmemory-policy": "noeviction",
    }


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("appendfsync", "everysec", "up to a second"),
        ("appendfsync", "no", "up to 30 s"),
        ("appendonly", "no", "since its last snapshot"),
        ("maxmemory-policy", "allkeys-lru", "could vanish"),
    ],
)
def test_each_lossy_setting_is_named_with_what_a_crash_loses(
    own: redis.Redis, name: str, value: str, says: str
) -> None:
    own.config_set(name, value)
    found = check(own)
    assert found.durable is False
    (warning,) = found.warnings
    assert f"{name} {value}" in warning and says in warning


def test_settings_that_cannot_be_read_are_unknown_not_durable() -> None:
    assert assess({"appendonly": "yes", "appendfsync": "always"}).durable is True
    found = assess({})
    assert found.durable is False and "appendonly unknown" in found.warnings[0]
