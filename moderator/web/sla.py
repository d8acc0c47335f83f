"""The queue SLA part of `/metrics`: the most recent `SLA_DECISIONS` audit entries with their
comments' arrival time and language (one XREVRANGE per partition, merged newest first, and one
pipelined HMGET), turned into lines off the event loop (core/sla.py), and each queue's backlog
age."""

from __future__ import annotations

import heapq
import json
from typing import Any

from fastapi import Request

from moderator import keys
from moderator.adapters.redis.merge import id_key
from moderator.core.agreement import agreement, agreement_lines
from moderator.core.sla import DecisionTiming, sla_lines

SLA_DECISIONS = 1000
_LABELS = ("approve", "reject", "escalate")


async def recent_timings(request: Request) -> list[DecisionTiming]:
    """The latest decisions across partitions with their comments' arrival time and language
    (merged and JSON parsed on the CPU pool)."""
    client = request.app.state.services.redis
    cpu = request.app.state.cpu
    pipe = client.pipeline(transaction=False)
    for part in keys.parts():
        pipe.xrevrange(part.audit, count=SLA_DECISIONS)
    batches: list[Any] = await pipe.execute()
    events: list[dict[str, Any]] = await cpu.run(_events, batches)
    pipe = client.pipeline(transaction=False)
    for e in events:
        pipe.hmget(keys.comment(f"{e.get('site')}:{e.get('id')}"), "received_at", "record")
    rows = await pipe.execute() if events else []
    timings: list[DecisionTiming] = await cpu.run(_timings, events, rows)
    return timings


async def sla_metrics(request: Request, stats: list[Any], now_ms: int) -> list[str]:
    timings = await recent_timings(request)
    lines: list[str] = await request.app.state.cpu.run(sla_lines, timings, now_ms)
    lines.append("# TYPE moderator_queue_oldest_age_seconds gauge")
    lines += [
        f'moderator_queue_oldest_age_seconds{{queue="{s.name}"}} '
        f"{max(0, now_ms - s.oldest_ms) / 1000 if s.oldest_ms else 0:.3f}"
        for s in stats
    ]
    return lines


def _events(batches: list[Any]) -> list[dict[str, Any]]:
    """The decisions among the newest SLA_DECISIONS entries of every partition's batch (each
    newest first), merged newest first."""
    found = ((id_key(aid), k, fields) for k, batch in enumerate(batches) for aid, fields in batch)
    newest = heapq.nlargest(SLA_DECISIONS, found, key=lambda e: (e[0], e[1]))
    events = [json.loads(fields["data"]) for _, _, fields in newest]
    return [e for e in events if e.get("decision") in _LABELS]


def _timings(events: list[dict[str, Any]], rows: list[Any]) -> list[DecisionTiming]:
    timings = []
    for event, (received, record) in zip(events, rows, strict=True):
        if not received:
            continue
        language = (json.loads(record).get("language") if record else None) or "und"
        timings.append(
            DecisionTiming(
                str(event.get("queue") or "none"),
                str(language),
                int(received),
                int(event.get("at") or 0),
                str(event.get("by") or ""),
            )
        )
    return timings


async def agreement_metrics(request: Request) -> list[str]:
    """Cohen's kappa and reviewer agreement from the latest answered second opinions, and how
    many questions wait (adapters/redis/second.py)."""
    second = request.app.state.services.second
    if second is None:
        return []
    opinions = await second.opinions()
    lines: list[str] = await request.app.state.cpu.run(lambda: agreement_lines(agreement(opinions)))
    lines.append("# TYPE moderator_second_opinions_waiting gauge")
    lines.append(f"moderator_second_opinions_waiting {await second.waiting()}")
    return lines
