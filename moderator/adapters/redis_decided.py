"""`iter_decided`: the decided comments of a time range, each with the score record of the
revision people decided and every decision on it in the range. The one place backtests and
calibration read decisions from (today Redis only; the archive joins it here).

Reads the audit stream oldest first in chunks (a time range is a stream-id range), groups the
entries by comment, then reads each comment's record (from its revision history when a later
revision replaced the one decided). Memory: the range's audit entries, grouped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import redis

from moderator import keys
from moderator.adapters.redis_audit import AuditQuery, _entry, _stream_id
from moderator.core.decided import Decided, decided_from

_CHUNK = 1000


def iter_decided(
    client: redis.Redis, since_ms: int | None = None, until_ms: int | None = None
) -> Iterator[Decided]:
    """Every comment with an approve or reject standing from the decisions made in
    [since_ms, until_ms] (either open), in the order of their first decision there."""
    by_ref: dict[str, list[dict[str, Any]]] = {}
    for event in _events(client, since_ms, until_ms):
        by_ref.setdefault(f"{event.get('site')}:{event.get('id')}", []).append(event)
    refs = list(by_ref)
    for start in range(0, len(refs), _CHUNK):
        chunk = refs[start : start + _CHUNK]
        pipe = client.pipeline(transaction=False)
        for ref in chunk:
            pipe.hmget(keys.comment(ref), "comment", "record", "revision")
        for ref, (comment, record, revision) in zip(chunk, pipe.execute(), strict=True):
            events = by_ref[ref]
            decided = _revision(client, ref, events, revision, comment, record)
            if decided is not None:
                yield decided


def _events(
    client: redis.Redis, since_ms: int | None, until_ms: int | None
) -> Iterator[dict[str, Any]]:
    low, high = _stream_id(since_ms, "-"), _stream_id(until_ms, "+")
    window = AuditQuery(since_ms=since_ms, until_ms=until_ms)
    while True:
        batch: Any = client.xrange(keys.AUDIT_STREAM, low, high, count=_CHUNK)
        for item in batch:
            event = _entry(item)
            if window.matches(event):
                yield event
        if len(batch) < _CHUNK:
            return
        low = f"({batch[-1][0]}"


def _revision(
    client: redis.Redis,
    ref: str,
    events: list[dict[str, Any]],
    revision: str | None,
    comment: str | None,
    record: str | None,
) -> Decided | None:
    """Decisions on the comment's last decided revision, with that revision's record."""
    last = int(events[-1].get("revision") or revision or 1)
    mine = [e for e in events if int(e.get("revision") or last) == last]
    if revision is None or int(revision) == last:
        return decided_from(mine, _json(record), _json(comment))
    raw: Any = client.lrange(keys.revisions(ref), 0, -1)
    for snapshot in map(json.loads, raw):
        if snapshot.get("revision") == last:
            return decided_from(mine, snapshot.get("record"), snapshot.get("comment"))
    return decided_from(mine, None, None)


def _json(raw: str | None) -> dict[str, Any] | None:
    return json.loads(raw) if raw else None


__all__ = ["Decided", "iter_decided"]
