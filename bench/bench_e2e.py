"""End to end: webhook → scored and reviewable, at a rate the worker holds and past it.

Per model (the offline model; the bert-base-shaped checkpoint as the worker would run it,
ONNX int8): one API process (`moderator serve`), one `moderator worker`, the embedded Redis.
1. Capacity: queue a burst before the worker starts, time how fast it drains it (its
   comments/s: the baseline the other phases are set against).
2. Sustained: wrk on a fixed schedule at 60 % of that for a while; webhook latency (sender side)
   and webhook → scored latency (`scored_at - received_at`, both stamped by moderator).
3. Overload: 250 % of capacity with `webhook.max_backlog` set to ~1.5 s of work: the backlog
   grows to the ceiling, the webhook keeps answering fast (503 + Retry-After above it), and
   afterwards every 202 is scored, no 503 left anything behind, nothing is dead-lettered.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import checkpoints, services
from bench.bench_ingest import LUA
from bench.report import Section

SUSTAINED_SHARE = 0.6
OVERLOAD_SHARE = 2.5
BACKLOG_SECONDS = 1.5


@dataclass
class Phase:
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)  # refs answered 202
    refused: list[str] = field(default_factory=list)  # refs answered 503
    seconds: float = 0.0
    percentiles_ms: tuple[float, float, float] | None = None  # p50, p90, p99 from wrk
    in_flight: int = 0  # stored, but unanswered when wrk stopped (at most one per connection)


def run(quick: bool) -> Section:
    section = Section("e2e", "End to end: webhook to reviewable")
    models = [("offline", "offline", {})]
    if not quick:
        built = checkpoints.build("original")
        onnx = built.checkpoint.parent / "onnx" / "model.int8.onnx"
        if not onnx.is_file():
            from bench.bench_scoring import _export

            _export(built, "original")
        models.append(("bert-base-shaped, ONNX int8", f"onnx:{onnx}", {}))
    section.line(
        "One `moderator serve`, one `moderator worker` (batch 16), embedded Redis (AOF, fsync "
        "always), wrk sending on a fixed schedule (bench/wrk_signed.lua), all on the same "
        "cores. Latency to reviewable = `scored_at - received_at` as moderator stamps them "
        "(the comment is in its queue, or approved, from then on)."
    )
    section.line()
    for label, spec, _ in models:
        _one_model(section, label, spec, quick)
    return section


def _one_model(section: Section, label: str, spec: str, quick: bool) -> None:
    burst = 300 if quick else (3000 if spec == "offline" else 200)
    sustain_s = 3 if quick else (20 if spec == "offline" else 30)
    overload_s = 6 if quick else 15
    with services.stack() as stack:
        url = stack.api(webhook__max_backlog=str(10**9))
        capacity = _capacity(stack, url, spec, burst)
        sustained = _paced(url, stack.redis_url, SUSTAINED_SHARE * capacity, sustain_s, "s")
        _drain(stack.redis_url, sustained.accepted)
        reviewable = _reviewable_ms(stack.redis_url, sustained.accepted)
        assert stack.api_process is not None
        stack.stop(stack.api_process)  # restart the API with a backlog ceiling
        ceiling = max(10, int(capacity * BACKLOG_SECONDS))
        url = stack.api(webhook__max_backlog=str(ceiling))
        overload = _paced(url, stack.redis_url, OVERLOAD_SHARE * capacity, overload_s, "o")
        peak_backlog = _backlog(stack.redis_url)
        drain_started = time.monotonic()
        _drain(stack.redis_url, overload.accepted)
        drain_s = time.monotonic() - drain_started
        check = _check(stack.redis_url, overload)
    _report(section, label, capacity, sustained, reviewable, overload, ceiling, check)
    section.line(
        f"Backlog when the overload stopped: {peak_backlog} (ceiling {ceiling}); drained in "
        f"{drain_s:.1f} s after."
    )
    section.line()


def _capacity(stack: services.Stack, url: str, spec: str, count: int) -> float:
    """Comments per second one worker scores: a burst is queued before the worker starts,
    then timed from its first to its last `scored_at` (the sender does not compete)."""
    burst = asyncio.run(_send(url, None, count, "c"))
    stack.worker(model__spec=spec, worker__batch_size="16")
    _drain(stack.redis_url, burst.accepted)
    stamps = sorted(_fields(stack.redis_url, burst.accepted, "scored_at"))
    return (len(stamps) - 1) / max(0.001, (stamps[-1] - stamps[0]) / 1000)


async def _send(
    url: str,
    rate: float | None,
    amount: float,
    prefix: str,
    sites: tuple[str, ...] = (services.SITE,),
) -> Phase:
    """Open loop at `rate` per second for `amount` seconds; or, with rate None, `amount`
    comments as fast as 16 connections go."""
    import httpx

    count = int(amount) if rate is None else max(1, int(rate * amount))
    bodies = services.signed_bodies(count, prefix=f"{prefix}{services.run_id()}-", sites=sites)
    phase = Phase(sent=count)
    # Idle connections expire before uvicorn's 5 s keep-alive closes them under us.
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        gate = asyncio.Semaphore(16 if rate is None else 64)
        started = time.monotonic()

        async def post(n: int, signature: str, raw: bytes) -> None:
            if rate is not None:
                await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            headers = {"Content-Type": "application/json", "X-Moderator-Signature": signature}
            async with gate:
                sent = time.perf_counter()
                try:
                    r = await client.post("/v1/comments", content=raw, headers=headers)
                except httpx.TransportError:  # closed under us: resend, as a platform would
                    r = await client.post("/v1/comments", content=raw, headers=headers)
            phase.latencies_ms.append((time.perf_counter() - sent) * 1000)
            phase.statuses[r.status_code] = phase.statuses.get(r.status_code, 0) + 1
            ref = _ref(raw) if r.status_code == 202 else None
            if ref:
                phase.accepted.append(ref)
            elif r.status_code == 503:
                phase.refused.append(_ref(raw))

        await asyncio.gather(*(post(n, s, b) for n, (s, b) in enumerate(bodies)))
        phase.seconds = time.monotonic() - started
    return phase


def _paced(url: str, redis_url: str, rate: float, seconds: int, letter: str) -> Phase:
    """`rate` comments per second for `seconds`, on a fixed schedule: wrk (bench/wrk_signed.lua)
    when installed, since a sender must outrun the worker while sharing its cores and measure
    latency without adding its own; else the Python sender."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return asyncio.run(_send(url, rate, seconds, letter))
    connections = 32
    prefix = f"{letter}{services.run_id()}-"
    with tempfile.TemporaryDirectory() as tmp:
        bodies = Path(tmp) / "bodies.tsv"
        with bodies.open("wb") as f:
            for signature, raw in services.signed_bodies(int(rate * seconds) + 1000, prefix=prefix):
                f.write(signature.encode() + b"\t" + raw + b"\n")
        command = [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            url,
            "--",
            str(bodies),
            "1",
            str(int(rate)),
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    r = json.loads(out.split("RESULT ", 1)[1])
    stored = _refs_with_prefix(redis_url, prefix)
    statuses = {int(k): int(v) for k, v in r["statuses"].items()}
    phase = Phase(
        sent=int(r["requests"]),
        statuses=statuses,
        accepted=stored,
        refused=["?"] * statuses.get(503, 0),
        seconds=r["duration_us"] / 1e6,
        percentiles_ms=(r["p50_us"] / 1000, r["p90_us"] / 1000, r["p99_us"] / 1000),
        in_flight=len(stored) - statuses.get(202, 0),
    )
    assert 0 <= phase.in_flight <= connections, "a 202 is missing from Redis"
    return phase


def _refs_with_prefix(redis_url: str, prefix: str) -> list[str]:
    import redis

    from moderator import keys

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    pattern = keys.comment(f"{services.SITE}:{prefix}*")
    return [
        key.removeprefix(keys.comment("")) for key in client.scan_iter(match=pattern, count=10_000)
    ]


def _ref(raw: bytes) -> str:
    import json

    comment = json.loads(raw)
    return f"{comment['site']}:{comment['id']}"


def _fields(redis_url: str, refs: list[str], name: str) -> list[int]:
    import redis

    from moderator import keys

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    pipe = client.pipeline(transaction=False)
    for ref in refs:
        pipe.hget(keys.comment(ref), name)
    return [int(v) for v in pipe.execute() if v is not None]


def _drain(redis_url: str, refs: list[str], timeout_s: float = 600) -> None:
    """Until every one of `refs` is scored."""
    deadline = time.monotonic() + timeout_s
    while len(_fields(redis_url, refs, "scored_at")) < len(refs):
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not score every accepted comment")
        time.sleep(0.2)


def _reviewable_ms(redis_url: str, refs: list[str]) -> list[int]:
    scored = _fields(redis_url, refs, "scored_at")
    received = _fields(redis_url, refs, "received_at")
    return [s - r for s, r in zip(scored, received, strict=True)]


def _backlog(redis_url: str) -> int:
    import redis

    from moderator import keys

    return int(redis.Redis.from_url(redis_url).xlen(keys.INGEST_STREAM))


def _check(redis_url: str, overload: Phase) -> dict[str, int]:
    """After the drain: refused comments left nothing; accepted ones are all scored once."""
    import redis

    from moderator import keys

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    pipe = client.pipeline(transaction=False)
    for ref in overload.refused:
        if ref != "?":  # wrk does not say which: then the 202 count checks it (_overload)
            pipe.exists(keys.comment(ref))
    leftovers = sum(pipe.execute())
    return {
        "refused_left_behind": leftovers,
        "scored": len(_fields(redis_url, overload.accepted, "scored_at")),
        "dead": int(client.xlen(keys.DEAD_STREAM)),
        "backlog": int(client.xlen(keys.INGEST_STREAM)),
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _report(
    section: Section,
    label: str,
    capacity: float,
    sustained: Phase,
    reviewable: list[int],
    overload: Phase,
    ceiling: int,
    check: dict[str, int],
) -> None:
    section.line(f"### {label}")
    section.line()
    s_rate = sustained.sent / sustained.seconds
    o_rate = overload.sent / overload.seconds
    section.table(
        [
            "phase",
            "offered",
            "answers",
            "webhook latency",
            "webhook → reviewable p50 / p95",
        ],
        [
            [
                "capacity",
                "a burst queued before the worker starts",
                "",
                "",
                f"worker: **{capacity:.1f} comments/s** (baseline)",
            ],
            [
                f"sustained, {SUSTAINED_SHARE:.0%} of capacity",
                f"{s_rate:.1f}/s × {sustained.seconds:.0f} s",
                _statuses(sustained),
                _latency(sustained.latencies_ms, sustained.percentiles_ms),
                f"{statistics.median(reviewable):.0f} / {_pct(reviewable, 0.95):.0f} ms",
            ],
            [
                f"overload, {OVERLOAD_SHARE:.0%} of capacity",
                f"{o_rate:.1f}/s × {overload.seconds:.0f} s",
                _statuses(overload),
                _latency(overload.latencies_ms, overload.percentiles_ms),
                "",
            ],
        ],
    )
    section.line(
        f"Overload with `webhook.max_backlog = {ceiling}`: {len(overload.refused)} answered 503 "
        f"(none left anything in Redis: {check['refused_left_behind'] == 0}); "
        f"{check['scored']} of {len(overload.accepted)} accepted scored after the drain; "
        f"dead letters {check['dead']}; backlog left {check['backlog']}."
    )
    section.line()
    section.target(
        f"{label}: nothing dropped past capacity (every 202 scored, every 503 stored nothing)",
        check["scored"] == len(overload.accepted)
        and check["refused_left_behind"] == 0
        and check["dead"] == 0,
    )
    section.target(f"{label}: the ceiling answers 503 under overload", len(overload.refused) > 0)


def _statuses(phase: Phase) -> str:
    return ", ".join(f"{n} × {code}" for code, n in sorted(phase.statuses.items()))


def _latency(values: list[float], from_wrk: tuple[float, float, float] | None = None) -> str:
    if from_wrk:  # wrk reports p90, not p95
        return " / ".join(f"{v:.1f}" for v in from_wrk) + " ms (p50 / p90 / p99, wrk)"
    return " / ".join(f"{_pct(values, q):.1f}" for q in (0.5, 0.95, 0.99)) + " ms"
