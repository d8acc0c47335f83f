"""Queue SLA in /metrics from a live server on decisions made through the real review store."""

from __future__ import annotations

import httpx
import pytest

from moderator.adapters.redis.review import RedisReviewStore
from moderator.bootstrap import build_web
from moderator.core.models import Decision
from moderator.web.app import create_app
from tests.web.live import serving
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
    seeder_fixture,
)


@pytest.mark.anyio
async def test_metrics_show_waits_throughput_and_backlog_age(make_settings, aredis, seeder):
    now = now_ms()
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    for i, wait_s in enumerate((100, 200, 300)):
        ref = seeder.add(f"h{i}", action="hold", language="es", received_ms=now - wait_s * 1000)
        by = "bob" if i == 2 else "rita"
        await review.decide(ref, Decision.REJECT, by=by, reason=None, note=None, now_ms=now)
    ref = seeder.add("p1", action="review", received_ms=now - 5000)
    await review.platform_decide(
        ref, Decision.REJECT, by="platform:cms", reason=None, note=None, now_ms=now
    )
    seeder.add("waiting", action="review", received_ms=now - 600_000)
    settings = make_settings()
    with serving(create_app(build_web(settings, settings.redis_url))) as url:
        text = httpx.get(url + "/metrics").text
    assert (
        'moderator_decision_wait_seconds{queue="hold",language="es",quantile="0.5"} 200.000' in text
    )
    assert (
        'moderator_decision_wait_seconds{queue="hold",language="es",quantile="0.95"} 300.000'
        in text
    )
    assert 'moderator_decision_wait_seconds_count{queue="hold",language="es"} 3' in text
    assert 'moderator_reviewer_decisions_last_hour{reviewer="rita"} 2' in text
    assert "moderator_decisions_per_reviewer_hour 1.50" in text
    assert "platform" not in text
    age = next(
        line
        for line in text.splitlines()
        if line.startswith('moderator_queue_oldest_age_seconds{queue="review"}')
    )
    assert 599 <= float(age.split()[-1]) < 700
