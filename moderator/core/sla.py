"""Queue SLA figures from recent decisions, as Prometheus text (issue 13 section 4).

From the most recent decisions (each: the queue it waited in, its language, when it arrived,
when and by whom it was decided): the wait from arrival to decision, p50 and p95 per queue and
language; decisions per reviewer in the last hour and decisions per reviewer-hour (decisions in
the last hour over the reviewers who made one). Platform decisions are not reviewer work and are
left out. Pure: the web layer reads the decisions and the queues' oldest entries.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class DecisionTiming:
    queue: str
    language: str
    arrived_ms: int
    decided_ms: int
    by: str


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile of `values` (not empty)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def waits(decisions: Sequence[DecisionTiming]) -> list[tuple[str, str, int, float, float]]:
    """(queue, language, decisions, p50 s, p95 s) from arrival to a reviewer's decision."""
    found: dict[tuple[str, str], list[float]] = defaultdict(list)
    for d in decisions:
        if not d.by.startswith("platform:"):
            found[(d.queue, d.language)].append(max(0, d.decided_ms - d.arrived_ms) / 1000)
    return [
        (queue, language, len(v), quantile(v, 0.5), quantile(v, 0.95))
        for (queue, language), v in sorted(found.items())
    ]


def sla_lines(decisions: Sequence[DecisionTiming], now_ms: int) -> list[str]:
    reviewed = [d for d in decisions if not d.by.startswith("platform:")]
    lines = ["# TYPE moderator_decision_wait_seconds summary"]
    for queue, language, n, p50, p95 in waits(reviewed):
        where = f'queue="{_label(queue)}",language="{_label(language)}"'
        lines.append(f'moderator_decision_wait_seconds{{{where},quantile="0.5"}} {p50:.3f}')
        lines.append(f'moderator_decision_wait_seconds{{{where},quantile="0.95"}} {p95:.3f}')
        lines.append(f"moderator_decision_wait_seconds_count{{{where}}} {n}")
    last_hour: dict[str, int] = defaultdict(int)
    for d in reviewed:
        if d.decided_ms >= now_ms - HOUR_MS:
            last_hour[d.by] += 1
    lines.append("# TYPE moderator_reviewer_decisions_last_hour gauge")
    lines += [
        f'moderator_reviewer_decisions_last_hour{{reviewer="{_label(by)}"}} {n}'
        for by, n in sorted(last_hour.items())
    ]
    per_hour = sum(last_hour.values()) / len(last_hour) if last_hour else 0
    lines.append("# TYPE moderator_decisions_per_reviewer_hour gauge")
    lines.append(f"moderator_decisions_per_reviewer_hour {per_hour:.2f}")
    return lines


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
