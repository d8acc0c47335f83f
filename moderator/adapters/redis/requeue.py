"""Putting a stored comment back in front of the workers: a new revision (REVISE) or the rescoring
of a comment held because its scoring failed (RESCORE).

Both scripts take the comment out of its queue indexes, claim, author counts and recently-decided
list in one atomic step; the keys they touch depend on what is stored (the comment's filter
dimensions and author), so the caller reads the comment first and the script refuses ('retry')
when it changed in between. Nothing here writes outside those scripts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import index as redis_index

#: States in which a comment is counted in its author's counts and may sit in queue indexes.
SCORED_STATES = ("queued", "escalated", "approved", "rejected")


def text_digest(text: str) -> str:
    """What "the same text" means for a redelivery: equal SHA-256 of the UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Stored:
    """What the requeue scripts need to know about a stored comment."""

    ref: str
    state: str
    revision: int
    digest: str
    comment: dict[str, Any]
    dims: list[str] | None  # None until it is scored

    @property
    def scored(self) -> bool:
        return self.state in SCORED_STATES


async def read_stored(client: aioredis.Redis, ref: str) -> Stored | None:
    """The comment as stored now, or None when there is none."""
    state, revision, digest, ix, raw = await client.hmget(
        keys.comment(ref), "state", "revision", "digest", "ix", "comment"
    )
    if state is None or raw is None:
        return None
    comment = json.loads(raw)
    dims: list[str] | None = json.loads(ix) if ix else None
    if dims is None and state in SCORED_STATES:  # stored before `ix` existed
        record = await client.hget(keys.comment(ref), "record")
        dims = redis_index.dims(comment, json.loads(record) if record else None)
    return Stored(
        ref=ref,
        state=state,
        revision=int(revision or 1),
        digest=digest or text_digest(comment.get("text") or ""),
        comment=comment,
        dims=dims,
    )


def requeue_keys(
    stored: Stored, own_key: str, new_comment: dict[str, Any] | None = None
) -> tuple[list[str], list[str]]:
    """KEYS for REVISE / RESCORE (`own_key`: the revision list or the dead-letter stream) and
    the flags ARGV takes: [keys given, has author, author changed]."""
    ref = stored.ref
    history, counts, has_author = redis_index.author_keys(stored.comment)
    changed = new_comment is not None and redis_index.author_keys(new_comment)[0] != history
    indexes = (
        redis_index.all_index_keys(stored.dims, keys.part_of(ref))
        if stored.dims is not None
        else []
    )
    part = keys.part_of(ref)
    script_keys = [
        keys.comment(ref),
        part.ingest,
        part.claims,
        part.recent,
        own_key,
        counts,
        history,
        *indexes,
    ]
    flags = [
        "1" if stored.scored else "0",
        "1" if has_author else "0",
        "1" if changed else "0",
    ]
    return script_keys, flags
