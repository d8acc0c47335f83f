"""Who is calling, and whether their role may: the one role table (docs/DESIGN.md) is enforced
here, by the dependency each route declares.

- admin: everything;
- reviewer: the UI and the review API (queues, counts, comments, claims, decisions, notes,
  bulk, undo): `api_caller`;
- platform: machine-to-machine for a site (the pull feed, platform decisions, the
  Perspective-compatible scoring endpoints): `platform_caller`;
- admin only: `admin_caller`. `require_role(...)` builds the dependency for any other mix.

Callers are an API bearer token (any role) or a signed session cookie (the UI: users, so reviewer
or admin). A state-changing request authenticated by cookie must carry the session's CSRF token
(form field `csrf` or header `X-CSRF-Token`, which the UI's script sends on its JSON calls);
bearer requests need none (browsers never add them). No credentials: 401; a role the route does
not admit: 403.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request
from itsdangerous import BadSignature, TimestampSigner

from moderator.adapters.redis.auth import Principal
from moderator.errors import NotFoundError
from moderator.web.problems import Problem

COOKIE = "moderator_session"
#: Over https every cookie gets the __Host- prefix: browsers then keep it only if it is Secure,
#: has Path=/ and no Domain, so neither a sibling subdomain nor plain http can plant or read it.
HOST_PREFIX = "__Host-"
_SAFE = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True, slots=True)
class Caller:
    principal: Principal
    csrf: str | None  # None for bearer callers
    sid: str | None = None


def cookie_name(request: Request, name: str) -> str:
    """`name`, with the __Host- prefix when the request came over https."""
    return HOST_PREFIX + name if request.url.scheme == "https" else name


def signer(request: Request) -> TimestampSigner:
    return TimestampSigner(request.app.state.services.session_secret, salt="session")


async def session_caller(request: Request) -> Caller | None:
    """The logged-in reviewer, or None (no cookie, bad signature, expired or ended session)."""
    raw = request.cookies.get(cookie_name(request, COOKIE))
    if not raw:
        return None
    services = request.app.state.services
    try:
        sid = signer(request).unsign(raw, max_age=services.settings.ui.session_ttl_s).decode()
        principal, csrf = await services.auth.session(sid)
    except (BadSignature, NotFoundError):
        return None
    return Caller(principal, csrf, sid)


async def check_csrf(request: Request, caller: Caller, form_value: str | None = None) -> None:
    if caller.csrf is None or request.method in _SAFE:
        return
    sent = form_value or request.headers.get("x-csrf-token") or ""
    if not hmac.compare_digest(sent.encode(), caller.csrf.encode()):
        raise Problem(403, "Missing or wrong CSRF token: reload the page and try again.")


async def any_caller(request: Request) -> Caller:
    """Whoever is calling (bearer token, or session + CSRF header), whatever their role.
    Resolved once per request: the ApiAuth middleware does it before the body is read, and
    keeps the caller in the request's state, where the route's dependency finds it again."""
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is None:
        cached = request.state.caller = await _any_caller(request)
    return cached


async def _any_caller(request: Request) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        principal = await request.app.state.services.auth.principal_for_token(token.strip())
        return Caller(principal, None)
    caller = await session_caller(request)
    if caller is None:
        raise Problem(
            401,
            "Send an API token as 'Authorization: Bearer <token>' "
            "(create one with `moderator tokens create`).",
        )
    await check_csrf(request, caller)
    return caller


def require_admin(caller: Caller) -> None:
    if not caller.principal.is_admin:
        raise Problem(403, "Only admins may do this.")


def admits(principal: Principal, *roles: str) -> bool:
    """Whether the role table lets this principal in where `roles` may go (admins always):
    for routes that take their token elsewhere than the Authorization header (e.g. `?key=`)."""
    return principal.role in {*roles, "admin"}


class RequireRole:
    """A dependency admitting callers of these roles, and admins (who may do everything);
    401 without credentials, 403 for any other role. The ApiAuth middleware applies the same
    check before the body is read (`route_roles`)."""

    def __init__(self, *roles: str) -> None:
        self.roles = roles
        self.names = " or ".join(sorted({*roles, "admin"}))
        self.__doc__ = f"Dependency: a caller whose role is {self.names}."

    async def __call__(self, request: Request) -> Caller:
        caller = await any_caller(request)
        self.check(caller)
        return caller

    def check(self, caller: Caller) -> None:
        if not admits(caller.principal, *self.roles):
            role = caller.principal.role
            raise Problem(403, f"This needs a {self.names} token; yours is {role}.")


def require_role(*roles: str) -> RequireRole:
    """The dependency for a route these roles (and admins) may call."""
    return RequireRole(*roles)


#: The review API and the UI's JSON calls (queues, claims, decisions, notes, bulk, undo).
api_caller = require_role("reviewer")
#: Machine-to-machine for a site: the pull feed, platform decisions, the Perspective endpoints.
platform_caller = require_role("platform")
#: /v1/admin: accounts, the audit log, dead letters.
admin_caller = require_role()


def client_address(request: Request) -> str:
    """The caller's address (the proxy's X-Forwarded-For when uvicorn trusts the proxy)."""
    return request.client.host if request.client else "unknown"
