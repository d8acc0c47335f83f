"""Reviewer accounts (argon2 password hashes), server-side sessions (expiring hashes), logins
(limited, see redis/logins.py) and API tokens (redis/tokens.py), all in Redis.

Each write is one script: an account is created whole or not at all (ADD_USER); a session is
written with its expiry (CREATE_SESSION), never immortal; a role change, a disable or a removal
counts the other enabled admins in the same step as it writes (CHANGE_USER), so the last
enabled admin cannot be lost to a race. A session stores who logged in and the account's id; the
role and whether the account is disabled are read from the account on every request (an admin's
change takes effect at once), and a session or token of a removed account never comes back to
life when someone re-creates the name. Passwords are hashed and checked off the event loop.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.passwords import Argon2Passwords
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.client import async_unavailable_as_error
from moderator.adapters.redis.logins import LoginLimits, RedisLoginLimiter
from moderator.adapters.redis.tokens import RedisTokens
from moderator.errors import AuthError, ConflictError, NotFoundError

ROLES = ("reviewer", "admin")  # of user accounts; tokens may also be "platform"
_CHANGE_RETRIES = 5
_PLATFORM = "platform:"  # how platform decisions are signed: no principal's name starts so
__all__ = ["ROLES", "LoginLimits", "Principal", "RedisAuthStore"]


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AuthError(f"Unknown role {role!r}: use reviewer or admin.")


class RedisAuthStore:
    def __init__(
        self,
        client: aioredis.Redis,
        limits: LoginLimits | None = None,
        passwords: Argon2Passwords | None = None,
        logins: RedisLoginLimiter | None = None,
    ) -> None:
        self._client = client
        self.passwords = passwords or Argon2Passwords()
        self.logins = logins or RedisLoginLimiter(client, limits)
        self.tokens = RedisTokens(client)
        self._add_user = client.register_script(redis_scripts.ADD_USER)
        self._change_user = client.register_script(redis_scripts.CHANGE_USER)
        self._create_session = client.register_script(redis_scripts.CREATE_SESSION)

    async def create_token(self, name: str, role: str, *, ttl_s: int | None = None) -> str:
        """A service principal's token (see RedisTokens.create)."""
        return await self.tokens.create(name, role, ttl_s=ttl_s)

    async def create_user_token(self, name: str, *, ttl_s: int | None = None) -> str:
        """A token that acts as the user `name`, with their role, while the account lives."""
        return await self.tokens.create(name, None, ttl_s=ttl_s, for_user=True)

    async def revoke_token(self, token: str) -> bool:
        return await self.tokens.revoke(token)

    async def list_tokens(self) -> list[dict[str, str]]:
        return await self.tokens.list()

    async def principal_for_token(self, token: str) -> Principal:
        return Principal(*await self.tokens.principal(token))

    async def add_user(self, name: str, password: str, role: str) -> None:
        """ConflictError if the name is a user's or a token principal's."""
        _check_role(role)
        if not name or len(name) > 64 or not name.isprintable() or name.startswith(_PLATFORM):
            raise AuthError(
                f"A user name must be 1 to 64 printable characters, not starting {_PLATFORM!r}."
            )
        if len(password) < 8:
            raise AuthError("A password must have at least 8 characters.")
        password_hash = await self.passwords.ahash(password)
        async with async_unavailable_as_error():
            created = await self._add_user(
                keys=[keys.user(name), keys.USERS, keys.TOKEN_NAMES],
                args=[name, password_hash, role, secrets.token_hex(8), int(time.time())],
            )
        if created == 0:
            raise ConflictError(f"User {name!r} already exists.")
        if created == -1:
            raise ConflictError(f"{name!r} is the name of an API token's principal.")

    async def list_users(self) -> list[dict[str, Any]]:
        """Every account: name, role, disabled; sorted by name."""
        async with async_unavailable_as_error():
            names = sorted(await self._client.smembers(keys.USERS))
            pipe = self._client.pipeline(transaction=False)
            for name in names:
                pipe.hmget(keys.user(name), "role", "disabled")
            found = await pipe.execute()
        return [
            {"name": n, "role": role, "disabled": disabled == "1"}
            for n, (role, disabled) in zip(names, found, strict=True)
            if role
        ]

    async def set_disabled(self, name: str, disabled: bool) -> None:
        """Disable (their sessions and tokens stop working at once) or enable an account."""
        await self.update_user(name, disabled=disabled)

    async def set_role(self, name: str, role: str) -> None:
        """Change an account's role (effective on its next request)."""
        await self.update_user(name, role=role)

    async def update_user(
        self, name: str, *, role: str | None = None, disabled: bool | None = None
    ) -> None:
        """Change role and/or enablement in one step. NotFoundError for no such user;
        ConflictError when it would leave no enabled admin."""
        if role is not None:
            _check_role(role)
        flag = "" if disabled is None else ("1" if disabled else "0")
        await self._change(name, role or "", flag, remove=False)

    async def remove_user(self, name: str) -> None:
        """Remove an account; its sessions and its token die with it. NotFoundError for no
        such user; ConflictError for the last enabled admin."""
        await self._change(name, "", "", remove=True)

    async def _change(self, name: str, role: str, disabled: str, *, remove: bool) -> None:
        for _ in range(_CHANGE_RETRIES):
            async with async_unavailable_as_error():
                pipe = self._client.pipeline(transaction=False)
                pipe.smembers(keys.USERS)
                pipe.hget(keys.TOKEN_NAMES, name)
                members, digest = await pipe.execute()
                names = sorted(members)
                done = await self._change_user(
                    keys=[
                        keys.USERS,
                        keys.user(name),
                        keys.TOKEN_NAMES,
                        keys.TOKENS,
                        keys.token(digest or ""),
                        *(keys.user(n) for n in names),
                    ],
                    args=[name, role, disabled, int(remove), digest or "", *names],
                )
            if done != -2:  # -2: the accounts or the token changed since they were read
                break
        else:
            raise ConflictError("The accounts keep changing; try again.")
        if done == 0:
            raise NotFoundError(f"No user {name!r}.")
        if done == -1:
            raise ConflictError(f"{name!r} is the last enabled admin; add another admin first.")

    async def has_users(self) -> bool:
        async with async_unavailable_as_error():
            return bool(await self._client.scard(keys.USERS))

    async def check_password(self, name: str, password: str) -> Principal:
        """The user, if the password is right and the account enabled; AuthError otherwise.
        Not limited: logins go through `login`."""
        async with async_unavailable_as_error():
            data = await self._client.hgetall(keys.user(name))
        right = await self.passwords.averify(data.get("password"), password)
        if not right or not data.get("role") or data.get("disabled") == "1":
            raise AuthError("Wrong user name or password.")
        return Principal(name, data["role"])

    async def login(self, name: str, password: str, address: str) -> Principal:
        """Count the attempt (RateLimitedError, with nothing checked, past the allowance), then
        check the password (AuthError when wrong); a success clears the account's count."""
        await self.logins.attempt(name, address)
        principal = await self.check_password(name, password)
        await self.logins.succeeded(name, address)
        return principal

    async def create_session(self, principal: Principal, ttl_s: int) -> tuple[str, str]:
        """A new session id and its CSRF token; the session expires after `ttl_s`."""
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        async with async_unavailable_as_error():
            await self._create_session(
                keys=[keys.session(sid), keys.user(principal.name)],
                args=[principal.name, principal.role, csrf, ttl_s * 1000],
            )
        return sid, csrf

    async def session(self, sid: str) -> tuple[Principal, str]:
        """The principal (with the account's current role) and CSRF token of a live session;
        NotFoundError otherwise, or when the account has been disabled or removed."""
        async with async_unavailable_as_error():
            data = await self._client.hgetall(keys.session(sid))
            if not data:
                raise NotFoundError("No such session.")
            role, disabled, uid = await self._client.hmget(
                keys.user(data["name"]), "role", "disabled", "uid"
            )
        if not role or disabled == "1" or (uid or "") != data.get("uid", ""):
            raise NotFoundError("The account of this session is disabled or removed.")
        return Principal(data["name"], role), data["csrf"]

    async def end_session(self, sid: str) -> None:
        async with async_unavailable_as_error():
            await self._client.delete(keys.session(sid))
