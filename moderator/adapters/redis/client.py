"""Redis connections for every topology `redis_url` can name, and the translation of "Redis
cannot take this now" (unreachable, failing over, out of memory) into StoreUnavailableError /
StoreFullError, which the web layer answers with 503.

The URL schemes, all parsed here and nowhere else (`parse_redis_url`):

- `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS), `unix:///path/redis.sock` (the
  embedded Redis): one Redis (redis-py's from_url).
- `redis+sentinel://[user:pass@]host:port[,host:port…]/<service>[?db=N]` (and
  `rediss+sentinel://`): Sentinel discovery. The user and password are the data nodes' ACL;
  `sentinel_username` / `sentinel_password` query parameters authenticate to the sentinels when
  they need it. Every new connection asks the sentinels for the current primary, so after a
  failover the next command (or the retry of the failed one) reaches the new primary; a command
  that lands on the demoted primary gets READONLY, which drops the connection and is retried.
- `redis+cluster://[user:pass@]host:port[,host:port…]` (and `rediss+cluster://`): Redis Cluster
  through redis-py's RedisCluster, seeded with the listed nodes. Every key carries the hash tag
  `{mod}` (moderator/keys.py), so every script and pipeline stays on the one primary that owns
  that slot; keyless commands that must reach it (WAIT, CONFIG GET) are sent there
  (`data_node`). redis-py's cluster pipelines refuse MGET and EVALSHA: the adapters avoid them
  on a cluster (`is_cluster`).

A URL that names none of these, no host, a bad port, a Sentinel URL without a service, or a
query parameter we do not read is refused with ConfigError and a sentence saying what to write.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, cast
from urllib.parse import parse_qsl, unquote, urlsplit

import redis
import redis.asyncio as aioredis
import redis.cluster
import redis.sentinel
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from moderator import keys
from moderator.errors import ConfigError, StoreFullError, StoreUnavailableError

_SOCKET_TIMEOUT_S = 5.0
_CONNECT_TIMEOUT_S = 2.0
# redis-py's default retries a refused connection for about 3 s; a webhook sender is better
# served by a quick 503 it will retry itself. Every script we run is safe to repeat.
_RETRIES = 2
DOWN = (redis.ConnectionError, redis.TimeoutError)
#: Answers a Redis gives while its topology changes: a demoted primary (READONLY), a cluster
#: without a primary for a slot (CLUSTERDOWN), a slot being migrated (TRYAGAIN), a replica cut
#: off from its primary (MASTERDOWN). Each is "not now": the client retries, the sender gets 503.
SWITCHING = (
    redis.exceptions.ReadOnlyError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
    redis.exceptions.MasterDownError,
)
_OOM = "OOM command not allowed"
_READONLY = "READONLY You can't write against a read only replica"

Topology = Literal["standalone", "sentinel", "cluster"]
_SCHEMES: dict[str, tuple[Topology, bool]] = {
    "redis": ("standalone", False),
    "rediss": ("standalone", True),
    "unix": ("standalone", False),
    "redis+sentinel": ("sentinel", False),
    "rediss+sentinel": ("sentinel", True),
    "redis+cluster": ("cluster", False),
    "rediss+cluster": ("cluster", True),
}
_SENTINEL_PARAMS = {"db", "sentinel_username", "sentinel_password"}
_EXAMPLES = (
    "redis://[user:password@]host:6379/0, rediss://… (TLS), "
    "redis+sentinel://[user:password@]host:26379[,host:26379]/<service>[?db=0], "
    "redis+cluster://[user:password@]host:6379[,host:6379]"
)


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """What a `redis_url` names: the topology, the seed nodes, the ACL user and password, TLS,
    the Sentinel service and database. `url` is the URL as given (standalone: from_url's)."""

    topology: Topology
    url: str
    nodes: tuple[tuple[str, int], ...]
    tls: bool = False
    username: str | None = None
    password: str | None = None
    service: str = ""
    db: int = 0
    sentinel_auth: dict[str, str] = field(default_factory=dict)


def parse_redis_url(url: str) -> RedisTarget:
    """The topology `url` names; ConfigError with the accepted forms when it names none."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in _SCHEMES:
        raise ConfigError(
            f"redis_url must start with one of {', '.join(s + '://' for s in _SCHEMES)} "
            f"(got {scheme + '://' if scheme else 'no scheme'}); for example {_EXAMPLES}."
        )
    topology, tls = _SCHEMES[scheme]
    if topology == "standalone":
        return _standalone(url, tls)
    parts = urlsplit(url)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    username, password = _credentials(userinfo)
    nodes = _nodes(hosts, 26379 if topology == "sentinel" else 6379, scheme)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    base = RedisTarget(topology, url, nodes, tls, username, password)
    if topology == "cluster":
        if parts.path not in ("", "/") or params:
            raise ConfigError(
                "A redis+cluster:// URL takes no database, path or query parameters (a Redis "
                f"Cluster has only database 0); write {scheme}://[user:password@]host:port"
                "[,host:port]."
            )
        return base
    return _sentinel(base, parts.path, params, scheme)


def _standalone(url: str, tls: bool) -> RedisTarget:
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise ConfigError(f"redis_url cannot be read ({exc}); for example {_EXAMPLES}.") from None
    if parts.scheme == "unix":
        if not parts.path:
            raise ConfigError("A unix:// redis_url names the socket: unix:///path/to/redis.sock.")
        return RedisTarget("standalone", url, (), tls, None, None)
    if not host:
        raise ConfigError(f"redis_url names no host; for example {_EXAMPLES}.")
    username, password = _credentials(parts.netloc.rpartition("@")[0])
    return RedisTarget("standalone", url, ((host, port or 6379),), tls, username, password)


def _credentials(userinfo: str) -> tuple[str | None, str | None]:
    if not userinfo:
        return None, None
    user, colon, password = userinfo.partition(":")
    return unquote(user) or None, unquote(password) if colon else None


def _nodes(hosts: str, default_port: int, scheme: str) -> tuple[tuple[str, int], ...]:
    nodes = []
    for item in hosts.split(","):
        host, colon, port = item.strip().rpartition(":") if ":" in item else (item, "", "")
        host = host.strip("[]")
        if not host or (colon and not port.isdigit()) or (port and not 0 < int(port) < 65536):
            raise ConfigError(
                f"{scheme}:// lists a bad node {item.strip()!r}: write host:port, several "
                "separated by commas (for example 10.0.0.1:26379,10.0.0.2:26379)."
            )
        nodes.append((host, int(port) if port else default_port))
    return tuple(nodes)


def _sentinel(base: RedisTarget, path: str, params: dict[str, str], scheme: str) -> RedisTarget:
    service = unquote(path.strip("/"))
    if not service or "/" in service:
        raise ConfigError(
            f"A {scheme}:// URL names the monitored service after the hosts: "
            f"{scheme}://[user:password@]host:26379[,host:26379]/<service>[?db=0] "
            f"(got path {path!r})."
        )
    unknown = sorted(set(params) - _SENTINEL_PARAMS)
    if unknown:
        raise ConfigError(
            f"{scheme}:// does not read the parameter(s) {', '.join(unknown)}; it reads "
            f"{', '.join(sorted(_SENTINEL_PARAMS))}."
        )
    db = params.get("db", "0")
    if not db.isdigit():
        raise ConfigError(f"{scheme}:// ?db= must be a database number (got {db!r}).")
    auth = {
        k.removeprefix("sentinel_"): v for k, v in params.items() if k.startswith("sentinel_") and v
    }
    return RedisTarget(
        "sentinel",
        base.url,
        base.nodes,
        base.tls,
        base.username,
        base.password,
        service=service,
        db=int(db),
        sentinel_auth=auth,
    )


def _backoff() -> ExponentialBackoff:
    return ExponentialBackoff(cap=0.1, base=0.02)


def _common(target: RedisTarget) -> dict[str, Any]:
    common: dict[str, Any] = {
        "decode_responses": True,
        "socket_timeout": _SOCKET_TIMEOUT_S,
        "socket_connect_timeout": _CONNECT_TIMEOUT_S,
        "username": target.username,
        "password": target.password,
    }
    if target.tls:
        common["ssl"] = True
    return common


def _sentinel_kwargs(target: RedisTarget, retry: Retry | AsyncRetry) -> dict[str, Any]:
    # One quick retry per sentinel: redis-py's default backs off for about 12 s before it
    # gives up on a sentinel that is gone, and the webhook would hang that long.
    kwargs: dict[str, Any] = {
        "retry": retry,
        "socket_timeout": _SOCKET_TIMEOUT_S,
        "socket_connect_timeout": _CONNECT_TIMEOUT_S,
        **target.sentinel_auth,
    }
    if target.tls:
        kwargs["ssl"] = True
    return kwargs


def connect(url: str, *, decode_responses: bool = True) -> redis.Redis:
    """A synchronous client for `url` (any scheme above). A RedisCluster client is returned
    typed as Redis: it serves the same commands (every key is in the `{mod}` slot).
    `decode_responses=False` answers bytes (what DUMP/RESTORE need)."""
    return cast(redis.Redis, _open(url, asynchronous=False, decode_responses=decode_responses))


class _AsyncCluster(AsyncRedisCluster):
    """redis-py's asyncio RedisCluster, learning the cluster's slots before its first command
    resolves anything. The stock client resolves a command's routing policy before it
    initializes; commands sent concurrently to a fresh client (the first burst an API process
    serves) then fail: "Connection closed by server", "'NoneType' object has no attribute
    'writelines'" (redis-py 8.1; tests/topology/test_cluster.py)."""

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        if self._initialize:
            await self.initialize()  # under the client's lock: once, the others wait
        return await super().execute_command(*args, **kwargs)


def connect_async(url: str) -> aioredis.Redis:
    """The asyncio twin of connect()."""
    return cast(aioredis.Redis, _open(url, asynchronous=True, decode_responses=True))


def _open(url: str, *, asynchronous: bool, decode_responses: bool) -> Any:
    """One construction for both clients: redis-py's sync and asyncio classes take the same
    arguments."""
    if asynchronous:
        from redis.asyncio.cluster import ClusterNode, RedisCluster
        from redis.asyncio.sentinel import Sentinel

        client: Any = aioredis.Redis
        retry_type: Any = AsyncRetry
    else:
        from redis.cluster import ClusterNode, RedisCluster  # type: ignore[assignment]
        from redis.sentinel import Sentinel  # type: ignore[assignment]

        client, retry_type = redis.Redis, Retry
    target = parse_redis_url(url)
    retry = retry_type(_backoff(), _RETRIES)
    if target.topology == "standalone":
        return client.from_url(
            url,
            decode_responses=decode_responses,
            retry=retry,
            socket_timeout=_SOCKET_TIMEOUT_S,
            socket_connect_timeout=_CONNECT_TIMEOUT_S,
        )
    common = {**_common(target), "decode_responses": decode_responses}
    if target.topology == "sentinel":
        sentinel = Sentinel(
            list(target.nodes),
            sentinel_kwargs=_sentinel_kwargs(target, retry_type(_backoff(), 1)),
            **common,
        )
        return sentinel.master_for(target.service, db=target.db, retry=retry)
    nodes = [ClusterNode(h, p) for h, p in target.nodes]
    cluster = _AsyncCluster if asynchronous else RedisCluster
    return cluster(startup_nodes=nodes, retry=retry, **common)


def is_cluster(client: redis.Redis | aioredis.Redis) -> bool:
    """Whether `client` talks to a Redis Cluster (its pipelines refuse EVALSHA and MGET)."""
    return isinstance(client, redis.RedisCluster | AsyncRedisCluster)


def data_node(client: redis.Redis, key: str = keys.INGEST_STREAM) -> dict[str, Any]:
    """Keyword arguments that send a keyless command (WAIT, CONFIG GET) to the node holding
    `key` (by default moderator's `{mod}` slot): on a Redis Cluster, the primary that owns its
    slot (redis-py would send it to its default node, any primary); elsewhere none, there is
    one primary."""
    if isinstance(client, redis.RedisCluster):
        return {"target_nodes": client.get_node_from_key(key)}
    return {}


async def adata_node(client: aioredis.Redis, key: str = keys.INGEST_STREAM) -> dict[str, Any]:
    """The asyncio twin of data_node() (an asyncio cluster client learns its slots lazily)."""
    if isinstance(client, AsyncRedisCluster):
        await client.initialize()
        return {"target_nodes": client.get_node_from_key(key)}
    return {}


def is_out_of_memory(exc: BaseException) -> bool:
    """Redis refused a write for memory: a plain command answers OOM, a Lua script whose first
    write is refused answers an error that quotes it (Redis 6)."""
    if isinstance(exc, redis.exceptions.OutOfMemoryError):
        return True
    return isinstance(exc, redis.ResponseError) and _OOM in str(exc)


def is_switching(exc: BaseException) -> bool:
    """Redis is changing topology: a plain command answers READONLY (CLUSTERDOWN, TRYAGAIN,
    MASTERDOWN), and a Lua script whose first write lands on a demoted primary answers an error
    that quotes READONLY ("@user_script:4: … -READONLY You can't write…")."""
    if isinstance(exc, SWITCHING):
        return True
    return isinstance(exc, redis.ResponseError) and _READONLY in str(exc)


def store_error(exc: BaseException) -> StoreUnavailableError | None:
    """The StoreUnavailableError (or StoreFullError) `exc` means, None for any other error."""
    if isinstance(exc, DOWN):
        # MasterNotFoundError's text ends with the sentinel client's repr: keep the sentence.
        return StoreUnavailableError(f"Redis is unreachable: {str(exc).split(' : ')[0]}.")
    if is_switching(exc):
        return StoreUnavailableError(f"Redis is switching primaries: {exc}.")
    if is_out_of_memory(exc):
        return StoreFullError(
            "Redis refuses writes: it is out of memory (maxmemory reached, noeviction); "
            "nothing was stored."
        )
    return None


@contextlib.contextmanager
def unavailable_as_error() -> Iterator[None]:
    """Redis unreachable or failing over → StoreUnavailableError; out of memory →
    StoreFullError."""
    try:
        yield
    except redis.RedisError as exc:
        mapped = store_error(exc)
        if mapped is None:
            raise
        raise mapped from exc


@contextlib.asynccontextmanager
async def async_unavailable_as_error() -> AsyncIterator[None]:
    """unavailable_as_error() for `async with` blocks (the awaits inside raise through it)."""
    with unavailable_as_error():
        yield
