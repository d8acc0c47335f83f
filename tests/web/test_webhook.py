"""The webhook contract: every error code, with nothing stored, and idempotent redelivery."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import redis

from moderator import keys
from moderator.bootstrap import build_web
from moderator.core.signing import HEADER, sign
from moderator.settings import Settings
from moderator.web.app import create_app
from tests.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(webhook={"max_body_bytes": 4096, "max_text_chars": 500})
    app = create_app(build_web(settings, settings.redis_url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
    await app.state.services.aclose()


def signed(body: bytes, *, secret: str = WEBHOOK_SECRET, t: int | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        HEADER: sign(secret, body, int(time.time()) if t is None else t),
    }


def comment(**fields: object) -> bytes:
    return json.dumps(
        {"id": "c1", "text": "The raid on the village was on the news.", **fields}
    ).encode()


def stored_keys(r: redis.Redis) -> list[str]:
    return sorted(r.keys(keys.PREFIX + "*"))


async def test_accepts_and_stores_before_answering(client, redis_client):
    body = comment(
        site="blog",
        author={"id": "u1", "name": "Ana"},
        thread={"id": "t1", "title": "Raid", "url": "https://blog.example/t1"},
    )
    response = await client.post("/v1/comments", content=body, headers=signed(body))
    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "site": "blog", "id": "c1", "revision": 1}
    stored = redis_client.hgetall(keys.comment("blog:c1"))
    assert stored["state"] == "received"
    assert json.loads(stored["comment"])["author"]["name"] == "Ana"
    assert redis_client.xlen(keys.INGEST_STREAM) == 1


async def test_redelivery_of_the_same_text_creates_nothing_new(client, redis_client):
    body = comment()
    first = await client.post("/v1/comments", content=body, headers=signed(body))
    again = comment(author={"id": "u1", "name": "a new display name"})  # same text
    second = await client.post("/v1/comments", content=again, headers=signed(again))
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json() == {"status": "duplicate", "site": "default", "id": "c1", "revision": 1}
    assert redis_client.xlen(keys.INGEST_STREAM) == 1
    stored = json.loads(redis_client.hget(keys.comment("default:c1"), "comment"))
    assert stored["author"]["name"] is None and stored["text"].startswith("The raid")


async def test_a_different_text_under_the_same_id_is_a_new_revision(client, redis_client):
    body = comment()
    first = await client.post("/v1/comments", content=body, headers=signed(body))
    assert first.status_code == 202
    changed = comment(text="a different text under the same id")
    second = await client.post("/v1/comments", content=changed, headers=signed(changed))
    assert second.status_code == 202
    assert second.json() == {"status": "revised", "site": "default", "id": "c1", "revision": 2}
    again = await client.post("/v1/comments", content=changed, headers=signed(changed))
    assert (again.status_code, again.json()["revision"]) == (200, 2)
    stored = redis_client.hgetall(keys.comment("default:c1"))
    assert json.loads(stored["comment"])["text"] == "a different text under the same id"
    assert (stored["revision"], stored["state"]) == ("2", "received")
    entries = redis_client.xrange(keys.INGEST_STREAM)
    assert [(f["ref"], f["rev"]) for _, f in entries] == [("default:c1", "1"), ("default:c1", "2")]
    (old,) = [json.loads(r) for r in redis_client.lrange(keys.revisions("default:c1"), 0, -1)]
    assert old["revision"] == 1 and old["comment"]["text"].startswith("The raid")
    assert old["state"] == "received" and old["record"] is None  # superseded before scoring


async def test_same_id_on_two_sites_is_two_comments(client, redis_client):
    for site in ("a", "b"):
        body = comment(site=site)
        assert (
            await client.post("/v1/comments", content=body, headers=signed(body))
        ).status_code == 202
    assert redis_client.xlen(keys.INGEST_STREAM) == 2


# Built when each test runs (signatures go stale: the suite can take longer than the tolerance).
BAD_REQUESTS = {
    "no signature": lambda: (comment(), {"Content-Type": "application/json"}, 401),
    "wrong secret": lambda: (comment(), signed(comment(), secret="another-secret-0123456789"), 401),
    "stale signature": lambda: (comment(), signed(comment(), t=int(time.time()) - 3600), 401),
    "garbled signature": lambda: (
        comment(),
        {"Content-Type": "application/json", HEADER: "v1=abc"},
        401,
    ),
    "signed other body": lambda: (comment(), signed(comment(text="other")), 401),
    "not json media type": lambda: (b"id=1", signed(b"id=1") | {"Content-Type": "text/plain"}, 415),
    "malformed json": lambda: (b'{"id": "c1", "text": ', signed(b'{"id": "c1", "text": '), 400),
    "invalid utf-8": lambda: (
        b'{"id": "c1", "text": "\xff\xfe"}',
        signed(b'{"id": "c1", "text": "\xff\xfe"}'),
        400,
    ),
    "json array": lambda: (b"[1, 2]", signed(b"[1, 2]"), 422),
    "missing text": lambda: (
        json.dumps({"id": "c1"}).encode(),
        signed(json.dumps({"id": "c1"}).encode()),
        422,
    ),
    "unknown field": lambda: (comment(colour="red"), signed(comment(colour="red")), 422),
    "text too long": lambda: (comment(text="x" * 501), signed(comment(text="x" * 501)), 422),
    "bad site": lambda: (comment(site="a:b"), signed(comment(site="a:b")), 422),
    "javascript url": lambda: (
        comment(thread={"url": "javascript:alert(1)"}),
        signed(comment(thread={"url": "javascript:alert(1)"})),
        422,
    ),
    "lone surrogate": lambda: (
        b'{"id": "c1", "text": "\\ud800"}',
        signed(b'{"id": "c1", "text": "\\ud800"}'),
        422,
    ),
    "body too large": lambda: (comment(text="x" * 5000), signed(comment(text="x" * 5000)), 413),
}


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=list(BAD_REQUESTS))
async def test_bad_requests_get_their_code_and_store_nothing(client, redis_client, case):
    body, headers, status = BAD_REQUESTS[case]()
    before = stored_keys(redis_client)
    response = await client.post("/v1/comments", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["detail"]
    assert stored_keys(redis_client) == before


async def test_422_names_each_bad_field(client):
    body = json.dumps({"id": "", "text": 5, "colour": "red", "author": {"nick": "x"}}).encode()
    response = await client.post("/v1/comments", content=body, headers=signed(body))
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"id", "text", "colour", "author.nick"}


async def test_declared_oversize_is_refused_before_reading(client, redis_client):
    body = comment()
    headers = signed(body) | {"Content-Length": "999999"}
    response = await client.post("/v1/comments", content=body, headers=headers)
    assert response.status_code == 413


async def test_backlog_ceiling_answers_503_and_stores_nothing(make_settings, redis_client):
    settings = make_settings(webhook={"max_backlog": 1})
    app = create_app(build_web(settings, settings.redis_url))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        first, second = comment(id="a"), comment(id="b")
        assert (
            await c.post("/v1/comments", content=first, headers=signed(first))
        ).status_code == 202
        response = await c.post("/v1/comments", content=second, headers=signed(second))
    await app.state.services.aclose()
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert not redis_client.exists(keys.comment("default:b"))


async def test_redis_down_answers_503(make_settings):
    settings = make_settings(redis_url="redis://127.0.0.1:1/0")
    app = create_app(build_web(settings, settings.redis_url))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        body = comment()
        response = await c.post("/v1/comments", content=body, headers=signed(body))
    await app.state.services.aclose()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "Redis" in response.json()["detail"]
