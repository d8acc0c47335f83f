"""Backtest: replay decided comments through a policy and count against people's decisions.

A comment's label is what people decided (reject is the positive class). For each policy:
- `per_day_review`: comments it sends to a person (review or hold) per day of the window;
- `miss_rate`: share of rejected comments it would have approved, with a Wilson 95 % interval;
- `false_hold_rate`: share of approved comments it would have held;
- `precision` / `recall` of `hold` (held) and of `review` (sent to a person: review or hold, so
  recall of review is 1 - miss rate), each null when its denominator is 0.
Comments whose scoring failed replay as held (as they were); comments decided before they were
scored have no scores and are counted in `decided` but not replayed (`unscored`).

Only decided comments are seen: what a policy approved and nobody decided is invisible here,
except through the control sample (`sampled`, `sample_miss_rate`: the share of sampled comments
people rejected, with its interval).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from moderator.core.decided import Decided
from moderator.core.models import LABELS, Action
from moderator.core.policy import Policy
from moderator.core.sampling import Z_95
from moderator.core.sampling import wilson as sampling_wilson

DAY_MS = 86_400_000


def wilson(k: int, n: int, z: float = Z_95) -> dict[str, float | None]:
    """The share k/n with its Wilson score interval (core/sampling.py's, the one interval the
    control sample's figures use everywhere); all null when n is 0."""
    if n == 0:
        return {"value": None, "low": None, "high": None}
    low, high = sampling_wilson(k, n, z)
    return {"value": k / n, "low": 0.0 if k == 0 else low, "high": 1.0 if k == n else high}


def ratio(k: int, n: int) -> float | None:
    return k / n if n else None


@dataclass(frozen=True, slots=True)
class Window:
    since: date
    until: date  # inclusive

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @classmethod
    def of(cls, since_ms: int | None, until_ms: int | None, items: Sequence[Decided]) -> Window:
        """The given bounds; a missing one is the first (last) decision's day."""
        times = [d.at_ms for d in items] or [0]
        low = since_ms if since_ms is not None else min(times)
        high = until_ms if until_ms is not None else max(times)
        return cls(_day(low), max(_day(high), _day(low)))


def _day(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, UTC).date()


def replay(policy: Policy, item: Decided) -> Action | None:
    """What `policy` would have done with the stored record; None when there is none."""
    if item.record is None:
        return None
    if item.scoring_failed:
        return Action.HOLD
    verdict = policy.decide(
        item.scores,
        item.matches,
        item.model,
        site=item.site,
        language=item.language,
        unsupported=item.unsupported,
        incomplete=item.incomplete,
    )
    return verdict.action


@dataclass(slots=True)
class Counts:
    """The confusion counts of one policy over some decided comments."""

    decided: int = 0
    sampled: int = 0
    sampled_rejected: int = 0
    unscored: int = 0
    rejected: int = 0
    approved: int = 0
    sent: int = 0  # review or hold
    held: int = 0
    missed: int = 0  # rejected, would approve
    held_rejected: int = 0
    sent_rejected: int = 0
    held_approved: int = 0

    def add(self, item: Decided, action: Action | None) -> None:
        self.decided += 1
        if item.sampled:
            self.sampled += 1
            self.sampled_rejected += item.rejected
        if action is None:
            self.unscored += 1
            return
        sent, held = action is not Action.APPROVE, action is Action.HOLD
        self.rejected += item.rejected
        self.approved += not item.rejected
        self.sent += sent
        self.held += held
        self.missed += item.rejected and not sent
        self.held_rejected += item.rejected and held
        self.sent_rejected += item.rejected and sent
        self.held_approved += held and not item.rejected

    def report(self, days: int) -> dict[str, Any]:
        return {
            "decided": self.decided,
            "sampled": self.sampled,
            "unscored": self.unscored,
            "per_day_review": self.sent / days,
            "miss_rate": wilson(self.missed, self.rejected),
            "false_hold_rate": ratio(self.held_approved, self.approved),
            "precision": {
                "hold": ratio(self.held_rejected, self.held),
                "review": ratio(self.sent_rejected, self.sent),
            },
            "recall": {
                "hold": ratio(self.held_rejected, self.rejected),
                "review": ratio(self.sent_rejected, self.rejected),
            },
            "sample_miss_rate": wilson(self.sampled_rejected, self.sampled),
        }


def backtest(
    policy: Policy,
    items: Iterable[Decided],
    window: Window,
    actions: Callable[[Decided], Action | None] | None = None,
) -> dict[str, Any]:
    """The report of `policy` over `items` (DESIGN.md "Backtest"): the totals, then the same
    under `by_language.<code>` ("und" when unknown) and `by_site.<site>`, and `by_label.<label>`
    (comments a label's rules sent to a person: `sent`, `precision`, `recall`)."""
    decide = actions or (lambda item: replay(policy, item))
    total = Counts()
    languages: dict[str, Counts] = defaultdict(Counts)
    sites: dict[str, Counts] = defaultdict(Counts)
    labels = {label: [0, 0] for label in LABELS}  # sent, sent and rejected
    for item in items:
        action = decide(item)
        for counts in (total, languages[item.language or "und"], sites[item.site]):
            counts.add(item, action)
        if item.record is None:
            continue
        fired = policy.triggers(item.scores, item.model, site=item.site, language=item.language)
        for label in fired:
            labels[label][0] += 1
            labels[label][1] += item.rejected
    head = {
        "policy": policy.version,
        "window": {"since": window.since.isoformat(), "until": window.until.isoformat()},
    }
    return {
        **head,
        **total.report(window.days),
        "by_language": {k: {**head, **v.report(window.days)} for k, v in sorted(languages.items())},
        "by_site": {k: {**head, **v.report(window.days)} for k, v in sorted(sites.items())},
        "by_label": {
            label: {
                "sent": sent,
                "precision": ratio(hit, sent),
                "recall": ratio(hit, total.rejected),
            }
            for label, (sent, hit) in labels.items()
        },
    }
