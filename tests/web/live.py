"""A real uvicorn server in a thread for web tests that need real sockets (event-loop freedom,
body limits, hostile headers): the app as `create_app` builds it, on a free loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from moderator.adapters.redis.auth import RedisAuthStore
from moderator.adapters.redis.client import connect_async
from moderator.core.signing import HEADER, sign
from tests.e2e.harness import free_port
from tests.web.conftest import PASSWORD, csrf_of


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Run `app` under uvicorn on 127.0.0.1; yields its base URL, stops it after."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False
    )  # as `moderator serve` runs it: forwarded headers are the app's business
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def add_user(redis_url: str, name: str, role: str = "reviewer") -> None:
    async def add() -> None:
        client = connect_async(redis_url)
        try:
            await RedisAuthStore(client).add_user(name, PASSWORD, role)
        finally:
            await client.aclose()

    asyncio.run(add())


def make_token(redis_url: str, name: str, role: str = "reviewer") -> str:
    async def create() -> str:
        client = connect_async(redis_url)
        try:
            return await RedisAuthStore(client).create_token(name, role)
        finally:
            await client.aclose()

    return asyncio.run(create())


def login(client: httpx.Client, name: str) -> None:
    """Log `client` in through the login form (the redirect is not followed)."""
    form = client.get("/login")
    r = client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf": csrf_of(form.text)}
    )
    assert r.status_code == 303, r.text


def post_signed(url: str, secret: str, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", HEADER: sign(secret, raw, int(time.time()))}
    return httpx.post(url + "/v1/comments", content=raw, headers=headers, **kwargs)


def raw_post(
    url: str, path: str, headers: dict[str, str], body: bytes, *, chunked: bool = False
) -> tuple[int, dict[str, str], bytes]:
    """POST `body` and read the answer without waiting to send more: with Content-Length set by
    the caller, the rest of a declared body is never sent; `chunked` sends `body` as chunks and
    never the final one. What the server says before the body ends is what comes back."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.putrequest("POST", path, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        step = 65536
        for start in range(0, len(body), step):
            piece = body[start : start + step]
            with contextlib.suppress(OSError):  # the server may stop reading once it has answered
                conn.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()
