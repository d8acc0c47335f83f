"""The Perspective-compatible API's latency: `POST /v1alpha1/comments:analyze` as a comment
form's submit path calls it, at a fixed 5 requests/s of typical English comments.

1. Worker path: one `moderator serve`, one `moderator worker` scoring with the bert-base-shaped
   checkpoint (bench/checkpoints.py, full size, random weights) as ONNX int8 (exported and checked
   once into bench/.cache/moderator, as `detoxify:` models are by default), the embedded
   Redis; each request goes API → Redis sync stream → worker → reply list → API.
2. Lexicon-only: the API alone with `perspective.scoring = "lexicon"` (no worker, no model).

Requests are sent on a fixed schedule (open loop: a slow answer does not delay the next send)
by an asyncio client in this process, on the same cores; latency is the client's, send to
answer. Coral's request shape: TOXICITY only, `doNotStore: true`, `languages: ["en"]`.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx

from bench import checkpoints, corpus, services
from bench.report import Section

RATE = 5.0


def run(quick: bool) -> Section:
    section = Section("perspective", "Perspective-compatible API")
    seconds = 3 if quick else 60
    section.line(
        f"`POST /v1alpha1/comments:analyze` at {RATE:g} requests/s for {seconds} s (open loop), "
        "typical English comments from bench/corpus.py (15 % with an abusive sentence), "
        "Coral's body (TOXICITY, doNotStore true). One `moderator serve`, one `moderator "
        "worker` (batch 16), embedded Redis, the sender: all on the same cores. Latency is the "
        "sender's, send to full answer (a 503, no worker answer within "
        '`perspective.timeout_s` = 2 s, counts at its time). "One at a time": the same '
        "comments, each sent when the previous one was answered (no queue in front)."
    )
    section.line()
    worker_settings = {"model__multilingual_spec": "none", "worker__batch_size": "16"}
    if quick:
        spec, label = "offline", "offline model"
    else:
        # moderator's default path for a Detoxify model: exported once to ONNX int8 (checked
        # against PyTorch) into the model cache, then scored with ONNX Runtime
        built = checkpoints.build("original")
        spec, label = f"detoxify:{built.checkpoint}", "bert-base-shaped, ONNX int8"
        worker_settings |= {
            "model__hf_config": str(built.hf_config),
            "model__cache_dir": str(checkpoints.CACHE / "moderator"),
        }
    rows = []
    with services.stack() as stack:
        url = stack.api()
        stack.worker(model__spec=spec, **worker_settings)
        key = _token(stack.redis_url)
        _wait_ready(url, key)
        worker = _paced(url, key, seconds)
        rows.append(_row(f"worker, {label}", worker))
        rows.append(_row(f"worker, {label}, one at a time", _sequential(url, key, seconds)))
    with services.stack() as stack:
        url = stack.api(perspective__scoring="lexicon")
        key = _token(stack.redis_url)
        _wait_ready(url, key)
        lexicon = _paced(url, key, seconds)
        rows.append(_row("lexicon-only, in the API process", lexicon))
    rows.append(
        _row("lexicon-only scoring alone (in process, no HTTP, no Redis)", _inline(seconds))
    )
    section.table(["path", "requests", "non-200", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows)
    if not quick:
        p95, p99 = _pct(worker, 95), _pct(worker, 99)
        section.target(f"{label}: p95 ≤ 150 ms (measured {p95:.0f} ms)", p95 <= 150)
        section.target(f"{label}: p99 ≤ 300 ms (measured {p99:.0f} ms)", p99 <= 300)
        lex = _pct(lexicon, 95)
        section.target(f"lexicon-only: p95 < 10 ms (measured {lex:.1f} ms)", lex < 10)
    return section


class Result:
    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.statuses: dict[int, int] = {}


def _pct(result: Result, p: int) -> float:
    data = sorted(result.latencies_ms)
    if not data:
        return float("nan")
    return data[min(len(data) - 1, max(0, round(p / 100 * len(data)) - 1))]


def _row(label: str, result: Result) -> list[str]:
    bad = sum(n for code, n in result.statuses.items() if code != 200)
    return [
        label,
        str(sum(result.statuses.values())),
        str(bad),
        f"{statistics.median(result.latencies_ms):.1f}" if result.latencies_ms else "-",
        f"{_pct(result, 95):.1f}",
        f"{_pct(result, 99):.1f}",
        f"{max(result.latencies_ms, default=float('nan')):.1f}",
    ]


def _sequential(url: str, key: str, seconds: int) -> Result:
    """The same comments (a third of them), each sent when the previous one was answered: the
    path's latency without a queue of requests in front of it."""
    result = Result()
    with httpx.Client(timeout=30) as client:
        for text in _texts(seconds)[: max(5, int(RATE * seconds) // 3)]:
            started = time.perf_counter()
            r = client.post(
                f"{url}/v1alpha1/comments:analyze", params={"key": key}, json=_body(text)
            )
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.statuses[r.status_code] = result.statuses.get(r.status_code, 0) + 1
    return result


def _inline(seconds: int) -> Result:
    """`ScoringService.score_hinted` of the lexicon-only service on the same comments, one at
    a time: what the API process itself spends per request on that path."""
    from moderator.bootstrap.lexicon import build_lexicon_scoring
    from moderator.core.models import Comment
    from moderator.settings import load_settings

    service = build_lexicon_scoring(
        load_settings(
            webhook={"secret": services.WEBHOOK_SECRET},
            ui={"session_secret": services.SESSION_SECRET},
        )
    )
    result = Result()
    for text in _texts(seconds):
        started = time.perf_counter()
        service.score_hinted([Comment("bench", text)], ["en"])
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.statuses[200] = result.statuses.get(200, 0) + 1
    return result


def _texts(seconds: int) -> list[str]:
    count = int(RATE * seconds)
    return [c.text for c in corpus.comments(count * 3, seed=11) if c.language == "en"][:count]


def _token(redis_url: str) -> str:
    from moderator.adapters.redis.auth import RedisAuthStore
    from moderator.adapters.redis.client import connect_async

    async def create() -> str:
        client = connect_async(redis_url)
        try:
            return await RedisAuthStore(client).create_token("bench-coral", "platform")
        finally:
            await client.aclose()

    return asyncio.run(create())


def _body(text: str) -> dict[str, object]:
    return {
        "comment": {"text": text},
        "doNotStore": True,
        "requestedAttributes": {"TOXICITY": {}},
        "languages": ["en"],
    }


def _wait_ready(url: str, key: str, timeout_s: float = 1200) -> None:
    """Until an analyze succeeds (the worker has loaded its model), then a short warm-up."""
    deadline = time.monotonic() + timeout_s
    endpoint = f"{url}/v1alpha1/comments:analyze"
    while time.monotonic() < deadline:
        try:
            r = httpx.post(endpoint, params={"key": key}, json=_body("warming up"), timeout=30)
        except httpx.HTTPError:
            continue
        if r.status_code == 200:
            for c in corpus.comments(10, seed=77):
                httpx.post(endpoint, params={"key": key}, json=_body(c.text), timeout=10)
            return
        time.sleep(0.5)
    raise RuntimeError(f"{endpoint} did not answer 200 within {timeout_s} s")


def _paced(url: str, key: str, seconds: int) -> Result:
    texts = [
        c.text for c in corpus.comments(int(RATE * seconds) * 3, seed=11) if c.language == "en"
    ]
    texts = texts[: int(RATE * seconds)]
    return asyncio.run(_send(f"{url}/v1alpha1/comments:analyze", key, texts))


async def _send(endpoint: str, key: str, texts: list[str]) -> Result:
    result = Result()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(i: int, text: str, start: float) -> None:
            await asyncio.sleep(max(0.0, start + i / RATE - time.perf_counter()))
            sent = time.perf_counter()
            r = await client.post(endpoint, params={"key": key}, json=_body(text))
            result.latencies_ms.append((time.perf_counter() - sent) * 1000)
            result.statuses[r.status_code] = result.statuses.get(r.status_code, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(one(i, t, start) for i, t in enumerate(texts)))
    return result


if __name__ == "__main__":
    import sys

    print("\n".join(run("--quick" in sys.argv).body))
