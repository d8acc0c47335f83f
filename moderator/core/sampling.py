"""The control sample: what auto-approval misses, estimated from a random share of it.

`sample_rate` in the policy sends that share of would-be-approved comments (approved at once, as
usual) to the "sample" review queue as well. A reviewer's rejection there is a miss of the
policy. With n reviewed samples and k rejections the miss rate of auto-approval is k / n, with a
Wilson score interval (95 % by default): unlike the normal approximation it stays inside [0, 1]
and is usable for small n and k = 0, which is the usual case here (Wilson 1927; Brown, Cai and
DasGupta 2001 recommend it for n < 40 as well).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

Z_95 = 1.959963984540054


def should_sample(rate: float, rng: random.Random | None = None) -> bool:
    """True for a `rate` share of calls (0: never, 1: always)."""
    if rate <= 0:
        return False
    return rate >= 1 or (rng or random).random() < rate


def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (0, 1) when n is 0 (nothing is known)."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be within 0..{n}, not {successes}")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class MissRate:
    reviewed: int  # sampled comments a reviewer decided
    misses: int  # of which rejected
    value: float | None  # misses / reviewed (None: none reviewed)
    low: float
    high: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "reviewed": self.reviewed,
            "misses": self.misses,
            "value": self.value,
            "low": self.low,
            "high": self.high,
        }


def miss_rate(misses: int, reviewed: int, z: float = Z_95) -> MissRate:
    low, high = wilson(misses, reviewed, z)
    value = misses / reviewed if reviewed else None
    return MissRate(reviewed, misses, value, low, high)


@dataclass(frozen=True, slots=True)
class SampleOutcome:
    """One reviewed control-sample comment."""

    site: str
    language: str | None
    rejected: bool


@dataclass(slots=True)
class MissRates:
    overall: MissRate
    by_language: dict[str, MissRate] = field(default_factory=dict)
    by_site: dict[str, MissRate] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "miss_rate": self.overall.as_dict(),
            "by_language": {k: v.as_dict() for k, v in sorted(self.by_language.items())},
            "by_site": {k: v.as_dict() for k, v in sorted(self.by_site.items())},
        }


UNKNOWN_LANGUAGE = "unknown"


def miss_rates(outcomes: Iterable[SampleOutcome], z: float = Z_95) -> MissRates:
    """The miss rate of auto-approval overall, per language and per site, each with its
    Wilson interval. A comment with no detected language counts under "unknown"."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    total = [0, 0]
    for o in outcomes:
        for key in (("language", o.language or UNKNOWN_LANGUAGE), ("site", o.site)):
            counts[key][0] += o.rejected
            counts[key][1] += 1
        total[0] += o.rejected
        total[1] += 1
    out = MissRates(miss_rate(total[0], total[1], z))
    for (kind, name), (k, n) in counts.items():
        target = out.by_language if kind == "language" else out.by_site
        target[name] = miss_rate(k, n, z)
    return out
