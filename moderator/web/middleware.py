"""Pure ASGI middleware (no per-request task, unlike BaseHTTPMiddleware), outermost first:

1. `ProxyHeaders`: X-Forwarded-For/-Proto are applied only when the connection comes from one
   of `web.trusted_proxies`; from anyone else they are ignored, so a client cannot pick its own
   address (login limits) or scheme (Secure cookies, HSTS).
2. `SecurityHeaders`: CSP and friends on every answer, HSTS on https answers, no caching of
   pages and API answers that carry comments.
3. `BodyLimit`: every request body is capped before anything reads it: a declared
   Content-Length over the limit answers 413 at once; a streamed body is counted as it
   arrives, and reading past the limit raises 413 in whoever reads it (nothing sees the excess).
4. `ApiAuth`: every /v1 route but the signed webhook (whose signature covers the body)
   authenticates, and checks the role table's rule for the route, before its body is read or
   parsed: 401/403 without touching the body.

Each refusal is an `application/problem+json` document (problems.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from moderator.errors import ModeratorError
from moderator.settings import Settings
from moderator.web import problems
from moderator.web.auth import RequireRole, any_caller

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
WEBHOOK = ("POST", "/v1/comments")
#: The platforms' own webhooks (moderator/integrations/): signed, not token-authenticated, and
#: capped like the webhook.
INTEGRATIONS = "/v1/integrations/"


class Stack:
    """The four layers above around `app`, as one middleware (`app.add_middleware(Stack,
    settings=..., routes=...)`; `routes`: the /v1 routes whose role rules ApiAuth applies)."""

    def __init__(self, app: ASGIApp, settings: Settings, routes: Sequence[BaseRoute] = ()) -> None:
        web = settings.web
        limits = {WEBHOOK: settings.webhook.max_body_bytes}
        inner = BodyLimit(ApiAuth(app, routes), web.max_body_bytes, limits)
        self.app = ProxyHeaders(SecurityHeaders(inner, web.hsts_max_age_s), web.trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class ProxyHeaders:
    """uvicorn's proxy-header handling, with the trusted addresses from settings."""

    def __init__(self, app: ASGIApp, trusted: list[str]) -> None:
        self.app = cast(ASGIApp, ProxyHeadersMiddleware(cast(Any, app), list(trusted)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts_max_age_s: int) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_max_age_s}" if hsts_max_age_s else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = scope["path"].startswith(("/ui", "/login", "/v1"))
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if no_store:
                    headers.setdefault("Cache-Control", "no-store")
                if https and self.hsts:
                    headers.setdefault("Strict-Transport-Security", self.hsts)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLargeError(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The body is larger than {limit} bytes.")


class BodyLimit:
    """`limits` maps (method, path) to its own cap; every other request gets `default_bytes`."""

    def __init__(
        self, app: ASGIApp, default_bytes: int, limits: dict[tuple[str, str], int]
    ) -> None:
        self.app, self.default_bytes, self.limits = app, default_bytes, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get((scope["method"], scope["path"]), self.default_bytes)
        if scope["path"].startswith(INTEGRATIONS):
            limit = self.limits.get(WEBHOOK, limit)
        declared = Headers(scope=scope).get("content-length", "").lstrip("0")
        if declared.isascii() and declared.isdigit() and _over(declared, limit):
            await problems.problem(413, BodyTooLargeError(limit).detail)(scope, receive, send)
            return
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLargeError(limit)
            return message

        await self.app(scope, capped, send)


def _over(digits: str, limit: int) -> bool:
    """Whether a Content-Length (ASCII digits, no leading zeros) exceeds `limit`; never parses
    more than 19 digits (a longer one is over any limit)."""
    return len(digits) > 18 or int(digits) > limit


class ApiAuth:
    """Authenticates /v1 requests (not the webhook, not /v1alpha1) and applies the role rule of
    the route they reach before the route runs; the caller is kept in the request's state,
    where the route's own dependency finds it again."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.rules = [(route, _role_rules(getattr(route, "dependant", None))) for route in routes]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _guarded(scope):
            await self.app(scope, receive, send)
            return
        try:
            caller = await any_caller(Request(scope))  # no receive: the body cannot be read here
            for rule in self._rules_for(scope):
                rule.check(caller)
        except (problems.Problem, ModeratorError) as exc:
            await problems.response_for(exc)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _rules_for(self, scope: Scope) -> list[RequireRole]:
        """The role rules of the route this request reaches (none when no route fits: the
        router answers 404 or 405 itself)."""
        for route, rules in self.rules:
            if route.matches(scope)[0] is Match.FULL:
                return rules
        return []


def _guarded(scope: Scope) -> bool:
    path: str = scope["path"]
    webhooks = (scope["method"], path) == WEBHOOK or path.startswith(INTEGRATIONS)
    return path.startswith("/v1/") and not webhooks


def _role_rules(dependant: Any) -> list[RequireRole]:
    """Every RequireRole among a route's dependencies, however deep."""
    if dependant is None:
        return []
    found = [d.call for d in dependant.dependencies if isinstance(d.call, RequireRole)]
    for sub in dependant.dependencies:
        found += _role_rules(sub)
    return found
