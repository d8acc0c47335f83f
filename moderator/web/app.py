"""The FastAPI application: webhook, review API, UI, health. Never imports torch."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from moderator import __version__
from moderator.bootstrap import WebServices
from moderator.web import (
    actions_api,
    admin_api,
    claims_api,
    health,
    platform_api,
    problems,
    review_api,
    ui,
    ui_admin,
    ui_forms,
    ui_queue,
    webhook,
)

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def create_app(services: WebServices) -> FastAPI:
    """Build the app around ready services; the lifespan runs callback delivery (when a
    callback URL is set and `services.deliver` is true) and closes connections."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = None
        if services.deliverer is not None:
            task = asyncio.create_task(services.deliverer.run(stop))
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            await services.aclose()

    app = FastAPI(title="moderator", version=__version__, lifespan=lifespan)
    app.state.services = services
    problems.install(app)
    app.include_router(webhook.router)
    for module in (review_api, claims_api, actions_api, platform_api, admin_api, health):
        app.include_router(module.router)
    for module in (ui, ui_queue, ui_forms, ui_admin):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    app.add_middleware(SecurityHeaders)
    return app


class SecurityHeaders:
    """Pure ASGI middleware (no per-request task, unlike BaseHTTPMiddleware): CSP and friends on
    every answer; no caching of pages and API answers that carry comments."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = scope["path"].startswith(("/ui", "/login", "/v1"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if no_store:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
