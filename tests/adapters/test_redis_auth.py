"""Accounts, sessions, tokens and login limits against a real Redis, and the `moderator users`
and `moderator tokens` commands as a user runs them (in process, on the test Redis)."""

from __future__ import annotations

import asyncio
import io
import time

import pytest

from moderator import keys
from moderator.adapters.redis.auth import Principal, RedisAuthStore
from moderator.adapters.redis.client import connect_async
from moderator.adapters.redis.logins import LoginLimits, RedisLoginLimiter
from moderator.adapters.redis.tokens import digest as _digest
from moderator.cli import main
from moderator.errors import AuthError, ConflictError, NotFoundError, RateLimitedError
from tests.web.seeding import anyio_backend_fixture, aredis_fixture  # noqa: F401


@pytest.mark.anyio
async def test_role_and_disabled_are_read_on_every_session_use(aredis):
    auth = RedisAuthStore(aredis)
    await auth.add_user("ada", "admin password", "admin")
    await auth.add_user("rita", "reviewer password", "reviewer")
    sid, csrf = await auth.create_session(Principal("rita", "reviewer"), 60)
    assert await auth.session(sid) == (Principal("rita", "reviewer"), csrf)
    await auth.set_role("rita", "admin")
    assert (await auth.session(sid))[0].role == "admin"
    await auth.set_disabled("rita", True)
    with pytest.raises(NotFoundError):
        await auth.session(sid)
    with pytest.raises(AuthError):
        await auth.check_password("rita", "reviewer password")
    await auth.set_disabled("rita", False)
    assert (await auth.session(sid))[0].name == "rita"
    assert await auth.list_users() == [
        {"name": "ada", "role": "admin", "disabled": False},
        {"name": "rita", "role": "admin", "disabled": False},
    ]


@pytest.mark.anyio
async def test_the_last_enabled_admin_cannot_be_removed(aredis):
    auth = RedisAuthStore(aredis)
    await auth.add_user("ada", "admin password", "admin")
    with pytest.raises(ConflictError):
        await auth.set_role("ada", "reviewer")
    with pytest.raises(ConflictError):
        await auth.set_disabled("ada", True)
    await auth.add_user("bea", "admin password", "admin")
    await auth.set_disabled("ada", True)  # another admin is left
    with pytest.raises(ConflictError):
        await auth.set_role("bea", "reviewer")
    with pytest.raises(NotFoundError):
        await auth.set_role("nobody", "admin")


@pytest.mark.anyio
async def test_tokens_are_listed_by_id_and_revocable_by_id(aredis, redis_client):
    auth = RedisAuthStore(aredis)
    first = await auth.create_token("ci", "reviewer")
    await auth.create_token("bot", "admin")
    listed = await auth.list_tokens()
    assert sorted(t["name"] for t in listed) == ["bot", "ci"]
    assert all(len(t["id"]) == 12 and first not in str(t) for t in listed)
    ci = next(t for t in listed if t["name"] == "ci")
    assert await auth.revoke_token(ci["id"][:4]) is False  # too short to be sure
    assert await auth.revoke_token(ci["id"]) is True
    with pytest.raises(AuthError):
        await auth.principal_for_token(first)
    assert [t["name"] for t in await auth.list_tokens()] == ["bot"]
    assert redis_client.scard(keys.TOKENS) == 1


def limiter(aredis, now: list[int], **limits: float) -> RedisLoginLimiter:
    """A limiter on the test Redis whose clock the test moves."""
    base = {"per_account": 3, "per_address": 100, "window_s": 60, "max_delay_s": 8}
    return RedisLoginLimiter(aredis, LoginLimits(**(base | limits)), clock_ms=lambda: now[0])


@pytest.mark.anyio
async def test_logins_past_the_allowance_wait_delays_that_grow(aredis, redis_client):
    now = [1_000_000]
    logins = limiter(aredis, now)
    for _ in range(3):
        await logins.attempt("rita", "10.0.0.1")
    waits = []
    for _ in range(6):
        with pytest.raises(RateLimitedError) as limited:
            await logins.attempt("rita", "10.0.0.2")  # the account, from anywhere
        waits.append(limited.value.retry_after_s)
        now[0] += limited.value.retry_after_s * 1000
        await logins.attempt("rita", "10.0.0.2")  # after the wait, one attempt gets through
    assert waits == [1, 2, 4, 8, 8, 8]  # doubling from 1 s, capped: no 15-minute lock-out
    assert 0 < redis_client.pttl(keys.login_failures("user", "rita")) <= 60_000 + 8_000
    await logins.succeeded("rita", "10.0.0.2")
    for _ in range(3):
        await logins.attempt("rita", "10.0.0.2")  # a success gives the allowance back


@pytest.mark.anyio
async def test_an_address_is_limited_across_accounts_and_only_failures_count(aredis):
    now = [1_000_000]
    logins = limiter(aredis, now, per_address=3)
    for name in ("a", "b", "c"):
        await logins.attempt(name, "10.0.0.1")
    with pytest.raises(RateLimitedError):
        await logins.attempt("someone-else", "10.0.0.1")  # the address, any account
    await logins.attempt("someone-else", "10.0.0.9")
    for _ in range(10):  # an office behind one address: right passwords are not held against it
        await logins.attempt("dora", "10.0.0.7")
        await logins.succeeded("dora", "10.0.0.7")


@pytest.mark.anyio
async def test_counters_left_by_the_previous_version_do_not_break_logins(aredis, redis_client):
    redis_client.set(keys.login_failures("user", "rita"), 2, ex=900)  # the old INCR counters
    redis_client.set(keys.login_failures("addr", "10.0.0.1"), 2, ex=900)
    logins = limiter(aredis, [1_000_000])
    await logins.attempt("rita", "10.0.0.1")
    await logins.succeeded("rita", "10.0.0.1")
    assert redis_client.type(keys.login_failures("addr", "10.0.0.1")) == "hash"


@pytest.mark.anyio
async def test_a_refused_attempt_checks_no_password(aredis):
    auth = RedisAuthStore(aredis, LoginLimits(per_account=2, per_address=100))
    await auth.add_user("rita", "reviewer password", "reviewer")
    for _ in range(2):
        with pytest.raises(AuthError):
            await auth.login("rita", "wrong password", "10.0.0.1")
    with pytest.raises(RateLimitedError):
        await auth.login("rita", "reviewer password", "10.0.0.1")  # even the right one, for now


def test_users_and_tokens_commands(redis_url, redis_client, monkeypatch, capsys):
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert main(["users", "add", "ada", "--role", "admin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("another password\n"))
    assert main(["users", "add", "rita"]) == 0
    assert main(["users", "role", "rita", "admin"]) == 0
    assert main(["users", "disable", "ada"]) == 0
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == ["ada  admin  disabled", "rita  admin  active"]
    assert main(["users", "enable", "ada"]) == 0
    assert main(["users", "disable", "nobody"]) == 2  # one sentence, exit status 2
    assert "No user 'nobody'" in capsys.readouterr().err
    assert main(["tokens", "create", "--role", "reviewer", "--name", "ci"]) == 0
    token = capsys.readouterr().out.splitlines()[-1]
    assert main(["tokens", "list"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    token_id = line.split()[0]
    assert line.endswith(" ci") and token not in line
    assert main(["tokens", "revoke", token_id]) == 0
    assert main(["tokens", "revoke", token]) == 1

    async def check() -> None:
        client = connect_async(redis_url)
        try:
            with pytest.raises(AuthError):
                await RedisAuthStore(client).principal_for_token(token)
        finally:
            await client.aclose()

    asyncio.run(check())


def run_on(redis_url: str, coro_fn) -> object:
    async def go() -> object:
        client = connect_async(redis_url)
        try:
            return await coro_fn(RedisAuthStore(client))
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_token_names_are_unique_and_tokens_expire(redis_url, redis_client, monkeypatch, capsys):
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    with pytest.raises(SystemExit):  # no shared default principal such as "api-client"
        main(["tokens", "create", "--role", "reviewer"])
    assert main(["tokens", "create", "--role", "platform", "--name", "blog", "--ttl", "1h"]) == 0
    token = capsys.readouterr().out.splitlines()[-1]
    assert main(["tokens", "create", "--role", "reviewer", "--name", "blog"]) == 2
    assert "'blog' already has a live token" in capsys.readouterr().err
    (digest,) = redis_client.smembers(keys.TOKENS)
    assert 3_500_000 < redis_client.pttl(keys.token(digest)) <= 3_600_000
    assert main(["tokens", "create", "--role", "admin", "--name", "ops", "--ttl", "never"]) == 0
    assert main(["tokens", "create", "--name", "x"]) == 2  # a service needs a role
    capsys.readouterr()
    assert main(["tokens", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sorted(line.split()[1] for line in lines) == ["admin", "platform"]
    assert any("expires never" in line and line.endswith(" ops") for line in lines)
    assert main(["tokens", "revoke", token]) == 0
    assert main(["tokens", "create", "--role", "platform", "--name", "blog"]) == 0  # free again

    async def short_lived(auth: RedisAuthStore) -> str:
        return await auth.create_token("ci", "reviewer", ttl_s=1)

    short = run_on(redis_url, short_lived)
    redis_client.pexpire(keys.token(_digest(str(short))), 1)  # its lifetime runs out
    time.sleep(0.01)

    async def use(auth: RedisAuthStore) -> object:
        return await auth.principal_for_token(str(short))

    with pytest.raises(AuthError):
        run_on(redis_url, use)
    assert main(["tokens", "create", "--role", "reviewer", "--name", "ci"]) == 0  # name freed


def test_a_users_token_has_their_role_and_dies_with_them(
    redis_url, redis_client, monkeypatch, capsys
):
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    for name, role in (("ada", "admin"), ("rita", "reviewer")):
        monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
        assert main(["users", "add", name, "--role", role]) == 0
    assert main(["tokens", "create", "--role", "admin", "--name", "rita"]) == 2
    assert "is a user's name" in capsys.readouterr().err
    assert main(["tokens", "create", "--user", "nobody"]) == 2
    assert main(["tokens", "create", "--user", "rita", "--role", "admin"]) == 2
    capsys.readouterr()
    assert main(["tokens", "create", "--user", "rita"]) == 0
    token = capsys.readouterr().out.splitlines()[-1]

    async def who(auth: RedisAuthStore) -> object:
        return await auth.principal_for_token(token)

    assert run_on(redis_url, who) == Principal("rita", "reviewer")
    assert main(["users", "role", "rita", "admin"]) == 0
    assert run_on(redis_url, who) == Principal("rita", "admin")
    assert main(["users", "disable", "rita"]) == 0
    with pytest.raises(AuthError):
        run_on(redis_url, who)
    assert main(["users", "enable", "rita"]) == 0
    assert run_on(redis_url, who) == Principal("rita", "admin")
    assert main(["users", "remove", "rita"]) == 0
    with pytest.raises(AuthError):
        run_on(redis_url, who)
    assert redis_client.scard(keys.TOKENS) == 0
    assert main(["users", "remove", "ada"]) == 2  # the last enabled admin
    assert "last enabled admin" in capsys.readouterr().err
