"""The current policy version for scoring done in the API process (the Coral moderation phase,
the Perspective endpoints' lexicon-only mode): like a worker's `PolicyReloader`, Redis is read at
most every `policy.reload_s`, so a version applied with `moderator policy apply` or `calibrate
--apply` reaches these answers within that time, as it reaches the workers. A Redis error or an
invalid stored version keeps the policy in hand (logged); the file's policy serves until a
version is stored.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from moderator import keys
from moderator.core.policy_text import policy_from_text
from moderator.core.scoring import ScoringService
from moderator.errors import ConfigError

log = logging.getLogger("moderator.policy")


async def refresh(app: Any, service: ScoringService) -> None:
    """Swap `service.policy` for Redis's current version when it changed (checked at most every
    `policy.reload_s` per service)."""
    services = app.state.services
    checked: dict[int, float] = app.state.__dict__.setdefault("policy_checked", {})
    now = time.monotonic()
    if now - checked.get(id(service), -1e9) < services.settings.policy.reload_s:
        return
    checked[id(service)] = now
    client: aioredis.Redis = services.redis
    try:
        version = await client.get(keys.POLICY_CURRENT)
        if not version or version == service.policy.version:
            return
        raw = await client.hget(keys.POLICY_VERSIONS, version)
        if not raw:
            return
        text = json.loads(raw)["text"]
        where = f"stored policy version {version!r}"
        service.policy = await app.state.cpu.run(policy_from_text, text, where)
        log.info("Policy version %s is current now in this API process.", version)
    except (RedisError, ConfigError, ValueError, KeyError) as exc:
        log.warning("Could not reload the policy (keeping %s): %s", service.policy.version, exc)
