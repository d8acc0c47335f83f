"""Reviewer accounts (argon2 password hashes), API bearer tokens (stored as SHA-256 digests) and
server-side sessions (expiring hashes), all in Redis."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from moderator import keys
from moderator.adapters.redis_client import async_unavailable_as_error
from moderator.errors import AuthError, ConflictError, NotFoundError

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


class RedisAuthStore:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def create_token(self, name: str, role: str) -> str:
        """A new random bearer token; only its digest is stored, so it is shown once."""
        _check_role(role)
        token = "mod_" + secrets.token_urlsafe(32)
        async with async_unavailable_as_error():
            await self._client.hset(
                keys.token(_digest(token)),
                mapping={"name": name, "role": role, "created_at": int(time.time())},
            )
        return token

    async def revoke_token(self, token: str) -> bool:
        async with async_unavailable_as_error():
            return bool(await self._client.delete(keys.token(_digest(token))))

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
        """The principal and CSRF token of a live session; NotFoundError otherwise."""
        async with async_unavailable_as_error():
            data = await self._client.hgetall(keys.session(sid))
        if not data:
            raise NotFoundError("No such session.")
        return Principal(data["name"], data["role"]), data["csrf"]

    async def end_session(self, sid: str) -> None:
        async with async_unavailable_as_error():
            await self._client.delete(keys.session(sid))
