"""Answering synchronous scoring requests (adapters/redis/sync.py) in a worker.

Waiting requests are scored a few per call of the scoring service, outside any batch wait. The
language: the detector's confident guess wins over the caller's hint (Coral sends the site's
locale for every comment), the hint is used when the detector is unsure. A request that fails
to score is answered with an error, never left waiting; one past its deadline is dropped
unscored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from moderator.adapters.redis.sync import RedisSyncConsumer, SyncRequest
from moderator.core.scoring import ScoringService

log = logging.getLogger("moderator.worker")
CHUNK = 4  # requests per model call


class SyncServer:
    def __init__(self, consumer: RedisSyncConsumer, service: ScoringService) -> None:
        self.consumer = consumer
        self.service = service
        self.answered = 0
        self.expired = 0

    def serve(self, requests: Sequence[SyncRequest]) -> None:
        """Score the live requests, `CHUNK` per model call (a long comment pads its whole call:
        small calls keep the short ones fast), and answer each as its call ends. A request
        past its deadline (its caller has given up) is acknowledged unscored, checked before
        every call, so a worker that fell behind catches up instead of scoring answers
        nobody reads."""
        waiting = list(requests)
        while waiting:
            now_ms = time.time() * 1000
            for r in waiting:
                if r.deadline_ms <= now_ms:
                    self.consumer.answer(r, {})
                    self.expired += 1
            waiting = [r for r in waiting if r.deadline_ms > now_ms]
            chunk, waiting = waiting[:CHUNK], waiting[CHUNK:]
            if chunk:
                self._score(chunk)

    def _score(self, requests: list[SyncRequest]) -> None:
        try:
            # no sentence pass: Perspective's spans come from the lexicon's matches
            records = self.service.score_hinted(
                [r.comment for r in requests], [r.hint for r in requests], spans=False
            )
        except Exception as exc:
            log.exception("Synchronous scoring failed: %s", exc)
            for r in requests:
                self.consumer.answer(r, {"error": f"{type(exc).__name__}: {exc}"[:300]})
            return
        version = self.service.policy.version
        for r, record in zip(requests, records, strict=True):
            self.consumer.answer(r, {"record": record.to_dict(), "policy_version": version})
            self.answered += 1
