"""The queue SLA part of `/metrics`: the most recent `SLA_DECISIONS` audit entries with their
comments' arrival time and language (one XREVRANGE and one pipelined HMGET), turned into lines
off the event loop (core/sla.py), and each queue's backlog age."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from moderator import keys
from moderator.core.agreement import agreement, agreement_lines
from moderator.core.sla import DecisionTiming, sla_lines

SLA_DECISIONS = 1000
_LABELS = ("approve", "reject", "escalate")


async def recent_timings(request: Request) -> list[DecisionTiming]:
    """The latest decisions with their comments' arrival time and language (JSON parsed on the
    CPU pool)."""
    client = request.app.state.services.redis
    cpu = request.app.state.cpu
    entries: Any = await client.xrevrange(keys.AUDIT_STREAM, count=SLA_DECISIONS)
    events: list[dict[str, Any]] = await cpu.run(_events, entries)
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


def _events(entries: list[Any]) -> list[dict[str, Any]]:
    events = [json.loads(fields["data"]) for _, fields in entries]
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
