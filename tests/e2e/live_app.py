"""Shared pieces of the browser suites: the offline scoring service (real lexicon and policy),
a live moderator per test with settings for the UI, and helpers to post comments and wait for
them to be queued."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from moderator.core.scoring import ScoringService
from moderator.settings import Settings
from tests.e2e.harness import Live, live_moderator
from tests.offline import offline_service

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module", name="offline_service")
def offline_service_fixture() -> ScoringService:
    return offline_service()


@contextmanager
def running(
    make_settings: Callable[..., Settings], service: ScoringService, **overrides: Any
) -> Iterator[Live]:
    review = {"lease_s": 30, "undo_window_s": 60, "poll_s": 0.5, **overrides.pop("review", {})}
    with live_moderator(make_settings(review=review, **overrides), service) as live:
        yield live


def queued(live: Live, auth: dict[str, str], queue: str = "hold") -> list[dict[str, Any]]:
    """The queue's items in priority order (up to 500)."""
    r = httpx.get(f"{live.url}/v1/queue", params={"queue": queue, "limit": 500}, headers=auth)
    r.raise_for_status()
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def post_and_wait(
    live: Live, auth: dict[str, str], bodies: list[dict[str, Any]], queue: str | None = "hold"
) -> list[dict[str, Any]]:
    """Post comments through the signed webhook, wait until the worker has queued every one
    of them in `queue` (None: hold or review); returns the queue's items in priority order."""
    for body in bodies:
        r = live.post(body)
        assert r.status_code == 202, r.text
    wanted = {f"{b.get('site', 'default')}:{b['id']}" for b in bodies}
    names = [queue] if queue else ["hold", "review"]

    def waiting() -> list[dict[str, Any]]:
        return [i for name in names for i in queued(live, auth, name)]

    live.wait_for(lambda: wanted <= {i["ref"] for i in waiting()})
    return waiting()


def state(live: Live, auth: dict[str, str], comment_id: str) -> dict[str, Any]:
    r = httpx.get(f"{live.url}/v1/comments/{comment_id}", headers=auth)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body
