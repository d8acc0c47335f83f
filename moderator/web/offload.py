"""CPU-heavy work of the web process (rendering pages, highlighting hostile text) runs on a
bounded thread pool, never on the event loop: while a big page renders, `/healthz`, the webhook
and every other request keep being answered. At most `threads` jobs run at once; the others
wait in the pool's queue, and the coroutines awaiting them yield the loop meanwhile. An error in
a job is raised in the awaiting coroutine, as if the job had run there."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class CpuPool:
    def __init__(self, threads: int) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="moderator-cpu")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a pool thread; the caller's coroutine waits without blocking the loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    def close(self) -> None:
        """Finish the jobs in hand; queued ones are cancelled (their requests are ending)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
