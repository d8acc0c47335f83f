"""Issue 8 item 1: a hostile comment cannot freeze the event loop. While a queue page of 20
hostile cards renders (20,000 characters of "fag " each, 5,000 lexicon matches each, as records
stored before the match cap carry), `/healthz` and a signed webhook complete before the page
does. No timing is asserted: the page's render is held in the app's render pool until both have
answered; when pages rendered on the event loop, neither could answer before the page."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import redis
from fastapi import FastAPI

from moderator.bootstrap import build_web
from moderator.settings import Settings
from moderator.web.app import create_app
from tests.conftest import WEBHOOK_SECRET
from tests.web.live import add_user, login, post_signed, serving
from tests.web.seeding import Seeder

CARDS = 20
HOSTILE = "fag " * 5000
WAIT_S = 300  # a generous ceiling so a frozen server fails the test instead of hanging it


def hostile_matches() -> list[dict[str, Any]]:
    return [
        {"term": "fag", "match": "fag", "category": "slur", "severity": 3, "start": i, "end": i + 3}
        for i in range(0, len(HOSTILE), 4)
    ]


class HeldRenders:
    """Wraps the app's render pool: once armed, each render waits in its pool thread until
    released, so the test knows a render is in progress while it calls other endpoints."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.armed, self.started, self.release = (threading.Event() for _ in range(3))

    @classmethod
    def install(cls, app: FastAPI) -> HeldRenders:
        held = cls(getattr(app.state, "cpu", None))
        app.state.cpu = held
        return held

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        def job() -> Any:
            if self.armed.is_set():
                self.started.set()
                self.release.wait(WAIT_S)
            return fn(*args)

        return await self.inner.run(job)

    def close(self) -> None:
        self.inner.close()


def open_page(client: httpx.Client, done: list[tuple[str, httpx.Response]]) -> None:
    """GET /ui/queue; the page counts as done when its headers arrive (the render is over
    then: a page is rendered whole before its first byte is sent)."""
    with client.stream("GET", "/ui/queue") as response:
        done.append(("page", response))
        response.read()


def test_healthz_and_webhook_answer_while_a_hostile_queue_page_renders(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    settings = make_settings(review={"page_size": CARDS})
    seeder = Seeder(redis_client)
    for n in range(CARDS):
        seeder.add(f"h{n}", HOSTILE, matches=hostile_matches(), priority=0.9)
    add_user(settings.redis_url, "rita")
    app = create_app(build_web(settings, settings.redis_url))
    held = HeldRenders.install(app)
    done: list[tuple[str, httpx.Response]] = []
    with serving(app) as url, httpx.Client(base_url=url, timeout=WAIT_S) as reviewer:
        login(reviewer, "rita")
        held.armed.set()
        page = threading.Thread(target=open_page, args=(reviewer, done))
        page.start()
        held.started.wait(10)  # the page is in the render pool (it never gets there on the loop)
        done.append(("healthz", httpx.get(url + "/healthz", timeout=WAIT_S)))
        hook = post_signed(url, WEBHOOK_SECRET, {"id": "during", "text": "hi"}, timeout=WAIT_S)
        done.append(("webhook", hook))
        held.release.set()
        page.join(WAIT_S)
    assert [name for name, _ in done] == ["healthz", "webhook", "page"], (
        "the page's render blocked the event loop: /healthz and the webhook waited for it"
    )
    answers = dict(done)
    assert answers["healthz"].status_code == 200
    assert answers["webhook"].status_code == 202, answers["webhook"].text
    assert answers["page"].status_code == 200
    assert answers["page"].text.count('<li class="card') == CARDS
    assert held.started.is_set()
