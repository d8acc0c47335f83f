"""Scale-out on one Redis: ingest and scoring throughput with 1, 2 and 4 `moderator worker`
processes (issue 14).

Per worker count, on a fresh embedded Redis (AOF, fsync always) with one `moderator serve`:
1. the workers start, and each beats (its model loaded, its loop turning); then they are paused
   (SIGSTOP) so the two figures below do not share the cores with each other;
2. ingest: a burst of signed comments posted as fast as 16 connections go (the Python sender),
   202s per second;
3. scoring: the workers resume (SIGCONT) and drain the burst: comments per second from the first
   to the last `scored_at` (moderator's stamps); every 202 must end up scored, once (checked).
Baseline: the same burst with no worker at all (ingest alone). The offline model: what is
measured is the pipeline (Redis, the consumer group, the scripts), not a neural model's speed;
Detoxify's per-core speed is in the scoring section, and a worker holds one core with it.
"""

from __future__ import annotations

import asyncio
import json
import signal
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
        "(AOF, fsync always); sender, API, workers and Redis share this machine's cores. "
        "Ingest is timed with the workers paused, scoring as they drain the burst."
    )
    section.line()
    baseline = _ingest_alone(burst)
    rows = [["no worker (baseline)", f"{baseline:,.0f}", "—", "—"]]
    first, checks = None, []
    for count in (1,) if quick else COUNTS:
        ingest, scored, once = _one(count, burst)
        first = first or scored
        rows.append(
            [f"{count} worker(s)", f"{ingest:,.0f}", f"{scored:,.0f}", f"{scored / first:.2f}×"]
        )
        checks.append((f"{count} worker(s): every 202 scored once", once))
    section.table(["run", "ingest 202/s", "scored/s (drain)", "scoring vs 1 worker"], rows)
    section.line()
    section.line(
        "Reading: the workers, the API, Redis and the sender share 2 cores, so a worker process "
        "adds scoring capacity only where it gets a core of its own: here 2 and 4 workers "
        "contend for the same two. Ingest is bounded by the Python sender on these cores (the "
        "ingest section's wrk figure is the API's own capacity). Scale-out is measured for "
        "correctness here (every 202 scored once with N workers); its capacity is per core, from "
        "the scoring section, times the cores given to workers (the paper estimate above)."
    )
    section.line()
    for what, met in checks:
        section.target(what, met)
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
        workers = [
            stack.worker(model__spec="offline", worker__batch_size="16") for _ in range(count)
        ]
        client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
        deadline = time.monotonic() + 300
        while _consumers(client) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} workers did not all start their loop")
            time.sleep(0.2)
        for worker in workers:
            worker.send_signal(signal.SIGSTOP)
        try:
            phase = asyncio.run(_send(url, None, burst, f"w{count}"))
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGCONT)
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
