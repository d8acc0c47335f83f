"""Logins under attack: how many passwords 30 parallel wrong logins get checked against an
allowance of 5, and how long `/healthz` takes while bursts of logins are being checked.

The API runs as a subprocess on an embedded Redis (bench/serve_login.py); this process is the
load generator. Every password check is a 401 (a refused attempt, 429, checks nothing), so
the count of 401s is the count of checks. The burst: rounds of 30 parallel wrong logins, each
for a different account (so every one is checked: the limit does not hide the cost), while a
prober sends `GET /healthz` every 20 ms. Baseline, in the same run: the same server with argon2
on the event loop (how it ran before issue 8).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bench import services
from bench.report import Section

PASSWORD = "the right password"
PARALLEL = 30
ALLOWANCE = 5


def run(quick: bool) -> Section:
    section = Section("login", "Logins: the limit under concurrency, /healthz during a burst")
    rounds = 1 if quick else 4
    results = {}
    with services.stack() as stack:
        asyncio.run(_add_users(stack.redis_url, PARALLEL + 1))
        for name, on_loop in (
            ("argon2 in a thread pool (moderator)", False),
            ("argon2 on the event loop (baseline)", True),
        ):
            results[name] = _measure(stack, on_loop, rounds)
    _report(section, results, rounds)
    return section


async def _add_users(redis_url: str, count: int) -> None:
    from moderator.adapters.redis.auth import RedisAuthStore
    from moderator.adapters.redis.client import connect_async

    client = connect_async(redis_url)
    try:
        auth = RedisAuthStore(client)
        for n in range(count):
            await auth.add_user(f"user{n}", PASSWORD, "admin" if n == 0 else "reviewer")
        auth.passwords.close()
    finally:
        await client.aclose()


def _measure(stack: services.Stack, on_loop: bool, rounds: int) -> dict[str, Any]:
    port = services.free_port()
    args = ["-m", "bench.serve_login", "--port", str(port)] + (["--on-loop"] if on_loop else [])
    limits = {
        "ui__login_max_failures_per_account": str(ALLOWANCE),
        "ui__login_max_failures_per_address": "1000000",
    }
    _forget_logins(stack.redis_url)  # each server starts with every allowance whole
    process = stack._spawn(args, limits)
    url = f"http://127.0.0.1:{port}"
    try:
        services.wait_http(url + "/healthz", process)
        return asyncio.run(_load(url, rounds))
    finally:
        stack.stop(process)


def _forget_logins(redis_url: str) -> None:
    import redis

    from moderator import keys

    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(keys.login_failures("*", "*")):
            client.delete(key)
    finally:
        client.close()


async def _load(url: str, rounds: int) -> dict[str, Any]:
    idle = await _probe(url, None)
    one_account = await _logins(url, ["user0"] * PARALLEL)
    burst_logins: list[int] = []

    async def burst() -> None:
        for _ in range(rounds):  # each account fails once a round: under its allowance
            burst_logins.extend(await _logins(url, [f"user{n + 1}" for n in range(PARALLEL)]))

    started = time.monotonic()
    during = await _probe(url, burst())
    return {
        "checks": one_account.count(401),
        "refused": one_account.count(429),
        "idle": idle,
        "during": during,
        "burst_s": time.monotonic() - started,
        "burst_checks": burst_logins.count(401),
    }


async def _logins(url: str, names: list[str]) -> list[int]:
    """One wrong login per name, each from its own client, posted together; the statuses."""
    clients = [httpx.AsyncClient(base_url=url, timeout=120) for _ in names]
    try:
        forms = await asyncio.gather(*(c.get("/login") for c in clients))
        tokens = [f.text.split('name="csrf" value="', 1)[1].split('"', 1)[0] for f in forms]
        answers = await asyncio.gather(
            *(
                c.post("/login", data={"username": n, "password": "wrong", "csrf": t})
                for c, n, t in zip(clients, names, tokens, strict=True)
            )
        )
        return [a.status_code for a in answers]
    finally:
        for c in clients:
            await c.aclose()


async def _probe(url: str, load: Any) -> list[float]:
    """`/healthz` latencies (ms), one probe every 20 ms: 50 probes, or while `load` runs."""
    latencies: list[float] = []
    task = asyncio.ensure_future(load) if load is not None else None
    async with httpx.AsyncClient(base_url=url, timeout=120) as c:
        while (task is None and len(latencies) < 50) or (task is not None and not task.done()):
            t0 = time.perf_counter()
            (await c.get("/healthz")).raise_for_status()
            latencies.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(0.02)
    if task is not None:
        await task
    return latencies


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.1f}"


def _report(section: Section, results: dict[str, dict[str, Any]], rounds: int) -> None:
    section.line(
        f"{PARALLEL} parallel wrong logins for one account (allowance {ALLOWANCE}): password "
        f"checks, the rest refused with 429. Then {rounds} round(s) of {PARALLEL} parallel wrong "
        f"logins, each for a different account (every one checked), with `/healthz` probed "
        "every 20 ms throughout."
    )
    section.line()
    rows = []
    for name, r in results.items():
        rows.append(
            [
                name,
                f"{r['checks']} of {PARALLEL} ({r['refused']} × 429)",
                f"{_ms(r['idle'], 0.5)} / {_ms(r['idle'], 0.99)}",
                f"{_ms(r['during'], 0.5)} / {_ms(r['during'], 0.99)} / {max(r['during']):.0f}",
                f"{len(r['during'])}",
                f"{r['burst_checks']} in {r['burst_s']:.1f} s",
            ]
        )
    section.table(
        [
            "server",
            "password checks",
            "/healthz idle p50 / p99 ms",
            "/healthz during burst p50 / p99 / max ms",
            "probes",
            "checks in the burst",
        ],
        rows,
    )
    ours, base = results.values()
    p99 = float(_ms(base["during"], 0.99)) / max(0.1, float(_ms(ours["during"], 0.99)))
    answered = [len(r["during"]) / r["burst_s"] for r in (ours, base)]
    rate = answered[0] / max(0.01, answered[1])
    section.line(
        f"`/healthz` during the burst, baseline / moderator: p99 {p99:.0f}× slower; "
        f"{rate:.0f}× fewer probes answered (a probe waits for the previous one, so a blocked "
        "loop answers few)."
    )
    section.line(
        "Before issue 8 the limiter read the counters, checked the password, then counted: "
        f"{PARALLEL} of {PARALLEL} parallel wrong logins were checked (tests/e2e/"
        "test_login_limits.py on commit 4b98a9b, with argon2 on the event loop as in the baseline "
        "row). Both rows above use the new limiter; they differ only in where argon2 runs."
    )
    section.target(
        f"at most {ALLOWANCE} password checks of {PARALLEL}", ours["checks"] <= ALLOWANCE
    )
