"""The control sample feeds what the learning side shows: comments sampled by the real worker
(sample_rate 1), rejected or approved by a reviewer through the review API on a live server,
count as `sampled` in `moderator backtest` with `sample_miss_rate` and its Wilson interval (the
same numbers as `sample_miss_rates`), and as the Insights page's weekly miss rate; unchanged
once the archiver has moved them out of Redis."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from moderator import keys
from moderator.adapters.archive.archiver import DAY_MS, Archiver
from moderator.adapters.archive.control_sample import sample_miss_rates
from moderator.adapters.redis.client import connect_async
from moderator.bootstrap import build_archive, build_web
from moderator.cli import main
from moderator.core.models import Comment
from moderator.core.sampling import wilson
from moderator.web.app import create_app
from tests.web.live import add_user, login, make_token, serving
from tests.worker.test_control_sample import CLEAN_ES, sampling_worker
from tests.worker.test_worker import RAID, drain, enqueue

REJECTED = {"en0", "es0", "es1"}


def backtest(capsys) -> dict:
    capsys.readouterr()
    assert main(["backtest", "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)["current"]


def insights(url: str) -> str:
    with httpx.Client(base_url=url) as admin:
        login(admin, "ada")
        page = admin.get("/ui/admin/insights")
    assert page.status_code == 200, page.text
    return page.text


def learned(html: str) -> tuple[str, str]:
    """The page's summary line and its control-sample chart (the rest has a CSRF token and the
    queues' ages, which change)."""
    summary = re.search(r"<p>The last .*?</p>", html, re.S)
    chart = re.search(r'<figure class="chart sample">.*?</figure>', html, re.S)
    assert summary and chart, html
    return summary.group(0), chart.group(0)


def test_the_control_sample_feeds_backtest_and_the_insights_page(
    make_settings, redis_client, service, redis_url, monkeypatch, capsys
):
    settings = make_settings()
    archive = build_archive(settings)
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    monkeypatch.setenv("MODERATOR_ARCHIVE__URL", archive.url)
    worker = sampling_worker(make_settings, service, redis_client, 1.0, callbacks=False)
    comments = [
        Comment(f"en{i}", f"{RAID} Number {i}.", site="blog", language="en") for i in range(6)
    ]
    comments += [
        Comment(f"es{i}", f"{CLEAN_ES} Número {i}.", site="news", language="es") for i in range(4)
    ]
    enqueue(redis_client, *comments, Comment("never", RAID + " Unseen.", site="blog"))
    drain(worker)
    assert redis_client.zcard(keys.queue("sample")) == 11  # every approval sampled
    add_user(redis_url, "ada", "admin")
    token = make_token(redis_url, "rita")
    with serving(create_app(build_web(settings, redis_url))) as url:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as rita:
            for c in comments:
                verdict = "reject" if c.id in REJECTED else "approve"
                r = rita.post(
                    f"/v1/comments/{c.id}/decision",
                    params={"site": c.site},
                    json={"decision": verdict},
                )
                assert r.status_code == 200, r.text
        html = insights(url)
        report = backtest(capsys)
        rates = asyncio.run(_rates(redis_url, None))
        # ... and the same once archived (the archiver of retention.hot_days = 14)
        now = int(time.time() * 1000)
        moved = asyncio.run(_archive(redis_url, archive, now + 15 * DAY_MS))
        assert moved == 11 and not redis_client.exists(keys.comment("blog:en0"))
        assert backtest(capsys) == report
        assert learned(insights(url)) == learned(html)
        assert asyncio.run(_rates(redis_url, archive)).as_dict() == rates.as_dict()

    # backtest: the 10 reviewed samples (not "never": nobody decided it), 3 rejected
    assert (report["decided"], report["sampled"]) == (10, 10)
    low, high = wilson(3, 10)
    sample = report["sample_miss_rate"]
    assert sample["value"] == pytest.approx(0.3)
    assert (sample["low"], sample["high"]) == (pytest.approx(low), pytest.approx(high))
    assert (rates.overall.misses, rates.overall.reviewed) == (3, 10)  # the same count
    assert (rates.overall.low, rates.overall.high) == (pytest.approx(low), pytest.approx(high))
    es = report["by_language"]["es"]
    assert (es["sampled"], es["sample_miss_rate"]["value"]) == (4, 0.5)
    assert report["by_site"]["blog"]["sample_miss_rate"]["value"] == pytest.approx(1 / 6)
    # Insights: the weekly miss rate with its interval
    today = datetime.now(UTC).date()
    week = (today - timedelta(days=today.weekday())).isoformat()
    assert "10 decided comments (10 from the control sample)" in html
    assert "No sampled decisions yet." not in html
    assert (
        f"week of {week}: 3 of 10 rejected, 30.0% (95 % interval {low:.1%} to {high:.1%})" in html
    )


async def _rates(url: str, archive):
    client = connect_async(url)
    try:
        return await sample_miss_rates(client, archive)
    finally:
        await client.aclose()


async def _archive(url: str, archive, now_ms: int) -> int:
    client = connect_async(url)
    try:
        return (await Archiver(client, archive, hot_days=14).run(now_ms)).archived
    finally:
        await client.aclose()
