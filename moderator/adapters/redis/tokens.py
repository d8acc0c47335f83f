"""API bearer tokens in Redis: only a token's SHA-256 digest is stored, so it is shown once.

Every token belongs to one principal with a unique name: a service (a platform's integration,
a CI job) with its own role, or a user, whose role, enablement and very existence are read from
the account on every request (a user's tokens die with the user). One live token per name,
created in one script (CREATE_TOKEN) that refuses a duplicate. A token may expire: Redis drops
it at its expiry time, and a token read past it is refused all the same.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import redis
import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.client import async_unavailable_as_error
from moderator.errors import AuthError, ConflictError, NotFoundError

TOKEN_ROLES = ("reviewer", "admin", "platform")
_RETRIES = 5
_REFUSALS = {
    "DUPLICATE": "{name!r} already has a live token: revoke it first (`moderator tokens list`).",
    "USERNAME": "{name!r} is a user's name: create their token with --user {name}.",
}


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RedisTokens:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._create = client.register_script(redis_scripts.CREATE_TOKEN)
        self._revoke = client.register_script(redis_scripts.REVOKE_TOKEN)

    async def create(
        self, name: str, role: str | None, *, ttl_s: int | None = None, for_user: bool = False
    ) -> str:
        """A new random token for a service principal (`role` one of TOKEN_ROLES) or, with
        `for_user`, for the user `name` (acting with their role). ConflictError for a name that
        has a live token (or, for a service, a user's name); NotFoundError for no such user."""
        if for_user:
            role = None
        elif role not in TOKEN_ROLES:
            raise AuthError(f"Unknown role {role!r}: use reviewer, admin or platform.")
        if not name or len(name) > 64 or not name.isprintable() or name.startswith("platform:"):
            raise AuthError(
                "A token name must be 1 to 64 printable characters, not starting 'platform:'."
            )
        token = "mod_" + secrets.token_urlsafe(32)
        now = time.time()
        expires = "" if ttl_s is None else str(int((now + ttl_s) * 1000))
        found = digest(token)
        for _ in range(_RETRIES):
            async with async_unavailable_as_error():
                old = await self._client.hget(keys.TOKEN_NAMES, name) or ""
                args = [name, found, role or "", int(now), expires, int(for_user), old]
                try:
                    await self._create(
                        keys=[
                            keys.TOKEN_NAMES,
                            keys.token(found),
                            keys.TOKENS,
                            keys.user(name),
                            keys.token(old),
                        ],
                        args=args,
                    )
                    return token
                except redis.ResponseError as exc:
                    code = str(exc).split()[0]
                    if code == "RETRY":  # the name's token changed since it was read
                        continue
                    if code == "NOUSER":
                        raise NotFoundError(f"No user {name!r}.") from None
                    raise ConflictError(_REFUSALS[code].format(name=name)) from None
        raise ConflictError(f"The tokens of {name!r} keep changing; try again.")

    async def revoke(self, token: str) -> bool:
        """Revoke by the token itself, or by the id `list` shows (a digest prefix)."""
        async with async_unavailable_as_error():
            if token.startswith("mod_"):
                found = digest(token)
            else:
                members: Any = await self._client.smembers(keys.TOKENS)
                matching = [d for d in members if d.startswith(token)]
                if len(matching) != 1 or len(token) < 8:
                    return False
                found = matching[0]
            deleted = await self._revoke(
                keys=[keys.token(found), keys.TOKENS, keys.TOKEN_NAMES], args=[found]
            )
        return bool(deleted)

    async def list(self) -> list[dict[str, str]]:
        """Live tokens: id (the first 12 hex digits of the digest), name, role ('' for a user's:
        theirs), created_at, expires_at (unix ms, '' for never), user ('1' for a user's)."""
        async with async_unavailable_as_error():
            digests: list[str] = sorted(await self._client.smembers(keys.TOKENS))
            pipe = self._client.pipeline(transaction=False)
            for d in digests:
                pipe.hgetall(keys.token(d))
            found = await pipe.execute()
        now_ms = time.time() * 1000
        return [
            {"id": d[:12], **data}
            for d, data in zip(digests, found, strict=True)
            if data and not _expired(data, now_ms)
        ]

    async def principal(self, token: str) -> tuple[str, str]:
        """The (name, role) the token acts as; AuthError when it is unknown, revoked or expired,
        or when its user is disabled or gone."""
        async with async_unavailable_as_error():
            data = await self._client.hgetall(keys.token(digest(token)))
            if not data or _expired(data, time.time() * 1000):
                raise AuthError("Unknown, revoked or expired API token.")
            if data.get("user") != "1":
                return data["name"], data["role"]
            role, disabled, uid = await self._client.hmget(
                keys.user(data["name"]), "role", "disabled", "uid"
            )
        if not role or disabled == "1" or (uid or "") != data.get("uid", ""):
            raise AuthError("The account of this API token is disabled or removed.")
        return data["name"], role


def _expired(data: dict[str, str], now_ms: float) -> bool:
    expires = data.get("expires_at") or ""
    return bool(expires) and int(expires) <= now_ms
