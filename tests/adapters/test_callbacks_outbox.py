"""Callback delivery against a real Redis and a real HTTP endpoint: one comment's events arrive
in version order even when deliveries fail; other comments are not held up; dead letters after
max attempts hold their comment's later events until an admin replays them; each event arrives
once per idempotency key; the pull feed has everything throughout."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from moderator import keys
from moderator.adapters.callbacks import VERSION_HEADER, OutboxDeliverer
from moderator.adapters.redis.review import RedisReviewStore
from moderator.core.models import Decision
from moderator.core.signing import HEADER, verify
from moderator.settings import CallbackSettings
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    Seeder,
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
)

pytestmark = pytest.mark.anyio
SECRET = "callback-secret-0123456789abcdef"


@dataclass
class Platform:
    """Answers 503 while `fails(event)` says so, else 204 and records the event."""

    fails: Callable[[dict[str, Any]], bool] = lambda event: False
    received: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


def first_fails(
    times: int, match: Callable[[dict[str, Any]], bool]
) -> Callable[[dict[str, Any]], bool]:
    """A `Platform.fails` that answers 503 to the first `times` events `match` picks."""
    left = [times]

    def fails(event: dict[str, Any]) -> bool:
        if match(event) and left[0]:
            left[0] -= 1
            return True
        return False

    return fails


@contextmanager
def platform_server(platform: Platform) -> Iterator[Platform]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            event = json.loads(body)
            platform.attempts.append(event)
            if platform.fails(event):
                self.send_response(503)
                self.end_headers()
                return
            verify(SECRET, self.headers[HEADER], body, now=time.time(), tolerance_s=60)
            platform.received.append(
                {
                    **event,
                    "_key": self.headers["Idempotency-Key"],
                    "_version": self.headers.get(VERSION_HEADER),
                }
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    platform.url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield platform
    finally:
        httpd.shutdown()
        httpd.server_close()


def settings(url: str, max_attempts: int = 50) -> CallbackSettings:
    return CallbackSettings(
        url=url, backoff_base_s=0.01, backoff_max_s=0.02, max_attempts=max_attempts, timeout_s=5
    )


async def deliver_until(deliverer: OutboxDeliverer, done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 15
    while not done():
        assert time.monotonic() < deadline, "deliveries did not finish"
        if not await deliverer.deliver_due():
            await asyncio.sleep(0.01)


def timeline(received: list[dict[str, Any]], comment_id: str) -> list[tuple[str, Any]]:
    return [(e["event"], e.get("version")) for e in received if e["id"] == comment_id]


async def test_one_comments_events_arrive_in_order_and_others_are_not_held_up(aredis, redis_client):
    seeder = Seeder(redis_client, deliver_callbacks=True)
    a = seeder.add("a")
    seeder.add("b")
    review = RedisReviewStore(aredis, deliver_callbacks=True)
    v1 = await review.decide(
        a, Decision.REJECT, by="rita", reason="spam", note=None, now_ms=now_ms()
    )
    await review.undo(
        a, v1["version"], by="rita", now_ms=now_ms(), window_ms=10_000, lease_ms=60_000
    )
    await review.decide(a, Decision.APPROVE, by="rita", reason=None, note=None, now_ms=now_ms())
    # the first event of `a` fails four times
    fails = first_fails(4, lambda event: event["id"] == "a" and event["event"] == "scored")
    with platform_server(Platform(fails)) as platform:
        async with httpx.AsyncClient() as http:
            deliverer = OutboxDeliverer(aredis, http, settings(platform.url), SECRET)
            await deliver_until(deliverer, lambda: len(platform.received) == 5)
    assert timeline(platform.received, "a") == [
        ("scored", None),
        ("decided", 1),
        ("decided", 2),
        ("decided", 3),
    ]
    assert [e["decision"] for e in platform.received if e["event"] == "decided"] == [
        "reject",
        "undo",
        "approve",
    ]
    assert [e["_version"] for e in platform.received if e["id"] == "a"] == [None, "1", "2", "3"]
    # b did not wait for a's failing head: it arrived while a was still being retried
    first_b = next(i for i, e in enumerate(platform.attempts) if e["id"] == "b")
    last_a_failure = (
        max(i for i, e in enumerate(platform.attempts) if e["id"] == "a" and e["event"] == "scored")
        - 1
    )
    assert first_b < last_a_failure
    keys_seen = [e["_key"] for e in platform.received]
    assert len(keys_seen) == len(set(keys_seen)) == 5
    assert all(e["_key"] == e["cursor"] for e in platform.received)
    assert redis_client.zcard(keys.OUTBOX) == 0
    assert not redis_client.exists(keys.outbox_chain(a))


async def test_dead_letters_hold_their_comment_until_replayed(aredis, redis_client):
    seeder = Seeder(redis_client, deliver_callbacks=True)
    a = seeder.add("a")
    seeder.add("b")
    review = RedisReviewStore(aredis, deliver_callbacks=True)
    await review.decide(a, Decision.REJECT, by="rita", reason=None, note=None, now_ms=now_ms())
    down = {"a"}
    with platform_server(Platform(lambda e: e["id"] in down)) as platform:
        async with httpx.AsyncClient() as http:
            deliverer = OutboxDeliverer(aredis, http, settings(platform.url, 3), SECRET)
            await deliver_until(deliverer, lambda: redis_client.zcard(keys.OUTBOX_DEAD) == 1)
            await deliver_until(deliverer, lambda: len(platform.received) == 1)
            (letter,) = await deliverer.outbox.dead_letters()
            assert letter["event"]["id"] == "a" and letter["event"]["event"] == "scored"
            assert letter["attempts"] == 3 and letter["error"] == "HTTP 503"
            assert letter["waiting"] == 1  # a's decision waits behind it
            assert timeline(platform.received, "b") == [("scored", None)]
            feed = await review.feed(None, 100)  # the pull feed has everything meanwhile
            assert [(e["id"], e["event"]) for e in feed] == [
                ("a", "scored"),
                ("b", "scored"),
                ("a", "decided"),
            ]

            down.clear()  # the endpoint is back; nothing moves until an admin replays
            assert await deliverer.deliver_due() == 0
            assert await deliverer.outbox.replay(letter["feed_id"], now_ms()) is True
            assert await deliverer.outbox.replay(letter["feed_id"], now_ms()) is False
            await deliver_until(deliverer, lambda: len(platform.received) == 3)
    assert timeline(platform.received, "a") == [("scored", None), ("decided", 1)]
    assert len(platform.attempts) == 3 + 3  # three failures, then each event once
    assert redis_client.zcard(keys.OUTBOX_DEAD) == 0 and redis_client.zcard(keys.OUTBOX) == 0


async def test_backoff_grows_exponentially_with_jitter_up_to_the_cap(aredis):
    async with httpx.AsyncClient() as http:
        s = CallbackSettings(url="http://127.0.0.1:9/x", backoff_base_s=1.0, backoff_max_s=30.0)
        deliverer = OutboxDeliverer(aredis, http, s, SECRET)
        for attempt, nominal in ((1, 1), (2, 2), (3, 4), (5, 16), (6, 30), (40, 30)):
            delays = {deliverer.backoff_s(attempt) for _ in range(50)}
            assert all(0.8 * nominal <= d <= 1.2 * nominal for d in delays), attempt
            assert len(delays) > 1  # jittered, not in step
