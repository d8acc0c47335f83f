"""Failed-login limits per account and per address, in Redis.

An attempt is counted before its password is checked, in one script (LOGIN_ATTEMPT) that also
decides whether it may be checked at all, so parallel attempts cannot slip past the allowance:
N attempts against an allowance of A check at most A passwords. Past the allowance each further
attempt waits a delay that doubles (growing delays, not a fixed lock-out that a stranger can
impose on an account with a handful of requests). A right password clears the account's count
and gives the address its attempt back (LOGIN_SUCCEEDED).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.client import async_unavailable_as_error
from moderator.errors import RateLimitedError


@dataclass(frozen=True, slots=True)
class LoginLimits:
    per_account: int = 5
    per_address: int = 20
    window_s: int = 900  # a counter is forgotten this long after its last attempt
    first_delay_s: float = 1.0  # the wait after the allowance is used up; doubles each time
    max_delay_s: float = 900.0


def _now_ms() -> int:
    return int(time.time() * 1000)


class RedisLoginLimiter:
    def __init__(
        self,
        client: aioredis.Redis,
        limits: LoginLimits | None = None,
        clock_ms: Callable[[], int] = _now_ms,
    ) -> None:
        self.limits = limits or LoginLimits()
        self._clock_ms = clock_ms
        self._attempt = client.register_script(redis_scripts.LOGIN_ATTEMPT)
        self._succeeded = client.register_script(redis_scripts.LOGIN_SUCCEEDED)

    @staticmethod
    def _keys(name: str, address: str) -> list[str]:
        return [keys.login_failures("user", name), keys.login_failures("addr", address)]

    async def attempt(self, name: str, address: str) -> None:
        """Count an attempt on the account and the address; RateLimitedError (with the seconds
        to wait, counting nothing) while either is waiting out its delay."""
        limits = self.limits
        async with async_unavailable_as_error():
            wait_ms = await self._attempt(
                keys=self._keys(name, address),
                args=[
                    self._clock_ms(),
                    limits.per_account,
                    limits.per_address,
                    int(limits.first_delay_s * 1000),
                    int(limits.max_delay_s * 1000),
                    limits.window_s * 1000,
                ],
            )
        if int(wait_ms) > 0:
            wait_s = max(1, -(-int(wait_ms) // 1000))
            raise RateLimitedError(
                f"Too many failed logins; try again in {wait_s} seconds.", wait_s
            )

    async def succeeded(self, name: str, address: str) -> None:
        async with async_unavailable_as_error():
            await self._succeeded(keys=self._keys(name, address), args=[self.limits.per_address])
