"""The scoring worker: read batches from the ingest stream, score, store, queue, acknowledge.

Guarantees: a message is acknowledged only in the same atomic step that stores its scored
comment, so a crash at any point loses nothing and a redelivery queues nothing twice. Messages
left pending by a dead worker are reclaimed after `claim_idle_ms`. A comment whose scoring keeps
failing (or keeps killing workers) is never left unmoderated: after `max_attempts` it is stored
with a `hold: rule scoring-failed: …` record (core/failure.py), queued in hold, announced in the
feed (and so by callback) and listed as an ingest dead letter that `moderator replay` rescores.
A message for a revision that was superseded before it was scored is acknowledged unscored.

The loop never dies: any error (Redis down or out of memory, a Redis error, a bug) is logged
and retried with backoff, and a batch whose store failed because Redis could not take it is
stored again, not rescored. The loop's heartbeat (adapters/redis/heartbeats.py) says it is
alive. SIGTERM (the stop event) lets the batch in hand finish.

Synchronous scoring requests (adapters/redis/sync.py, worker/sync.py) come first: they are
answered before each batch, while a batch fills (the worker blocks on both streams at once) and
when idle, so a request waits at most for the batch being scored.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from moderator import keys
from moderator.adapters.redis.client import is_cluster
from moderator.adapters.redis.heartbeats import SyncHeartbeat
from moderator.adapters.redis.ingest import Delivery, RedisIngestConsumer
from moderator.adapters.redis.policies import PolicyReloader
from moderator.adapters.redis.sync import RedisSyncConsumer
from moderator.core.failure import failure_record
from moderator.core.ordering import queue_score
from moderator.core.sampling import should_sample
from moderator.core.scoring import ScoringService
from moderator.errors import StoreUnavailableError
from moderator.settings import WorkerSettings
from moderator.worker.sync import SyncServer

log = logging.getLogger("moderator.worker")
_RETRY_S = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
#: On a Redis Cluster with several partitions, the longest an idle worker blocks on partition 0
#: before polling the others again (their streams are on other nodes: no single blocking read).
_CLUSTER_BLOCK_MS = 50
#: The error class in the hold reason of a message that keeps killing its workers.
WORKER_LOST = "WorkerLost"


def retry_delay_s(failures: int) -> float:
    return _RETRY_S[min(failures, len(_RETRY_S) - 1)]


class Worker:
    def __init__(
        self,
        consumer: RedisIngestConsumer,
        service: ScoringService,
        settings: WorkerSettings,
        *,
        clock: Callable[[], float] = time.time,
        touch: Callable[[], None] | None = None,
        reloader: PolicyReloader | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.consumer = consumer
        # The current policy version from Redis, read at most every policy.reload_s.
        self.reloader = reloader
        self.service = service
        self.settings = settings
        self.clock = clock
        # Called once per loop turn: the liveness file `moderator healthcheck` reads, beside
        # the heartbeat in Redis that /healthz and /metrics read.
        self.touch = touch
        self.rng = rng or random.Random()  # the control sample's draws (core/sampling.py)
        self._last_reclaim = 0.0
        self._stop = threading.Event()
        self.scored = 0
        self.held = 0
        self.heartbeat = SyncHeartbeat(consumer.client, "worker", consumer.consumer)
        self.sync = SyncServer(RedisSyncConsumer(consumer.client, consumer.consumer), service)

    def run(self, stop: threading.Event) -> None:
        """Loop until `stop` is set. Nothing ends the loop but `stop`: every error is logged
        and retried with backoff (the heartbeat carries the last one)."""
        self._stop = stop
        self.heartbeat.start()
        failures = 0
        while not stop.is_set():
            if self.touch is not None:
                self.touch()
            try:
                self.consumer.ensure_group()
                self.sync.consumer.ensure_group()
                self.sync.serve(self.sync.consumer.read(self.settings.batch_size))
                batch = self.next_batch()
                if batch:
                    self.process(batch)
                failures = 0
                self._beat(None)
            except Exception as exc:
                delay = retry_delay_s(failures)
                failures += 1
                self._beat(exc, force=True)
                _log_loop_error(exc, delay)
                stop.wait(delay)
        self.heartbeat.stop()

    def _beat(self, error: BaseException | None, *, force: bool = False) -> None:
        info: dict[str, Any] = {"scored": self.scored, "held": self.held}
        if error is not None:
            info["error"] = f"{type(error).__name__}: {error}"[:300]
        self.heartbeat.beat(force=force, **info)

    def next_batch(self) -> list[Delivery]:
        """Reclaimed messages first, then new ones until the batch is full or the wait is over."""
        size, cfg = self.settings.batch_size, self.settings
        batch: list[Delivery] = []
        self.sync.consumer.ensure_group()
        now = time.monotonic()
        if now - self._last_reclaim >= cfg.claim_idle_ms / 2000:
            self._last_reclaim = now
            batch = self._hold_exhausted(self.consumer.reclaim(cfg.claim_idle_ms, size))
            self.sync.consumer.sweep(cfg.claim_idle_ms)
        if not batch:
            batch, _ = self._wait(size, cfg.block_ms)
        deadline = time.monotonic() + cfg.batch_wait_ms / 1000
        while batch and len(batch) < size:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                break
            # a sync request arriving while the batch fills is answered at once
            more, answered = self._wait(size - len(batch), left_ms)
            if not more and not answered:
                break
            batch.extend(more)
        return batch

    def _wait(self, count: int, block_ms: int) -> tuple[list[Delivery], bool]:
        """New messages from any partition, answering the sync requests that come with them
        (and whether there were any).
        One blocking XREADGROUP on the sync stream and every ingest stream; on a Redis Cluster,
        where a command's streams must share a slot, the other partitions are polled first and
        the blocking read (on the sync stream and partition 0, both `{mod}`) is kept short, so
        a comment in another partition waits at most _CLUSTER_BLOCK_MS."""
        first = keys.part(0)
        if is_cluster(self.consumer.client) and keys.partitions() > 1:
            polled = self.consumer.poll(count, skip=first)
            block_ms = 1 if polled else min(block_ms, _CLUSTER_BLOCK_MS)
            requests, entries = self.sync.consumer.wait(
                count, block_ms, [first.ingest], keys.INGEST_GROUP
            )
            self.sync.serve(requests)
            return polled + self.consumer.deliveries(entries), bool(requests)
        requests, entries = self.sync.consumer.wait(
            count, block_ms, [p.ingest for p in keys.parts()], keys.INGEST_GROUP
        )
        self.sync.serve(requests)
        return self.consumer.deliveries(entries), bool(requests)

    def process(self, batch: list[Delivery]) -> None:
        """Score and store a batch; on a model error, retry each comment alone to isolate it."""
        live = []
        for d in batch:
            if d.comment is None or d.superseded:
                self.consumer.ack_missing(d)
            else:
                live.append(d)
        if not live:
            return
        if self.reloader is not None:
            self.service.policy = self.reloader.policy()
        try:
            records = self.service.score([d.comment for d in live if d.comment])
        except Exception as exc:
            if len(live) == 1:
                self._failed(live[0], exc)
                return
            for d in live:
                self.process([d])
            return
        self._store_scored(live, records)

    def _store_scored(self, live: list[Delivery], records: list[Any]) -> None:
        now_ms = int(self.clock() * 1000)
        rate = self.service.policy.sample_rate
        for d, record in zip(live, records, strict=True):
            stored = {**record.to_dict(), "policy_version": self.service.policy.version}
            # the control sample: approved as usual, and also queued for a look (issue 13.2)
            if str(record.action) == "approve" and should_sample(rate, self.rng):
                stored["sampled"] = True
            if self._store(d, stored, now_ms) == "received":
                self.scored += 1

    def _store(
        self,
        delivery: Delivery,
        record: dict[str, Any],
        now_ms: int,
        failed: tuple[str, int] | None = None,
    ) -> str:
        """Store one record; while Redis cannot take it (down, out of memory) try again with
        backoff rather than drop the work, unless the worker is stopping."""
        score = queue_score(record["priority"], delivery.received_ms or now_ms)
        failures = 0
        while True:
            try:
                return self.consumer.store(delivery, record, score, now_ms, failed=failed)
            except StoreUnavailableError as exc:
                if self._stop.is_set():
                    raise
                delay = retry_delay_s(failures)
                failures += 1
                log.warning("Storing %s failed: %s Retrying in %.1f s.", delivery.ref, exc, delay)
                self._beat(exc, force=True)
                self._stop.wait(delay)

    def _failed(self, delivery: Delivery, exc: Exception) -> None:
        error = "".join(traceback.format_exception(exc, limit=3))
        attempts = self.consumer.fail(delivery, error)
        if attempts == 0:  # scored by another worker meanwhile, or superseded
            self.consumer.ack_missing(delivery)
        elif attempts >= self.settings.max_attempts:
            self._hold(delivery, type(exc).__name__, str(exc) or error, attempts, error)
        else:
            log.warning(
                "Scoring %s failed (attempt %d); it will be retried.", delivery.ref, attempts
            )

    def _hold(
        self, delivery: Delivery, error_class: str, message: str, attempts: int, error: str
    ) -> None:
        """Scoring failed for good: hold the comment for a human, with the reason."""
        assert delivery.comment is not None
        record = failure_record(
            delivery.comment, error_class, message, attempts, self.service.scorer.info
        ).to_dict()
        record["policy_version"] = self.service.policy.version
        now_ms = int(self.clock() * 1000)
        if self._store(delivery, record, now_ms, failed=(error, attempts)) == "received":
            self.held += 1
            log.error(
                "Comment %s held for review: scoring failed %d times: %s",
                delivery.ref,
                attempts,
                record["reasons"][0],
            )

    def _hold_exhausted(self, reclaimed: list[Delivery]) -> list[Delivery]:
        """A message handed out more than max_attempts times without being stored keeps killing
        its workers: hold its comment for review instead of scoring it again."""
        keep = []
        for d in reclaimed:
            exhausted = d.deliveries > self.settings.max_attempts
            if exhausted and d.comment is not None and not d.superseded:
                error = f"handed to workers {d.deliveries} times without being stored"
                self._hold(d, WORKER_LOST, error, d.deliveries, error)
            else:
                keep.append(d)
        return keep


def _log_loop_error(exc: Exception, delay: float) -> None:
    if isinstance(exc, StoreUnavailableError):
        log.warning("%s Retrying in %.1f s.", exc, delay)
    else:
        log.exception("Worker loop error (retrying in %.1f s): %s", delay, exc)
