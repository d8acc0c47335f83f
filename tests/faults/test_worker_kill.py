"""kill -9 scoring workers mid-batch, again and again, while 5,000 comments stream in through the
webhook: every accepted comment ends up queued (or approved) exactly once."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest
import redis

from moderator import keys
from tests.faults.harness import (
    Sender,
    api_in_thread,
    assert_each_queued_once,
    consumer_of,
    processes,
    wait_for,
)

pytestmark = pytest.mark.slow

COMMENTS = 5000
WORKERS = 3
MIN_KILLS = 8


def pending_by_consumer(client: redis.Redis) -> dict[str, int]:
    try:
        rows = client.xinfo_consumers(keys.INGEST_STREAM, keys.INGEST_GROUP)
    except redis.ResponseError:  # no group yet
        return {}
    return {row["name"]: int(row["pending"]) for row in rows}


def test_killing_workers_mid_batch_loses_and_duplicates_nothing(
    make_settings, redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    rng = random.Random(5)
    kills_mid_batch = 0
    with processes(redis_url, tmp_path) as procs, api_in_thread(make_settings()) as url:
        workers = [procs.worker() for _ in range(WORKERS)]
        wait_for(lambda: redis_client.exists(keys.MODEL_INFO), 120)
        sender = Sender(url, COMMENTS, per_s=200).start()
        while sender.thread is not None and sender.thread.is_alive():
            time.sleep(rng.uniform(0.3, 1.2))
            pending = pending_by_consumer(redis_client)
            busy = [
                w
                for w in workers
                if w.poll() is None
                and any(pending.get(n, 0) for n in pending if n.startswith(consumer_of(w.pid)))
            ]
            if not busy:
                continue
            victim = rng.choice(busy)
            victim.send_signal(signal.SIGKILL)  # holding read, unacknowledged messages
            victim.wait()
            kills_mid_batch += 1
            workers[workers.index(victim)] = procs.worker()
        sender.join()
        refs = sender.refs()
        assert len(refs) == COMMENTS
        try:
            wait_for(lambda: redis_client.xlen(keys.INGEST_STREAM) == 0, 240, 0.2)
        except AssertionError:
            raise AssertionError(f"the backlog never drained:\n{procs.logs()}") from None
    print(f"{kills_mid_batch} workers killed mid-batch; {sender.refused} answers retried")
    assert kills_mid_batch >= MIN_KILLS, f"only {kills_mid_batch} kills landed mid-batch"
    assert_each_queued_once(redis_client, refs)
