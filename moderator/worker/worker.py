"""The scoring worker: read batches from the ingest stream, score, store, queue, acknowledge.

Guarantees: a message is acknowledged only in the same atomic step that stores its scored
comment, so a crash at any point loses nothing and a redelivery queues nothing twice. Messages
left pending by a dead worker are reclaimed after `claim_idle_ms`. A message that keeps failing
(or keeps killing workers) goes to the dead-letter stream with its error after `max_attempts`.
SIGTERM (the stop event) lets the batch in hand finish.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable

from moderator.adapters.redis_ingest import Delivery, RedisIngestConsumer
from moderator.core.ordering import queue_score
from moderator.core.scoring import ScoringService
from moderator.errors import StoreUnavailableError
from moderator.settings import WorkerSettings

log = logging.getLogger("moderator.worker")
_STORE_RETRY_S = (0.2, 0.5, 1.0, 2.0, 5.0)


class Worker:
    def __init__(
        self,
        consumer: RedisIngestConsumer,
        service: ScoringService,
        settings: WorkerSettings,
        *,
        clock: Callable[[], float] = time.time,
        heartbeat: Callable[[], None] | None = None,
    ) -> None:
        self.consumer = consumer
        self.service = service
        self.settings = settings
        self.clock = clock
        self.heartbeat = heartbeat  # called once per loop turn (`moderator healthcheck` reads it)
        self._last_reclaim = 0.0
        self.scored = 0

    def run(self, stop: threading.Event) -> None:
        """Loop until `stop` is set; survive Redis outages by waiting and trying again."""
        failures = 0
        while not stop.is_set():
            if self.heartbeat is not None:
                self.heartbeat()
            try:
                self.consumer.ensure_group()
                batch = self.next_batch()
                if batch:
                    self.process(batch)
                failures = 0
            except StoreUnavailableError as exc:
                delay = _STORE_RETRY_S[min(failures, len(_STORE_RETRY_S) - 1)]
                failures += 1
                log.warning("%s Retrying in %.1f s.", exc, delay)
                stop.wait(delay)

    def next_batch(self) -> list[Delivery]:
        """Reclaimed messages first, then new ones until the batch is full or the wait is over."""
        size, cfg = self.settings.batch_size, self.settings
        batch: list[Delivery] = []
        now = time.monotonic()
        if now - self._last_reclaim >= cfg.claim_idle_ms / 2000:
            self._last_reclaim = now
            batch = self._dead_letter_exhausted(self.consumer.reclaim(cfg.claim_idle_ms, size))
        if not batch:
            batch = self.consumer.read(size, cfg.block_ms)
        deadline = time.monotonic() + cfg.batch_wait_ms / 1000
        while batch and len(batch) < size:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                break
            more = self.consumer.read(size - len(batch), left_ms)
            if not more:
                break
            batch.extend(more)
        return batch

    def process(self, batch: list[Delivery]) -> None:
        """Score and store a batch; on a model error, retry each comment alone to isolate it."""
        live = [d for d in batch if d.comment is not None]
        for d in batch:
            if d.comment is None:
                self.consumer.ack_missing(d)
        if not live:
            return
        try:
            records = self.service.score([d.comment for d in live if d.comment])
        except Exception:
            if len(live) == 1:
                self._failed(live[0], traceback.format_exc(limit=3))
                return
            for d in live:
                self.process([d])
            return
        now_ms = int(self.clock() * 1000)
        for d, record in zip(live, records, strict=True):
            score = queue_score(record.priority, d.received_ms or now_ms)
            stored = {**record.to_dict(), "policy_version": self.service.policy.version}
            self.consumer.store(d, stored, score, now_ms)
            self.scored += 1

    def _failed(self, delivery: Delivery, error: str) -> None:
        now_ms = int(self.clock() * 1000)
        attempts = self.consumer.fail(delivery, error, self.settings.max_attempts, now_ms)
        if attempts < 0:
            log.error(
                "Comment %s dead-lettered after %d attempts: %s",
                delivery.ref,
                -attempts,
                error.strip().splitlines()[-1],
            )
        else:
            log.warning(
                "Scoring %s failed (attempt %d); it will be retried.", delivery.ref, attempts
            )

    def _dead_letter_exhausted(self, reclaimed: list[Delivery]) -> list[Delivery]:
        """A message handed out more than max_attempts times without being stored keeps killing
        its workers: dead-letter it instead of scoring it again."""
        keep = []
        for d in reclaimed:
            if d.deliveries > self.settings.max_attempts and d.comment is not None:
                error = f"handed to workers {d.deliveries} times without being stored"
                now_ms = int(self.clock() * 1000)
                self.consumer.fail(d, error, self.settings.max_attempts, now_ms, force=True)
                log.error("Comment %s dead-lettered: %s.", d.ref, error)
            else:
                keep.append(d)
        return keep
