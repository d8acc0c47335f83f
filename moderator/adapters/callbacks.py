"""Callback delivery from the outbox: each feed event the outbox names is POSTed to the
platform, signed like the webhook, until the platform answers 2xx.

Delivery is at-least-once: the `Idempotency-Key` header lets the platform drop a repeat. It is
the event's feed id with one partition (`redis.partitions`), and `p<K>-<feed id>` with several,
since each partition has its own feed and feed ids repeat across them (outbox.py: `Due.key`);
the payload's `cursor` stays the plain feed id. One comment's events go out in order, one at a
time (redis/outbox.py): a decision's `version` (also in the `X-Moderator-Version` header) is
never delivered before the previous one. Failures are logged and never raised; a failing
endpoint delays only its own entries (exponential backoff with jitter, capped) and never blocks
decisions, which are already stored and already in the pull feed. After `max_attempts` failures
an event is dead-lettered (logged as an error) until an admin replays it.

Each request as a whole (not each phase) is bounded by `callback.timeout_s`, which is 10 s
inside the delivery's lease.

Where an event goes is the business of its site's `DeliveryTarget` (`targets`, injected by the
composition root): `HttpCallback`, our signed POST (the generic and wordpress platforms), or a
platform's own adapter (moderator/integrations/). The outbox guarantees (order, retries, dead
letters, replay) are the same for all of them. A site with no target has its events done with
(logged; the pull feed still has them).

The loop never dies of an error: it logs, backs off and goes on, and beats a heartbeat
(adapters/redis/heartbeats.py) that /healthz and /metrics show.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx
import redis.asyncio as aioredis

from moderator.adapters.redis.client import DOWN
from moderator.adapters.redis.heartbeats import AsyncHeartbeat, process_name
from moderator.adapters.redis.outbox import Due, RedisOutbox
from moderator.core import signing_standard
from moderator.core.signing import HEADER, sign
from moderator.settings import CallbackSettings

log = logging.getLogger("moderator.callbacks")
_CLAIM = 32
VERSION_HEADER = "X-Moderator-Version"
_LEASE_MARGIN_S = 10.0  # the lease is the request's time limit plus this
_RETRY_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class DeliveryTarget(Protocol):
    async def deliver(
        self, http: httpx.AsyncClient, fid: str, payload: dict[str, Any], limit_s: float
    ) -> str | None:
        """Send one event; the error as text, or None when the platform has it. `fid` is the
        event's idempotency key (`Due.key`: the feed id with one partition). Never raises for a
        failure the platform or the network caused; bounded by `limit_s` by the caller."""
        ...


#: The target of a site's events (None: the site has none).
TargetResolver = Callable[[str], Awaitable[DeliveryTarget | None]]


class HttpCallback:
    """Our callback: the event as JSON, POSTed to `url`, signed with `secret` in the site's
    scheme (moderator's `X-Moderator-Signature`, or Standard Webhooks' three headers with the
    idempotency key as `webhook-id`), `Idempotency-Key: <key>` (`Due.key`: the feed id with one
    partition), `X-Moderator-Version` on decisions."""

    def __init__(self, url: str, secret: str, signing: str = "moderator") -> None:
        self.url, self.secret, self.signing = url, secret, signing

    async def deliver(
        self, http: httpx.AsyncClient, fid: str, payload: dict[str, Any], limit_s: float
    ) -> str | None:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": fid}
        now = int(time.time())
        if self.signing == "standard":
            msg_id = "msg_" + str(uuid.uuid5(uuid.NAMESPACE_URL, fid)).replace("-", "")
            headers.update(signing_standard.headers(self.secret, msg_id, body, now))
        else:
            headers[HEADER] = sign(self.secret, body, now)
        if payload.get("version") is not None:
            headers[VERSION_HEADER] = str(payload["version"])
        response = await http.post(self.url, content=body, headers=headers, timeout=limit_s)
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"


class OutboxDeliverer:
    def __init__(
        self,
        client: aioredis.Redis,
        http: httpx.AsyncClient,
        settings: CallbackSettings,
        secret: str,
        *,
        name: str | None = None,
        targets: TargetResolver | None = None,
    ) -> None:
        self._client = client
        self._http = http
        self._settings = settings
        self._secret = settings.secret or secret
        self._targets = targets or self._global_target
        self.outbox = RedisOutbox(client)
        self.delivered = 0
        self.last_error: str | None = None
        self.heartbeat = AsyncHeartbeat(client, "deliverer", name or process_name())

    @property
    def lease_ms(self) -> int:
        """How long a claimed delivery is ours: the whole request is bounded well inside it."""
        return int((self._settings.timeout_s + _LEASE_MARGIN_S) * 1000)

    async def run(self, stop: asyncio.Event, idle_s: float = 0.5) -> None:
        """Deliver until `stop` is set. Nothing else ends the loop: any error (Redis down or
        out of memory, a Redis error, a bug) is logged and retried with backoff; the heartbeat
        carries the last one."""
        failures = 0
        while not stop.is_set():
            # Cleared before the pass, not after it: an entry's own error (say Redis out of
            # memory while its attempt was recorded) is set during the pass and must reach
            # the heartbeat.
            self.last_error = None
            try:
                sent = await self.deliver_due()
                failures = 0
            except Exception as exc:
                sent, delay = 0, _RETRY_S[min(failures, len(_RETRY_S) - 1)]
                failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                if isinstance(exc, DOWN):
                    log.warning("Callback delivery paused, Redis is unreachable: %s", exc)
                else:
                    log.exception("Callback delivery error (retrying in %.1f s): %s", delay, exc)
                await self._beat(force=True)
                await _wait(stop, delay)
                continue
            await self._beat(force=self.last_error is not None)
            if not sent:
                await _wait(stop, idle_s)
        await self.heartbeat.stop()

    async def _beat(self, *, force: bool = False) -> None:
        info: dict[str, Any] = {"delivered": self.delivered}
        if self.last_error:
            info["error"] = self.last_error
        await self.heartbeat.beat(force=force, **info)

    async def deliver_due(self) -> int:
        """Claim and attempt the entries that are due; returns how many were attempted. One
        entry's unexpected error is logged and leaves it leased (retried when the lease ends);
        it never stops the others."""
        now_ms = int(time.time() * 1000)
        lease_end = time.monotonic() + self.lease_ms / 1000
        due = await self.outbox.claim_due(now_ms, self.lease_ms, _CLAIM)
        if due:
            results = await asyncio.gather(
                *(self._deliver(entry, lease_end) for entry in due), return_exceptions=True
            )
            for entry, result in zip(due, results, strict=True):
                if isinstance(result, Exception):
                    self.last_error = f"{type(result).__name__}: {result}"[:300]
                    log.error("Callback %s: %s; retried when its lease ends.", entry.key, result)
        return len(due)

    async def _deliver(self, due: Due, lease_end: float) -> None:
        fid, key = due.fid, due.key
        event = await self.outbox.event(due)
        if event is None:
            await self._vanished(due)
            return
        ref = f"{event.get('site')}:{event.get('id')}"
        target = await self._targets(str(event.get("site")))
        if target is None:
            log.info("Callback %s: site %r has no callback target; done.", key, event.get("site"))
            await self.outbox.delivered(fid, ref, int(time.time() * 1000))
            return
        error = await self._post(target, key, {"cursor": fid, **event}, lease_end)
        now_ms = int(time.time() * 1000)
        if error is None:
            await self.outbox.delivered(fid, ref, now_ms)
            self.delivered += 1
            return
        attempts = await self.outbox.attempts(due) + 1
        delay_s = self.backoff_s(attempts)
        done = await self.outbox.failed(
            due,
            error,
            due_ms=now_ms + int(delay_s * 1000),
            max_attempts=self._settings.max_attempts,
            now_ms=now_ms,
        )
        if done < 0:
            log.error("Callback %s dead-lettered after %d attempts: %s", key, -done, error)
            return
        log.warning(
            "Callback %s failed (attempt %d, next in %.1f s): %s", key, done, delay_s, error
        )

    async def _vanished(self, due: Due) -> None:
        """The event is no longer in the feed: nothing to send, but its comment's later events
        must not wait behind it forever."""
        ref = await self.outbox.ref_of(due.fid, due.part.index)
        log.error("Callback %s: the feed has no such event; skipped (comment %s).", due.key, ref)
        if ref is None:
            await self.outbox.drop(due)
            return
        await self.outbox.delivered(due.fid, ref, int(time.time() * 1000))

    async def _global_target(self, site: str) -> DeliveryTarget | None:
        if not self._settings.url:
            return None
        return HttpCallback(self._settings.url, self._secret)

    async def _post(
        self, target: DeliveryTarget, key: str, payload: dict[str, Any], lease_end: float
    ) -> str | None:
        """Send one event through its target; the error as text, or None when delivered. The
        whole exchange (connect, send, every byte of the answer, every request of an adapter
        that makes several) is bounded by `callback.timeout_s` and by the lease, so a
        slow-drip answer cannot outlive the lease and let a second deliverer send event n
        again after n+1. Errors are returned, never raised (an invalid URL included)."""
        limit_s = min(self._settings.timeout_s, lease_end - time.monotonic() - _LEASE_MARGIN_S / 2)
        if limit_s <= 0:
            return "TimeoutError: the lease ran out before the request could start"
        try:
            async with asyncio.timeout(limit_s):
                return await target.deliver(self._http, key, payload, limit_s)
        except TimeoutError:
            return f"TimeoutError: no complete answer within {limit_s:.1f} s"
        except Exception as exc:
            return describe(exc)

    def backoff_s(self, attempts: int) -> float:
        """base × 2^(attempts-1), capped, with ±20 % jitter so retries do not arrive in step."""
        s = self._settings
        delay: float = min(s.backoff_max_s, s.backoff_base_s * 2 ** min(attempts - 1, 30))
        return delay * random.uniform(0.8, 1.2)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def describe(exc: BaseException) -> str:
    """`Class: message` of the error, looking inside exception groups (anyio wraps some
    connection errors, such as an impossible port, in one)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"
