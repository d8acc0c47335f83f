"""The score record of a comment whose scoring failed for good: it is held for a human, never
left unmoderated.

After `worker.max_attempts` failed attempts (or a message that keeps killing its workers) the
comment gets this record: action `hold`, no scores, no matches, and one reason in DESIGN.md's
grammar, `hold: rule scoring-failed: <error class> after <n> attempts: <message> (model
<name>@<version>)`. Its priority is 0 so that no priority sweep (bulk decisions "at or above p")
decides a comment nobody scored; the hold queue, its `oldest` order and the admin page's ingest
dead letters show it.
"""

from __future__ import annotations

from moderator.core.models import LABELS, Action, Comment, ModelInfo, ScoreRecord

RULE = "scoring-failed"
FAILED_PRIORITY = 0.0
_MESSAGE_CHARS = 200


def failure_reason(error_class: str, message: str, attempts: int, model: ModelInfo) -> str:
    """The hold reason; `message` is cut to its last non-empty line and 200 characters."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    last = (lines[-1] if lines else "no message")[:_MESSAGE_CHARS]
    noun = "attempt" if attempts == 1 else "attempts"
    return f"hold: rule {RULE}: {error_class} after {attempts} {noun}: {last} (model {model})"


def failure_record(
    comment: Comment, error_class: str, message: str, attempts: int, model: ModelInfo
) -> ScoreRecord:
    """The record that holds `comment` for review because scoring it failed."""
    return ScoreRecord(
        id=comment.id,
        language=comment.language,
        model=model,
        scores=dict.fromkeys(LABELS),
        matches=[],
        priority=FAILED_PRIORITY,
        action=Action.HOLD,
        reasons=[failure_reason(error_class, message, attempts, model)],
    )
