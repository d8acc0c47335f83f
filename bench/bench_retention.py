"""Redis memory under retention: a site of 5,000 comments a day, archived daily, for weeks.

Each simulated day stores the day's comments as the worker does (`RedisIngestConsumer.store`,
the STORE_SCORED script with every index, the feed event and the author history): 85 % approved
by the policy (1 % of those also sampled), 15 % sent to review or hold, which reviewers then
decide through `RedisReviewStore.decide` (feed, audit, history, recent list), with a note on
every tenth; then the archiver runs (`Archiver.run`, as `moderator archive` and the service
do). Redis's `used_memory` is read after each day's run. Time is compressed: a simulated day
lasts `DAY_S` real seconds and `hot_days` is scaled to match, so stream ids (Redis's clock), the
decision times and the archiver's cutoff all agree. Baseline: the same days with no archiving
(memory grows by a day's worth each day), in the same table.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import corpus
from bench.report import Section

PER_DAY_FULL, DAYS_FULL, DAY_S_FULL = 5_000, 18, 20.0
PER_DAY_QUICK, DAYS_QUICK, DAY_S_QUICK = 60, 4, 0.6
HOT_DAYS_FULL, HOT_DAYS_QUICK = 14, 1
AUTHORS = 20_000
TEXTS = 400
REVIEW_SHARE, SAMPLE_RATE = 0.15, 0.01


def run(quick: bool) -> Section:
    section = Section("retention", "Redis memory under retention (5,000 comments a day)")
    per_day = PER_DAY_QUICK if quick else PER_DAY_FULL
    days = DAYS_QUICK if quick else DAYS_FULL
    day_s = DAY_S_QUICK if quick else DAY_S_FULL
    hot = HOT_DAYS_QUICK if quick else HOT_DAYS_FULL
    from moderator.adapters.redis.embedded import EmbeddedRedis

    with tempfile.TemporaryDirectory(prefix="moderator-bench-") as tmp:
        redis = EmbeddedRedis(Path(tmp) / "redis", appendfsync="everysec").start()
        try:
            rows = asyncio.run(
                _simulate(redis.url, Path(tmp) / "archive", per_day, days, day_s, hot)
            )
        finally:
            redis.stop()
    _report(section, rows, per_day, hot, day_s)
    return section


def _texts() -> list[tuple[str, str]]:
    return [(c.text, c.language) for c in corpus.comments(TEXTS, seed=11)]


def _record(ref_id: str, language: str, action: str, rng: random.Random) -> dict[str, Any]:
    tox = rng.random() * (0.4 if action == "approve" else 1.0)
    return {
        "id": ref_id,
        "language": language,
        "model": {"name": "detoxify-original-onnx-int8", "version": "0.5.4", "fallback": False},
        "scores": {
            label: round(tox * rng.random(), 4)
            for label in (
                "toxicity",
                "severe_toxicity",
                "obscene",
                "threat",
                "insult",
                "identity_attack",
                "sexual_explicit",
            )
        },
        "matches": [],
        "matches_total": 0,
        "priority": round(tox, 4),
        "action": action,
        "reasons": [] if action == "approve" else [f"{action}: rule toxicity-{action} ({tox:.2f})"],
        "spans": [],
        "policy_version": "2026.11.1",
    }


async def _simulate(
    url: str, archive_dir: Path, per_day: int, days: int, day_s: float, hot: int
) -> list[dict[str, Any]]:
    import redis as redis_sync

    from moderator.adapters.archive.archiver import Archiver
    from moderator.adapters.archive.parquet import ParquetArchive
    from moderator.adapters.redis.client import connect_async

    sync = redis_sync.Redis.from_url(url, decode_responses=True)
    client = connect_async(url)
    archive = ParquetArchive(str(archive_dir))
    archiver = Archiver(client, archive, hot_days=hot * day_s / 86_400, batch_size=5_000)
    texts, rng = _texts(), random.Random(5)
    rows: list[dict[str, Any]] = [{"base_mb": int(sync.info("memory")["used_memory"]) / 1e6}]
    try:
        for day in range(days):
            started = time.monotonic()
            queued = _store_day(sync, day, per_day, texts, rng)
            await _decide(client, queued, rng)
            stored_s = time.monotonic() - started
            grown = int(sync.info("memory")["used_memory"])
            report = await archiver.run(int(time.time() * 1000))
            rows.append(
                {
                    "day": day + 1,
                    "comments": sum(1 for _ in sync.scan_iter("mod:comment:*", count=5_000)),
                    "before_mb": grown / 1e6,
                    "after_mb": int(sync.info("memory")["used_memory"]) / 1e6,
                    "archived": report.archived,
                    "archive_mb": _size(archive_dir) / 1e6,
                    "work_s": time.monotonic() - started,
                    "stored_s": stored_s,
                }
            )
            print(f"  day {day + 1}: {rows[-1]}", flush=True)
            await asyncio.sleep(max(0.0, day_s - (time.monotonic() - started)))
        rows[0]["author_bytes"] = _author_bytes(sync)
    finally:
        await client.aclose()
    return rows


def _store_day(sync: Any, day: int, per_day: int, texts: list, rng: random.Random) -> list[str]:
    """Store one day's comments as the worker does; returns the refs waiting for a reviewer."""
    from moderator import keys
    from moderator.adapters.redis.ingest import Delivery, RedisIngestConsumer
    from moderator.core.models import Author, Comment, Thread
    from moderator.core.ordering import queue_score

    queued = []
    pipe = sync.pipeline(transaction=False)
    consumer = RedisIngestConsumer(pipe, "bench-retention", deliver_callbacks=False)
    now_ms = int(time.time() * 1000)
    for n in range(per_day):
        text, language = texts[(day * per_day + n) % len(texts)]
        author = rng.randrange(AUTHORS)
        comment = Comment(
            id=f"d{day:03d}n{n:05d}",
            text=text,
            site="news",
            author=Author(id=f"u{author}", name=f"reader {author}"),
            thread=Thread(id=f"t{day}-{n % 40}", title="Today's story", url=None),
            language=language,
        )
        action = "approve"
        if rng.random() < REVIEW_SHARE:
            action = "hold" if rng.random() < 0.3 else "review"
        record = _record(comment.id, language, action, rng)
        if action == "approve" and rng.random() < SAMPLE_RATE:
            record["sampled"] = True
        if action != "approve" or record.get("sampled"):
            queued.append(comment.ref)
        pipe.hset(
            keys.comment(comment.ref),
            mapping={
                "comment": json.dumps(comment.to_dict()),
                "state": "received",
                "received_at": now_ms,
            },
        )
        delivery = Delivery("0-1", comment.ref, comment, now_ms)
        consumer.store(delivery, record, queue_score(record["priority"], now_ms), now_ms)
        if n % 1_000 == 999:
            pipe.execute()
    pipe.execute()
    return queued


async def _decide(client: Any, refs: list[str], rng: random.Random) -> None:
    from moderator.adapters.redis.review import RedisReviewStore
    from moderator.core.models import Decision

    review = RedisReviewStore(client, deliver_callbacks=False)
    now_ms = int(time.time() * 1000)
    for n, ref in enumerate(refs):
        if n % 10 == 0:
            await review.add_note(ref, by="rita", text="Checked the thread.", now_ms=now_ms)
        decision = Decision.REJECT if rng.random() < 0.5 else Decision.APPROVE
        await review.decide(
            ref, decision, by=f"reviewer{n % 5}", reason=None, note=None, now_ms=now_ms
        )


def _author_bytes(sync: Any) -> float:
    """Mean MEMORY USAGE of the per-author counts hashes (the part retention leaves)."""
    found = list(sync.scan_iter("mod:author-counts:*", count=5_000))[:500]
    sizes = [int(sync.memory_usage(k) or 0) for k in found]
    return sum(sizes) / max(1, len(sizes))


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*.parquet")) if path.exists() else 0


def _report(
    section: Section, rows: list[dict[str, Any]], per_day: int, hot: int, day_s: float
) -> None:
    first = rows.pop(0)
    base, author_bytes = first["base_mb"], first.get("author_bytes", 0.0)
    section.line(
        f"{per_day:,} comments a day ({REVIEW_SHARE:.0%} reviewed, {SAMPLE_RATE:.0%} of approvals "
        f"sampled), {AUTHORS:,} authors, retention.hot_days = {hot}; a simulated day lasts "
        f"{day_s:g} real seconds (hot_days scaled to match). Redis `used_memory` after each "
        f"day's comments and decisions, and after that day's archive run (empty Redis: "
        f"{base:.1f} MB):"
    )
    section.line()
    section.table(
        ["day", "comments in Redis", "before archiving MB", "after MB", "archived", "archive MB"],
        [
            [
                str(r["day"]),
                f"{r['comments']:,}",
                f"{r['before_mb']:.1f}",
                f"{r['after_mb']:.1f}",
                f"{r['archived']:,}",
                f"{r['archive_mb']:.1f}",
            ]
            for r in rows
        ],
    )
    tail = rows[-3:]
    steady = max(r["after_mb"] for r in tail)
    daily = [rows[0]["before_mb"] - base] + [
        b["before_mb"] - a["after_mb"] for a, b in itertools.pairwise(rows)
    ]
    per_day_mb = sum(daily) / len(daily)
    per_comment = (steady - base) * 1e6 / max(1, rows[-1]["comments"])
    archive_day = (rows[-1]["archive_mb"] - rows[-2]["archive_mb"]) if len(rows) > 1 else 0.0
    section.line(
        f"Steady state: at most {steady:.1f} MB over the last {len(tail)} days, "
        f"{rows[-1]['comments']:,} comments in Redis, {per_comment:,.0f} bytes each above an "
        "empty Redis (their hashes, indexes, history, notes, the feed and audit streams, the "
        "author counts)."
    )
    section.line(
        f"Arithmetic for a year: a day adds {per_day_mb:.1f} MB to Redis, so without "
        f"archiving a year is 365 × {per_day_mb:.1f} = {365 * per_day_mb / 1000:.1f} GB. "
        f"With retention Redis holds at most hot_days + 1 days of decided comments plus what "
        f"waits: {hot + 1} × {per_day_mb:.1f} = {(hot + 1) * per_day_mb:.0f} MB, flat after "
        f"day {hot + 1} (measured: {steady:.0f} MB); the one part that still grows is the "
        f"per-author counts hash ({author_bytes:.0f} bytes per distinct author measured, "
        f"{author_bytes * 100_000 / 1e6:.0f} MB per 100,000 authors). "
        f"The archive grows {archive_day:.1f} MB a day on disk, "
        f"{365 * archive_day / 1000:.2f} GB a year (Parquet, zstd)."
    )
    section.line(
        f"The longest day's work (store, decide, archive) took {max(r['work_s'] for r in rows):.1f}"
        f" s of a {day_s:g} s day. Texts are drawn from {TEXTS} distinct comments, so Parquet "
        "compresses them better than it would real ones; the Redis figures do not depend on it."
    )
    section.target(
        "Redis memory flat once hot_days have passed (last 3 days within 10 %)",
        max(r["after_mb"] for r in tail) <= 1.1 * min(r["after_mb"] for r in tail),
    )
    section.target(
        "every simulated day's work fit in its day (else fewer days stay hot)",
        all(r["work_s"] <= day_s for r in rows),
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    section.line(f"(load average at the end: {load}; the machine was shared)")
