"""What every platform's receiving route shares: the body read within its cap, signatures
checked against each site of the platform (the secret that matches names the site), JSON read
with the webhook's errors, and the problem answers documented (moderator/web/openapi.py).

Signatures are checked before the body is parsed; a body that fits no site's secret is 401 and
nothing is stored. Comparisons are constant-time."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from moderator.settings import SiteSettings
from moderator.web.openapi import problems
from moderator.web.problems import Problem
from moderator.web.schemas import AcceptedOut
from moderator.web.webhook import _parse, _read_capped, validate_comment

__all__ = [
    "accept",
    "hex_candidates",
    "parse_json",
    "problems",
    "read_body",
    "require",
    "site_by_hmac",
]
_MAX_CANDIDATES = 8


async def read_body(request: Request) -> bytes:
    cfg = request.app.state.services.settings.webhook
    return await _read_capped(request, cfg.max_body_bytes)


def parse_json(body: bytes, content_type: str) -> dict[str, Any]:
    """The body as a JSON object; 415 / 400 / 422 problems as for the webhook."""
    return _parse(body, content_type)


def hex_candidates(header: str | None, name: str) -> list[str]:
    """The hex digests of a `sha256=<hex>[,sha256=<hex>...]` header (several while a secret is
    rotated); 401 when the header is missing or malformed."""
    if not header:
        raise Problem(401, f"The {name} header is missing.")
    values = [v.strip() for v in header.split(",")]
    if len(values) > _MAX_CANDIDATES:
        raise Problem(401, f"The {name} header carries more than {_MAX_CANDIDATES} signatures.")
    out = []
    for value in values:
        algo, _, digest = value.partition("=")
        if algo != "sha256" or len(digest) != 64 or not _is_hex(digest):
            raise Problem(401, f"The {name} header must look like sha256=<64 hex digits>.")
        out.append(digest.lower())
    return out


def _is_hex(text: str) -> bool:
    return text.isascii() and all(c in "0123456789abcdefABCDEF" for c in text)


def secrets_of(site: SiteSettings) -> list[str]:
    return [s for s in (site.webhook_secret, *site.webhook_secrets_old) if s]


def site_by_hmac(
    sites: dict[str, SiteSettings], platform: str, candidates: list[str], body: bytes
) -> tuple[str, SiteSettings]:
    """The site of `platform` one of whose secrets signed `body` (hex HMAC-SHA256 of the raw
    body); 401 when none did."""
    for name, site in sites.items():
        if site.platform != platform:
            continue
        for secret in secrets_of(site):
            expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            if any(hmac.compare_digest(expected, c) for c in candidates):
                return name, site
    raise Problem(401, "The signature does not match the body and any site's secret.")


async def accept(request: Request, fields: dict[str, Any]) -> JSONResponse:
    """Store a platform's comment mapped to the webhook's fields (`CommentIn`: the same checks,
    the same 422 for a bad field or a text over `webhook.max_text_chars`), as the webhook does:
    202 for a new comment or revision, 200 for a redelivery of the current text."""
    services = request.app.state.services
    cfg = services.settings.webhook
    comment_in = validate_comment(fields, cfg.max_text_chars)
    comment = comment_in.to_comment()
    accepted = await services.ingest.accept(comment, int(time.time() * 1000))
    out = AcceptedOut(
        status=accepted.status, site=comment.site, id=comment.id, revision=accepted.revision
    )
    return JSONResponse(out.model_dump(), status_code=202 if accepted.created else 200)


def require(data: dict[str, Any], model: type[BaseModel], where: str = "") -> Any:
    """`data` read as `model` (a platform's payload: unknown fields ignored, as platforms add
    fields between versions); 422 naming each bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {
                "field": where + (".".join(str(p) for p in err["loc"]) or "(body)"),
                "message": "unknown field" if err["type"] == "extra_forbidden" else err["msg"],
            }
            for err in exc.errors()
        ]
        raise Problem(
            422, "Invalid field(s): " + ", ".join(e["field"] for e in errors) + ".", errors=errors
        ) from None


def signed_body(header: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A platform route's `openapi_extra`: its signature header and its JSON body (the route
    reads the raw body itself, so FastAPI cannot document it)."""
    return {
        "parameters": [
            {
                "name": header,
                "in": "header",
                "required": True,
                "description": description,
                "schema": {"type": "string"},
            }
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
    }
