"""Every operation of the app's OpenAPI schema, fuzzed by schemathesis in-process (ASGI) against
the tests' real Redis: no generated request may get a 5xx. Requests carry an admin token, and
webhook bodies a valid signature, so the fuzzing reaches past authentication. Derandomised and
capped per operation, so it runs in bounded time in CI."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from starlette.testclient import TestClient

from moderator.adapters.redis_auth import RedisAuthStore
from moderator.adapters.redis_client import connect_async
from moderator.bootstrap import build_web
from moderator.core.signing import HEADER, sign
from moderator.settings import load_settings
from moderator.web.app import create_app
from tests.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 20


def _app(redis_url: str, data_dir: Path) -> Any:
    settings = load_settings(
        redis_url=redis_url,
        data_dir=data_dir,
        webhook={"secret": WEBHOOK_SECRET},
        ui={"session_secret": "fuzz-session-secret-0123456789abcdef"},
        model={"spec": "offline"},
    )
    return create_app(build_web(settings, redis_url))


# The schema is read at import time (pytest parametrizes from it); serving it needs no Redis,
# so this app's Redis URL is never connected to. Requests go to `fuzz_app`, on the tests' Redis.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", _app("redis://127.0.0.1:1/0", Path(tempfile.gettempdir()))
)


@pytest.fixture(scope="module")
def fuzz_app(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    app = _app(redis_url, tmp_path_factory.mktemp("var"))
    with TestClient(app, raise_server_exceptions=False) as client:
        app.state.fuzz_client = client
        yield app


@pytest.fixture(scope="module")
def admin_token(fuzz_app: Any, redis_url: str) -> str:
    async def create() -> str:
        client = connect_async(redis_url)
        try:
            return await RedisAuthStore(client).create_token("fuzzer", "admin")
        finally:
            await client.aclose()

    return asyncio.run(create())


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_no_request_gets_a_server_error(case: Any, fuzz_app: Any, admin_token: str) -> None:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    headers = {**(kwargs.pop("headers", None) or {}), "Authorization": f"Bearer {admin_token}"}
    if case.method == "POST" and case.path == "/v1/comments" and "json" in kwargs:
        raw = json.dumps(kwargs.pop("json")).encode()
        headers[HEADER] = sign(WEBHOOK_SECRET, raw, int(time.time()))
        headers["Content-Type"] = "application/json"
        kwargs["content"] = raw
    if isinstance(kwargs.get("data"), bytes | str):  # raw bodies go as content
        kwargs["content"] = kwargs.pop("data")
    client = fuzz_app.state.fuzz_client
    client.cookies.clear()  # per-request cookies are deprecated: set them on the client
    for name, value in (kwargs.pop("cookies", None) or {}).items():
        client.cookies.set(name, str(value))
    response = client.request(headers=headers, **kwargs)
    assert response.status_code < 500, (case.method, case.path, response.text[:500])


def test_the_schema_lists_the_webhook() -> None:
    paths = schema.raw_schema["paths"]
    assert "post" in paths["/v1/comments"]
    assert len(paths) > 5
