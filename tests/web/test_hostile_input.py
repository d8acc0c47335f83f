"""Hostile requests against a real running server (uvicorn on a socket), issue 8 items 3 and 6:
bodies are capped and never read or parsed before authentication; odd signature headers and
bodies Python's JSON reader refuses answer their 4xx problem document; nothing is stored."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis

from moderator import keys
from moderator.bootstrap import build_web
from moderator.core.signing import HEADER, sign
from moderator.settings import Settings
from moderator.web.app import create_app
from tests.conftest import WEBHOOK_SECRET
from tests.web.live import make_token, raw_post, serving

MAX_BODY = 65536
JSON = {"Content-Type": "application/json"}
#: Every /v1 route that takes a body, but the webhook (its signature covers the body).
BODY_ROUTES = [
    ("POST", "/v1/undo"),
    ("POST", "/v1/bulk"),
    ("POST", "/v1/comments/c1/decision"),
    ("POST", "/v1/comments/c1/notes"),
    ("POST", "/v1/admin/users"),
    ("PATCH", "/v1/admin/users/rita"),
]


@dataclass
class Live:
    url: str
    redis: redis.Redis
    token: str

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **JSON}

    def nothing_stored(self) -> bool:
        return not self.redis.keys(keys.comment("*")) and not self.redis.xlen(keys.INGEST_STREAM)


@pytest.fixture
def live(make_settings: Callable[..., Settings], redis_client: redis.Redis) -> Iterator[Live]:
    settings = make_settings(web={"max_body_bytes": MAX_BODY})
    app = create_app(build_web(settings, settings.redis_url))
    token = make_token(settings.redis_url, "ada", "admin")
    with serving(app) as url:
        yield Live(url, redis_client, token)


def problem(response: httpx.Response | tuple[int, dict[str, str], bytes], status: int) -> Any:
    """The problem document of an answer that must have `status`."""
    if isinstance(response, tuple):
        code, headers, raw = response
    else:
        code, headers, raw = response.status_code, dict(response.headers), response.content
    assert code == status, raw[:300]
    media = {k.lower(): v for k, v in headers.items()}["content-type"]
    assert media.startswith("application/problem+json"), media
    body = json.loads(raw)
    assert body["status"] == status and body["detail"]
    return body


def test_an_unauthenticated_malformed_body_answers_401_not_422(live: Live) -> None:
    for method, path in BODY_ROUTES:
        r = httpx.request(method, live.url + path, content=b"{", headers=JSON)
        problem(r, 401)
        assert r.headers["www-authenticate"] == "Bearer"
    r = httpx.post(live.url + "/v1/undo", content=b"{", headers=live.bearer())
    problem(r, 422)  # authenticated, the same body is parsed and refused


def test_a_10_mb_body_is_refused_without_being_read(live: Live) -> None:
    """Only the first 64 KiB of the declared 10 MB are ever sent: the answer comes without
    the server waiting for (or parsing) the rest. The body would be a 422 if parsed."""
    declared = {"Content-Length": str(10_000_000), **JSON}
    first = b"{" + b" " * 65535
    for headers in (declared, {**declared, "Authorization": f"Bearer {live.token}"}):
        status, _, _ = answer = raw_post(live.url, "/v1/bulk", headers, first)
        assert status in (401, 413)
        problem(answer, status)
    webhook = raw_post(live.url, "/v1/comments", declared, first)
    problem(webhook, 413)
    assert live.nothing_stored()


def test_a_streamed_body_is_cut_at_the_limit(live: Live) -> None:
    """No Content-Length (chunked): counted as it arrives; past the limit, 413."""
    headers = {"Authorization": f"Bearer {live.token}", **JSON}
    items = [{"site": "default", "id": f"c{n}", "version": 1} for n in range(3000)]
    body = json.dumps({"items": items}).encode()
    assert len(body) > MAX_BODY
    problem(raw_post(live.url, "/v1/undo", headers, body, chunked=True), 413)
    small = json.dumps({"items": items[:10]}).encode()
    status, _, _ = raw_post(live.url, "/v1/undo", headers, small + b"", chunked=False)
    assert status == 400  # no Content-Length and not chunked: an empty body, not JSON


ODD_SIGNATURES = [
    b"t=\xb2,v1=00",  # a superscript two: str.isdigit() says yes, int() says no
    b"t=1" + b"0" * 400 + b",v1=00",  # too large for a float
    b"t=" + b"1" * 4301 + b",v1=00",  # past Python's integer-string limit
    b"t=1,v1=\xe9\xe9",  # not ASCII: hmac.compare_digest refuses to compare
]


def test_odd_signature_headers_answer_401(live: Live) -> None:
    body = json.dumps({"id": "s1", "text": "hello"}).encode()
    for header in ODD_SIGNATURES:
        r = httpx.post(live.url + "/v1/comments", content=body, headers={HEADER: header, **JSON})
        problem(r, 401)
    assert live.nothing_stored()


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def big_number(digits: int) -> bytes:
    return b"9" * digits


def with_value(value: bytes) -> bytes:
    return b'{"id": "x1", "text": "hello", "created_at": ' + value + b"}"


def test_signed_bodies_python_cannot_read_answer_400(live: Live) -> None:
    for value in (big_number(5000), deep(100_000)):
        body = with_value(value)
        headers = {HEADER: sign(WEBHOOK_SECRET, body, int(time.time())), **JSON}
        problem(httpx.post(live.url + "/v1/comments", content=body, headers=headers), 400)
    for value in (big_number(5000), deep(30_000)):  # 60 KB: under web.max_body_bytes here
        for method, path in BODY_ROUTES:
            r = httpx.request(
                method, live.url + path, content=with_value(value), headers=live.bearer()
            )
            problem(r, 400)
    assert live.nothing_stored()


def test_undocumented_methods_answer_405_naming_every_method(live: Live) -> None:
    """Issue 8 item 7: Starlette named only the first matching route's methods in `Allow`."""
    expected = {
        "/v1/claims/c1": "DELETE, POST",
        "/v1/comments": "POST",
        "/v1/comments/c1": "GET",
        "/v1/admin/users/rita": "PATCH",
    }
    for path, allow in expected.items():
        for method in ("OPTIONS", "PUT"):
            r = httpx.request(method, live.url + path, headers=live.bearer())
            problem(r, 405)
            assert r.headers["allow"] == allow, (method, path)
