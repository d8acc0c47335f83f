"""Callback delivery from the outbox: each feed event the outbox names is POSTed to the
platform, signed like the webhook, until the platform answers 2xx.

Delivery is at-least-once: the `Idempotency-Key` header (the feed id) lets the platform drop a
repeat. One comment's events go out in order, one at a time (redis_outbox.py): a decision's
`version` (also in the `X-Moderator-Version` header) is never delivered before the previous
one. Failures are logged and never raised; a failing endpoint delays only its own entries
(exponential backoff with jitter, capped) and never blocks decisions, which are already stored
and already in the pull feed. After `max_attempts` failures an event is dead-lettered (logged
as an error) until an admin replays it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from typing import Any

import httpx
import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis_client import DOWN
from moderator.adapters.redis_outbox import RedisOutbox
from moderator.core.signing import HEADER, sign
from moderator.settings import CallbackSettings

log = logging.getLogger("moderator.callbacks")
_CLAIM = 32
VERSION_HEADER = "X-Moderator-Version"


class OutboxDeliverer:
    def __init__(
        self,
        client: aioredis.Redis,
        http: httpx.AsyncClient,
        settings: CallbackSettings,
        secret: str,
    ) -> None:
        self._client = client
        self._http = http
        self._settings = settings
        self._secret = settings.secret or secret
        self.outbox = RedisOutbox(client)
        self.delivered = 0

    async def run(self, stop: asyncio.Event, idle_s: float = 0.5) -> None:
        """Deliver until `stop` is set. Redis outages are waited out."""
        while not stop.is_set():
            try:
                sent = await self.deliver_due()
            except DOWN as exc:
                log.warning("Callback delivery paused, Redis is unreachable: %s", exc)
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), idle_s)

    async def deliver_due(self) -> int:
        """Claim and attempt the entries that are due; returns how many were attempted."""
        now_ms = int(time.time() * 1000)
        lease_ms = int((self._settings.timeout_s + 10) * 1000)
        fids = await self.outbox.claim_due(now_ms, lease_ms, _CLAIM)
        if fids:
            await asyncio.gather(*(self._deliver(fid) for fid in fids))
        return len(fids)

    async def _deliver(self, fid: str) -> None:
        event = await self.outbox.event(fid)
        if event is None:  # not in the feed (never trimmed by moderator): nothing to send
            log.error("Callback %s: the feed has no such event; dropped.", fid)
            await self._client.zrem(keys.OUTBOX, fid)
            return
        ref = f"{event.get('site')}:{event.get('id')}"
        error = await self._post(fid, {"cursor": fid, **event})
        now_ms = int(time.time() * 1000)
        if error is None:
            await self.outbox.delivered(fid, ref, now_ms)
            self.delivered += 1
            return
        attempts = int(await self._client.hget(keys.OUTBOX_ATTEMPTS, fid) or 0) + 1
        delay_s = self.backoff_s(attempts)
        done = await self.outbox.failed(
            fid,
            error,
            due_ms=now_ms + int(delay_s * 1000),
            max_attempts=self._settings.max_attempts,
            now_ms=now_ms,
        )
        if done < 0:
            log.error("Callback %s dead-lettered after %d attempts: %s", fid, -done, error)
            return
        log.warning(
            "Callback %s failed (attempt %d, next in %.1f s): %s", fid, done, delay_s, error
        )

    async def _post(self, fid: str, payload: dict[str, Any]) -> str | None:
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(self._secret, body, int(time.time())),
            "Idempotency-Key": fid,
        }
        if payload.get("version") is not None:
            headers[VERSION_HEADER] = str(payload["version"])
        try:
            response = await self._http.post(
                self._settings.url, content=body, headers=headers, timeout=self._settings.timeout_s
            )
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    def backoff_s(self, attempts: int) -> float:
        """base × 2^(attempts-1), capped, with ±20 % jitter so retries do not arrive in step."""
        s = self._settings
        delay: float = min(s.backoff_max_s, s.backoff_base_s * 2 ** min(attempts - 1, 30))
        return delay * random.uniform(0.8, 1.2)
