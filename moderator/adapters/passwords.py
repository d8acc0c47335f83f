"""Password hashing (argon2id), never on the event loop.

Hashing and verifying each cost tens of milliseconds of CPU by design. The async methods run
them in a bounded thread pool (argon2's C code releases the GIL), so a burst of logins delays
other logins, never `/healthz`, the webhook or a reviewer's page. A wrong password and an
unreadable hash both verify as False; nothing is raised for them.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


def default_workers() -> int:
    """Half the usable cores (at least one): the rest stays free for the event loop."""
    return max(1, len(os.sched_getaffinity(0)) // 2)


class Argon2Passwords:
    def __init__(self, max_workers: int | None = None) -> None:
        self._hasher = PasswordHasher()
        self._pool = ThreadPoolExecutor(
            max_workers or default_workers(), thread_name_prefix="argon2"
        )
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    def dummy_hash(self) -> str:
        """A hash to verify against when the account does not exist, so both failures cost
        the same time (made on first use: it costs a hash)."""
        if self._dummy is None:
            self._dummy = self.hash("not a password")
        return self._dummy

    async def ahash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.hash, password)

    async def averify(self, password_hash: str | None, password: str) -> bool:
        """Verify in the pool; None (no such account) verifies against a dummy hash."""

        def run() -> bool:
            return self.verify(password_hash or self.dummy_hash(), password)

        return await asyncio.get_running_loop().run_in_executor(self._pool, run)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
