"""A decided comment: what the policy saw (its stored score record) and what people decided,
the unit a backtest replays and calibration learns from.

`label` is the comment's standing verdict from the decisions given: the last approve or reject
that was not undone (a reviewer's or a platform's); an escalation alone is no label. Built from
stored dicts only (`decided_from`), so the archive and Redis give the same objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from moderator.core.models import Comment, Match, ModelInfo, ScoreRecord, Scores
from moderator.core.policy import INCOMPLETE_RULE, UNSUPPORTED_RULE

LABEL_DECISIONS = ("approve", "reject")
#: The review queue of the control sample (issue 13 section 2): comments approved at once and
#: also queued for a retrospective look. Their decisions estimate the miss rate of auto-approval.
SAMPLE_QUEUE = "sample"
_FAILED_RULE = "rule scoring-failed"


@dataclass(frozen=True, slots=True)
class Decided:
    site: str
    id: str
    label: str  # approve | reject
    at_ms: int  # when the standing decision was made
    by: str
    queue: str | None  # where it waited when decided ("sample": the control sample)
    record: ScoreRecord | None  # None: decided before it was scored (no scores to replay)
    policy_version: str | None
    text: str = ""
    decisions: tuple[Mapping[str, Any], ...] = field(default=(), compare=False)
    #: In the control sample: approved by the policy at once and also queued for a look (its
    #: record says `sampled: true`); its label is a reviewer's retrospective verdict.
    sampled: bool = False

    @property
    def language(self) -> str | None:
        return self.record.language if self.record else None

    @property
    def rejected(self) -> bool:
        return self.label == "reject"

    @property
    def scores(self) -> Scores:
        return self.record.scores if self.record else {}

    @property
    def matches(self) -> list[Match]:
        return self.record.matches if self.record else []

    @property
    def model(self) -> ModelInfo:
        return self.record.model if self.record else ModelInfo("none", "")

    def reason_of(self, rule: str) -> str:
        """The stored reason text after `rule <rule>: ` (what `Policy.decide` takes back as
        `unsupported` / `incomplete`), or ""."""
        marker = f"rule {rule}: "
        for reason in self.record.reasons if self.record else []:
            if marker in reason:
                return reason.split(marker, 1)[1]
        return ""

    @property
    def unsupported(self) -> str:
        return self.reason_of(UNSUPPORTED_RULE)

    @property
    def incomplete(self) -> str:
        return self.reason_of(INCOMPLETE_RULE)

    @property
    def scoring_failed(self) -> bool:
        return bool(self.record) and any(
            _FAILED_RULE in r for r in (self.record.reasons if self.record else [])
        )

    def comment(self) -> Comment:
        return Comment(self.id, self.text, site=self.site)


def standing_label(events: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The event of the last approve/reject not undone, events oldest first; None when none."""
    standing: list[Mapping[str, Any]] = []
    for event in events:
        decision = event.get("decision")
        if decision in LABEL_DECISIONS:
            standing.append(event)
        elif decision == "undo" and standing:
            undone = event.get("undoes")
            if undone is None or standing[-1].get("version") == undone:
                standing.pop()
    return standing[-1] if standing else None


def decided_from(
    events: Sequence[Mapping[str, Any]],
    record: Mapping[str, Any] | None,
    comment: Mapping[str, Any] | None = None,
    *,
    sampled: bool = False,
) -> Decided | None:
    """A Decided from a comment's decision events (oldest first) and the score record of the
    revision they decided; None when no approve/reject stands. In the control sample when
    `sampled`, when the record says so, or when it was decided in the "sample" queue."""
    event = standing_label(events)
    if event is None:
        return None
    parsed = ScoreRecord.from_dict(dict(record)) if record and record.get("scores") else None
    version = (record or {}).get("policy_version") or event.get("policy_version")
    return Decided(
        site=str(event.get("site") or "default"),
        id=str(event.get("id")),
        label=str(event["decision"]),
        at_ms=int(event.get("at") or 0),
        by=str(event.get("by") or ""),
        queue=event.get("queue"),
        record=parsed,
        policy_version=version,
        text=str((comment or {}).get("text") or ""),
        decisions=tuple(events),
        sampled=bool(
            sampled
            or (record or {}).get("sampled")
            or any(e.get("queue") == SAMPLE_QUEUE for e in events)
        ),
    )
