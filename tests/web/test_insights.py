"""The Insights page on a live server: curves drawn from real decisions, escaped, admins only."""

from __future__ import annotations

import asyncio
import random

import httpx

from moderator.adapters.redis.client import connect_async
from moderator.adapters.redis.review import RedisReviewStore
from moderator.bootstrap import build_web
from moderator.core.models import Decision
from moderator.web.app import create_app
from tests.web.live import add_user, login, serving
from tests.web.seeding import Seeder, now_ms

HOSTILE = 'en"><script>alert(1)</script>'


def seed_decisions(redis_url: str, seeder: Seeder) -> None:
    rng = random.Random(5)
    refs = []
    for i in range(90):
        rejected = i % 2 == 0
        tox = rng.uniform(0.55, 1.0) if rejected else rng.uniform(0.0, 0.6)
        ref = seeder.add(f"c{i}", scores={"toxicity": round(tox, 3)}, language=HOSTILE)
        refs.append((ref, Decision.REJECT if rejected else Decision.APPROVE))

    async def decide() -> None:
        client = connect_async(redis_url)
        try:
            review = RedisReviewStore(client, deliver_callbacks=False)
            for ref, decision in refs:
                await review.decide(
                    ref, decision, by="rita", reason=None, note=None, now_ms=now_ms()
                )
        finally:
            await client.aclose()

    asyncio.run(decide())


def test_admins_see_curves_drawn_from_decisions_escaped(make_settings, redis_client):
    settings = make_settings()
    seed_decisions(settings.redis_url, Seeder(redis_client))
    add_user(settings.redis_url, "ada", "admin")
    add_user(settings.redis_url, "rita", "reviewer")
    with serving(create_app(build_web(settings, settings.redis_url))) as url:
        with httpx.Client(base_url=url) as admin:
            login(admin, "ada")
            page = admin.get("/ui/admin/insights")
            bad = admin.get("/ui/admin/insights", params={"days": "0"})
        with httpx.Client(base_url=url) as reviewer:
            login(reviewer, "rita")
            refused = reviewer.get("/ui/admin/insights")
    assert page.status_code == 200, page.text
    html = page.text
    assert "90 decided comments (0 from the control sample)" in html
    assert html.count('<figure class="chart curve"') == 1  # toxicity: the only label scored
    assert "<svg" in html and 'class="recommended"' in html and 'class="current"' in html
    assert "in force 0.50, recommended" in html
    assert "No sampled decisions yet." in html and "No second opinions yet" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert '<table class="grid waits">' in html and "<td>hold</td>" in html  # seeded: hold
    assert bad.status_code == 422
    assert refused.status_code == 403
