"""Accounts, sessions, tokens and login limits against a real Redis, and the `moderator users`
and `moderator tokens` commands as a user runs them (in process, on the test Redis)."""

from __future__ import annotations

import asyncio
import io

import pytest

from moderator import keys
from moderator.adapters.redis_auth import LoginLimits, Principal, RedisAuthStore
from moderator.adapters.redis_client import connect_async
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


@pytest.mark.anyio
async def test_failed_logins_are_limited_per_account_and_per_address(aredis, redis_client):
    auth = RedisAuthStore(aredis, LoginLimits(per_account=3, per_address=5, window_s=60))
    for _ in range(3):
        await auth.check_login_allowed("rita", "10.0.0.1")
        await auth.login_failed("rita", "10.0.0.1")
    with pytest.raises(RateLimitedError) as limited:
        await auth.check_login_allowed("rita", "10.0.0.2")  # the account, from anywhere
    assert 1 <= limited.value.retry_after_s <= 60
    for name in ("a", "b"):
        await auth.check_login_allowed(name, "10.0.0.1")
        await auth.login_failed(name, "10.0.0.1")
    with pytest.raises(RateLimitedError):
        await auth.check_login_allowed("someone-else", "10.0.0.1")  # the address, any account
    await auth.check_login_allowed("someone-else", "10.0.0.9")
    assert 0 < redis_client.pttl(keys.login_failures("addr", "10.0.0.1")) <= 60_000
    await auth.login_succeeded("rita")
    await auth.check_login_allowed("rita", "10.0.0.2")


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
