"""Redis connections, and the translation of "Redis cannot take this now" (unreachable, out of
memory) into StoreUnavailableError / StoreFullError, which the web layer answers with 503."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from moderator.errors import StoreFullError, StoreUnavailableError

_SOCKET_TIMEOUT_S = 5.0
_CONNECT_TIMEOUT_S = 2.0
# redis-py's default retries a refused connection for about 3 s; a webhook sender is better
# served by a quick 503 it will retry itself. Every script we run is safe to repeat.
_RETRIES = 2
DOWN = (redis.ConnectionError, redis.TimeoutError)
_OOM = "OOM command not allowed"


def _backoff() -> ExponentialBackoff:
    return ExponentialBackoff(cap=0.1, base=0.02)


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        retry=Retry(_backoff(), _RETRIES),
        socket_timeout=_SOCKET_TIMEOUT_S,
        socket_connect_timeout=_CONNECT_TIMEOUT_S,
    )


def connect_async(url: str) -> aioredis.Redis:
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        retry=AsyncRetry(_backoff(), _RETRIES),
        socket_timeout=_SOCKET_TIMEOUT_S,
        socket_connect_timeout=_CONNECT_TIMEOUT_S,
    )


def is_out_of_memory(exc: BaseException) -> bool:
    """Redis refused a write for memory: a plain command answers OOM, a Lua script whose first
    write is refused answers an error that quotes it (Redis 6)."""
    if isinstance(exc, redis.exceptions.OutOfMemoryError):
        return True
    return isinstance(exc, redis.ResponseError) and _OOM in str(exc)


def _store_error(exc: BaseException) -> StoreUnavailableError | None:
    if isinstance(exc, DOWN):
        return StoreUnavailableError(f"Redis is unreachable: {exc}.")
    if is_out_of_memory(exc):
        return StoreFullError(
            "Redis refuses writes: it is out of memory (maxmemory reached, noeviction); "
            "nothing was stored."
        )
    return None


@contextlib.contextmanager
def unavailable_as_error() -> Iterator[None]:
    """Redis unreachable → StoreUnavailableError; out of memory → StoreFullError."""
    try:
        yield
    except redis.RedisError as exc:
        mapped = _store_error(exc)
        if mapped is None:
            raise
        raise mapped from exc


@contextlib.asynccontextmanager
async def async_unavailable_as_error() -> AsyncIterator[None]:
    """Redis unreachable → StoreUnavailableError; out of memory → StoreFullError."""
    try:
        yield
    except redis.RedisError as exc:
        mapped = _store_error(exc)
        if mapped is None:
            raise
        raise mapped from exc
