"""Would a 202 survive a crash? Read Redis's persistence and eviction settings and say so.

A `202` promises the comment is stored. That holds on a crash only when Redis writes an
append-only file and fsyncs it before answering (`appendonly yes`, `appendfsync always`: what
the embedded Redis and compose.yaml run) and never evicts keys (`maxmemory-policy noeviction`).
Anything else gets a warning that says what a crash (or a full memory) would lose. Managed
Redis services that refuse CONFIG get a warning that the settings could not be checked.
Read-only: nothing here changes Redis. On a Redis Cluster the settings read are those of the
primaries that own moderator's partitions (with one partition, the `{mod}` slot's owner).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis
import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis.client import adata_node, data_node, is_cluster

_FIELDS = ("appendonly", "appendfsync", "maxmemory-policy")


@dataclass(frozen=True, slots=True)
class Durability:
    """`durable` is True when a 202 survives a Redis or host crash, False when it may not,
    None when the settings could not be read; `warnings` says why, one sentence each."""

    durable: bool | None
    settings: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"durable": self.durable, "settings": self.settings, "warnings": self.warnings}


def assess(config: dict[str, str]) -> Durability:
    """Judge Redis's CONFIG values (`appendonly`, `appendfsync`, `maxmemory-policy`)."""
    found = {k: str(config.get(k, "")) for k in _FIELDS}
    warnings = []
    if found["appendonly"] != "yes":
        warnings.append(
            "Redis keeps no append-only file (appendonly "
            f"{found['appendonly'] or 'unknown'}): a Redis crash loses every comment accepted "
            "since its last snapshot, though each was answered 202. Set appendonly yes and "
            "appendfsync always."
        )
    elif found["appendfsync"] != "always":
        lost = "up to a second" if found["appendfsync"] == "everysec" else "up to 30 s or more"
        warnings.append(
            f"Redis fsyncs its append-only file lazily (appendfsync {found['appendfsync']}): a "
            f"power cut or host crash can lose {lost} of comments already answered 202. "
            "Set appendfsync always."
        )
    durable = not warnings
    if found["maxmemory-policy"] not in ("noeviction", ""):
        durable = False
        warnings.append(
            f"Redis may evict keys when its memory is full (maxmemory-policy "
            f"{found['maxmemory-policy']}): accepted comments, queue entries and claims could "
            "vanish. Set maxmemory-policy noeviction (moderator then answers 503 when full)."
        )
    return Durability(durable, found, warnings)


def _unknown(exc: Exception) -> Durability:
    return Durability(
        None,
        {},
        [
            f"Could not read Redis's persistence settings (CONFIG GET refused: {exc}); make "
            "sure it runs with appendonly yes, appendfsync always and maxmemory-policy "
            "noeviction, or a 202 may not survive a crash."
        ],
    )


def check(client: redis.Redis) -> Durability:
    """Read and judge the settings (synchronous: start-up banners and logs). Redis being
    unreachable propagates; CONFIG being refused gives durable None."""
    found = []
    try:
        for key in _data_keys(client):
            config: dict[str, str] = {}
            target = data_node(client, key)
            for name in _FIELDS:
                config.update(client.config_get(name, **target))
            found.append(assess(config))
    except redis.ResponseError as exc:
        return _unknown(exc)
    return _worst(found)


async def acheck(client: aioredis.Redis) -> Durability:
    """As check(), for the web process (/healthz)."""
    found = []
    try:
        for key in _data_keys(client):
            config: dict[str, str] = {}
            target = await adata_node(client, key)
            for name in _FIELDS:
                config.update(await client.config_get(name, **target))
            found.append(assess(config))
    except redis.ResponseError as exc:
        return _unknown(exc)
    return _worst(found)


def _data_keys(client: redis.Redis | aioredis.Redis) -> list[str]:
    """A key of each node that holds moderator's data: each partition's on a cluster (they
    may sit on several primaries), one elsewhere (one primary holds every partition)."""
    if is_cluster(client):
        return [part.ingest for part in keys.parts()]
    return [keys.INGEST_STREAM]


def _worst(found: list[Durability]) -> Durability:
    """One judgement for several nodes: durable only if every one is; every warning once."""
    if len(found) == 1:
        return found[0]
    warnings = list(dict.fromkeys(w for d in found for w in d.warnings))
    durable = all(d.durable for d in found)
    settings = next((d.settings for d in found if not d.durable), found[0].settings)
    return Durability(durable, settings, warnings)
