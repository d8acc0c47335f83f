"""Callback delivery from the outbox: each feed event the outbox names is POSTed to the
platform, signed like the webhook, until the platform answers 2xx.

Delivery is at-least-once: the `Idempotency-Key` header (the feed id) lets the platform drop a
repeat. Failures are logged and never raised; a failing endpoint delays only its own entries
(exponential backoff with jitter, capped) and never blocks decisions, which are already stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time

import httpx
import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters import redis_scripts
from moderator.adapters.redis_client import DOWN
from moderator.core.signing import HEADER, sign
from moderator.settings import CallbackSettings

log = logging.getLogger("moderator.callbacks")
_CLAIM = 32


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
        self._claim = client.register_script(redis_scripts.CLAIM_DUE)
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
        fids = await self._claim(keys=[keys.OUTBOX], args=[now_ms, lease_ms, _CLAIM])
        if fids:
            await asyncio.gather(*(self._deliver(fid) for fid in fids))
        return len(fids)

    async def _deliver(self, fid: str) -> None:
        entries = await self._client.xrange(keys.FEED_STREAM, min=fid, max=fid)
        if not entries:  # trimmed from the feed: nothing left to send
            await self._client.zrem(keys.OUTBOX, fid)
            return
        body = json.dumps({"cursor": fid, **json.loads(entries[0][1]["data"])}).encode()
        error = await self._post(fid, body)
        if error is None:
            pipe = self._client.pipeline(transaction=True)
            pipe.zrem(keys.OUTBOX, fid)
            pipe.hdel(keys.OUTBOX_ATTEMPTS, fid)
            pipe.hdel(keys.OUTBOX_ERRORS, fid)
            await pipe.execute()
            self.delivered += 1
            return
        attempts = int(await self._client.hincrby(keys.OUTBOX_ATTEMPTS, fid, 1))
        delay_s = self.backoff_s(attempts)
        pipe = self._client.pipeline(transaction=True)
        pipe.hset(keys.OUTBOX_ERRORS, fid, error)
        pipe.zadd(keys.OUTBOX, {fid: int((time.time() + delay_s) * 1000)})
        await pipe.execute()
        log.warning(
            "Callback %s failed (attempt %d, next in %.1f s): %s", fid, attempts, delay_s, error
        )

    async def _post(self, fid: str, body: bytes) -> str | None:
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(self._secret, body, int(time.time())),
            "Idempotency-Key": fid,
        }
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
