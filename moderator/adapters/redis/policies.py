"""Policies as versioned data in Redis: every applied policy is kept under its `version`, one is
current, and each change (seed, apply, rollback) is logged with who, when and why.

The policy file (`policy.path`) seeds the first version; a file whose `version` is not stored yet
is applied at start-up as a new version (so editing the file and restarting still works); a file
whose version is stored with another text is refused with a warning (bump its version), and
Redis's current version stays. Workers read the current version every `policy.reload_s`
(`PolicyReloader`); a change is one atomic script (POLICY_SET), so every reader sees either the
old version or the new one.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import redis

from moderator import keys
from moderator.adapters.redis import scripts as redis_scripts
from moderator.core.policy import Policy
from moderator.core.policy_text import dump_policy, policy_from_text
from moderator.errors import ConfigError, NotFoundError

log = logging.getLogger("moderator.policy")


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    version: str
    text: str
    by: str
    why: str
    at: int
    seq: int

    @property
    def policy(self) -> Policy:
        return policy_from_text(self.text, f"stored policy version {self.version!r}")


class RedisPolicies:
    def __init__(self, client: redis.Redis, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.clock = clock
        self._set = client.register_script(redis_scripts.POLICY_SET)

    def current_version(self) -> str | None:
        value: Any = self.client.get(keys.POLICY_CURRENT)
        return str(value) if value else None

    def get(self, version: str) -> PolicyVersion:
        raw: Any = self.client.hget(keys.POLICY_VERSIONS, version)
        if not raw:
            raise NotFoundError(f"No stored policy version {version!r}.")
        data = json.loads(raw)
        return PolicyVersion(
            version, data["text"], data["by"], data["why"], data["at"], data["seq"]
        )

    def current(self) -> PolicyVersion | None:
        version = self.current_version()
        return self.get(version) if version else None

    def versions(self) -> list[PolicyVersion]:
        """Every stored version, in the order they were first stored."""
        raw: Any = self.client.hkeys(keys.POLICY_VERSIONS)
        return sorted((self.get(v) for v in raw), key=lambda v: v.seq)

    def log(self) -> list[dict[str, Any]]:
        raw: Any = self.client.lrange(keys.POLICY_LOG, 0, -1)
        return [json.loads(entry) for entry in raw]

    def seed(self, policy: Policy, by: str, why: str = "seeded from the policy file") -> str:
        """Store `policy` as the first version unless a version is current; the current one."""
        return self._run("seed", policy, by, why)

    def apply(self, policy: Policy, by: str, why: str) -> str:
        """Store `policy` as a new version and make it current. ConfigError when its version
        name is stored already with other rules (a new policy needs a new version)."""
        return self._run("apply", policy, by, why)

    def rollback(self, version: str | None, by: str, why: str) -> str:
        """Make a stored version current again (the one before the current, by default)."""
        if version is None:
            entries = self.log()
            if not entries or not entries[-1].get("previous"):
                raise NotFoundError("There is no earlier policy version to roll back to.")
            version = str(entries[-1]["previous"])
        stored = self.get(version)
        return self._run("rollback", stored.policy, by, why, text=stored.text)

    def _run(self, mode: str, policy: Policy, by: str, why: str, text: str = "") -> str:
        text = text or dump_policy(policy)
        at = int(self.clock() * 1000)
        version = json.dumps({"text": text, "by": by, "why": why, "at": at})
        entry = json.dumps(
            {"at": at, "by": by, "why": why, "action": mode, "version": policy.version}
        )
        keys_ = [keys.POLICY_VERSIONS, keys.POLICY_CURRENT, keys.POLICY_LOG]
        try:
            result: Any = self._set(keys=keys_, args=[mode, policy.version, version, text, entry])
        except redis.ResponseError as exc:
            if "EXISTS" in str(exc):
                raise ConfigError(
                    f"Policy version {policy.version!r} is stored already with other rules; "
                    "give the new policy a new version."
                ) from None
            if "NOTFOUND" in str(exc):
                raise NotFoundError(f"No stored policy version {policy.version!r}.") from None
            raise
        return str(result)


def sync_from_file(policies: RedisPolicies, file_policy: Policy, by: str) -> Policy:
    """At start-up: seed from the file, apply the file when its version is new, and answer the
    current policy (a file version stored with other rules is logged and left aside)."""
    policies.seed(file_policy, by)
    stored = {v.version: v for v in policies.versions()}
    mine = stored.get(file_policy.version)
    if mine is None:
        policies.apply(file_policy, by, "the policy file has a new version")
    elif mine.text != dump_policy(file_policy):
        log.warning(
            "The policy file's version %r is stored already with other rules; using the "
            "stored current version. Give the file a new version to apply it.",
            file_policy.version,
        )
    current = policies.current()
    assert current is not None
    return current.policy


class PolicyReloader:
    """Answers the current policy, reading Redis at most every `reload_s` (a worker calls
    `policy()` once per batch). A Redis error or an invalid stored version keeps the policy in
    hand and is logged. `sample_rate`, when set (the `policy.sample_rate` setting), replaces
    the control sample's rate of every version it answers, not only of the first."""

    def __init__(
        self,
        policies: RedisPolicies,
        policy: Policy,
        reload_s: float,
        clock: Callable[[], float] = time.monotonic,
        sample_rate: float | None = None,
    ) -> None:
        self.policies = policies
        self.reload_s = reload_s
        self.clock = clock
        self.sample_rate = sample_rate
        self._policy = self._local(policy)
        self._checked = clock()

    def _local(self, policy: Policy) -> Policy:
        if self.sample_rate is None or policy.sample_rate == self.sample_rate:
            return policy
        return replace(policy, sample_rate=self.sample_rate)

    def policy(self) -> Policy:
        now = self.clock()
        if now - self._checked < self.reload_s:
            return self._policy
        self._checked = now
        try:
            version = self.policies.current_version()
            if version and version != self._policy.version:
                self._policy = self._local(self.policies.get(version).policy)
                log.info("Policy version %s is current now.", version)
        except (redis.RedisError, ConfigError, NotFoundError) as exc:
            log.warning("Could not reload the policy (keeping %s): %s", self._policy.version, exc)
        return self._policy
