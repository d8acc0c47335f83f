"""Who is calling: an API bearer token (machine clients) or a signed session cookie (the UI).

A state-changing request authenticated by cookie must carry the session's CSRF token (form field
`csrf` or header `X-CSRF-Token`, which the UI's script sends on its JSON calls); bearer requests
need none (browsers never add them). Admin-only routes answer 403 to any other role.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request
from itsdangerous import BadSignature, TimestampSigner

from moderator.adapters.redis_auth import Principal
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


async def api_caller(request: Request) -> Caller:
    """Dependency for /v1 review endpoints: bearer token, or session + CSRF header. Resolved
    once per request (the ApiAuth middleware does it before the body is read)."""
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is None:
        cached = request.state.caller = await _api_caller(request)
    return cached


async def _api_caller(request: Request) -> Caller:
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


async def admin_caller(request: Request) -> Caller:
    """Dependency for /v1/admin endpoints: an admin's token or session (403 for reviewers)."""
    caller = await api_caller(request)
    require_admin(caller)
    return caller


def client_address(request: Request) -> str:
    """The caller's address (the proxy's X-Forwarded-For when uvicorn trusts the proxy)."""
    return request.client.host if request.client else "unknown"
