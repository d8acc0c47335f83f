"""The app in process (httpx + ASGITransport) on a real Redis, with helpers to get bearer tokens
and logged-in sessions."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI

from moderator.bootstrap import WebServices, build_web
from moderator.settings import Settings
from moderator.web.app import create_app
from tests.web.seeding import Seeder

PASSWORD = "a long enough password"


@dataclass
class Web:
    app: FastAPI
    services: WebServices
    seeder: Seeder
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def client(self, **headers: str) -> httpx.AsyncClient:
        c = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://test", headers=headers
        )
        self.clients.append(c)
        return c

    async def bearer(self, role: str = "reviewer", name: str = "rita") -> httpx.AsyncClient:
        """A client with a service principal's token, or the user's own token when `name` is
        a user (then `role` is theirs)."""
        auth = self.services.auth
        if name in {u["name"] for u in await auth.list_users()}:
            token = await auth.create_user_token(name)
        else:
            token = await auth.create_token(name, role)
        return self.client(Authorization=f"Bearer {token}")

    async def session(self, name: str = "rita", role: str = "reviewer") -> httpx.AsyncClient:
        """A client logged in through the login form; its `csrf` attribute holds the token."""
        if name not in {u["name"] for u in await self.services.auth.list_users()}:
            await self.services.auth.add_user(name, PASSWORD, role)
        c = self.client()
        await login(c, name, PASSWORD)
        page = await c.get("/ui/queue")
        c.csrf = csrf_of(page.text)  # type: ignore[attr-defined]
        return c


def csrf_of(html: str) -> str:
    found = re.search(r'data-csrf="([^"]+)"', html) or re.search(
        r'name="csrf" value="([^"]+)"', html
    )
    assert found, "no CSRF token on the page"
    return found.group(1)


async def login(c: httpx.AsyncClient, name: str, password: str) -> httpx.Response:
    form = await c.get("/login")
    return await c.post(
        "/login", data={"username": name, "password": password, "csrf": csrf_of(form.text)}
    )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def web_settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(
        review={"lease_s": 60, "undo_window_s": 30},
        # A long first delay: a loaded machine must not let the delay run out between attempts.
        ui={
            "login_max_failures_per_account": 3,
            "login_max_failures_per_address": 5,
            "login_delay_s": 60,
        },
    )


@pytest.fixture
async def web(web_settings: Settings, redis_client: redis.Redis) -> AsyncIterator[Web]:
    app = create_app(build_web(web_settings, web_settings.redis_url))
    running = Web(app, app.state.services, Seeder(redis_client))
    yield running
    for c in running.clients:
        await c.aclose()
    await running.services.aclose()


def refs_of(response: httpx.Response) -> list[str]:
    body: dict[str, Any] = response.json()
    return [i["ref"] for i in body["items"]]
