"""What the service shows and to whom (issue 9 items 9 and 11): forwarded headers count only
from trusted proxies (client address, Secure cookies with the __Host- prefix, HSTS), the API
docs only where the setting allows, /metrics only to its scrapers; and compose.yaml publishes
the reverse proxy, never uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import yaml

from moderator import keys
from moderator.bootstrap import build_web
from moderator.settings import Settings
from moderator.web.app import create_app
from tests.web.conftest import PASSWORD, csrf_of
from tests.web.live import add_user, serving

ROOT = Path(__file__).resolve().parents[2]
CLIENT = "203.0.113.7"
FORWARDED = {"X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https"}


def _login_through(url: str, password: str) -> tuple[httpx.Response, httpx.Response]:
    """GET /login and POST it as a browser behind the proxy would (cookies sent by hand: a
    Secure cookie is not sent back over the test's plain-http socket by a client)."""
    form = httpx.get(url + "/login", headers=FORWARDED)
    cookie = form.headers["set-cookie"].split(";", 1)[0]
    data = {"username": "rita", "password": password, "csrf": csrf_of(form.text)}
    answer = httpx.post(url + "/login", data=data, headers={**FORWARDED, "Cookie": cookie})
    return form, answer


@pytest.mark.parametrize(
    ("trusted", "behind_proxy"), [(["10.9.9.9"], False), (["127.0.0.0/8", "::1"], True)]
)
def test_forwarded_headers_count_only_from_trusted_proxies(
    make_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    trusted: list[str],
    behind_proxy: bool,
) -> None:
    settings = make_settings(web={"trusted_proxies": trusted})
    add_user(settings.redis_url, "rita")
    with serving(create_app(build_web(settings, settings.redis_url))) as url:
        form, refused = _login_through(url, "wrong password")
        _, accepted = _login_through(url, PASSWORD)
        session = accepted.headers["set-cookie"].split(";", 1)[0]
        page = httpx.get(url + "/ui/queue", headers={**FORWARDED, "Cookie": session})
    assert refused.status_code == 401 and accepted.status_code == 303
    address = CLIENT if behind_proxy else "127.0.0.1"
    assert redis_client.exists(keys.login_failures("addr", address))
    for cookie in (form.headers["set-cookie"], accepted.headers["set-cookie"]):
        flags = {f.strip().lower() for f in cookie.split(";")[1:]}
        assert ("secure" in flags) is behind_proxy, cookie
        assert cookie.startswith("__Host-") is behind_proxy, cookie
        assert "path=/" in flags and not any(f.startswith("domain") for f in flags)
    assert ("strict-transport-security" in form.headers) is behind_proxy
    assert page.status_code == 200  # the session cookie is read back under its own name


@pytest.fixture
async def app_for(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> AsyncIterator[Callable[..., Any]]:
    built: list[Any] = []

    def build(host: str = "127.0.0.1", **web: Any) -> Any:
        settings = make_settings(web=web)
        built.append(create_app(build_web(settings, settings.redis_url), host=host))
        return built[-1]

    yield build
    for app in built:
        app.state.cpu.close()
        await app.state.services.aclose()


async def _get(app: Any, path: str, client: str = "127.0.0.1", **kw: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(client, 40000))
    base = kw.pop("base_url", "http://test")
    async with httpx.AsyncClient(transport=transport, base_url=base) as c:
        return await c.get(path, **kw)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("setting", "host", "served"),
    [
        ("auto", "127.0.0.1", True),
        ("auto", "::1", True),
        ("auto", "0.0.0.0", False),
        ("auto", "192.0.2.10", False),
        ("on", "0.0.0.0", True),
        ("off", "127.0.0.1", False),
    ],
)
async def test_api_docs_are_served_where_the_setting_says(
    app_for: Callable[..., Any], setting: str, host: str, served: bool
) -> None:
    app = app_for(host, api_docs=setting)
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert (await _get(app, path)).status_code == (200 if served else 404), path


@pytest.mark.anyio
async def test_metrics_answer_loopback_or_the_token_holder_only(
    app_for: Callable[..., Any],
) -> None:
    open_app = app_for()
    assert (await _get(open_app, "/metrics")).status_code == 200
    stranger = await _get(open_app, "/metrics", client=CLIENT)
    assert stranger.status_code == 403 and "MODERATOR_METRICS_TOKEN" in stranger.json()["detail"]
    relayed = await _get(open_app, "/metrics", headers={"X-Forwarded-For": CLIENT})
    assert relayed.status_code == 403  # a stranger relayed by the (trusted) proxy
    token = "metrics-token-0123456789abcdef"
    guarded = app_for(metrics_token=token)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
        r = await _get(guarded, "/metrics", client=CLIENT, headers=headers)
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    scraped = await _get(
        guarded, "/metrics", client=CLIENT, headers={"Authorization": f"Bearer {token}"}
    )
    assert scraped.status_code == 200 and "moderator_queue_items" in scraped.text


@pytest.mark.anyio
async def test_hsts_only_on_https_answers(app_for: Callable[..., Any]) -> None:
    app = app_for()
    secure = await _get(app, "/healthz", base_url="https://test")
    assert secure.headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in (await _get(app, "/healthz")).headers
    quiet = app_for(hsts_max_age_s=0)
    assert (
        "strict-transport-security"
        not in (await _get(quiet, "/healthz", base_url="https://test")).headers
    )


def test_compose_publishes_the_proxy_not_uvicorn() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert "ports" not in services["api"] and "ports" not in services["worker"]
    proxy = services["proxy"]
    assert {p.split(":")[-1] for p in proxy["ports"]} == {"80", "443"}
    address = proxy["networks"]["default"]["ipv4_address"]
    assert services["api"]["environment"]["MODERATOR_WEB__TRUSTED_PROXIES"] == f'["{address}"]'
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy api:8000" in caddyfile
