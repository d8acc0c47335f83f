"""The Insights page in a real Chromium against a live moderator: the charts render as inline
SVG with no script and no CSP violation, and the README's screenshot is saved in
build/screenshots/insights.png (`make screenshots` copies it into docs/screenshots/)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from typing import Any

import pytest

from moderator.adapters.redis.client import connect_async
from moderator.adapters.redis.index import QUEUE_NAMES
from moderator.adapters.redis.review import RedisReviewStore
from moderator.adapters.redis.second import RedisSecondOpinions
from moderator.core.models import Decision
from tests.e2e.browser import (  # noqa: F401 (the *_fixture names register fixtures)
    add_user,
    browser_fixture,
    context_fixture,
    login,
    off_loop,
    page_fixture,
)
from tests.e2e.harness import Live
from tests.e2e.live_app import PASSWORD, offline_service_fixture, running  # noqa: F401
from tests.e2e.test_workspace import SCREENSHOTS
from tests.web.seeding import Seeder, now_ms

pytestmark = pytest.mark.browser


@pytest.fixture
def live(make_settings: Any, redis_client: Any, offline_service: Any) -> Iterator[Live]:
    settings = make_settings()
    seed(settings.redis_url, Seeder(redis_client))  # before the worker reads the ingest stream
    with running(make_settings, offline_service) as app:
        off_loop(add_user, app, "ada", PASSWORD, "admin")
        yield app


def seed(redis_url: str, seeder: Seeder) -> None:
    """A site's month: English and Spanish decisions whose toxicity separates the labels."""
    rng = random.Random(8)
    refs = []
    for lang, shift in (("en", 0.0), ("es", 0.2)):
        for i in range(120):
            rejected = i % 3 == 0
            centre = (0.5 if rejected else 0.2) + shift
            tox = round(min(0.99, max(0.0, rng.gauss(centre, 0.15))), 3)
            ref = seeder.add(f"{lang}{i}", scores={"toxicity": tox}, language=lang, action="review")
            refs.append((ref, Decision.REJECT if rejected else Decision.APPROVE))
    for i in range(6):
        queue = "hold" if i % 2 else "review"
        seeder.add(f"w{i}", action=queue, received_ms=now_ms() - i * 900_000)

    async def decide() -> None:
        client = connect_async(redis_url)
        try:
            review = RedisReviewStore(client, deliver_callbacks=False)
            second = RedisSecondOpinions(client, rate=1.0)
            for n, (ref, decision) in enumerate(refs):
                await review.decide(
                    ref, decision, by="rita", reason=None, note=None, now_ms=now_ms()
                )
                if n % 4 == 0:  # a second opinion on every fourth; bob disagrees more than ana
                    await second.ask(ref, "rita", str(decision), 1, now_ms())
                    other = "bob" if n % 8 == 0 else "ana"
                    flip = rng.random() < (0.3 if other == "bob" else 0.1)
                    labels = {"approve", "reject"} - {str(decision)}
                    opinion = labels.pop() if flip else str(decision)
                    await second.answer(ref, other, opinion, now_ms())
        finally:
            await client.aclose()

    off_loop(asyncio.run, decide())


def test_insights_charts_and_the_screenshots(live: Live, page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text))
    login(page, live, "ada", PASSWORD)
    page.goto(f"{live.url}/ui/admin/insights")
    charts = page.locator("figure.chart.curve svg")
    assert charts.count() == 2
    assert page.locator("figure.chart.curve[data-language=es] circle.recommended").count() == 1
    assert page.locator("figure.chart.queues rect.bar").count() == len(QUEUE_NAMES)
    assert page.locator("table.agreement tr").count() == 4  # header, ana, bob, rita
    assert page.evaluate("window.__csp || []") == [] and errors == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "insights.png"), full_page=True)
