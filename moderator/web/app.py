"""The FastAPI application: webhook, review API, UI, health. Never imports torch.

What wraps every request is in middleware.py (proxies, security headers, body limits,
authentication before any /v1 body is read); pages render in a bounded thread pool
(offload.py). `/docs` and `/openapi.json` are served when `web.api_docs` says so ("auto": only
on a loopback bind, where no stranger can read them).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from moderator import __version__
from moderator.bootstrap import WebServices
from moderator.web import (
    actions_api,
    admin_api,
    claims_api,
    health,
    middleware,
    openapi,
    perspective_api,
    platform_api,
    problems,
    review_api,
    second_api,
    ui,
    ui_admin,
    ui_forms,
    ui_insights,
    ui_queue,
    ui_second,
    webhook,
)
from moderator.web.offload import CpuPool

LOOPBACK = "127.0.0.1"


def create_app(services: WebServices, *, host: str = LOOPBACK) -> FastAPI:
    """Build the app around ready services, for a server bound to `host`; the lifespan runs
    callback delivery (when a callback URL is set and `services.deliver` is true) and closes
    connections and the render pool."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = None
        perspective_api.warm(app)
        if services.deliverer is not None:
            task = asyncio.create_task(services.deliverer.run(stop))
        if any(site.platform == "coral" for site in services.settings.sites.values()):
            from moderator.integrations import coral

            await coral.warm(app)  # the phase's lexicon and policy, before the first call
        # The daily archive run (retention, issue 13): one process at a time, by its lease.
        archiving = None
        if services.archive_schedule is not None:
            archiving = asyncio.create_task(services.archive_schedule.run(stop))
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            if archiving is not None:  # a run cut short is resumed by the next (archiver.py)
                archiving.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await archiving
            app.state.cpu.close()
            await services.aclose()

    app = FastAPI(
        title="moderator",
        version=__version__,
        lifespan=lifespan,
        **_docs(services.settings.web.api_docs, host),
    )
    app.state.services = services
    app.state.cpu = CpuPool(services.settings.web.cpu_threads)
    problems.install(app)
    app.include_router(webhook.router)
    for router in integration_routers():
        app.include_router(router)
    app.include_router(perspective_api.router)  # Google's shapes, not in the OpenAPI document
    api = (review_api, claims_api, actions_api, platform_api, admin_api, second_api, health)
    for module in api:
        app.include_router(module.router)
    for module in (ui, ui_queue, ui_forms, ui_admin, ui_insights, ui_second):
        app.include_router(module.router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    routes = [route for module in api for route in module.router.routes]
    app.add_middleware(middleware.Stack, settings=services.settings, routes=routes)
    openapi.install(app)
    return app


def integration_routers() -> list[Any]:
    """The platforms' receiving routes (moderator/integrations/): signed by the platform, not
    authenticated by token."""
    from moderator.integrations import coral, discourse

    return [discourse.router, coral.router]


def _docs(setting: str, host: str) -> dict[str, Any]:
    """FastAPI's docs arguments: the defaults when served, None (no route) when not."""
    if setting == "on" or (setting == "auto" and is_loopback(host)):
        return {}
    return {"docs_url": None, "redoc_url": None, "openapi_url": None}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
