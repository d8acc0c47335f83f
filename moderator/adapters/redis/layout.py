"""The key layout's version: find data written under the first layout (`mod:…`, no hash tag)
and move it under today's (`{mod}:…`, moderator/keys.py), key by key.

Moving is a rename per key (`RENAMENX`: atomic, O(1), keeps the TTL, stream ids and consumer
groups), so pull-feed cursors, callback `Idempotency-Key`s and everything stored inside the
values (refs, feed ids, names) stay valid. On a Redis Cluster a rename cannot cross slots, so
each key is copied with `DUMP`/`RESTORE` (TTL kept) and then deleted. A run that is interrupted
is run again: a key already moved is skipped, a copy left behind by a cut cluster move is
recognised (same dump) and its source deleted. A new key that already holds other data is never
overwritten: it is reported as a conflict and its old key left where it is.

Claims are the exception: the first layouts kept one key per comment (`mod:claim:<ref>`, then
`{mod}:claim:<ref>`), today's keep one hash (`keys.CLAIMS`), so each live claim becomes an entry
of that hash with the same expiry (a claim already in the hash is newer and wins).

Only moderator's own key families are moved (`FAMILIES`: the first segment after the prefix of
every name moderator/keys.py builds), so another application's `mod:` keys in the same database
are left alone.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import redis

from moderator import keys
from moderator.errors import ConfigError

log = logging.getLogger("moderator.layout")

#: The first segment of every key name moderator/keys.py builds (tests/adapters/test_redis_layout
#: checks that this covers all of them).
FAMILIES = (
    "archive",
    "audit",
    "author",
    "author-counts",
    "claim",  # the first layouts' claim keys (one per comment): moved into the claims hash
    "claims",
    "claims-of",
    "comment",
    "feed",
    "heartbeats",
    "history",
    "ingest",
    "layout",
    "links",
    "login",
    "model",
    "notes",
    "outbox",
    "perspective",
    "policy",
    "queue",
    "qx",
    "ready-probe",
    "recent",
    "revisions",
    "second",
    "session",
    "sites",
    "sync",
    "token",
    "token-names",
    "tokens",
    "user",
    "users",
    "wait",
)
#: Keys only the first layout's running service writes: any of them present means its data is
#: here (a single EXISTS at start-up, before any SCAN).
MARKERS = ("ingest", "feed", "users", "policy:current", "sites", "model", "tokens")


@dataclass
class Migration:
    moved: int = 0
    already: int = 0  # found under the new name only (an earlier, interrupted run)
    conflicts: list[str] = field(default_factory=list)  # new name holds other data
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "moved": self.moved,
            "already": self.already,
            "conflicts": self.conflicts,
            "dry_run": self.dry_run,
        }


def new_name(legacy: str) -> str | None:
    """Today's name of a first-layout key, or None when it is not one of moderator's."""
    if not legacy.startswith(keys.LEGACY_PREFIX):
        return None
    rest = legacy[len(keys.LEGACY_PREFIX) :]
    family = rest.split(":", 1)[0]
    return keys.PREFIX + rest if family in FAMILIES else None


def check_partitions(client: redis.Redis, partitions: int) -> None:
    """Record how many partitions the data is split into (keys.LAYOUT, on first use), or check
    this process uses as many: ConfigError otherwise (a process with another count would read
    and write other keys). Data written before the record existed was written with one."""
    recorded = client.hget(keys.LAYOUT, "partitions")
    if recorded is None:
        earlier = any(
            client.exists(k) for k in (keys.INGEST_STREAM, keys.USERS, keys.POLICY_CURRENT)
        ) or has_legacy_data(client)
        if earlier and partitions != 1:
            raise ConfigError(
                f"This Redis holds moderator data written with 1 partition, and redis.partitions "
                f"is {partitions}: splitting existing data is not built (docs/DESIGN.md, "
                '"Spreading over a cluster"); set redis.partitions = 1.'
            )
        client.hsetnx(keys.LAYOUT, "partitions", partitions)
        recorded = client.hget(keys.LAYOUT, "partitions")
    if int(recorded or 1) != partitions:
        raise ConfigError(
            f"This Redis holds moderator data split into {int(recorded or 1)} partitions, and "
            f"redis.partitions is {partitions}: set it to {int(recorded or 1)} in every process."
        )


def has_legacy_data(client: redis.Redis) -> bool:
    """Whether the first layout's data is in this Redis (one EXISTS of its marker keys)."""
    if _is_cluster(client):  # each marker may sit on another node: ask one at a time
        return any(client.exists(keys.LEGACY_PREFIX + m) for m in MARKERS)
    return bool(client.exists(*(keys.LEGACY_PREFIX + m for m in MARKERS)))


def migrate(client: redis.Redis, *, dry_run: bool = False) -> Migration:
    """Move every first-layout key of moderator's families to its new name (see the module)."""
    found = Migration(dry_run=dry_run)
    cluster = _is_cluster(client)
    for raw in client.scan_iter(match=keys.PREFIX + CLAIM_FAMILY + "*", count=1000):
        _count(found, _move_claim(client, _text(raw), dry_run))
    for raw in client.scan_iter(match=keys.LEGACY_PREFIX + "*", count=1000):
        old = _text(raw)
        if old.startswith(keys.LEGACY_PREFIX + CLAIM_FAMILY):
            _count(found, _move_claim(client, old, dry_run))
            continue
        new = new_name(old)
        if new is None:
            continue
        if dry_run:
            if client.exists(new):
                found.conflicts.append(old)
            else:
                found.moved += 1
            continue
        outcome = _move_copy(client, old, new) if cluster else _move_rename(client, old, new)
        _count(found, outcome, old)
    if found.moved and not dry_run:
        log.warning("Moved %d keys from the first key layout (mod:…) to {mod}:….", found.moved)
    return found


CLAIM_FAMILY = "claim:"


def _text(raw: str | bytes) -> str:
    return raw if isinstance(raw, str) else raw.decode()


def _count(found: Migration, outcome: str, old: str = "") -> None:
    if outcome == "moved":
        found.moved += 1
    elif outcome == "already":
        found.already += 1
    elif outcome == "conflict":
        found.conflicts.append(old)


def _move_claim(client: redis.Redis, old: str, dry_run: bool) -> str:
    """A first layouts' claim key (`…claim:<ref>`, the reviewer's name with a TTL) into the
    claims hash with the same expiry; a lapsed one is dropped, a newer claim in the hash wins."""
    ref = old.split(CLAIM_FAMILY, 1)[1]
    if dry_run:
        return "moved"
    who, ttl = client.get(old), int(client.pttl(old))
    if who is None or ttl == -2:
        return "already"  # lapsed, or moved by another process since the scan listed it
    if ttl > 0:
        expiry = int(time.time() * 1000) + ttl  # this host's clock: a skew moves it by as much
        client.hsetnx(keys.part_of(ref).claims, ref, f"{expiry}:{_text(who)}")
    client.delete(old)
    return "moved"


def _move_rename(client: redis.Redis, old: str, new: str) -> str:
    try:
        return "moved" if client.renamenx(old, new) else "conflict"
    except redis.ResponseError as exc:
        if "no such key" in str(exc).lower():
            return "already"  # moved by another process since the scan listed it
        raise


def _move_copy(client: redis.Redis, old: str, new: str) -> str:
    payload = client.dump(old)
    if payload is None:
        return "already"
    if client.exists(new):
        if client.dump(new) != payload:
            return "conflict"
        client.delete(old)  # a copy an interrupted run made: finish it
        return "already"
    ttl = int(client.pttl(old))  # -1: none (RESTORE takes 0)
    client.restore(new, max(ttl, 0), payload)
    client.delete(old)
    return "moved"


def _is_cluster(client: Any) -> bool:
    return isinstance(client, redis.RedisCluster)
