"""Redis connections and the translation of connection failures into StoreUnavailableError."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from moderator.errors import StoreUnavailableError

_SOCKET_TIMEOUT_S = 5.0
_CONNECT_TIMEOUT_S = 2.0
# redis-py's default retries a refused connection for about 3 s; a webhook sender is better
# served by a quick 503 it will retry itself. Every script we run is safe to repeat.
_RETRIES = 2
DOWN = (redis.ConnectionError, redis.TimeoutError)


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


@contextlib.contextmanager
def unavailable_as_error() -> Iterator[None]:
    try:
        yield
    except DOWN as exc:
        raise StoreUnavailableError(f"Redis is unreachable: {exc}.") from exc


@contextlib.asynccontextmanager
async def async_unavailable_as_error() -> AsyncIterator[None]:
    try:
        yield
    except DOWN as exc:
        raise StoreUnavailableError(f"Redis is unreachable: {exc}.") from exc
