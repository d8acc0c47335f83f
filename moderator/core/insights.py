"""What the Insights page draws, computed from decided comments (pure; the page renders it).

- Per language and label: the workload-vs-misses curve of the label's review threshold (other
  thresholds as in force): for each threshold on a 0.05 grid, comments sent to a person and the
  share of rejected comments missed; with the threshold in force and the recommended one
  (`moderator calibrate` at the target recall).
- The control sample's miss rate per week with its Wilson interval (the share of sampled,
  auto-approved comments people rejected); empty while nothing was sampled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from moderator.core.backtest import wilson
from moderator.core.calibrate import MIN_EVIDENCE, MIN_REJECTED, calibrate, curve_points
from moderator.core.decided import Decided
from moderator.core.policy import Policy


@dataclass(frozen=True, slots=True)
class Curve:
    language: str
    label: str
    rule: str
    points: list[tuple[float, int, float]]  # threshold, comments sent, miss rate
    current: float
    recommended: float | None
    decided: int
    rejected: int


@dataclass(frozen=True, slots=True)
class SamplePoint:
    week: str  # Monday of the week, ISO date
    sampled: int
    rejected: int
    value: float
    low: float
    high: float


def curves(policy: Policy, items: Sequence[Decided], target: float) -> list[Curve]:
    calibration = calibrate(policy, items, target)
    recommended = {(t.language, t.label): t.new for t in calibration.thresholds}
    out = []
    by_language: dict[str, list[Decided]] = defaultdict(list)
    for item in items:
        if item.record is not None and item.language:
            by_language[item.language].append(item)
    for language, group in sorted(by_language.items()):
        rejected = sum(d.rejected for d in group)
        if rejected < MIN_REJECTED:
            continue
        mine = {label: t for (lang, label), t in recommended.items() if lang == language}
        for label, rule, points in curve_points(policy, language, group, MIN_EVIDENCE, mine):
            out.append(
                Curve(
                    language,
                    label,
                    rule.name,
                    points,
                    rule.min,
                    recommended.get((language, label)),
                    len(group),
                    rejected,
                )
            )
    return out


def sample_by_week(items: Sequence[Decided]) -> list[SamplePoint]:
    weeks: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        if item.sampled:
            day = datetime.fromtimestamp(item.at_ms / 1000, UTC).date()
            monday = (day - timedelta(days=day.weekday())).isoformat()
            weeks[monday][0] += 1
            weeks[monday][1] += item.rejected
    out = []
    for week, (n, k) in sorted(weeks.items()):
        w = wilson(k, n)
        out.append(SamplePoint(week, n, k, w["value"] or 0.0, w["low"] or 0.0, w["high"] or 0.0))
    return out
