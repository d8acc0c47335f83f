"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from moderator import __version__, keys
from moderator.adapters.redis_client import DOWN

router = APIRouter()


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


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    try:
        await request.app.state.services.redis.ping()
    except DOWN as exc:
        return JSONResponse({"ready": False, "detail": f"Redis is unreachable: {exc}"}, 503)
    return JSONResponse({"ready": True})


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> str:
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
