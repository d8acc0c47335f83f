"""Account and session writes are atomic, against a real Redis: the connection is cut after
each number of commands in turn (a process killed mid-operation), and what is left must be all
or nothing; two admins disabling each other at once cannot leave no enabled admin; a session
ends when its lifetime does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.auth import Principal, RedisAuthStore
from moderator.errors import AuthError, ConflictError, NotFoundError, StoreUnavailableError
from tests.web.seeding import anyio_backend_fixture, aredis_fixture  # noqa: F401

pytestmark = pytest.mark.anyio


def dying_client(url: str, commands: int) -> aioredis.Redis:
    """A client whose connections fail every command after the first `commands` (the
    connection handshake does not count): the process died there."""
    left = [commands]
    pool = aioredis.ConnectionPool.from_url(url, decode_responses=True)
    base: Any = pool.connection_class  # TCP or Unix socket, as the URL says

    class DyingConnection(base):  # type: ignore[misc, valid-type]
        handshaking = False

        async def on_connect(self) -> None:
            self.handshaking = True
            try:
                await super().on_connect()
            finally:
                self.handshaking = False

        async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
            if not self.handshaking:
                if left[0] <= 0:
                    await self.disconnect()
                    raise redis.ConnectionError("killed mid-operation")
                left[0] -= 1
            await super().send_packed_command(command, check_health)

    pool.connection_class = DyingConnection
    return aioredis.Redis.from_pool(pool)


async def cut_at_every_step(
    redis_url: str,
    redis_client: redis.Redis,
    setup: Callable[[RedisAuthStore], Awaitable[None]],
    operation: Callable[[RedisAuthStore], Awaitable[Any]],
    check: Callable[[], None],
) -> int:
    """Run `operation` with the connection cut after 0, 1, 2, … commands until it completes;
    `check` the store after each. Returns how many cuts were tried."""
    for commands in range(20):
        redis_client.flushdb()
        healthy = aioredis.Redis.from_url(redis_url, decode_responses=True)
        await setup(RedisAuthStore(healthy))
        await healthy.aclose()
        client = dying_client(redis_url, commands)
        try:
            await operation(RedisAuthStore(client))
            done = True
        except (redis.ConnectionError, StoreUnavailableError):
            done = False
        finally:
            await client.aclose()
        check()
        if done:
            return commands
    raise AssertionError("the operation never completed")


async def nothing(_: RedisAuthStore) -> None:
    return None


async def test_a_user_is_created_whole_or_not_at_all(redis_url, redis_client):
    def check() -> None:
        data = redis_client.hgetall(keys.user("rita"))
        listed = redis_client.sismember(keys.USERS, "rita")
        if data or listed:
            assert listed and {"password", "role", "disabled"} <= set(data), (data, listed)

    async def add(auth: RedisAuthStore) -> None:
        await auth.add_user("rita", "a long password", "reviewer")

    assert await cut_at_every_step(redis_url, redis_client, nothing, add, check) >= 1


async def test_a_session_is_never_written_without_its_expiry(redis_url, redis_client):
    def check() -> None:
        for key in redis_client.scan_iter(keys.session("*")):
            assert redis_client.pttl(key) > 0, "a session that would live for ever"

    async def setup(auth: RedisAuthStore) -> None:
        await auth.add_user("rita", "a long password", "reviewer")

    async def log_in(auth: RedisAuthStore) -> None:
        await auth.create_session(Principal("rita", "reviewer"), 3600)

    await cut_at_every_step(redis_url, redis_client, setup, log_in, check)


async def test_two_admins_disabling_each_other_leave_one_enabled(aredis):
    auth = RedisAuthStore(aredis)
    for name in ("ada", "bea"):
        await auth.add_user(name, "a long password", "admin")
    for _ in range(10):
        outcomes = await asyncio.gather(
            auth.set_disabled("ada", True), auth.set_disabled("bea", True), return_exceptions=True
        )
        refused = [o for o in outcomes if isinstance(o, ConflictError)]
        enabled = [u for u in await auth.list_users() if not u["disabled"]]
        assert len(refused) == 1 and len(enabled) == 1, outcomes
        await auth.set_disabled("ada", False)
        await auth.set_disabled("bea", False)


async def test_demoting_and_removing_at_once_leave_an_enabled_admin(aredis):
    auth = RedisAuthStore(aredis)
    for name in ("ada", "bea"):
        await auth.add_user(name, "a long password", "admin")
    outcomes = await asyncio.gather(
        auth.set_role("ada", "reviewer"), auth.remove_user("bea"), return_exceptions=True
    )
    assert sum(isinstance(o, ConflictError) for o in outcomes) == 1
    assert [u for u in await auth.list_users() if u["role"] == "admin" and not u["disabled"]]


async def test_a_session_ends_when_its_lifetime_does(aredis, redis_client):
    auth = RedisAuthStore(aredis)
    await auth.add_user("rita", "a long password", "reviewer")
    sid, _ = await auth.create_session(Principal("rita", "reviewer"), 1)
    assert 0 < redis_client.pttl(keys.session(sid)) <= 1000
    assert (await auth.session(sid))[0].name == "rita"
    await asyncio.sleep(1.1)
    with pytest.raises(NotFoundError):
        await auth.session(sid)


async def test_a_removed_users_sessions_and_token_do_not_come_back_with_the_name(aredis):
    auth = RedisAuthStore(aredis)
    await auth.add_user("ada", "a long password", "admin")
    await auth.add_user("rita", "a long password", "admin")
    sid, _ = await auth.create_session(Principal("rita", "admin"), 3600)
    token = await auth.create_user_token("rita")
    await auth.remove_user("rita")
    await auth.add_user("rita", "another password", "reviewer")  # someone else, same name
    with pytest.raises(NotFoundError):
        await auth.session(sid)
    assert await auth.list_tokens() == []
    with pytest.raises(AuthError):
        await auth.principal_for_token(token)


async def test_the_account_scripts_write_nothing_when_what_their_caller_read_has_changed(
    aredis, redis_client
):
    """CHANGE_USER and CREATE_TOKEN take the hashes their caller read (every key declared):
    a users set or a token that changed since is refused for a retry, and nothing is written."""
    auth = RedisAuthStore(aredis)
    for name in ("ada", "bea"):
        await auth.add_user(name, "a long password", "admin")
    change = aredis.register_script(redis_scripts.CHANGE_USER)
    stale = await change(  # read before bea existed: only ada's hash
        keys=[
            keys.USERS,
            keys.user("ada"),
            keys.TOKEN_NAMES,
            keys.TOKENS,
            keys.token(""),
            keys.user("ada"),
        ],
        args=["ada", "", "1", 0, "", "ada"],
    )
    assert stale == -2 and redis_client.hget(keys.user("ada"), "disabled") == "0"
    await auth.create_user_token("ada")
    digest = redis_client.hget(keys.TOKEN_NAMES, "ada")
    create = aredis.register_script(redis_scripts.CREATE_TOKEN)
    with pytest.raises(redis.ResponseError, match="RETRY"):  # read before ada's token existed
        await create(
            keys=[
                keys.TOKEN_NAMES,
                keys.token("new"),
                keys.TOKENS,
                keys.user("ada"),
                keys.token(""),
            ],
            args=["ada", "new", "", 1, "", 1, ""],
        )
    assert redis_client.hget(keys.TOKEN_NAMES, "ada") == digest
    assert not redis_client.exists(keys.token("new"))
