"""Redis Cluster vs one redis-server: ingest and scoring throughput of the same workload (issue
14).

Per run, on fresh Debian redis-server processes (AOF, fsync always, noeviction: as the topology
tests start them) in a temporary folder: one `moderator serve` and two `moderator worker`
processes (offline model, batch 16) start and beat; then a burst of signed comments is posted as
fast as 16 connections go while the workers score. Throughput is comments per second from the
first post to the last `scored_at`; every post must be answered 202 and scored once (checked).
Standalone: one redis-server, `redis://`. Cluster: three primaries joined with
`redis-cli --cluster create`, `redis+cluster://`. Runs alternate (standalone, cluster,
standalone, …) so a change in the machine's load hits both alike.

Three variants: one redis-server; the cluster with one partition (every key under `{mod}`, on ONE
of the three primaries: the ratio measures the cluster client's overhead); and the cluster with
`redis.partitions = 3` and the comments spread over three sites, one per partition, so each
primary holds a third (moderator/keys.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import services
from bench.bench_e2e import _send
from bench.report import Section

BINARIES = ("redis-server", "redis-cli")
PARTITIONED = "cluster, 3 partitions"
VARIANTS = ("standalone", "cluster", PARTITIONED)
#: Sites in partitions 0, 1 and 2 of three (moderator.keys.partition_of).
PARTITION_SITES = ("es", "blog", "news")


def run(quick: bool) -> Section:
    section = Section("cluster", "Redis Cluster (3 primaries; 1 or 3 partitions) vs one Redis")
    burst, rounds = (100, 1) if quick else (1000, 3)
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        section.line(f"Not run: {', '.join(missing)} not found (`make redis-deps`).")
        return section
    section.line(
        f"Burst of {burst} signed comments per run (16 connections, Python sender) into one "
        "`moderator serve`, scored by two `moderator worker` (offline model, batch 16) as it "
        "arrives; throughput = comments from the first post to the last `scored_at`. Debian "
        "redis-server 7 (AOF, fsync always, noeviction) on loopback: one server (`redis://`), or "
        "three primaries joined by `redis-cli --cluster create` (`redis+cluster://`). Sender, "
        f"API, workers and every Redis share this machine's cores; {rounds} runs of each, "
        "alternating."
    )
    section.line()
    results: dict[str, list[tuple[float, float]]] = {v: [] for v in VARIANTS}
    checks: list[tuple[str, bool]] = []
    for n in range(rounds):
        for topology in results:
            ingest, end_to_end, once = _one(topology, burst, f"r{n}{topology[0]}")
            print(
                f"  {topology}: ingest {ingest:,.0f}/s, first post to last scored "
                f"{end_to_end:,.0f}/s, once {once}",
                flush=True,
            )
            results[topology].append((ingest, end_to_end))
            checks.append((f"{topology} run {n + 1}: every post 202, scored once", once))
    rows = []
    medians = {}
    for topology, runs in results.items():
        medians[topology] = statistics.median(e for _, e in runs)
        rows.append(
            [
                topology,
                ", ".join(f"{i:,.0f}" for i, _ in runs),
                ", ".join(f"{e:,.0f}" for _, e in runs),
                f"{medians[topology]:,.0f}",
            ]
        )
    section.table(
        ["Redis", "ingest 202/s (each run)", "post → scored /s (each run)", "median post → scored"],
        rows,
    )
    for variant in VARIANTS[1:]:
        ratio = medians[variant] / medians["standalone"]
        name = variant[0].upper() + variant[1:]
        section.line(f"**{name} / standalone (medians): {ratio:.2f}×.**")
        section.line()
    section.line(
        "Reading: with one partition every key carries the hash tag `{mod}`, so on the cluster "
        "every command goes to the one primary that owns that slot and the ratio is the price "
        "of the cluster client (redis-py's RedisCluster: slot lookup per command, a pool per "
        "node) on a single-primary load. With `redis.partitions = 3` and the comments spread "
        "over three sites (one per partition), each primary holds and serves a third of the "
        'data (docs/DESIGN.md, "Partitions"); the workers poll the other partitions\' streams. '
        "On this machine the sender, the API, the workers and all three primaries share two "
        "cores and scoring is the bottleneck, so these ratios show client overhead and run "
        "noise more than a gain from spreading; what partitions buy is memory and Redis CPU "
        "per node, which grow with the number of sites."
    )
    spans = {t: (min(e for _, e in runs), max(e for _, e in runs)) for t, runs in results.items()}
    said = []
    for variant in VARIANTS[1:]:
        (low, high), (base_low, base_high) = spans[variant], spans["standalone"]
        overlap = low <= base_high and base_low <= high
        said.append(
            f"{variant}, "
            + ("overlap (the difference is run-to-run noise)" if overlap else "no overlap")
        )
    section.line()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    section.line(
        f"Runs against the standalone runs: {'; '.join(said)}. Load average at the end: {load}."
    )
    section.line()
    for what, met in checks:
        section.target(what, met)
    return section


def _one(topology: str, burst: int, prefix: str) -> tuple[float, float, bool]:
    """(ingest 202/s, first post to last scored /s, every post answered 202 and scored once)."""
    from moderator import keys
    from moderator.adapters.redis.client import connect

    partitions = 3 if topology == PARTITIONED else 1
    keys.configure(partitions)
    sites = PARTITION_SITES if partitions > 1 else (services.SITE,)
    settings = {"redis__partitions": str(partitions)}
    with _redis(topology) as url, _stack(url) as stack:
        api = stack.api(webhook__max_backlog=str(10**9), **settings)
        for _ in range(2):
            stack.worker(model__spec="offline", worker__batch_size="16", **settings)
        client = connect(url)
        try:
            _wait_workers(client, 2)
            started_ms = time.time() * 1000
            phase = asyncio.run(_send(api, None, burst, prefix, sites))
            stamps = _drain(client, phase.accepted)
            # every post answered 202 (none refused) and every 202 scored exactly once
            once = burst == len(stamps) == len(phase.accepted) == _scored_events(client)
        finally:
            client.close()
            keys.configure(1)
    seconds = max(0.001, (max(stamps) - started_ms) / 1000)
    return len(phase.accepted) / phase.seconds, len(stamps) / seconds, once


@contextlib.contextmanager
def _stack(url: str) -> Iterator[services.Stack]:
    with tempfile.TemporaryDirectory(prefix="moderator-bench-") as tmp:
        stack = services.Stack(url, Path(tmp))
        try:
            yield stack
        finally:
            for process in reversed(stack.processes):
                stack.stop(process)


@contextlib.contextmanager
def _redis(topology: str) -> Iterator[str]:
    """Fresh redis-server processes for `topology`; yields the redis_url moderator gets."""
    with tempfile.TemporaryDirectory(prefix="moderator-bench-redis-") as tmp:
        processes: list[subprocess.Popen[bytes]] = []
        try:
            if topology == "standalone":
                port = _free_port()
                processes.append(_server(Path(tmp), port))
                yield f"redis://127.0.0.1:{port}/0"
                return
            ports = [_free_port(bus=True) for _ in range(3)]
            for port in ports:
                processes.append(_server(Path(tmp), port, "--cluster-enabled", "yes"))
            addresses = [f"127.0.0.1:{p}" for p in ports]
            subprocess.run(
                ["redis-cli", "--cluster", "create", *addresses, "--cluster-yes"],
                check=True,
                capture_output=True,
                timeout=60,
            )
            _wait(lambda: all(_cli(p, "cluster", "info").count("cluster_state:ok") for p in ports))
            yield "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in ports)
        finally:
            for process in processes:
                process.kill()
                process.wait()


def _server(tmp: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    workdir = tmp / str(port)
    workdir.mkdir()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(workdir)]
    argv += ["--maxmemory-policy", "noeviction", *extra]
    with (workdir / "log").open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    _wait(lambda: _cli(port, "ping") == "PONG")
    return process


def _cli(port: int, *args: str) -> str:
    out = subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=10
    )
    return out.stdout.strip()


def _free_port(bus: bool = False) -> int:
    """A free loopback port; with `bus`, port + 10000 (the cluster bus) is free too."""
    while True:
        port = services.free_port()
        if not bus:
            return port
        if port + 10000 < 65536:
            with socket.socket() as s, contextlib.suppress(OSError):
                s.bind(("127.0.0.1", port + 10000))
                return port


def _wait(predicate: Any, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {predicate}")
        time.sleep(0.1)


def _wait_workers(client: Any, count: int) -> None:
    from moderator import keys

    _wait(lambda: int(client.hlen(keys.heartbeats("worker"))) >= count, 300)


def _drain(client: Any, refs: list[str], timeout_s: float = 600) -> list[int]:
    """Every ref's `scored_at` (ms), once all are scored."""
    from moderator import keys

    deadline = time.monotonic() + timeout_s
    while True:
        pipe = client.pipeline(transaction=False)
        for ref in refs:
            pipe.hget(keys.comment(ref), "scored_at")
        stamps = [int(v) for v in pipe.execute() if v is not None]
        if len(stamps) == len(refs):
            return stamps
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not score every accepted comment")
        time.sleep(0.2)


def _scored_events(client: Any) -> int:
    from moderator import keys

    return sum(
        1
        for part in keys.parts()
        for _, f in client.xrange(part.feed)
        if json.loads(f["data"])["event"] == "scored"
    )
