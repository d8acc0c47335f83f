"""Put scored comments into a real Redis through the real ingest path (the ACCEPT script, the
consumer group, the STORE_SCORED script), with records the test chooses: no model needed.

Also small async helpers for tests that build the web services themselves."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis

from moderator import keys
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.client import connect_async
from moderator.adapters.redis.ingest import RedisIngestConsumer
from moderator.core.models import Author, Comment, Thread
from moderator.core.ordering import queue_score


def now_ms() -> int:
    return int(time.time() * 1000)


class Seeder:
    def __init__(self, client: redis.Redis, *, deliver_callbacks: bool = False) -> None:
        self.client = client
        self.consumer = RedisIngestConsumer(client, "seeder", deliver_callbacks=deliver_callbacks)
        self._accept = client.register_script(redis_scripts.ACCEPT)
        self.consumer.ensure_group()

    def add(
        self,
        comment_id: str,
        text: str = "a comment",
        *,
        site: str = "default",
        action: str = "hold",
        priority: float = 0.5,
        language: str | None = "en",
        matches: list[dict[str, Any]] | None = None,
        spans: list[dict[str, Any]] | None = None,
        author: tuple[str | None, str | None] = (None, None),
        thread: tuple[str | None, str | None, str | None] = (None, None, None),
        parent_id: str | None = None,
        received_ms: int | None = None,
        scores: dict[str, float | None] | None = None,
    ) -> str:
        """Accept, score (with this record) and store one comment; returns its ref."""
        comment = Comment(
            id=comment_id,
            text=text,
            site=site,
            author=Author(*author),
            thread=Thread(*thread),
            parent_id=parent_id,
            language=language,
        )
        received = received_ms or now_ms()
        created = self._accept(
            keys=[keys.comment(comment.ref), keys.part_of(comment.ref).ingest],
            args=[json.dumps(comment.to_dict()), received, comment.ref, 10**6],
        )
        assert created == 1, f"{comment.ref} was already received"
        (delivery,) = self.consumer.read(1, None)
        assert delivery.ref == comment.ref
        record = {
            "id": comment_id,
            "language": language,
            "model": {"name": "test-model", "version": "1", "fallback": False},
            "scores": scores or {"toxicity": priority, "insult": None},
            "matches": matches or [],
            "priority": priority,
            "action": action,
            "reasons": [f"{action}: rule test (toxicity {priority:.2f} >= 0.50)"],
            "spans": spans or [],
            "policy_version": "test-policy-1",
        }
        self.consumer.store(delivery, record, queue_score(priority, received), now_ms())
        return comment.ref


# Fixtures: import them by these names into a test module (ruff: noqa F401 on the import).
@pytest.fixture(name="anyio_backend")
def anyio_backend_fixture() -> str:
    return "asyncio"


@pytest.fixture(name="aredis")
async def aredis_fixture(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[Any]:
    """An asyncio Redis client on the test database (flushed by `redis_client`)."""
    client = connect_async(redis_url)
    yield client
    await client.aclose()


@pytest.fixture(name="seeder")
def seeder_fixture(redis_client: redis.Redis) -> Seeder:
    return Seeder(redis_client)
