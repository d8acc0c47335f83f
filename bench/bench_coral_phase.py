"""Coral's external moderation phase: latency of `POST /v1/integrations/coral/phase` against one
API process (`moderator serve`, one uvicorn worker) on loopback, each request a distinct signed
comment of the bench corpus (15 % abusive, lengths as in bench/corpus.py), sent as Coral sends
it (pretty-printed JSON, X-Coral-Signature). The answer comes from the lexicon and the policy on
the render pool, and the comment is stored for the model path (no worker runs: this measures
the answer Coral waits for). Target: p99 well inside Coral's default phase timeout (200 ms).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench import corpus, services
from bench.report import Section

TIMEOUT_MS = 200.0  # Coral's admin default for a phase
SECRET = "bench-coral-secret-0123456789abcdef"


def run(quick: bool) -> Section:
    section = Section("coral", "Coral moderation phase: answer latency (one uvicorn worker)")
    count = 60 if quick else 3000
    texts = [c.text for c in corpus.comments(min(count, 2000), seed=11)]
    rows, results, answers = [], {}, set()
    with services.stack() as stack:
        url = stack.api(
            sites__talk__platform="coral",
            sites__talk__webhook_secret=SECRET,
            sites__talk__api_url="http://127.0.0.1:9/graphql",
            sites__talk__api_key="bench-coral-token-0123456789abcdef",
            webhook__max_backlog=str(10**9),
        )
        _send(url, texts[:20], 1, "warm")  # connection and first-call costs out of the figures
        for concurrency in (1, 8):
            batch = (texts * (count // len(texts) + 1))[:count]
            latencies, statuses = _send(url, batch, concurrency, "c")
            results[concurrency] = latencies
            answers |= set(statuses)
            rows.append(_row(concurrency, latencies, statuses))
    section.line(
        f"{count} requests per run, each a new comment; a client thread per connection "
        "(httpx, keep-alive). Answers: 204 (pass) or 200 (flag / withhold)."
    )
    section.table(
        ["connections", "requests/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "answers"], rows
    )
    section.targets.append(("every answer a 200 or 204", answers <= {200, 204}))
    p99 = _pct(results[1], 99)
    section.targets.append(
        (f"p99 at 1 connection {p99:.1f} ms < {TIMEOUT_MS:.0f} ms", p99 < TIMEOUT_MS)
    )
    section.line(
        f"Recommended phase timeout: 1000 ms (Coral's admin field, in ms): p99 here is "
        f"{p99:.1f} ms at one connection and {_pct(results[8], 99):.1f} ms at 8; the margin covers "
        "a loaded host and the network between Coral and moderator. A timed-out phase lets the "
        "comment through unmoderated by the phase (the webhook still queues it)."
    )
    return section


def _row(concurrency: int, latencies: list[float], statuses: dict[int, int]) -> list[str]:
    per_s = len(latencies) / (sum(latencies) / 1000 / concurrency) if latencies else 0
    return [
        str(concurrency),
        f"{per_s:.0f}",
        f"{_pct(latencies, 50):.1f}",
        f"{_pct(latencies, 95):.1f}",
        f"{_pct(latencies, 99):.1f}",
        f"{max(latencies):.1f}",
        ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())),
    ]


def _pct(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def _send(
    url: str, texts: list[str], concurrency: int, tag: str
) -> tuple[list[float], dict[int, int]]:
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    chunks = [texts[i::concurrency] for i in range(concurrency)]

    def worker(index: int) -> None:
        with httpx.Client(timeout=10) as client:
            for n, text in enumerate(chunks[index]):
                body = _body(f"{tag}{concurrency}-{index}-{n}", text)
                mac = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                headers = {"Content-Type": "application/json", "X-Coral-Signature": f"sha256={mac}"}
                start = time.perf_counter()
                r = client.post(url + "/v1/integrations/coral/phase", content=body, headers=headers)
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    return latencies, statuses


def _body(author: str, text: str) -> bytes:
    data = {
        "action": "NEW",
        "comment": {"body": f"<p>{text}</p>", "parentID": None},
        "author": {"id": author, "role": "COMMENTER"},
        "story": {"id": "story-1", "url": "https://news.example.org/a-story"},
        "site": {"id": "site-1"},
        "tenantID": "tenant-1",
        "tenantDomain": "talk.example.org",
    }
    return json.dumps(data, indent=2).encode()
