"""RFC 9457 problem details: every error answer is `application/problem+json`, and the mapping
from moderator's exceptions to HTTP status lives here alone."""

from __future__ import annotations

import re
from typing import Any

import redis
from fastapi import FastAPI, Request, routing
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from moderator.adapters.redis.client import store_error
from moderator.errors import (
    AuthError,
    BacklogFullError,
    ClaimedError,
    ConflictError,
    ForbiddenError,
    ModeratorError,
    NotFoundError,
    RateLimitedError,
    StoreUnavailableError,
)

MEDIA_TYPE = "application/problem+json"
_STATUS = {
    AuthError: 401,
    ForbiddenError: 403,
    RateLimitedError: 429,
    NotFoundError: 404,
    ConflictError: 409,
    BacklogFullError: 503,
    StoreUnavailableError: 503,
}
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class Problem(Exception):
    """Raise in a handler to answer with a problem document."""

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra


def problem(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any):
    body = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def response_for(exc: Problem | ModeratorError) -> JSONResponse:
    """The problem document for a refusal raised by us (Problem) or by a service."""
    if isinstance(exc, Problem):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem(exc.status, exc.detail, headers=headers, **exc.extra)
    status = next((s for t, s in _STATUS.items() if isinstance(exc, t)), 500)
    headers = {"Retry-After": "5"} if status == 503 else None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, RateLimitedError):
        headers = {"Retry-After": str(exc.retry_after_s)}
    extra = {"claimed_by": exc.owner} if isinstance(exc, ClaimedError) else {}
    return problem(status, str(exc), headers=headers, **extra)


def allowed_methods(request: Request) -> str:
    """The methods of the routes at this path (Starlette names only the first route's). When
    templates overlap (a `{comment_id:path}` also matches ".../decision"), the most specific
    template owns the path: the one with the most literal characters, as the document says."""
    path = request.scope.get("path", "")
    owners: dict[int, set[str]] = {}
    for route in routing.iter_route_contexts(request.app.routes):
        if route.path and route.methods and compile_path(route.path)[0].match(path):
            literal = len(re.sub(r"{[^}]*}", "", route.path))
            owners.setdefault(literal, set()).update(route.methods)
    return ", ".join(sorted(owners[max(owners)])) if owners else ""


def field_errors(exc: ValidationError | RequestValidationError) -> list[dict[str, str]]:
    """One entry per bad field, naming it by its dotted path."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if p not in ("body",)]
        field = ".".join(loc) or "(body)"
        message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        out.append({"field": field, "message": message})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem):
        return response_for(exc)

    @app.exception_handler(ModeratorError)
    async def _moderator(_: Request, exc: ModeratorError):
        return response_for(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError):
        errors = field_errors(exc)
        names = ", ".join(e["field"] for e in errors)
        return problem(422, f"Invalid field(s): {names}.", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return problem(exc.status_code, str(exc.detail), headers=headers or None)

    @app.exception_handler(redis.RedisError)
    async def _store(_: Request, exc: redis.RedisError):
        """A Redis error no adapter translated (a failover's READONLY or dropped connection
        reached from a path without async_unavailable_as_error): 503, never 500."""
        mapped = store_error(exc)
        if mapped is None:
            raise exc  # a bug: the last-resort handler below answers and logs it
        return response_for(mapped)

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception):
        """Last resort (a bug): a problem document, never a plain-text 500. A Redis that is
        down or switching primaries, met in a middleware, is still a 503."""
        mapped = store_error(exc)
        if mapped is not None:
            return response_for(mapped)
        return problem(500, "The server failed to handle this request; it has been logged.")
