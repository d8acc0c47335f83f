"""The reviewer UI under hostile comments: a hold queue of 20 cards, each 20,000 characters of
"fag " (5,000 lexicon matches), scored by a real `moderator worker` (offline model, real
lexicon and policy) and served by `moderator serve` on the embedded Redis.

Measured, sender side: `GET /ui/queue` of those 20 cards and `GET /ui/item` of one of them
(wall time), and `/healthz` latency while the queue page renders (polled back to back until
the page is done) and a signed webhook's latency sent during that render. Baseline, same run:
`/healthz` latency on the idle server. Issue 8 item 1: the page must not hold the event loop,
so healthz during the render should stay near its idle latency.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import threading
import time
from typing import Any

import httpx

from bench import services
from bench.report import Section

PASSWORD = "bench password 0123"


def run(quick: bool) -> Section:
    section = Section("ui", "Reviewer UI under hostile comments (issue 8 item 1)")
    cards, repeat = (3, 500) if quick else (20, 5000)
    with services.stack() as stack:
        url = stack.api(review__page_size=str(cards))
        stack.worker(model__spec="offline")
        token = asyncio.run(_token_and_user(stack.redis_url))
        auth = {"Authorization": f"Bearer {token}"}
        _post_hostile(url, cards, repeat)
        matches = _wait_held(url, auth, cards)
        result = _measure(url, quick)
    section.line(
        f'{cards} held comments of {4 * repeat:,} characters ("fag " × {repeat:,}); '
        f"matches kept per score record: {matches} (the worker's `policy.max_matches`). "
        "`moderator serve` + one `moderator worker` (offline model) + embedded Redis, one "
        "machine; client on the same cores."
    )
    section.line()
    section.table(
        ["measure", "median", "max", "samples"],
        [
            _row("idle `/healthz` (baseline)", result["idle"]),
            _row("`/healthz` while `GET /ui/queue` renders", result["during"]),
            _row("signed webhook sent during that render", result["webhook"]),
            _row(f"`GET /ui/queue` ({cards} hostile cards)", result["queue"]),
            _row("`GET /ui/item` (one hostile comment, whole text)", result["item"]),
        ],
    )
    idle = statistics.median(result["idle"])
    ratio = max(result["during"]) / idle if idle else float("inf")
    section.line(f"- worst `/healthz` during the render / idle median: **{ratio:.1f}×**")
    section.line()
    return section


def _row(label: str, values: list[float]) -> list[str]:
    return [label, f"{statistics.median(values):.1f} ms", f"{max(values):.1f} ms", str(len(values))]


async def _token_and_user(redis_url: str) -> str:
    from moderator.adapters.redis.auth import RedisAuthStore
    from moderator.adapters.redis.client import connect_async

    client = connect_async(redis_url)
    try:
        auth = RedisAuthStore(client)
        await auth.add_user("bench", PASSWORD, "admin")
        return await auth.create_token("bench-reader", "admin")
    finally:
        await client.aclose()


def _post_hostile(url: str, cards: int, repeat: int) -> None:
    from moderator.core.signing import sign

    for n in range(cards):
        raw = json.dumps({"id": f"hostile{n}", "text": "fag " * repeat}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Moderator-Signature": sign(services.WEBHOOK_SECRET, raw, int(time.time())),
        }
        r = httpx.post(url + "/v1/comments", content=raw, headers=headers, timeout=60)
        assert r.status_code == 202, r.text


def _wait_held(url: str, auth: dict[str, str], cards: int) -> int:
    """Wait until every hostile comment is held; returns how many matches a record keeps."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        r = httpx.get(url + "/v1/queue", params={"limit": cards}, headers=auth, timeout=120)
        items = r.json()["items"] if r.status_code == 200 else []
        if len(items) >= cards:
            return len(items[0]["record"]["matches"])
        time.sleep(0.5)
    raise RuntimeError("the worker did not hold the hostile comments within 300 s")


def _ms(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return (time.perf_counter() - started) * 1000, value


def _measure(url: str, quick: bool) -> dict[str, list[float]]:
    client = httpx.Client(base_url=url, timeout=600)
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf": csrf})
    out: dict[str, list[float]] = {
        "idle": [_ms(lambda: httpx.get(url + "/healthz", timeout=60))[0] for _ in range(20)]
    }
    out["queue"] = [_ms(lambda: client.get("/ui/queue"))[0] for _ in range(1 if quick else 2)]
    out["item"] = [_ms(lambda: client.get("/ui/item", params={"id": "hostile0"}))[0]]
    out["during"], out["webhook"] = _during_render(url, client)
    client.close()
    return out


def _during_render(url: str, client: httpx.Client) -> tuple[list[float], list[float]]:
    """Poll /healthz back to back while one GET /ui/queue is in flight; send one webhook."""
    from moderator.core.signing import sign

    page = threading.Thread(target=lambda: client.get("/ui/queue"))
    raw = json.dumps({"id": "during-render", "text": "hello"}).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Moderator-Signature": sign(services.WEBHOOK_SECRET, raw, int(time.time())),
    }
    webhook: list[float] = []
    sender = threading.Thread(
        target=lambda: webhook.append(
            _ms(
                lambda: httpx.post(url + "/v1/comments", content=raw, headers=headers, timeout=600)
            )[0]
        )
    )
    page.start()
    time.sleep(0.05)
    sender.start()
    latencies = [_ms(lambda: httpx.get(url + "/healthz", timeout=600))[0]]
    while page.is_alive():
        latencies.append(_ms(lambda: httpx.get(url + "/healthz", timeout=600))[0])
    page.join()
    sender.join()
    return latencies, webhook
