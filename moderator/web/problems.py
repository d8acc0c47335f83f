"""RFC 9457 problem details: every error answer is `application/problem+json`, and the mapping
from moderator's exceptions to HTTP status lives here alone."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

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
        return problem(exc.status, exc.detail, **exc.extra)

    @app.exception_handler(ModeratorError)
    async def _moderator(_: Request, exc: ModeratorError):
        status = next((s for t, s in _STATUS.items() if isinstance(exc, t)), 500)
        headers = {"Retry-After": "5"} if status == 503 else None
        if status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        if isinstance(exc, RateLimitedError):
            headers = {"Retry-After": str(exc.retry_after_s)}
        extra = {"claimed_by": exc.owner} if isinstance(exc, ClaimedError) else {}
        return problem(status, str(exc), headers=headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError):
        errors = field_errors(exc)
        names = ", ".join(e["field"] for e in errors)
        return problem(422, f"Invalid field(s): {names}.", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))
