"""The secondary indexes of the review queues, and the key lists the Lua scripts maintain them by.

Each waiting comment is a member of 2 × (1 + d) sorted sets of its queue: the whole queue and one
set per filter dimension (d of them: site, thread, language, each lexicon category), each once by
priority (score: core.ordering.queue_score) and once by age (score: enqueue time in ms). Every
script that moves a comment in or out of a queue updates all of them in the same atomic step, so
a filtered, ordered page is a ZRANGE on one set: O(log n + page). A comment's dimensions are
computed once, when it is stored, and kept on its hash (`ix`), so later moves never depend on
this code's current version.
"""

from __future__ import annotations

import json
from typing import Any

from moderator import keys
from moderator.core.ordering import queued_at_ms

ORDERS = ("priority", "oldest")
QUEUE_NAMES = ("hold", "review", "escalated", "sample")
#: The control sample's queue: comments the policy approved (and the platform was told so),
#: queued for a retrospective look (core/sampling.py).
SAMPLE_QUEUE = "sample"
#: How many of an author's comments the history keeps (the newest); counts cover all of them.
AUTHOR_HISTORY_MAX = 200


def dims(comment: dict[str, Any], record: dict[str, Any] | None) -> list[str]:
    """The filter dimensions of a comment, e.g. ["site:blog", "thread:blog:t1", "lang:en",
    "cat:ableist"]. Sites cannot contain ':' (the webhook refuses it), so each is unambiguous."""
    site = comment.get("site") or "default"
    out = [f"site:{site}"]
    thread_id = (comment.get("thread") or {}).get("id")
    if thread_id:
        out.append(thread_dim(site, thread_id))
    record = record or {}
    if record.get("language"):
        out.append(f"lang:{record['language']}")
    categories = {m.get("category") for m in record.get("matches") or []}
    out += [f"cat:{c}" for c in sorted(c for c in categories if isinstance(c, str) and c)]
    return out


def thread_dim(site: str, thread_id: str) -> str:
    return f"thread:{site}:{thread_id}"


def index_keys(
    queue: str, comment_dims: list[str], part: keys.Partition | None = None
) -> tuple[list[str], list[str]]:
    """(by-priority keys, by-age keys) of one queue; each list starts with the whole queue. In
    `part`, by default the partition of the site the dimensions name (dims puts it first)."""
    part = part or dims_part(comment_dims)
    names = [None, *comment_dims]
    return (
        [part.queue_index(queue, "priority", d) for d in names],
        [part.queue_index(queue, "oldest", d) for d in names],
    )


def all_index_keys(comment_dims: list[str], part: keys.Partition | None = None) -> list[str]:
    """Every index key a comment with these dimensions can be in, across all queues."""
    out: list[str] = []
    for queue in QUEUE_NAMES:
        by_priority, by_age = index_keys(queue, comment_dims, part)
        out += by_priority + by_age
    return out


def dims_part(comment_dims: list[str]) -> keys.Partition:
    """The partition of the comment whose dimensions these are (its site's)."""
    for d in comment_dims:
        if d.startswith("site:"):
            return keys.part_of_site(d[len("site:") :])
    return keys.part(0)


def author_keys(comment: dict[str, Any]) -> tuple[str, str, bool]:
    """(history key, counts key, whether the comment has an author id to file it under)."""
    site = comment.get("site") or "default"
    author_id = (comment.get("author") or {}).get("id") or ""
    return keys.author(site, author_id), keys.author_counts(site, author_id), bool(author_id)


def scored_extras(
    ref: str, comment: dict[str, Any], record: dict[str, Any], queue_score: int
) -> tuple[list[str], list[Any]]:
    """The KEYS and ARGV that STORE_SCORED takes after its first five keys and ten arguments:
    outbox chain, author history and counts, the ingest dead-letter stream, the outbox refs
    hash, then the queue's index keys (the whole queue by priority excluded: that is its
    KEYS[2])."""
    comment_dims = dims(comment, record)
    action, part = record["action"], keys.part_of(ref)
    by_priority, by_age = (
        index_keys(action, comment_dims, part) if action != "approve" else ([], [])
    )
    history, counts, has_author = author_keys(comment)
    extra_keys = [
        keys.outbox_chain(ref),
        history,
        counts,
        part.dead,
        part.outbox_refs,
        *by_priority[1:],
        *by_age,
    ]
    extra_args = [
        json.dumps(comment_dims),
        queued_at_ms(queue_score),
        max(0, len(by_priority) - 1),
        AUTHOR_HISTORY_MAX,
        "1" if has_author else "0",
    ]
    return extra_keys, extra_args
