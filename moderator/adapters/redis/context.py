"""What a reviewer sees around one comment: its parent, its author's history, notes and the
decisions taken on it, and its earlier revisions. One round trip for the lookups, one to load
what they name.

Costs: the parent is one hash read (by `parent_id` within the same site); the author's history
is a capped sorted set (newest `AUTHOR_HISTORY_MAX` refs) plus a counts hash kept by the store
and decide scripts, so a prolific author costs no more than a new one; decisions come from the
comment's own list of audit ids, read from its partition's audit stream.
"""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis.client import async_unavailable_as_error
from moderator.adapters.redis.index import author_keys
from moderator.adapters.redis.review import load_items

RECENT_BY_AUTHOR = 10


class RedisContext:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def around(self, item: dict[str, Any]) -> dict[str, Any]:
        """{parent, author: {counts, recent}, notes, decisions, revisions} for a loaded
        comment (revisions: its earlier texts, oldest first)."""
        comment, ref = item["comment"], item["ref"]
        history, counts, has_author = author_keys(comment)
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            pipe.zrevrange(history, 0, RECENT_BY_AUTHOR)  # empty without an author id
            pipe.hgetall(counts)
            pipe.lrange(keys.notes(ref), 0, -1)
            pipe.lrange(keys.history(ref), 0, -1)
            pipe.lrange(keys.revisions(ref), 0, -1)
            recent, tallies, notes, audit_ids, revisions = await pipe.execute()
            parent_ref = _parent_ref(comment)
            others = [r for r in (recent or []) if r != ref][:RECENT_BY_AUTHOR]
            loaded = await load_items(
                self._client, [*([parent_ref] if parent_ref else []), *others]
            )
            decisions = await self._decisions(ref, audit_ids)
        parent = loaded.pop(0) if parent_ref else None
        return {
            "parent": parent,
            "parent_id": comment.get("parent_id"),
            "author": {
                "known": has_author,
                "counts": {k: int(v) for k, v in (tallies or {}).items() if int(v) > 0},
                "recent": [i for i in loaded if i is not None],
            },
            "notes": [json.loads(n) for n in notes],
            "decisions": decisions,
            "revisions": [json.loads(r) for r in revisions],
        }

    async def _decisions(self, ref: str, audit_ids: list[str]) -> list[dict[str, Any]]:
        """The audit entries of one comment (ids from its history list), oldest first."""
        if not audit_ids:
            return []
        stream = keys.part_of(ref).audit
        pipe = self._client.pipeline(transaction=False)
        for aid in audit_ids:
            pipe.xrange(stream, min=aid, max=aid)
        out = []
        for entries in await pipe.execute():
            if entries:
                out.append({"audit_id": entries[0][0], **json.loads(entries[0][1]["data"])})
        return out


def _parent_ref(comment: dict[str, Any]) -> str | None:
    parent_id = comment.get("parent_id")
    return f"{comment.get('site') or 'default'}:{parent_id}" if parent_id else None
