"""Liveness, readiness and Prometheus metrics.

`/metrics` is for the operator's scrapers, not for strangers: with `web.metrics_token` set
(MODERATOR_METRICS_TOKEN) it answers a request carrying `Authorization: Bearer <token>` from
anywhere (Prometheus: `authorization: {credentials: ...}` in the scrape config); without one it
answers only connections from this machine (loopback, after trusted-proxy resolution, so a
request relayed by the reverse proxy for an outside client is refused). Refusals are 401/403
problem documents. `/healthz` and `/readyz` stay open: they say nothing about the comments.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from moderator import __version__, keys
from moderator.adapters.redis_client import DOWN
from moderator.web.openapi import problems
from moderator.web.problems import Problem

router = APIRouter()


def check_scraper(request: Request) -> None:
    """Raise a 401/403 Problem unless the caller may read /metrics (see the module's doc)."""
    token = request.app.state.services.settings.web.metrics_token
    if token:
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            sent.strip().encode(), token.encode()
        ):
            return
        raise Problem(401, "Send the metrics token as 'Authorization: Bearer <token>'.")
    host = request.client.host if request.client else ""
    if not _is_loopback(host):
        raise Problem(
            403,
            "/metrics answers this machine only; set MODERATOR_METRICS_TOKEN to scrape it "
            "from elsewhere with a bearer token.",
        )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def active_model(request: Request) -> dict[str, Any] | None:
    """What the workers score with (they publish it at start-up), or None if unknown."""
    try:
        data = await request.app.state.services.redis.hgetall(keys.MODEL_INFO)
    except DOWN:
        return None
    if not data:
        return None
    return {"name": data["name"], "version": data["version"], "fallback": data["fallback"] == "1"}


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, Any]:
    """Always 200 while the process runs; says which model is active and whether Redis answers."""
    model = await active_model(request)
    try:
        redis_ok = bool(await request.app.state.services.redis.ping())
    except DOWN:
        redis_ok = False
    warning = None
    if model and model["fallback"]:
        warning = (
            f"Detoxify is unavailable: scoring with the offline fallback {model['name']}. "
            "Run `moderator models pull` on a machine with network access."
        )
    return {
        "status": "ok",
        "version": __version__,
        "redis": redis_ok,
        "model": model,
        "warning": warning,
    }


@router.get(
    "/readyz",
    responses={503: {"description": "Redis is unreachable", "content": {"application/json": {}}}},
)
async def readyz(request: Request) -> JSONResponse:
    try:
        await request.app.state.services.redis.ping()
    except DOWN as exc:
        return JSONResponse({"ready": False, "detail": f"Redis is unreachable: {exc}"}, 503)
    return JSONResponse({"ready": True})


@router.get("/metrics", response_class=PlainTextResponse, responses=problems(401, 403))
async def metrics(request: Request) -> str:
    """Prometheus text format: queue sizes, backlogs, dead letters (token or loopback only)."""
    check_scraper(request)
    services = request.app.state.services
    lines: list[str] = []
    try:
        stats = [s for s in await services.queues.stats() if s.name != "recent"]
        pipe = services.redis.pipeline(transaction=False)
        for key in (keys.INGEST_STREAM, keys.DEAD_STREAM, keys.FEED_STREAM):
            pipe.xlen(key)
        pipe.zcard(keys.OUTBOX)
        pipe.zcard(keys.OUTBOX_DEAD)
        backlog, dead, feed, outbox, callback_dead = await pipe.execute()
    except DOWN:
        return "moderator_redis_up 0\n"
    lines.append("moderator_redis_up 1")
    lines.append("# TYPE moderator_queue_items gauge")
    lines += [f'moderator_queue_items{{queue="{s.name}"}} {s.count}' for s in stats]
    for name, value in (
        ("ingest_backlog", backlog),
        ("dead_letters", dead),
        ("feed_events", feed),
        ("outbox_pending", outbox),
        ("callback_dead_letters", callback_dead),
    ):
        lines.append(f"# TYPE moderator_{name} gauge")
        lines.append(f"moderator_{name} {value}")
    return "\n".join(lines) + "\n"
