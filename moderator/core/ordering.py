"""Queue order: highest priority first, then oldest first, as one sorted-set score.

score = (1000 - priority in thousandths) × 2^41 + milliseconds since 2024-01-01. Both parts are
exact integers below 2^53, so ascending order is priority descending, then age ascending.
"""

_EPOCH_MS = 1_704_067_200_000
_AGE_SPAN = 2**41


def queue_score(priority: float, at_ms: int) -> int:
    bucket = min(1000, max(0, round(priority * 1000)))
    return (1000 - bucket) * _AGE_SPAN + min(max(0, at_ms - _EPOCH_MS), _AGE_SPAN - 1)


def queued_at_ms(score: float) -> int:
    """The enqueue time back out of a score (for 'oldest item' ages)."""
    return int(score) % _AGE_SPAN + _EPOCH_MS
