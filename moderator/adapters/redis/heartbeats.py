"""Heartbeats of the background loops (scoring workers, callback deliverers), kept in Redis so
that any API process can show every loop's last sign of life in /healthz and /metrics.

A loop beats at most once a second; a beat never raises (a loop that cannot reach Redis is
already saying so in its own log, and its heartbeat simply ages). A loop that stops cleanly
removes its entry; a killed one leaves it to age, which is what a reader needs to see. Entries
older than a day are dropped when a loop of that role starts.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis

from moderator import keys

log = logging.getLogger("moderator.heartbeats")
ROLES = ("worker", "deliverer")
_EVERY_S = 1.0
_FORGET_MS = 24 * 3600 * 1000


def process_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class _Beat:
    role: str
    name: str
    last_s: float = 0.0

    def due(self, force: bool) -> bool:
        now = time.monotonic()
        if not force and now - self.last_s < _EVERY_S:
            return False
        self.last_s = now
        return True

    def payload(self, info: dict[str, Any]) -> str:
        return json.dumps({"at": int(time.time() * 1000), **info})


class SyncHeartbeat:
    """For the worker's thread (synchronous Redis client)."""

    def __init__(self, client: redis.Redis, role: str, name: str) -> None:
        self._client = client
        self._beat = _Beat(role, name)

    def start(self) -> None:
        try:
            entries = self._client.hgetall(keys.heartbeats(self._beat.role))
            old = [n for n, raw in entries.items() if _age_ms(raw) > _FORGET_MS]
            if old:
                self._client.hdel(keys.heartbeats(self._beat.role), *old)
        except redis.RedisError as exc:
            log.debug("heartbeat clean-up skipped: %s", exc)

    def beat(self, *, force: bool = False, **info: Any) -> None:
        if not self._beat.due(force):
            return
        try:
            self._client.hset(
                keys.heartbeats(self._beat.role), self._beat.name, self._beat.payload(info)
            )
        except redis.RedisError as exc:
            log.debug("heartbeat not written: %s", exc)

    def stop(self) -> None:
        try:
            self._client.hdel(keys.heartbeats(self._beat.role), self._beat.name)
        except redis.RedisError as exc:
            log.debug("heartbeat not removed: %s", exc)


class AsyncHeartbeat:
    """For the callback deliverer (asyncio Redis client)."""

    def __init__(self, client: aioredis.Redis, role: str, name: str) -> None:
        self._client = client
        self._beat = _Beat(role, name)

    async def beat(self, *, force: bool = False, **info: Any) -> None:
        if not self._beat.due(force):
            return
        try:
            await self._client.hset(
                keys.heartbeats(self._beat.role), self._beat.name, self._beat.payload(info)
            )
        except redis.RedisError as exc:
            log.debug("heartbeat not written: %s", exc)

    async def stop(self) -> None:
        try:
            await self._client.hdel(keys.heartbeats(self._beat.role), self._beat.name)
        except redis.RedisError as exc:
            log.debug("heartbeat not removed: %s", exc)


async def read_heartbeats(
    client: aioredis.Redis, role: str, *, stale_s: float
) -> list[dict[str, Any]]:
    """Every known loop of `role`, newest beat first: name, age_s, alive (beat within
    `stale_s`) and what the loop reported (e.g. `error`, `scored`, `delivered`)."""
    entries = await client.hgetall(keys.heartbeats(role))
    now_ms = int(time.time() * 1000)
    out = []
    for name, raw in entries.items():
        info = _parse(raw)
        age_s = max(0.0, (now_ms - int(info.pop("at", 0))) / 1000)
        out.append({"name": name, "age_s": round(age_s, 1), "alive": age_s <= stale_s, **info})
    return sorted(out, key=lambda b: b["age_s"])


def _parse(raw: str) -> dict[str, Any]:
    try:
        info = json.loads(raw)
    except ValueError:
        return {"at": 0}
    return info if isinstance(info, dict) else {"at": 0}


def _age_ms(raw: str) -> int:
    return int(time.time() * 1000) - int(_parse(raw).get("at", 0))
