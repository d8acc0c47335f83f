"""One decided comment as the learning side reads it (from Redis or from the archive)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: States a comment ends in; only comments in one of them are archived or yielded as decided.
FINAL_STATES = ("approved", "rejected")


@dataclass(slots=True)
class DecidedComment:
    ref: str  # "<site>:<id>"
    site: str
    id: str
    state: str  # approved | rejected
    decided_at: int  # ms: the last decision, or when scored for a comment the policy approved
    version: int  # decisions made on it (0: approved by the policy, never decided by a person)
    revision: int
    received_at: int
    comment: dict[str, Any]  # the webhook's comment: text, author, thread, language hint...
    record: dict[str, Any] | None  # the score record (DESIGN.md); None if never scored
    decision: dict[str, Any] | None  # the latest decision body (None: the policy's approval)
    #: Every audit entry (the `decided` event, with audit_id and feed_id), oldest first.
    decisions: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    revisions: list[dict[str, Any]] = field(default_factory=list)  # earlier revisions
    action: str | None = None  # what the policy said: approve | review | hold | sample
    sampled: bool = False  # approved by the policy and sent to the control-sample queue
    archived: bool = False  # read from the archive (False: from Redis)

    @property
    def by_reviewer(self) -> bool:
        """Decided by a person (or the platform), not only by the policy."""
        return self.version > 0
