"""Scale-out on one Redis: ingest and scoring throughput with 1, 2 and 4 `moderator worker`
processes (issue 14).

Per worker count, on a fresh embedded Redis (AOF, fsync always) with one `moderator serve`:
1. the workers start, and each beats (its model loaded, its loop turning) before anything is sent;
2. a burst of signed comments is posted as fast as 16 connections go (the Python sender):
   ingest = 202s per second while the workers score alongside;
3. scoring = comments per second from the first to the last `scored_at` (moderator's stamps);
   every 202 must end up scored, once (checked, not timed).
Baseline: the same burst with no worker running (ingest alone). The offline model: what is
measured is the pipeline (Redis, the consumer group, the scripts), not a neural model's speed;
Detoxify's per-core speed is in the scoring section, and a worker holds one core with it.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from bench import services
from bench.bench_e2e import _drain, _fields, _send
from bench.report import Section

COUNTS = (1, 2, 4)


def run(quick: bool) -> Section:
    section = Section("scale", "Scale-out: 1, 2 and 4 worker processes on one Redis")
    burst = 200 if quick else 3000
    section.line(
        f"Burst of {burst} signed comments per run (16 connections, Python sender), one "
        "`moderator serve`, N `moderator worker` (offline model, batch 16), embedded Redis "
        "(AOF, fsync always); sender, API, workers and Redis share this machine's cores."
    )
    section.line()
    baseline = _ingest_alone(burst)
    rows = [["no worker (baseline)", f"{baseline:,.0f}", "—", "—"]]
    first = None
    for count in (1,) if quick else COUNTS:
        ingest, scored, once = _one(count, burst)
        first = first or scored
        rows.append(
            [f"{count} worker(s)", f"{ingest:,.0f}", f"{scored:,.0f}", f"{scored / first:.2f}×"]
        )
        section.target(f"{count} worker(s): every 202 scored once", once)
    section.table(["run", "ingest 202/s", "scored/s", "scoring vs 1 worker"], rows)
    section.line()
    return section


def _ingest_alone(burst: int) -> float:
    with services.stack() as stack:
        url = stack.api(webhook__max_backlog=str(10**9))
        phase = asyncio.run(_send(url, None, burst, "n"))
    return len(phase.accepted) / phase.seconds


def _one(count: int, burst: int) -> tuple[float, float, bool]:
    import redis

    from moderator import keys

    with services.stack() as stack:
        url = stack.api(webhook__max_backlog=str(10**9))
        for _ in range(count):
            stack.worker(model__spec="offline", worker__batch_size="16")
        client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
        deadline = time.monotonic() + 300
        while _consumers(client) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} workers did not all start their loop")
            time.sleep(0.2)
        phase = asyncio.run(_send(url, None, burst, f"w{count}"))
        _drain(stack.redis_url, phase.accepted)
        stamps = sorted(_fields(stack.redis_url, phase.accepted, "scored_at"))
        scored_events = sum(
            1
            for _, f in client.xrange(keys.FEED_STREAM)
            if json.loads(f["data"])["event"] == "scored"
        )
    seconds = max(0.001, (stamps[-1] - stamps[0]) / 1000)
    once = len(stamps) == len(phase.accepted) == scored_events
    return len(phase.accepted) / phase.seconds, (len(stamps) - 1) / seconds, once


def _consumers(client: Any) -> int:
    """Workers whose loop runs (model loaded): their heartbeats."""
    from moderator import keys

    return int(client.hlen(keys.heartbeats("worker")))
