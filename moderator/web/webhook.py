"""POST /v1/comments: the platform's signed webhook (DESIGN.md).

Order of checks: size (413) → signature (401) → media type (415) → UTF-8 and JSON (400) →
schema (422) → store (202 for a new comment or a new revision of a known one, 200 for a
redelivery of the current text; 503 when Redis is down, out of memory, or the backlog is
full, or when fewer than `webhook.wait_replicas` replicas confirmed the comment in time). Nothing
is written unless every check passed, and 202 is sent only after Redis has the comment (the
embedded Redis fsyncs its append-only file before answering) and, with `wait_replicas`, after
that many replicas have it too (WAIT; the 503 for too few keeps the comment: a retry is a
redelivery, answered 200 after its own WAIT). A new revision (same
`site` + `id`, different text) is stored, rescored and requeued; the old one stays in the
comment's history (adapters/redis/ingest.py).
"""

from __future__ import annotations

import json
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from moderator.core import signing_standard
from moderator.core.signing import HEADER, verify
from moderator.errors import AuthError
from moderator.settings import SiteSettings
from moderator.web.openapi import problems, webhook_body
from moderator.web.problems import Problem, field_errors
from moderator.web.schemas import AcceptedOut, CommentIn

router = APIRouter()


def validate_comment(data: object, max_text_chars: int) -> CommentIn:
    """The webhook's fields checked (`CommentIn`) and the text's length: 422 naming the fields."""
    try:
        comment_in = CommentIn.model_validate(data)
    except ValidationError as exc:
        errors = field_errors(exc)
        raise Problem(
            422, "Invalid field(s): " + ", ".join(e["field"] for e in errors) + ".", errors=errors
        ) from None
    if len(comment_in.text) > max_text_chars:
        message = f"longer than {max_text_chars} characters ({len(comment_in.text)})"
        raise Problem(
            422,
            f"Invalid field(s): text ({message}).",
            errors=[{"field": "text", "message": message}],
        )
    return comment_in


async def _read_capped(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise Problem(413, f"The body is larger than {max_bytes} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise Problem(413, f"The body is larger than {max_bytes} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes, content_type: str) -> dict:
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise Problem(415, f"Send the comment as application/json, not {media or 'nothing'}.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, f"The body is not valid UTF-8 (byte {exc.start}).") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Problem(
            400, f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    except RecursionError:
        raise Problem(400, "The body nests arrays or objects too deeply.") from None
    except ValueError as exc:  # valid JSON Python refuses, e.g. an integer of 4,300+ digits
        raise Problem(400, f"The body cannot be read: {exc}.") from None
    if not isinstance(data, dict):
        raise Problem(
            422,
            "The body must be a JSON object.",
            errors=[{"field": "(body)", "message": "must be an object"}],
        )
    return data


@router.post(
    "/v1/comments",
    status_code=202,
    response_model=AcceptedOut,
    responses={
        200: {
            "model": AcceptedOut,
            "description": "Redelivery of the current text; nothing stored",
        },
        **problems(400, 401, 403, 413, 415, 422, 503),
    },
    openapi_extra=webhook_body(),
)
async def receive_comment(request: Request) -> JSONResponse:
    services = request.app.state.services
    cfg = services.settings.webhook
    body = await _read_capped(request, cfg.max_body_bytes)
    signer = await _signer(request, body, await services.sites.all(), cfg.tolerance_s)
    data = _parse(body, request.headers.get("content-type", ""))
    comment_in = validate_comment(data, cfg.max_text_chars)
    if signer is not None and comment_in.site != signer:
        raise Problem(
            403,
            f"Signed with site {signer!r}'s secret, but the comment names site "
            f"{comment_in.site!r}: a site's secret posts only its own comments.",
        )
    comment = comment_in.to_comment()
    accepted = await services.ingest.accept(comment, int(time.time() * 1000))
    out = AcceptedOut(
        status=accepted.status, site=comment.site, id=comment.id, revision=accepted.revision
    )
    return JSONResponse(out.model_dump(), status_code=202 if accepted.created else 200)


def _own_scheme(site: SiteSettings) -> bool:
    return site.platform in ("generic", "wordpress") and bool(site.webhook_secret)


async def _signer(
    request: Request, body: bytes, sites: dict[str, SiteSettings], tolerance_s: int
) -> str | None:
    """Who signed `body`: None for the global webhook secret, else the site whose own secret
    did; 401 (saying why) when nobody did. The headers choose the scheme: Standard Webhooks'
    `webhook-signature` (sites with `signing = "standard"`), else `X-Moderator-Signature`
    (the global secret, then each site's own)."""
    now = time.time()
    if request.headers.get(signing_standard.SIGNATURE_HEADER) is not None:
        names = [n for n, s in sites.items() if _own_scheme(s) and s.signing == "standard"]
        keys = [
            (n, k) for n in names for k in (sites[n].webhook_secret, *sites[n].webhook_secrets_old)
        ]
        found = {
            h: request.headers.get(h)
            for h in (
                signing_standard.ID_HEADER,
                signing_standard.TIMESTAMP_HEADER,
                signing_standard.SIGNATURE_HEADER,
            )
        }
        try:
            index = signing_standard.verify(
                [k for _, k in keys], found, body, now=now, tolerance_s=tolerance_s
            )
        except AuthError as exc:
            raise Problem(401, str(exc)) from None
        return keys[index][0]
    header = request.headers.get(HEADER)
    services = request.app.state.services
    candidates: list[tuple[str | None, str]] = [(None, services.webhook_secret)]
    for site_name, site in sites.items():
        if _own_scheme(site) and site.signing == "moderator":
            candidates += [(site_name, k) for k in (site.webhook_secret, *site.webhook_secrets_old)]
    first: AuthError | None = None
    for signer, secret in candidates:
        if not secret:
            continue
        try:
            verify(secret, header, body, now=now, tolerance_s=tolerance_s)
        except AuthError as exc:
            first = first or exc
            continue
        return signer
    raise Problem(401, str(first or "No webhook secret is configured.")) from None
