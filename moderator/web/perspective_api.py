"""The Perspective-compatible endpoints: a Perspective client (Coral Talk, Google's own
google-api-python-client) moves to moderator by changing its endpoint URL.

- `POST /v1alpha1/comments:analyze`: scores one comment synchronously (a worker over the sync
  path, adapters/redis/sync.py; or the lexicon and policy in this process, off the event loop,
  when `perspective.scoring = "lexicon"`) and answers Perspective's AnalyzeCommentResponse
  (integrations/perspective.py maps the record). `doNotStore: false` keeps the comment and its
  record (not queued) for `perspective.store_ttl_s` under the digest of its normalised text;
  `doNotStore: true` leaves only counters.
- `POST /v1alpha1/comments:suggestscore`: the platform's verdict (Coral: 0 approved, 1 rejected),
  joined by text digest to a kept comment and recorded as a platform decision (feed, audit log,
  `moderator export decisions`). Unjoined suggestions are counted, and answered as Perspective
  does.
- `GET /$discovery/rest?version=v1alpha1`: the discovery document, rooted at this server.

Auth: `?key=`, `X-Goog-Api-Key` or a bearer token, of the `platform` role (or admin), checked
before the body is read; then a per-token rate limit. Every error is Google's shape
`{"error": {"code", "message", "status"}}`: 400 INVALID_ARGUMENT, 403 PERMISSION_DENIED,
429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE (no worker answered in time, or Redis is down).
These routes are not in the OpenAPI document: their contract is Google's (the discovery
document describes them).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from moderator.adapters.redis.auth import Principal
from moderator.bootstrap.lexicon import build_lexicon_scoring
from moderator.core.models import Comment, Decision, ScoreRecord
from moderator.core.scoring import ScoringService
from moderator.errors import AuthError, StoreUnavailableError
from moderator.errors import NotFoundError as MissingError
from moderator.integrations import perspective as p
from moderator.web import current_policy
from moderator.web.auth import admits
from moderator.web.views import now_ms

router = APIRouter()
Handler = Callable[[Request, Principal, bytes], Awaitable[dict[str, Any]]]


@router.post("/v1alpha1/comments:analyze", include_in_schema=False)
async def analyze(request: Request) -> JSONResponse:
    return await _answer(request, _analyze)


@router.post("/v1alpha1/comments:suggestscore", include_in_schema=False)
async def suggestscore(request: Request) -> JSONResponse:
    return await _answer(request, _suggest)


@router.get("/$discovery/rest", include_in_schema=False)
async def discovery(request: Request, version: str = "v1alpha1") -> JSONResponse:
    if version != "v1alpha1":
        return _error(p.PerspectiveError(404, f"No discovery document for version {version}."))
    document = json.loads(
        resources.files("moderator.integrations").joinpath("discovery.json").read_text()
    )
    root = str(request.base_url)
    document["rootUrl"] = root
    document["baseUrl"] = root
    return JSONResponse(document)


async def _answer(request: Request, handler: Handler) -> JSONResponse:
    services = request.app.state.services
    config = services.settings.perspective
    try:
        principal = await _principal(request)
        if not await services.analyzed.admit(principal.name, config.rate_per_minute, time.time()):
            raise p.PerspectiveError(
                429, f"Quota exceeded: {config.rate_per_minute} requests per minute per key."
            )
        try:
            raw = await request.body()
        except HTTPException as exc:  # the body limit
            raise p.PerspectiveError(400, str(exc.detail)) from None
        return JSONResponse(await handler(request, principal, raw))
    except p.PerspectiveError as exc:
        return _error(exc)
    except StoreUnavailableError as exc:
        return _error(p.PerspectiveError(503, str(exc)))


def _error(exc: p.PerspectiveError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.code)


async def _principal(request: Request) -> Principal:
    """The key's principal, if its role admits it; PerspectiveError(403) otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, bearer = header.partition(" ")
    key = (
        request.query_params.get("key")
        or request.headers.get("x-goog-api-key")
        or (bearer.strip() if scheme.lower() == "bearer" else "")
    )
    if not key:
        raise p.PerspectiveError(
            403, "The request is missing a valid API key (?key= or X-Goog-Api-Key)."
        )
    try:
        principal: Principal = await request.app.state.services.auth.principal_for_token(key)
    except (AuthError, MissingError):
        raise p.PerspectiveError(403, "API key not valid. Please pass a valid API key.") from None
    if not admits(principal, "platform"):
        raise p.PerspectiveError(
            403, f"This needs a platform or admin key; this key's role is {principal.role}."
        )
    return principal


async def _analyze(request: Request, principal: Principal, raw: bytes) -> dict[str, Any]:
    services = request.app.state.services
    config = services.settings.perspective
    body: p.AnalyzeIn = p.parse(p.AnalyzeIn, raw)
    p.check_attributes(list(body.requestedAttributes))
    comment = Comment(id=p.text_digest(body.comment.text), text=body.comment.text, site=config.site)
    hint = p.language_hint(body.languages)
    if config.scoring == "lexicon":
        service = await _lexicon_service(request)
        await current_policy.refresh(request.app, service)  # a version applied since start-up
        cpu = request.app.state.cpu
        scored = (await cpu.run(service.score_hinted, [comment], [hint]))[0]
        record = {**scored.to_dict(), "policy_version": service.policy.version}
    else:
        answer = await services.sync_scoring.score(comment, hint)
        if "error" in answer:
            raise p.PerspectiveError(500, f"Scoring failed: {answer['error']}")
        record = {**answer["record"], "policy_version": answer.get("policy_version")}
    out = p.analyze_response(body, ScoreRecord.from_dict(record))
    if body.doNotStore:
        await services.analyzed.count("analyze_not_stored")
    else:
        await services.analyzed.keep(comment, record, now_ms=now_ms(), ttl_s=config.store_ttl_s)
        await services.analyzed.count("analyze_stored")
    return out


def warm(app: Any) -> None:
    """With `perspective.scoring = "lexicon"`, start loading the lexicon-only scoring service
    now (off the event loop), so the first request does not wait for it. Call inside the
    running loop (the app's lifespan)."""
    if app.state.services.settings.perspective.scoring == "lexicon":
        _lexicon_future(app)


def _lexicon_future(app: Any) -> asyncio.Future[ScoringService]:
    """The one load of this process's lexicon-only scoring service (started on first call)."""
    future: asyncio.Future[ScoringService] | None = getattr(app.state, "lexicon_scoring", None)
    if future is None:
        build = app.state.cpu.run(build_lexicon_scoring, app.state.services.settings)
        future = app.state.lexicon_scoring = asyncio.ensure_future(build)
    return future


async def _lexicon_service(request: Request) -> ScoringService:
    return await asyncio.shield(_lexicon_future(request.app))


async def _suggest(request: Request, principal: Principal, raw: bytes) -> dict[str, Any]:
    services = request.app.state.services
    body: p.SuggestIn = p.parse(p.SuggestIn, raw)
    p.check_attributes(list(body.attributeScores))
    ref = f"{services.settings.perspective.site}:{p.text_digest(body.comment.text)}"
    decision = p.suggested_decision(body)
    platform_id = p.platform_comment_id(body)
    note = json.dumps(
        {"platform_id": platform_id, "community": body.communityId, "client": body.clientToken}
    )
    scores = ", ".join(f"{k}={v.summaryScore.value:g}" for k, v in body.attributeScores.items())
    try:
        await services.review.platform_decide(
            ref,
            Decision(decision),
            by=f"platform:{principal.name}",
            reason=f"perspective suggestscore {scores}"[:200],
            note=note[:5000],
            now_ms=now_ms(),
        )
        await services.analyzed.count("suggest_joined")
    except MissingError:
        await services.analyzed.count("suggest_unjoined")
    return p.suggest_response(body)
