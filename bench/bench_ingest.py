"""Ingest: signed webhook requests per second and their latency, against one API process
(`moderator serve`: one uvicorn worker) on loopback, with wrk as the load generator.

No scoring worker runs: this measures taking comments in. Every request is a new, validly
signed comment (bench/wrk_signed.lua); afterwards every 202 is checked against Redis (the
ingest stream's length and the comment hashes), so "accepted" means "durably stored": the
embedded Redis appends each write to its AOF with fsync always before answering.
Baseline: the issue's target (1,000 requests/s with p99 ≤ 25 ms), in the same table.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import services
from bench.report import ROOT, Section

TARGET_RPS = 1000
TARGET_P99_MS = 25.0
LUA = ROOT / "bench" / "wrk_signed.lua"


def run(quick: bool) -> Section:
    section = Section("ingest", "Ingest: signed webhooks into Redis (one uvicorn worker)")
    wrk = shutil.which("wrk")
    if wrk is None:
        section.line("wrk is not installed (`apt-get install wrk`; `make bench` does it): skipped.")
        return section
    seconds = 2 if quick else 20
    runs = {
        "moderator serve, saturated": _one_run(wrk, False, seconds, 4 if quick else 8, 0),
        "plain asyncio + h11, saturated": _one_run(wrk, True, seconds, 4 if quick else 8, 0),
        f"moderator serve at {TARGET_RPS:,}/s": _one_run(wrk, False, seconds, 32, TARGET_RPS),
    }
    _report(section, runs, seconds)
    return section


@dataclass
class Run:
    connections: int
    rate: int  # 0: as fast as the connections go
    bodies: int
    wrk: dict
    stored: dict[str, int]

    @property
    def per_s(self) -> float:
        return self.wrk["requests"] / (self.wrk["duration_us"] / 1e6)

    def all_stored(self) -> bool:
        """Every 202 is in Redis; anything else stored is a request in flight when wrk stopped
        (at most one per connection: stored, never answered)."""
        accepted = int(self.wrk["statuses"].get("202", 0))
        other = set(self.wrk["statuses"]) - {"202"}
        in_flight = self.stored["hashes"] - accepted
        return (
            self.stored["stream"] == self.stored["hashes"]
            and 0 <= in_flight <= self.connections
            and not other
        )


def _one_run(wrk: str, baseline: bool, seconds: int, connections: int, rate: int) -> Run:
    """One server on a fresh embedded Redis, loaded by wrk, then what Redis holds."""
    bodies_count = (rate or 5000) * seconds + 5000  # more than wrk can send: none repeats
    with services.stack() as stack, tempfile.TemporaryDirectory() as tmp:
        url = stack.api(baseline=baseline, webhook__max_backlog=str(10**9))
        bodies = Path(tmp) / "bodies.tsv"
        with bodies.open("wb") as f:
            for signature, raw in services.signed_bodies(bodies_count):
                f.write(signature.encode() + b"\t" + raw + b"\n")
        command = [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(LUA),
            url,
            "--",
            str(bodies),
            "1",
            str(rate),
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        result = json.loads(out.split("RESULT ", 1)[1])
        return Run(connections, rate, bodies_count, result, _stored(stack.redis_url))


def _stored(redis_url: str) -> dict[str, int]:
    import redis

    from moderator import keys

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    # wrk has stopped, but a loaded server may still be storing requests it had read: count once
    # the stream has stopped growing (CI once counted the hashes, then a longer stream)
    last, steady, deadline = -1, 0, time.monotonic() + 15
    while steady < 3 and time.monotonic() < deadline:
        length = int(client.xlen(keys.INGEST_STREAM))
        steady = steady + 1 if length == last else 0
        last = length
        time.sleep(0.2)
    hashes = sum(
        1
        for key in client.scan_iter(match=keys.comment(f"{services.SITE}:*"), count=10_000)
        if key.count(":") == keys.comment("a:b").count(":")
    )
    return {"stream": int(client.xlen(keys.INGEST_STREAM)), "hashes": hashes}


def _report(section: Section, runs: dict[str, Run], seconds: int) -> None:
    section.line(
        f"wrk, 1 thread, {seconds} s per run, each request a new signed comment "
        "(bench/wrk_signed.lua). `moderator serve`: uvicorn, one worker process, uvloop + "
        "httptools + hiredis (picked up when installed), access log on, as shipped. Baseline: "
        "the same app on plain asyncio + h11 (`bench/serve_api.py`; hiredis in both). "
        "Saturated: as fast as 8 connections go. Paced: requests on a fixed schedule (32 "
        "connections) at the target rate, so the latency is that of a server at 1,000/s, not "
        "of one queueing at its limit. Each run on a fresh embedded Redis (AOF, fsync always); "
        "wrk, uvicorn and Redis share this machine's cores."
    )
    section.line()
    rows = []
    for name, run in runs.items():
        r = run.wrk
        ms = [f"{r[k] / 1000:.1f} ms" for k in ("p50_us", "p90_us", "p99_us", "p999_us", "max_us")]
        rows.append([name, f"{run.connections}", f"{run.per_s:,.0f}", *ms])
    names = list(runs)
    ratio = runs[names[0]].per_s / runs[names[1]].per_s
    rows.append([f"ratio to the baseline, saturated: **{ratio:.2f}×**", "", "", "", "", "", "", ""])
    rows.append(
        ["target (issue 5)", "", f"≥ {TARGET_RPS:,}", "", "", f"≤ {TARGET_P99_MS:g} ms", "", ""]
    )
    section.table(["run", "conns", "requests/s", "p50", "p90", "p99", "p99.9", "max"], rows)
    for name, run in runs.items():
        accepted = int(run.wrk["statuses"].get("202", 0))
        errors = {k: v for k, v in run.wrk["errors"].items() if v}
        section.line(
            f"- {name}: {accepted:,} × 202, statuses {run.wrk['statuses']}, socket errors "
            f"{errors or 'none'}; in Redis after: {run.stored['stream']:,} stream entries, "
            f"{run.stored['hashes']:,} comment hashes."
        )
    section.line()
    saturated, paced = runs[names[0]], runs[names[2]]
    section.target(f"≥ {TARGET_RPS:,} signed requests/s", saturated.per_s >= TARGET_RPS)
    section.target(
        f"p99 ≤ {TARGET_P99_MS:g} ms at {TARGET_RPS:,}/s",
        paced.wrk["p99_us"] / 1000 <= TARGET_P99_MS and paced.per_s >= 0.95 * TARGET_RPS,
    )
    section.target("every 202 stored", all(run.all_stored() for run in runs.values()))
