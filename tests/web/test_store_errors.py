"""A Redis error no adapter translated still answers 503 (down, or switching primaries) and a
bug still answers 500: problems.install's handlers, on a real ASGI app."""

from __future__ import annotations

import httpx
import pytest
import redis
from fastapi import FastAPI

from moderator.web import problems

pytestmark = pytest.mark.anyio


def _app() -> FastAPI:
    app = FastAPI()
    problems.install(app)
    raised = {
        "readonly": redis.exceptions.ReadOnlyError("You can't write against a read only replica."),
        "down": redis.ConnectionError("Error 111 connecting to 10.0.0.1:6379."),
        "clusterdown": redis.exceptions.ClusterDownError("The cluster is down"),
        "other": redis.ResponseError("WRONGTYPE Operation against a key"),
        "bug": ValueError("a bug"),
    }

    @app.get("/{name}")
    async def fail(name: str) -> None:
        raise raised[name]

    return app


@pytest.mark.parametrize(
    ("name", "status", "words"),
    [
        ("readonly", 503, "switching primaries"),
        ("down", 503, "unreachable"),
        ("clusterdown", 503, "switching primaries"),
        ("other", 500, "failed to handle"),
        ("bug", 500, "failed to handle"),
    ],
)
async def test_untranslated_redis_errors_answer_503_and_bugs_500(
    name: str, status: int, words: str
) -> None:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get(f"/{name}")
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert words in answer.json()["detail"]
