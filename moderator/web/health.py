"""Liveness, readiness and Prometheus metrics.

`/metrics` is for the operator's scrapers, not for strangers: with `web.metrics_token` set
(MODERATOR_METRICS_TOKEN) it answers a request carrying `Authorization: Bearer <token>` from
anywhere (Prometheus: `authorization: {credentials: ...}` in the scrape config); without one it
answers only connections from this machine (loopback, after trusted-proxy resolution, so a
request relayed by the reverse proxy for an outside client is refused). Refusals are 401/403
problem documents. `/healthz` and `/readyz` stay open: they say nothing about the comments.

- `/healthz` answers 200 while the process runs, with the details an operator needs: Redis
  reachable, the active model, whether a 202 would survive a crash (Redis's persistence
  settings, adapters/redis/durability.py), and the heartbeat of every scoring worker and
  callback deliverer (alive when it beat within `worker.heartbeat_stale_s`).
- `/readyz` means "this process can serve": Redis reachable and writable (a short-lived key is
  written, so an out-of-memory or read-only Redis fails it). It never looks at workers: a dead
  worker must not take the API out of a load balancer (the webhook still stores comments).
- `/metrics`: queue sizes, backlogs, dead letters, and heartbeat ages (the streams and sets
  that are split by partition summed over the partitions).
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import time
from typing import Any

import redis
import redis.asyncio as aioredis
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from moderator import __version__, keys
from moderator.adapters.redis.client import DOWN, is_out_of_memory
from moderator.adapters.redis.durability import acheck
from moderator.adapters.redis.heartbeats import ROLES, read_heartbeats
from moderator.web.openapi import problems
from moderator.web.problems import Problem
from moderator.web.sla import agreement_metrics, sla_metrics

router = APIRouter()
_PROBE_TTL_MS = 60_000


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


async def _loops(request: Request) -> dict[str, list[dict[str, Any]]]:
    services = request.app.state.services
    stale_s = services.settings.worker.heartbeat_stale_s
    return {
        f"{role}s": await read_heartbeats(services.redis, role, stale_s=stale_s) for role in ROLES
    }


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, Any]:
    """Always 200 while the process runs; says which model is active, whether Redis answers,
    whether its settings keep a 202 through a crash, and how the background loops are."""
    services = request.app.state.services
    model = await active_model(request)
    durability: dict[str, Any] | None = None
    loops: dict[str, list[dict[str, Any]]] = {"workers": [], "deliverers": []}
    warnings: list[str] = []
    policy = None
    try:
        redis_ok = bool(await services.redis.ping())
        policy = await services.redis.get(keys.POLICY_CURRENT)  # issue 13: versions in Redis
        durability = (await acheck(services.redis)).to_dict()
        loops = await _loops(request)
    except DOWN:
        redis_ok = False
    except redis.RedisError as exc:  # answered, but not as expected: say so, stay 200
        redis_ok = True
        warnings.append(f"Redis answered a health read with an error: {exc}")
    warnings += list(durability["warnings"]) if durability else []
    warning = None
    if model and model["fallback"]:
        warning = (
            f"Detoxify is unavailable: scoring with the offline fallback {model['name']}. "
            "Run `moderator models pull` on a machine with network access."
        )
    if redis_ok and not any(w["alive"] for w in loops["workers"]):
        warnings.append("No scoring worker has beaten recently: accepted comments wait.")
    return {
        "status": "ok",
        "version": __version__,
        "redis": redis_ok,
        "model": model,
        "policy": policy,
        "warning": warning,
        "warnings": warnings,
        "durability": durability,
        **loops,
    }


@router.get(
    "/readyz",
    responses={
        503: {
            "description": "Redis is unreachable or refuses writes",
            "content": {"application/json": {}},
        }
    },
)
async def readyz(request: Request) -> JSONResponse:
    """200 when Redis is reachable and takes a write; 503 otherwise (never about workers)."""
    client = request.app.state.services.redis
    try:
        await client.set(keys.READY_PROBE, int(time.time() * 1000), px=_PROBE_TTL_MS)
    except DOWN as exc:
        return JSONResponse({"ready": False, "detail": f"Redis is unreachable: {exc}"}, 503)
    except redis.RedisError as exc:
        why = "out of memory" if is_out_of_memory(exc) else "refusing writes"
        return JSONResponse({"ready": False, "detail": f"Redis is {why}: {exc}"}, 503)
    return JSONResponse({"ready": True})


@router.get("/metrics", response_class=PlainTextResponse, responses=problems(401, 403))
async def metrics(request: Request) -> str:
    """Prometheus text format: queue sizes, backlogs, dead letters (token or loopback only)."""
    check_scraper(request)
    services = request.app.state.services
    lines: list[str] = []
    try:
        stats = [s for s in await services.queues.stats() if s.name != "recent"]
        backlog, dead, feed, outbox, callback_dead = await _sizes(services.redis)
        loops = await _loops(request)
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
    lines += _heartbeat_lines(loops)
    with contextlib.suppress(*DOWN):  # queue SLA and agreement (issue 13 section 4): web/sla.py
        lines += await sla_metrics(request, stats, int(time.time() * 1000))
        lines += await agreement_metrics(request)
    return "\n".join(lines) + "\n"


async def _sizes(client: aioredis.Redis) -> list[int]:
    """Ingest backlog, ingest dead letters, feed events, callbacks pending and callback dead
    letters, each summed over the partitions (one pipeline)."""
    pipe = client.pipeline(transaction=False)
    for part in keys.parts():
        for key in (part.ingest, part.dead, part.feed):
            pipe.xlen(key)
        pipe.zcard(part.outbox)
        pipe.zcard(part.outbox_dead)
    found = await pipe.execute()
    return [sum(found[i::5]) for i in range(5)]


def _heartbeat_lines(loops: dict[str, list[dict[str, Any]]]) -> list[str]:
    lines = []
    for role in ROLES:
        beats = loops[f"{role}s"]
        lines.append(f"# TYPE moderator_{role}s_alive gauge")
        lines.append(f"moderator_{role}s_alive {sum(1 for b in beats if b['alive'])}")
        lines.append(f"# TYPE moderator_{role}_heartbeat_age_seconds gauge")
        lines += [
            f'moderator_{role}_heartbeat_age_seconds{{name="{_label(b["name"])}"}} {b["age_s"]}'
            for b in beats
        ]
    return lines


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
