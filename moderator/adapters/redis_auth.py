"""Reviewer accounts (argon2 password hashes), API bearer tokens (stored as SHA-256 digests),
server-side sessions (expiring hashes) and failed-login counters (expiring), all in Redis.

A session stores who logged in; their role and whether they are disabled are read from the
account on every request, so an admin's change takes effect at once.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from moderator import keys
from moderator.adapters import redis_scripts
from moderator.adapters.redis_client import async_unavailable_as_error
from moderator.errors import AuthError, ConflictError, NotFoundError, RateLimitedError

ROLES = ("reviewer", "admin")
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of both failures alike.
_DUMMY_HASH = _hasher.hash("not a password")


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


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LoginLimits:
    per_account: int = 5
    per_address: int = 20
    window_s: int = 900


class RedisAuthStore:
    def __init__(self, client: aioredis.Redis, limits: LoginLimits | None = None) -> None:
        self._client = client
        self.limits = limits or LoginLimits()
        self._login_failed = client.register_script(redis_scripts.LOGIN_FAILED)

    async def create_token(self, name: str, role: str) -> str:
        """A new random bearer token; only its digest is stored, so it is shown once."""
        _check_role(role)
        token = "mod_" + secrets.token_urlsafe(32)
        digest = _digest(token)
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=True)
            pipe.hset(
                keys.token(digest),
                mapping={"name": name, "role": role, "created_at": int(time.time())},
            )
            pipe.sadd(keys.TOKENS, digest)
            await pipe.execute()
        return token

    async def revoke_token(self, token: str) -> bool:
        """Revoke by the token itself, or by the id `list_tokens` shows (a digest prefix)."""
        async with async_unavailable_as_error():
            if token.startswith("mod_"):
                digest = _digest(token)
            else:
                members: Any = await self._client.smembers(keys.TOKENS)
                found = [d for d in members if d.startswith(token)]
                if len(found) != 1 or len(token) < 8:
                    return False
                digest = found[0]
            pipe = self._client.pipeline(transaction=True)
            pipe.delete(keys.token(digest))
            pipe.srem(keys.TOKENS, digest)
            deleted, _ = await pipe.execute()
        return bool(deleted)

    async def list_tokens(self) -> list[dict[str, str]]:
        """Live tokens: id (the first 12 hex digits of the digest), name, role, created_at."""
        async with async_unavailable_as_error():
            digests: list[str] = sorted(await self._client.smembers(keys.TOKENS))
            pipe = self._client.pipeline(transaction=False)
            for digest in digests:
                pipe.hgetall(keys.token(digest))
            found = await pipe.execute()
        return [{"id": d[:12], **data} for d, data in zip(digests, found, strict=True) if data]

    async def principal_for_token(self, token: str) -> Principal:
        async with async_unavailable_as_error():
            data = await self._client.hgetall(keys.token(_digest(token)))
        if not data:
            raise AuthError("Unknown or revoked API token.")
        return Principal(data["name"], data["role"])

    async def add_user(self, name: str, password: str, role: str) -> None:
        """ConflictError if the user exists."""
        _check_role(role)
        if not name or len(name) > 64 or not name.isprintable():
            raise AuthError("A user name must be 1 to 64 printable characters.")
        if len(password) < 8:
            raise AuthError("A password must have at least 8 characters.")
        async with async_unavailable_as_error():
            created = await self._client.hsetnx(keys.user(name), "password", _hasher.hash(password))
            if not created:
                raise ConflictError(f"User {name!r} already exists.")
            await self._client.hset(keys.user(name), mapping={"role": role, "disabled": "0"})
            await self._client.sadd(keys.USERS, name)

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
        """Disable (their sessions stop working at once) or enable an account. NotFoundError
        for no such user; ConflictError for disabling the last enabled admin."""
        await self._check_change(name, disabled=disabled)
        async with async_unavailable_as_error():
            await self._client.hset(keys.user(name), "disabled", "1" if disabled else "0")

    async def set_role(self, name: str, role: str) -> None:
        """Change an account's role (effective on its next request). NotFoundError for no such
        user; ConflictError for demoting the last enabled admin."""
        _check_role(role)
        await self._check_change(name, role=role)
        async with async_unavailable_as_error():
            await self._client.hset(keys.user(name), "role", role)

    async def _check_change(
        self, name: str, *, role: str | None = None, disabled: bool | None = None
    ) -> None:
        users = {u["name"]: u for u in await self.list_users()}
        if name not in users:
            raise NotFoundError(f"No user {name!r}.")
        user = users[name]
        after = {**user, **({"role": role} if role else {})}
        if disabled is not None:
            after["disabled"] = disabled
        admins = [u for u in users.values() if u["role"] == "admin" and not u["disabled"]]
        losing = user in admins and (after["role"] != "admin" or after["disabled"])
        if losing and len(admins) == 1:
            raise ConflictError(f"{name!r} is the last enabled admin; add another admin first.")

    async def has_users(self) -> bool:
        async with async_unavailable_as_error():
            return bool(await self._client.scard(keys.USERS))

    async def check_password(self, name: str, password: str) -> Principal:
        """The user, if the password is right and the account enabled; AuthError otherwise."""
        async with async_unavailable_as_error():
            data = await self._client.hgetall(keys.user(name))
        try:
            _hasher.verify(data.get("password", _DUMMY_HASH), password)
        except (VerificationError, InvalidHashError):
            raise AuthError("Wrong user name or password.") from None
        if not data or data.get("disabled") == "1":
            raise AuthError("Wrong user name or password.")
        return Principal(name, data["role"])

    async def create_session(self, principal: Principal, ttl_s: int) -> tuple[str, str]:
        """A new session id and its CSRF token."""
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        async with async_unavailable_as_error():
            await self._client.hset(
                keys.session(sid),
                mapping={"name": principal.name, "role": principal.role, "csrf": csrf},
            )
            await self._client.expire(keys.session(sid), ttl_s)
        return sid, csrf

    async def session(self, sid: str) -> tuple[Principal, str]:
        """The principal (with the account's current role) and CSRF token of a live session;
        NotFoundError otherwise, or when the account has been disabled or removed."""
        async with async_unavailable_as_error():
            data = await self._client.hgetall(keys.session(sid))
            if not data:
                raise NotFoundError("No such session.")
            role, disabled = await self._client.hmget(keys.user(data["name"]), "role", "disabled")
        if not role or disabled == "1":
            raise NotFoundError("The account of this session is disabled.")
        return Principal(data["name"], role), data["csrf"]

    async def end_session(self, sid: str) -> None:
        async with async_unavailable_as_error():
            await self._client.delete(keys.session(sid))

    async def check_login_allowed(self, name: str, address: str) -> None:
        """RateLimitedError when the account or the address has used up its failed logins for
        the window (checked before the password, so an attacker cannot make us hash)."""
        account, addr = keys.login_failures("user", name), keys.login_failures("addr", address)
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for key in (account, addr):
                pipe.get(key)
                pipe.pttl(key)
            n_account, ttl_account, n_addr, ttl_addr = await pipe.execute()
        for n, ttl, limit in (
            (n_account, ttl_account, self.limits.per_account),
            (n_addr, ttl_addr, self.limits.per_address),
        ):
            if n is not None and int(n) >= limit:
                wait_s = max(1, -(-int(ttl) // 1000))
                raise RateLimitedError(
                    f"Too many failed logins; try again in {wait_s} seconds.", wait_s
                )

    async def login_failed(self, name: str, address: str) -> None:
        """Count a failed login against the account and the address."""
        async with async_unavailable_as_error():
            await self._login_failed(
                keys=[keys.login_failures("user", name), keys.login_failures("addr", address)],
                args=[self.limits.window_s * 1000],
            )

    async def login_succeeded(self, name: str) -> None:
        """A good password clears the account's failures (not the address's)."""
        async with async_unavailable_as_error():
            await self._client.delete(keys.login_failures("user", name))
