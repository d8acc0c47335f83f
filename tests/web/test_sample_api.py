"""GET /v1/admin/sample on a real running server: the control sample's miss rate for admins
only, per language and site; hostile queries get a 4xx problem and change nothing; 30 parallel
requests all answer."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import redis

from moderator import keys
from moderator.adapters.redis.client import connect_async
from moderator.adapters.redis.review import RedisReviewStore
from moderator.bootstrap import build_web
from moderator.core.models import Decision
from moderator.settings import Settings
from moderator.web.app import create_app
from tests.web.live import make_token, serving
from tests.web.seeding import Seeder


@pytest.fixture
def live(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, tmp_path
) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    settings = make_settings(archive={"url": str(tmp_path / "archive")})
    seeder = Seeder(redis_client)
    refs = []
    for i, (site, lang) in enumerate([("blog", "en")] * 4 + [("news", "es")] * 2):
        ref = seeder.add(f"s{i}", "fine", action="approve", site=site, language=lang)
        redis_client.hset(keys.comment(ref), mapping={"state": "queued", "queue": "sample"})
        redis_client.hset(keys.comment(ref), "action", "sample")
        redis_client.zadd(keys.queue("sample"), {ref: 1})
        refs.append(ref)

    async def decide() -> None:
        client = connect_async(settings.redis_url)
        review = RedisReviewStore(client, deliver_callbacks=False)
        for i, ref in enumerate(refs):
            bad = i in (0, 4)
            decision = Decision.REJECT if bad else Decision.APPROVE
            now = int(time.time() * 1000)
            await review.decide(ref, decision, by="rita", reason=None, note=None, now_ms=now)
        await client.aclose()

    asyncio.run(decide())
    app = create_app(build_web(settings, settings.redis_url))
    admin = {"Authorization": f"Bearer {make_token(settings.redis_url, 'ada', 'admin')}"}
    reviewer = {"Authorization": f"Bearer {make_token(settings.redis_url, 'rita')}"}
    with serving(app) as url:
        yield url, admin, reviewer


def test_admins_read_the_miss_rate_per_language_and_site(live):
    url, admin, reviewer = live
    r = httpx.get(f"{url}/v1/admin/sample", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["miss_rate"]["reviewed"] == 6 and body["miss_rate"]["misses"] == 2
    es = body["by_language"]["es"]
    assert (es["misses"], es["reviewed"], es["value"]) == (1, 2, 0.5) and es["low"] < 0.5 < es[
        "high"
    ]
    assert body["by_site"]["blog"]["misses"] == 1
    window = httpx.get(f"{url}/v1/admin/sample", params={"until_ms": 1}, headers=admin).json()
    assert window["miss_rate"]["reviewed"] == 0 and window["miss_rate"]["value"] is None
    assert httpx.get(f"{url}/v1/admin/sample", headers=reviewer).status_code == 403
    assert httpx.get(f"{url}/v1/admin/sample").status_code == 401


def test_hostile_queries_answer_a_problem(live):
    url, admin, _ = live
    for params in (
        {"since_ms": "x" * 20_000},
        {"since_ms": "-1"},
        {"until_ms": str(2**64)},
        {"since_ms": "\uff11\uff12\uff13"},  # full-width digits
    ):
        r = httpx.get(f"{url}/v1/admin/sample", params=params, headers=admin)
        assert r.status_code == 422, (params, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert json.loads(r.content)["status"] == 422
    invalid_utf8 = httpx.get(f"{url}/v1/admin/sample?since_ms=%FF%FE1", headers=admin)
    assert invalid_utf8.status_code in (400, 422), invalid_utf8.text
    odd = httpx.get(f"{url}/v1/admin/sample", headers={**admin, "X-Forwarded-For": "\x7f" * 50})
    assert odd.status_code == 400  # refused by the HTTP server itself
    bad_token = {"Authorization": "Bearer \u00e9".encode("latin-1") + b"x" * 300}
    assert httpx.get(f"{url}/v1/admin/sample", headers=bad_token).status_code == 401


def test_thirty_parallel_requests(live):
    url, admin, _ = live

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=url, headers=admin, timeout=30) as client:
            answers = await asyncio.gather(*(client.get("/v1/admin/sample") for _ in range(30)))
        return [a.status_code for a in answers]

    assert asyncio.run(burst()) == [200] * 30
